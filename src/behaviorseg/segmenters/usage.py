"""Usage tiers: light / medium / heavy users, plus an explicit tier for non-users."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .._base import BaseSegmenter
from .._validation import Constraint, InstanceOf, Options, is_sequence_of_numbers
from ..exceptions import BehaviorsegWarning, DataValidationError

__all__ = ["UsageTierSegmenter"]

#: Above this many distinct usage values, natural breaks are computed exactly on
#: this many groups of consecutive distinct values (equal customer counts).
_MAX_GROUPS = 1000


def _check_non_negative(owner: str, values: np.ndarray, column: str) -> None:
    """Refuse negative values (sklearn's wording, so its positive-only check recognises it)."""
    negative = values < 0
    if negative.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(negative)[:3])
        raise DataValidationError(
            f"Negative values in data passed to {owner}: column {column!r} has "
            f"{int(negative.sum())} values < 0 (row positions {rows}); they cannot be "
            f"measured here, so fix or drop those customers"
        )


def _level_edges(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Tie-aware quantile edges: for each level ``q`` the smallest observed value with at
    least ``q * n`` observations strictly below it (``inf`` if none).

    Scoring with ``#(edges <= x)`` gives equal values equal tiers and, without ties,
    tiers of the requested sizes (the rule of RFMSegmenter's quantile scores).
    """
    if len(values) == 0:
        return np.full(len(levels), np.inf)
    ordered = np.sort(values)
    distinct, first_pos = np.unique(ordered, return_index=True)
    need = levels * len(ordered)
    pick = np.searchsorted(first_pos.astype(np.float64), need - 1e-9 * len(ordered), side="left")
    padded = np.append(distinct, np.inf)
    edges: np.ndarray = padded[pick]
    return edges


def _share_edges(values: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Edges for cumulative shares of total usage, counted from the heaviest user.

    For a share ``c`` the edge is the smallest observed value ``v`` such that the
    users strictly heavier than ``v`` make less than ``c`` of the total: every user at
    or above it is needed to reach ``c``. Equal values share the same side. Returned
    ascending (the largest share gives the lowest edge).
    """
    total = float(values.sum())
    if total <= 0:
        return np.full(len(shares), np.inf)
    distinct, inverse = np.unique(values, return_inverse=True)
    mass = np.bincount(inverse, weights=values)
    above = (total - np.cumsum(mass)) / total  # share of users strictly heavier
    # ``above`` decreases; the first position where it drops below c.
    pick = np.searchsorted(-above, -shares, side="right")
    edges: np.ndarray = distinct[np.minimum(pick, len(distinct) - 1)]
    return np.sort(edges)


def _natural_edges(values: np.ndarray, n_tiers: int, *, log_scale: bool = False) -> np.ndarray:
    """Optimal 1-D k-means (Fisher's exact natural breaks) edges, deterministic.

    Minimises the within-tier sum of squares by dynamic programming over the
    sorted distinct values (weighted by their counts; ties are never split). With
    more than ``_MAX_GROUPS`` distinct values the optimisation runs on that many
    groups of consecutive distinct values of equal customer counts. Each edge is
    the smallest value of a tier; ``inf`` when there are fewer groups than tiers.
    With ``log_scale`` the sums of squares are those of ``log1p(values)``.
    """
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) > _MAX_GROUPS:
        cum = np.cumsum(counts)
        group = np.minimum((cum - counts) * _MAX_GROUPS // cum[-1], _MAX_GROUPS - 1)
        _, group = np.unique(group, return_inverse=True)
    else:
        group = np.arange(len(distinct))
    n_groups = int(group.max()) + 1 if len(distinct) else 0
    if n_groups < n_tiers:
        edges_small = np.full(n_tiers - 1, np.inf)
        starts = np.flatnonzero(np.diff(group, prepend=-1))
        edges_small[: max(n_groups - 1, 0)] = distinct[starts[1:]]
        return edges_small
    scaled = np.log1p(distinct) if log_scale else distinct
    w = np.bincount(group, weights=counts.astype(np.float64))
    s1 = np.bincount(group, weights=scaled * counts)
    s2 = np.bincount(group, weights=scaled**2 * counts)
    low = distinct[np.flatnonzero(np.diff(group, prepend=-1))]  # smallest value per group
    cw, c1, c2 = (np.concatenate([[0.0], np.cumsum(a)]) for a in (w, s1, s2))
    i = np.arange(n_groups)[:, None]
    j = np.arange(n_groups)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        cost = (c2[j + 1] - c2[i]) - (c1[j + 1] - c1[i]) ** 2 / (cw[j + 1] - cw[i])
    cost = np.where(i <= j, np.maximum(cost, 0.0), np.inf)

    best = cost[0].copy()  # best[j]: one tier over groups 0..j
    starts = np.zeros((n_tiers, n_groups), dtype=np.int64)
    for tier in range(1, n_tiers):  # a loop over a handful of tiers
        prev = np.concatenate([[np.inf], best[:-1]])  # best split of groups 0..i-1
        total = prev[:, None] + cost  # last tier = groups i..j
        starts[tier] = np.argmin(total, axis=0)
        best = total[starts[tier], np.arange(n_groups)]
    edges = np.empty(n_tiers - 1)
    end = n_groups - 1
    for tier in range(n_tiers - 1, 0, -1):
        start = int(starts[tier, end])
        edges[tier - 1] = low[start]
        end = start - 1
    return edges


class UsageTierSegmenter(BaseSegmenter):
    """Split customers into usage tiers (light / medium / heavy) plus non-users.

    ``fit`` learns the cut points on one usage column (usually ``usage_value`` of
    :func:`behaviorseg.summaries.usage_table`); ``predict`` names each customer's
    tier; ``transform`` returns the usage score and the tier position.

    Parameters
    ----------
    method : {"quantile", "share", "fixed", "natural"}, default="quantile"
        How the cut points between the named tiers are set, among customers
        with positive usage (the zero tier is set apart first):

        - ``"quantile"``: by shares of *customers*. ``cuts`` are increasing
          levels in (0, 1), lightest first; default equal-sized tiers.
        - ``"share"``: by cumulative shares of total *usage*, counted from the
          heaviest customer: with ``cuts=(0.5, 0.8)`` the heaviest tier is the
          customers who together make the first 50 % of the volume, the next
          tier brings it to 80 %, the lightest tier makes the last 20 %.
          ``(0.5, 0.8)`` is the default for three tiers; give ``cuts`` otherwise.
        - ``"fixed"``: ``cuts`` are increasing usage values in the column's
          units; a customer at or above ``cuts[i]`` is in tier ``i + 1`` or
          higher.
        - ``"natural"``: data-driven breaks, the exact optimum of 1-D k-means
          (Fisher–Jenks natural breaks), deterministic; ``cuts`` must be None.
          Computed exactly on up to 1,000 distinct values; beyond, on 1,000
          groups of consecutive distinct values with equal customer counts.
    cuts : tuple of float or None, default=None
        ``len(tier_names) - 1`` numbers, read as described for ``method``.
    tier_names : tuple of str, default=("light", "medium", "heavy")
        Names of the tiers of positive usage, lightest first.
    log_scale : bool, default=False
        For ``"natural"`` only: find the breaks on ``log1p(usage)``, which suits
        skewed usage (tiers that differ by a factor rather than by an amount).
        Thresholds stay in the column's units. The other methods do not depend
        on the scale.
    zero_label : str or None, default="non-user"
        Name of the tier of customers with zero usage. ``None`` puts them in
        the lightest tier (and in the quantiles).
    usage_col : str, default="usage_value"
        Column read from a DataFrame; a plain array is read from column 0 (other
        columns are ignored, as extra DataFrame columns are).

    Attributes
    ----------
    thresholds_ : ndarray of shape (len(tier_names) - 1,)
        Smallest usage of each tier above the lightest, ascending, in the
        column's units (``inf``: nobody reaches that tier; repeated values: an
        empty tier, because of ties).
    segments_ : list of str
        ``[zero_label, *tier_names]`` (lightest first).
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    **Ties.** Cut points are always observed usage values and a customer's tier
    is the number of cut points at or below their usage, so equal values always
    get equal tiers (never split by row order). When ties leave a tier empty a
    :class:`~behaviorseg.exceptions.BehaviorsegWarning` says which.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import UsageTierSegmenter
    >>> customers = pd.DataFrame({"usage_value": [0, 1, 2, 3, 5, 8, 13, 40, 90, 0]})
    >>> seg = UsageTierSegmenter().fit(customers)
    >>> seg.thresholds_
    array([ 5., 40.])
    >>> seg.predict(customers).tolist()
    ['non-user', 'light', 'light', 'light', 'medium', 'medium', 'medium', 'heavy', 'heavy',
     'non-user']
    >>> UsageTierSegmenter(method="share").fit(customers).thresholds_
    array([40., 90.])
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "method": [Options(("quantile", "share", "fixed", "natural"))],
        "cuts": [InstanceOf((tuple, list, np.ndarray, type(None)))],
        "tier_names": [InstanceOf((tuple, list))],
        "log_scale": [InstanceOf((bool,))],
        "zero_label": [InstanceOf((str, type(None)))],
        "usage_col": [InstanceOf((str,))],
    }

    def __init__(
        self,
        method: str = "quantile",
        *,
        cuts: Sequence[float] | None = None,
        tier_names: tuple[str, ...] = ("light", "medium", "heavy"),
        log_scale: bool = False,
        zero_label: str | None = "non-user",
        usage_col: str = "usage_value",
    ) -> None:
        self.method = method
        self.cuts = cuts
        self.tier_names = tier_names
        self.log_scale = log_scale
        self.zero_label = zero_label
        self.usage_col = usage_col

    # --- columns and names ----------------------------------------------------------
    def _input_columns(self) -> list[str]:
        return [self.usage_col]

    def _output_names(self, n_columns: int) -> list[str]:
        return ["usage_score", "usage_tier"]

    def _n_scores(self) -> int:
        return 2

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    # --- fit ------------------------------------------------------------------------
    def _check_params(self) -> np.ndarray | None:
        """Validate the tier names and ``cuts`` against ``method``; return cuts as floats."""
        names = list(self.tier_names)
        if len(names) < 1 or not all(isinstance(n, str) for n in names):
            raise ValueError(f"tier_names={self.tier_names!r} must be one or more str names")
        every = names + ([self.zero_label] if self.zero_label is not None else [])
        if len(set(every)) != len(every):
            raise ValueError(
                f"tier_names={self.tier_names!r} and zero_label={self.zero_label!r} must "
                f"all be distinct"
            )
        n_cuts = len(names) - 1
        if self.method == "natural":
            if self.cuts is not None:
                raise ValueError("method='natural' learns its breaks; leave cuts=None")
            return None
        if self.cuts is None:
            if n_cuts == 0:  # a single named tier: nothing to cut
                return np.empty(0)
            if self.method == "quantile":
                return np.arange(1, n_cuts + 1) / len(names)
            if self.method == "share" and n_cuts == 2:
                return np.array([0.5, 0.8])
            raise ValueError(
                f"method={self.method!r} with {len(names)} tiers needs cuts=(...) with "
                f"{n_cuts} numbers"
                + (" (the default (0.5, 0.8) is for three tiers)" if self.method == "share" else "")
            )
        if not is_sequence_of_numbers(self.cuts) or len(self.cuts) != n_cuts:
            raise ValueError(
                f"cuts={self.cuts!r} must be {n_cuts} finite numbers (one fewer than "
                f"tier_names={self.tier_names!r})"
            )
        cuts = np.asarray(self.cuts, dtype=np.float64)
        if not np.all(np.diff(cuts) > 0):
            raise ValueError(f"cuts={self.cuts!r} must be strictly increasing")
        if self.method in ("quantile", "share") and not np.all((cuts > 0) & (cuts < 1)):
            raise ValueError(
                f"cuts={self.cuts!r} must lie in (0, 1) for method={self.method!r}: they are "
                f"shares of {'customers' if self.method == 'quantile' else 'total usage'}"
            )
        if self.method == "fixed" and not np.all(cuts > 0):
            raise ValueError(
                f"cuts={self.cuts!r} must be positive usage values for method='fixed' "
                f"(zero usage is the zero tier)"
            )
        return cuts

    def _fit(self, X: np.ndarray, y: Any) -> None:
        cuts = self._check_params()
        usage = X[:, 0]
        _check_non_negative(type(self).__name__, usage, self.usage_col)
        users = usage[usage > 0] if self.zero_label is not None else usage
        n_tiers = len(self.tier_names)
        if self.method == "fixed":
            assert cuts is not None
            edges = cuts.copy()
        elif n_tiers == 1:
            edges = np.empty(0)
        elif self.method == "quantile":
            assert cuts is not None
            edges = _level_edges(users, cuts)
        elif self.method == "share":
            assert cuts is not None
            edges = _share_edges(users, cuts)
        else:
            edges = _natural_edges(users, n_tiers, log_scale=self.log_scale)
        self.thresholds_ = edges
        names = [str(n) for n in self.tier_names]
        self.segments_ = ([self.zero_label] if self.zero_label is not None else []) + names
        if self.method != "fixed":
            self._warn_empty_tiers(users)

    def _warn_empty_tiers(self, users: np.ndarray) -> None:
        if len(users) == 0:
            warnings.warn(
                f"column {self.usage_col!r}: no customer has positive usage, so every "
                f"customer is in the zero tier {self.zero_label!r}",
                BehaviorsegWarning,
                stacklevel=4,
            )
            return
        tiers = np.searchsorted(self.thresholds_, users, side="right")
        empty = sorted(set(range(len(self.tier_names))) - set(np.unique(tiers).tolist()))
        if empty:
            warnings.warn(
                f"column {self.usage_col!r}: ties or too few distinct values leave the "
                f"tiers {[self.tier_names[i] for i in empty]} empty; equal values always "
                f"get equal tiers",
                BehaviorsegWarning,
                stacklevel=4,
            )

    # --- predict / transform --------------------------------------------------------
    def _codes(self, X: np.ndarray) -> np.ndarray:
        usage = X[:, 0]
        _check_non_negative(type(self).__name__, usage, self.usage_col)
        tier = np.searchsorted(self.thresholds_, usage, side="right").astype(np.int64)
        if self.zero_label is not None:
            tier = np.where(usage > 0, tier + 1, 0)
        return tier

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        return self._codes(X)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([X[:, 0], self._codes(X).astype(np.float64)])
