"""Lifecycle status: new, active, reactivated, at risk, lapsed — against each customer's rhythm."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from .._validation import Constraint, InstanceOf, Interval
from ..exceptions import BehaviorsegWarning, DataValidationError
from ..summaries._lifecycle import LIFECYCLE_STATUSES
from ._roles import OptionalRoleSegmenter
from .usage import _check_non_negative

__all__ = ["LifecycleSegmenter"]

#: Roles read from the customer table, in the order a plain array is read (that of
#: lifecycle_table's columns); tenure and recency are required, the others optional.
_ROLES = ("purchases", "tenure", "recency", "median_gap", "median_earlier_gap", "last_gap")
_REQUIRED = ("tenure", "recency", "purchases")  # never NaN where present

_NEW, _ACTIVE, _REACTIVATED, _AT_RISK, _LAPSED = range(5)


class LifecycleSegmenter(OptionalRoleSegmenter):
    """Name each customer's lifecycle status, judged against their own buying rhythm.

    The customer table is :func:`behaviorseg.summaries.lifecycle_table`. A
    customer's *rhythm* is the median gap between their purchases (or, with
    too few gaps, a population default); how overdue they are is the days
    since their last purchase divided by that rhythm. The statuses, first
    matching rule wins:

    =============  ==========================================================
    status         rule
    =============  ==========================================================
    new            first purchase at most ``new_window`` days ago
    lapsed         days since last > ``lapsed_after`` × rhythm, or
                   > ``max_inactive_days``
    at risk        days since last > ``active_within`` × rhythm
    reactivated    the gap before the last purchase was a lapse (longer than
                   ``lapsed_after`` × the rhythm before it, or than
                   ``max_inactive_days``)
    active         otherwise
    =============  ==========================================================

    Parameters
    ----------
    new_window : float, default=30.0
        Days: a customer whose first purchase is at most this old is new.
    active_within : float, default=1.5
        The *k* of "active": days since the last purchase up to ``k`` × the
        rhythm are on time; beyond, the customer is at risk.
    lapsed_after : float, default=3.0
        Days since the last purchase beyond this many rhythms make a customer
        lapsed (must exceed ``active_within``). The same factor decides whether
        the gap before the last purchase was a lapse (reactivated).
    max_inactive_days : float or None, default=365.0
        Absolute limit: longer without a purchase is lapsed whatever the
        rhythm (and a gap this long before the last purchase was a lapse).
        ``None``: no absolute limit.
    min_gaps : int, default=2
        Gaps (purchases - 1) a customer needs for their own rhythm; with fewer,
        the population default is used.
    default_gap : float or None, default=None
        The rhythm, in days, of customers with fewer than ``min_gaps`` gaps.
        ``None``: learned in ``fit`` as the median ``median_gap_days`` of the
        customers with at least ``min_gaps`` gaps ("a typical repeat buyer
        would have bought again by now"). Required without ``median_gap_col``.
    min_rhythm_days : float, default=1.0
        Floor of every rhythm, so that two orders minutes apart do not make a
        customer overdue the next morning.
    tenure_col, recency_col, purchases_col : str
        Columns read from a DataFrame (``lifecycle_table``'s names).
        ``purchases_col=None`` gives every customer the population rhythm.
    median_gap_col, median_earlier_gap_col, last_gap_col : str or None
        Rhythm columns (NaN where the customer has too few purchases).
        ``None`` leaves a column out: without ``median_gap_col`` every customer
        has the population rhythm; without ``last_gap_col`` (or
        ``median_earlier_gap_col``) nobody is reactivated (or the rhythm before
        the last purchase is the population default). A plain array is read in
        the order of lifecycle_table's columns (purchases, tenure, recency,
        median gap, median earlier gap, last gap), skipping those set to None.

    Attributes
    ----------
    default_gap_ : float
        The population rhythm in days (``default_gap`` or the learned median).
    segments_ : list of str
        ``["new", "active", "reactivated", "at risk", "lapsed"]``.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    A lapse gap is not part of the rhythm: a reactivated customer is judged
    against the rhythm they had before they lapsed (``median_earlier_gap_days``),
    so one who does not buy again soon turns at risk, then lapsed, on their
    old schedule. ``transform`` returns ``rhythm_days`` (the rhythm used),
    ``overdue_ratio`` (days since last purchase / rhythm) and
    ``status_index`` (the position in ``segments_``).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import LifecycleSegmenter
    >>> customers = pd.DataFrame({
    ...     "purchases": [1, 6, 6, 6, 6],
    ...     "tenure_days": [10.0, 200.0, 200.0, 200.0, 200.0],
    ...     "recency_days": [10.0, 15.0, 40.0, 90.0, 5.0],
    ...     "median_gap_days": [np.nan, 20.0, 20.0, 20.0, 22.0],
    ...     "median_earlier_gap_days": [np.nan, 20.0, 20.0, 20.0, 20.0],
    ...     "last_gap_days": [np.nan, 22.0, 20.0, 18.0, 95.0],
    ... })
    >>> seg = LifecycleSegmenter(default_gap=30.0).fit(customers)
    >>> seg.predict(customers).tolist()
    ['new', 'active', 'at risk', 'lapsed', 'reactivated']
    >>> seg.transform(customers)[:, 1]
    array([0.333, 0.75 , 2.   , 4.5  , 0.25 ])
    """

    _roles = _ROLES
    _summary = "lifecycle_table"
    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "new_window": [Interval(float, 0, None, closed="left")],
        "active_within": [Interval(float, 0, None, closed="neither")],
        "lapsed_after": [Interval(float, 0, None, closed="neither")],
        "max_inactive_days": [
            Interval(float, 0, None, closed="neither"),
            InstanceOf((type(None),)),
        ],
        "min_gaps": [Interval(int, 1, None)],
        "default_gap": [Interval(float, 0, None, closed="neither"), InstanceOf((type(None),))],
        "min_rhythm_days": [Interval(float, 0, None, closed="neither")],
        "tenure_col": [InstanceOf((str,))],
        "recency_col": [InstanceOf((str,))],
        "purchases_col": [InstanceOf((str, type(None)))],
        "median_gap_col": [InstanceOf((str, type(None)))],
        "median_earlier_gap_col": [InstanceOf((str, type(None)))],
        "last_gap_col": [InstanceOf((str, type(None)))],
    }
    _allow_nan = True  # the gap columns are NaN for customers with few purchases

    def __init__(
        self,
        *,
        new_window: float = 30.0,
        active_within: float = 1.5,
        lapsed_after: float = 3.0,
        max_inactive_days: float | None = 365.0,
        min_gaps: int = 2,
        default_gap: float | None = None,
        min_rhythm_days: float = 1.0,
        tenure_col: str = "tenure_days",
        recency_col: str = "recency_days",
        purchases_col: str | None = "purchases",
        median_gap_col: str | None = "median_gap_days",
        median_earlier_gap_col: str | None = "median_earlier_gap_days",
        last_gap_col: str | None = "last_gap_days",
    ) -> None:
        self.new_window = new_window
        self.active_within = active_within
        self.lapsed_after = lapsed_after
        self.max_inactive_days = max_inactive_days
        self.min_gaps = min_gaps
        self.default_gap = default_gap
        self.min_rhythm_days = min_rhythm_days
        self.tenure_col = tenure_col
        self.recency_col = recency_col
        self.purchases_col = purchases_col
        self.median_gap_col = median_gap_col
        self.median_earlier_gap_col = median_earlier_gap_col
        self.last_gap_col = last_gap_col

    # --- columns and names ----------------------------------------------------------
    def _output_names(self, n_columns: int) -> list[str]:
        return ["rhythm_days", "overdue_ratio", "status_index"]

    def _n_scores(self) -> int:
        return 3

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    # --- fit ------------------------------------------------------------------------
    def _columns(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """The role columns of ``X`` by role, checked: non-negative, NaN only in gaps."""
        roles = self._checked_roles(X)
        owner = type(self).__name__
        out: dict[str, np.ndarray] = {}
        for j, (role, column) in enumerate(roles.items()):  # a loop over a few columns
            values = X[:, j]
            missing = np.isnan(values)
            if role in _REQUIRED and missing.any():
                rows = ", ".join(str(i) for i in np.flatnonzero(missing)[:3])
                raise DataValidationError(
                    f"column {column!r} has {int(missing.sum())} missing values (row "
                    f"positions {rows}); every customer needs it, so drop or fill them first"
                )
            _check_non_negative(owner, np.where(missing, 0.0, values), column)
            out[role] = values
        return out

    def _fit(self, X: np.ndarray, y: Any) -> None:
        if not self.active_within < self.lapsed_after:
            raise ValueError(
                f"active_within={self.active_within!r} must be smaller than "
                f"lapsed_after={self.lapsed_after!r}: at risk lies between the two"
            )
        cols = self._columns(X)
        if self.default_gap is not None:
            default = float(self.default_gap)
        elif "median_gap" not in cols:
            raise ValueError(
                "without median_gap_col there is no rhythm to learn the population "
                "default from; pass default_gap=<days>"
            )
        else:
            default = self._learn_default_gap(cols)
        self.default_gap_ = max(default, float(self.min_rhythm_days))
        self.segments_ = list(LIFECYCLE_STATUSES)

    def _learn_default_gap(self, cols: dict[str, np.ndarray]) -> float:
        """Median rhythm of the customers with enough gaps (fewer: any gap, with a warning)."""
        median = cols["median_gap"]
        gaps = cols["purchases"] - 1 if "purchases" in cols else np.where(np.isnan(median), 0, 1)
        known = ~np.isnan(median)
        enough = known & (gaps >= self.min_gaps)
        if enough.any():
            return float(np.median(median[enough]))
        if known.any():
            warnings.warn(
                f"no customer has {self.min_gaps} gaps between purchases; the population "
                f"rhythm is the median {self.median_gap_col!r} of the customers with any gap",
                BehaviorsegWarning,
                stacklevel=4,
            )
            return float(np.median(median[known]))
        raise DataValidationError(
            f"column {self.median_gap_col!r} is NaN for every customer (nobody bought twice), "
            f"so there is no rhythm to learn; pass default_gap=<days>"
        )

    # --- predict / transform --------------------------------------------------------
    def _status(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Status code, rhythm and overdue ratio per row."""
        cols = self._columns(X)
        n = X.shape[0]
        floor, default = float(self.min_rhythm_days), self.default_gap_
        gaps = cols["purchases"] - 1 if "purchases" in cols else np.zeros(n)
        own = np.full(n, default)
        if "median_gap" in cols:
            usable = (gaps >= self.min_gaps) & ~np.isnan(cols["median_gap"])
            own = np.where(usable, np.maximum(cols["median_gap"], floor), default)
        before = np.full(n, default)  # the rhythm before the last purchase
        if "median_earlier_gap" in cols:
            earlier = cols["median_earlier_gap"]
            usable = (gaps - 1 >= self.min_gaps) & ~np.isnan(earlier)
            before = np.where(usable, np.maximum(earlier, floor), default)
        limit = np.inf if self.max_inactive_days is None else float(self.max_inactive_days)
        lapse_gap = np.zeros(n, dtype=bool)
        if "last_gap" in cols:
            last = np.nan_to_num(cols["last_gap"], nan=0.0)
            lapse_gap = (last > self.lapsed_after * before) | (last > limit)
        rhythm = np.where(lapse_gap, before, own)
        recency = cols["recency"]
        ratio = recency / rhythm
        status = np.select(
            [
                cols["tenure"] <= self.new_window,
                (ratio > self.lapsed_after) | (recency > limit),
                ratio > self.active_within,
                lapse_gap,
            ],
            [_NEW, _LAPSED, _AT_RISK, _REACTIVATED],
            default=_ACTIVE,
        ).astype(np.int64)
        return status, rhythm, ratio

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        return self._status(X)[0]

    def _transform(self, X: np.ndarray) -> np.ndarray:
        status, rhythm, ratio = self._status(X)
        return np.column_stack([rhythm, ratio, status.astype(np.float64)])
