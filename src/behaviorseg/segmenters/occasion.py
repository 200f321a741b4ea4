"""Occasion (timing) segments: occasion, seasonal, regular, weekend and evening buyers."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._base import BaseSegmenter
from .._validation import Constraint, InstanceOf, Interval
from ..exceptions import DataValidationError
from ..summaries._occasions import (
    EVENING,
    NO_PATTERN,
    REGULAR,
    RETAIL_OCCASIONS,
    SEASONS,
    SEVERAL,
    TOO_FEW,
    WEEKEND,
    occasion_column,
    occasion_segment,
    season_segment,
)
from .usage import _check_non_negative

__all__ = ["OccasionSegmenter"]

_SHARE_TOLERANCE = 1e-9


def _threshold(low: float, high: float | None, *, none: bool) -> list[Constraint]:
    rules: list[Constraint] = [Interval(float, low, high, closed="both")]
    return [*rules, InstanceOf((type(None),))] if none else rules


class OccasionSegmenter(BaseSegmenter):
    """Segment customers by *when* they buy: occasions, seasons, rhythm, day and hour.

    The customer table is :func:`behaviorseg.summaries.occasion_table`. First
    matching rule wins:

    =======================  ==================================================
    segment                  rule
    =======================  ==================================================
    too few purchases        ``n_purchases < min_purchases``
    occasion: <name>         ``observed_days >= min_observed_days`` and
                             ``share_occasion >= occasion_share``, and the
                             top occasion holds at least ``occasion_dominance``
                             of those purchases
    occasion: several        as above, no single occasion dominating
    seasonal: <season>       ``observed_days >= min_observed_days`` and
                             ``seasonal_concentration >= seasonal_concentration``;
                             named by the season with the largest share
    regular                  ``gap_cv <= max_gap_cv``
    weekend shopper          ``share_weekend >= weekend_share``
    evening shopper          ``share_evening >= evening_share``
    no clear pattern         the rest
    =======================  ==================================================

    Parameters
    ----------
    min_purchases : int, default=4
        Fewer purchases than this: ``"too few purchases"``, never a guess.
    min_observed_days : float, default=300.0
        Occasion and seasonal rules need the customer observed (first purchase
        to ``as_of``) this long: a burst of purchases in a customer's first
        weeks is not a season.
    occasion_share : float or None, default=0.6
        Share of purchases inside occasion windows that makes an occasion
        buyer (the default windows cover about a quarter of the year). None
        drops the occasion segments.
    occasion_dominance : float, default=0.6
        Share of the occasion purchases the top occasion needs to name the
        segment; below it, ``"occasion: several"``.
    seasonal_concentration : float or None, default=0.7
        Seasonal concentration (mean resultant length over the year) that
        makes a seasonal buyer. Purchases spread evenly over one season give
        about 0.9, over four months 0.83; random days of the year about
        ``1 / sqrt(n_purchases)``. None drops the seasonal segments.
    max_gap_cv : float or None, default=0.5
        Coefficient of variation of the gaps at or below which a buyer is
        regular (random timing gives about 1). None drops the segment.
    weekend_share : float or None, default=0.6
        Share of weekend purchases for a weekend shopper (2/7 = 0.29 by
        chance). None drops the segment.
    evening_share : float or None, default=0.5
        Share of purchases in the ``evening`` hour band for an evening shopper.
        None drops the segment.
    occasions : tuple of str, default=RETAIL_OCCASIONS
        Occasion names, as in the calendar given to ``occasion_table``; their
        columns are ``share_prefix`` + the name in lower case with ``_``
        between words (``share_valentines_day``).
    share_prefix : str, default="share_"
        Prefix of the share columns read; ``"spend_share_"`` reads the shares of
        spend instead of purchases.
    purchases_col, observed_col, gap_cv_col, concentration_col : str or None
        The other columns read (``occasion_table``'s names). ``observed_col=None``
        drops the ``min_observed_days`` condition.

    Attributes
    ----------
    segments_ : list of str
        Every segment the rules can give, in rule order (fixed by the
        parameters, not by the data): with the defaults,
        :data:`~behaviorseg.summaries.OCCASION_SEGMENTS`.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    A plain array is read in the order: purchases, observed, gap_cv,
    concentration, the season shares (:data:`~behaviorseg.summaries.SEASONS`),
    ``share_occasion``, the occasion shares, weekend, evening (only the columns
    of the rules switched on). NaN is accepted in ``gap_cv`` and the shares
    (unknown: the rule does not apply), nowhere else. ``transform`` returns the
    evidence of each rule switched on (``n_purchases``, ``observed_days``,
    ``gap_cv``, ``seasonal_concentration``, ``top_season_share``,
    ``share_occasion``, ``top_occasion_share``, ``share_weekend``,
    ``share_evening``) and ``segment_index``.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import OccasionSegmenter
    >>> customers = pd.DataFrame({
    ...     "n_purchases": [2, 6, 8, 12, 9, 7],
    ...     "observed_days": [400.0, 400.0, 500.0, 500.0, 500.0, 120.0],
    ...     "gap_cv": [None, 1.4, 1.1, 0.2, 0.9, 1.0],
    ...     "seasonal_concentration": [1.0, 0.95, 0.85, 0.1, 0.3, 0.9],
    ...     "share_winter": [1.0, 1.0, 0.0, 0.25, 0.2, 1.0],
    ...     "share_spring": [0.0, 0.0, 0.1, 0.25, 0.3, 0.0],
    ...     "share_summer": [0.0, 0.0, 0.8, 0.25, 0.3, 0.0],
    ...     "share_autumn": [0.0, 0.0, 0.1, 0.25, 0.2, 0.0],
    ...     "share_occasion": [1.0, 0.9, 0.1, 0.2, 0.2, 0.9],
    ...     "share_christmas": [1.0, 0.8, 0.0, 0.1, 0.0, 0.9],
    ...     "share_weekend": [0.0, 0.2, 0.3, 0.3, 0.8, 0.0],
    ...     "share_evening": [0.0, 0.1, 0.2, 0.1, 0.1, 0.1],
    ... })
    >>> seg = OccasionSegmenter(occasions=("Christmas",)).fit(customers)
    >>> seg.predict(customers).tolist()
    ['too few purchases', 'occasion: Christmas', 'seasonal: summer', 'regular',
     'weekend shopper', 'no clear pattern']
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "min_purchases": [Interval(int, 1, None)],
        "min_observed_days": [Interval(float, 0, None)],
        "occasion_share": _threshold(0, 1, none=True),
        "occasion_dominance": _threshold(0, 1, none=False),
        "seasonal_concentration": _threshold(0, 1, none=True),
        "max_gap_cv": _threshold(0, None, none=True),
        "weekend_share": _threshold(0, 1, none=True),
        "evening_share": _threshold(0, 1, none=True),
        "occasions": [InstanceOf((tuple, list))],
        "share_prefix": [InstanceOf((str,))],
        "purchases_col": [InstanceOf((str,))],
        "observed_col": [InstanceOf((str, type(None)))],
        "gap_cv_col": [InstanceOf((str,))],
        "concentration_col": [InstanceOf((str,))],
    }
    _allow_nan = True  # gap_cv is NaN below three purchases; spend shares without spend

    def __init__(
        self,
        *,
        min_purchases: int = 4,
        min_observed_days: float = 300.0,
        occasion_share: float | None = 0.6,
        occasion_dominance: float = 0.6,
        seasonal_concentration: float | None = 0.7,
        max_gap_cv: float | None = 0.5,
        weekend_share: float | None = 0.6,
        evening_share: float | None = 0.5,
        occasions: tuple[str, ...] = RETAIL_OCCASIONS,
        share_prefix: str = "share_",
        purchases_col: str = "n_purchases",
        observed_col: str | None = "observed_days",
        gap_cv_col: str = "gap_cv",
        concentration_col: str = "seasonal_concentration",
    ) -> None:
        self.min_purchases = min_purchases
        self.min_observed_days = min_observed_days
        self.occasion_share = occasion_share
        self.occasion_dominance = occasion_dominance
        self.seasonal_concentration = seasonal_concentration
        self.max_gap_cv = max_gap_cv
        self.weekend_share = weekend_share
        self.evening_share = evening_share
        self.occasions = occasions
        self.share_prefix = share_prefix
        self.purchases_col = purchases_col
        self.observed_col = observed_col
        self.gap_cv_col = gap_cv_col
        self.concentration_col = concentration_col

    # --- columns and names ----------------------------------------------------------
    def _roles(self) -> list[tuple[str, str, str]]:
        """``(role, column, parameter)`` of every column read, in array order."""
        prefix = self.share_prefix
        calendar = self.occasion_share is not None or self.seasonal_concentration is not None
        roles = [("purchases", self.purchases_col, "purchases_col")]
        if calendar and self.observed_col is not None:
            roles.append(("observed", self.observed_col, "observed_col"))
        if self.max_gap_cv is not None:
            roles.append(("gap_cv", self.gap_cv_col, "gap_cv_col"))
        if self.seasonal_concentration is not None:
            roles.append(("concentration", self.concentration_col, "concentration_col"))
            for s in SEASONS:
                roles.append((f"season:{s}", prefix + s, f"share_prefix + {s!r}"))
        if self.occasion_share is not None:
            roles.append(("occasion", prefix + "occasion", "share_prefix + 'occasion'"))
            for o in self.occasions:
                roles.append((f"occasion:{o}", occasion_column(o, prefix), f"occasions {o!r}"))
        if self.weekend_share is not None:
            roles.append(("weekend", prefix + "weekend", "share_prefix + 'weekend'"))
        if self.evening_share is not None:
            roles.append(("evening", prefix + "evening", "share_prefix + 'evening'"))
        return roles

    def _input_columns(self) -> list[str]:
        return [column for _, column, _ in self._roles()]

    def _column_params(self, columns: list[str]) -> dict[str, str]:
        return {param: column for _, column, param in self._roles()}

    def _scores(self) -> list[str]:
        roles = {role for role, _, _ in self._roles()}
        names = ["n_purchases"]
        names += ["observed_days"] if "observed" in roles else []
        names += ["gap_cv"] if "gap_cv" in roles else []
        if "concentration" in roles:
            names += ["seasonal_concentration", "top_season_share"]
        if "occasion" in roles:
            names += ["share_occasion", "top_occasion_share"]
        names += ["share_weekend"] if "weekend" in roles else []
        names += ["share_evening"] if "evening" in roles else []
        return [*names, "segment_index"]

    def _output_names(self, n_columns: int) -> list[str]:
        return self._scores()

    def _n_scores(self) -> int:
        return len(self._scores())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    # --- fit ------------------------------------------------------------------------
    def _check_names(self) -> list[str]:
        occasions = list(self.occasions)
        if not all(isinstance(o, str) and o.strip() for o in occasions):
            raise ValueError(f"occasions={self.occasions!r} must be non-empty str names")
        columns = [occasion_column(o) for o in occasions]
        if len(set(columns)) != len(columns) or SEVERAL in occasions:
            raise ValueError(
                f"occasions={self.occasions!r} must be distinct as column names (and none "
                f"called {SEVERAL!r}, the name of the mixed occasion segment)"
            )
        names = [TOO_FEW]
        if self.occasion_share is not None:
            names += [occasion_segment(o) for o in (*occasions, SEVERAL)]
        if self.seasonal_concentration is not None:
            names += [season_segment(s) for s in SEASONS]
        for threshold, name in (
            (self.max_gap_cv, REGULAR),
            (self.weekend_share, WEEKEND),
            (self.evening_share, EVENING),
        ):
            if threshold is not None:
                names.append(name)
        return [*names, NO_PATTERN]

    def _columns(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """The role columns of ``X`` by role, checked: ranges, NaN only where allowed."""
        roles = self._roles()
        if X.shape[1] < len(roles):
            raise ValueError(
                f"OccasionSegmenter reads {len(roles)} feature(s) "
                f"{[c for _, c, _ in roles]}, got {X.shape[1]} feature(s); build the table "
                f"with behaviorseg.summaries.occasion_table or switch rules off (None)"
            )
        out = {}
        for j, (role, column, _) in enumerate(roles):  # a loop over a few columns
            values = X[:, j]
            _check_non_negative(type(self).__name__, values, column)
            nan_ok = role not in ("purchases", "observed", "concentration")
            share = role not in ("purchases", "observed", "gap_cv")
            bad = (np.isnan(values) & (not nan_ok)) | (share & (values > 1 + _SHARE_TOLERANCE))
            if bad.any():
                rows = ", ".join(str(i) for i in np.flatnonzero(bad)[:3])
                expected = "shares in [0, 1]" if share else "numbers"
                raise DataValidationError(
                    f"column {column!r} has {int(bad.sum())} values that are not {expected}"
                    f"{' or NaN' if nan_ok else ' (NaN is refused here)'} (row positions "
                    f"{rows}); build the table with behaviorseg.summaries.occasion_table"
                )
            out[role] = values
        return out

    def _fit(self, X: np.ndarray, y: Any) -> None:
        self.segments_ = self._check_names()
        self._columns(X)

    # --- predict / transform --------------------------------------------------------
    def _codes(self, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        cols = self._columns(X)
        n = X.shape[0]
        position = {name: i for i, name in enumerate(self.segments_)}
        code = np.full(n, position[NO_PATTERN], dtype=np.int64)
        decided = np.zeros(n, dtype=bool)
        scores: list[np.ndarray] = [cols["purchases"]]

        def assign(mask: np.ndarray, codes: np.ndarray | int) -> None:
            nonlocal code, decided
            take = mask & ~decided
            code = np.where(take, codes, code)
            decided |= take

        assign(cols["purchases"] < self.min_purchases, position[TOO_FEW])
        long_enough = np.ones(n, dtype=bool)
        if "observed" in cols:
            long_enough = cols["observed"] >= self.min_observed_days
            scores.append(cols["observed"])
        if "gap_cv" in cols:
            scores.append(cols["gap_cv"])
        with np.errstate(invalid="ignore"):
            if self.occasion_share is not None:
                share = cols["occasion"]
                names = [*self.occasions]
                per = (
                    np.column_stack([cols[f"occasion:{o}"] for o in names])
                    if names
                    else np.zeros((n, 0))
                )
                top = np.nanmax(per, axis=1, initial=0.0) if names else np.zeros(n)
                which = np.argmax(np.nan_to_num(per, nan=-1.0), axis=1) if names else None
                named = top >= self.occasion_dominance * share
                several = position[occasion_segment(SEVERAL)]
                occasion_codes = np.full(n, several)
                if which is not None:
                    first = position[occasion_segment(names[0])]
                    occasion_codes = np.where(named & (share > 0), first + which, several)
                assign(long_enough & (share >= self.occasion_share), occasion_codes)
                occasion_scores = [share, top]
            if self.seasonal_concentration is not None:
                seasons = np.column_stack([cols[f"season:{s}"] for s in SEASONS])
                peak = np.argmax(np.nan_to_num(seasons, nan=-1.0), axis=1)
                concentration = cols["concentration"]
                first = position[season_segment(SEASONS[0])]
                assign(long_enough & (concentration >= self.seasonal_concentration), first + peak)
                scores += [concentration, np.nanmax(seasons, axis=1, initial=0.0)]
            if self.occasion_share is not None:
                scores += occasion_scores
            if self.max_gap_cv is not None:
                assign(cols["gap_cv"] <= self.max_gap_cv, position[REGULAR])
            if self.weekend_share is not None:
                assign(cols["weekend"] >= self.weekend_share, position[WEEKEND])
                scores.append(cols["weekend"])
            if self.evening_share is not None:
                assign(cols["evening"] >= self.evening_share, position[EVENING])
                scores.append(cols["evening"])
        return code, scores

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        return self._codes(X)[0]

    def _transform(self, X: np.ndarray) -> np.ndarray:
        code, scores = self._codes(X)
        return np.column_stack([*scores, code.astype(np.float64)])
