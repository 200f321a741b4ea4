"""Engagement tiers, plus re-engagement candidates and unreachable customers."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._validation import Constraint, InstanceOf, Interval, Options
from ..exceptions import BehaviorsegWarning
from ..summaries._engagement import ENGAGEMENT_SEGMENTS
from ._roles import OptionalRoleSegmenter
from .usage import UsageTierSegmenter, _check_non_negative

__all__ = ["EngagementSegmenter"]

#: Roles read from the customer table, in the order a plain array is read (that of
#: engagement_table's first columns); only the score is required.
_ROLES = ("score", "earlier", "recent", "delivered")


class EngagementSegmenter(OptionalRoleSegmenter):
    """Tier customers by engagement; name re-engagement candidates and unreachable customers.

    The customer table is :func:`behaviorseg.summaries.engagement_table`. The
    segments, first matching rule wins:

    ===========================  ==============================================
    segment                      rule
    ===========================  ==============================================
    unreachable                  nothing delivered and no interaction in the
                                 recent window (``recent_delivered == 0`` and
                                 ``recent_score == 0``): e.g. unsubscribed
    re-engagement candidate      ``earlier_score >= window_min_score`` and
                                 ``recent_score < window_min_score``
    disengaged                   ``engagement_score < min_score``
    passive / engaged / highly   cut points on ``engagement_score`` among the
    engaged                      others, learned as for usage tiers or fixed
    ===========================  ==============================================

    Parameters
    ----------
    method : {"quantile", "share", "fixed", "natural"}, default="quantile"
        How the cut points between the named tiers above disengaged are set,
        exactly as in :class:`~behaviorseg.segmenters.UsageTierSegmenter` (which
        learns them), among the customers with ``engagement_score >=
        min_score`` who are neither unreachable nor re-engagement candidates.
    cuts : tuple of float or None, default=None
        ``len(tier_names) - 1`` numbers, read as ``method`` says.
    tier_names : tuple of str, default=("passive", "engaged", "highly engaged")
        Tiers of engaged-at-all customers, least engaged first.
    log_scale : bool, default=True
        For ``method="natural"``: breaks on ``log1p(score)`` (scores are skewed).
    min_score : float, default=0.5
        Below this decayed score a customer is disengaged: less than half an
        open's worth (with the default weights) from the last half-life.
    window_min_score : float, default=3.0
        Score (undecayed weights) that makes a window engaged: a click, or three
        opens, with the default weights.
    disengaged_label, candidate_label, unreachable_label : str
        Names of the three segments outside the tiers.
    score_col, earlier_col, recent_col, delivered_col : str or None
        Columns read (``engagement_table``'s names). ``None`` for ``earlier_col``
        or ``recent_col`` drops the re-engagement segment; for ``delivered_col``
        (or ``recent_col``) the unreachable segment. A plain array is read in
        the order score, earlier, recent, delivered, skipping the columns set
        to None.

    Attributes
    ----------
    thresholds_ : ndarray of shape (len(tier_names) - 1,)
        Smallest ``engagement_score`` of each tier above the least engaged
        named tier (``inf``: nobody reaches it).
    segments_ : list of str
        ``[disengaged_label, *tier_names]``, then ``candidate_label`` and
        ``unreachable_label`` when their columns are read.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    ``transform`` returns ``engagement_score``, ``score_change`` (``recent_score
    - earlier_score``, 0 without the windows) and ``segment_index`` (the
    position in ``segments_``).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import EngagementSegmenter
    >>> customers = pd.DataFrame({
    ...     "engagement_score": [0.0, 1.0, 2.0, 6.0, 12.0, 0.8, 0.0],
    ...     "earlier_score": [0.0, 2.0, 3.0, 9.0, 20.0, 12.0, 5.0],
    ...     "recent_score": [0.0, 3.0, 4.0, 9.0, 15.0, 0.0, 0.0],
    ...     "recent_delivered": [6, 6, 6, 6, 6, 6, 0],
    ... })
    >>> seg = EngagementSegmenter(method="fixed", cuts=(2.0, 5.0)).fit(customers)
    >>> seg.predict(customers).tolist()
    ['disengaged', 'passive', 'engaged', 'highly engaged', 'highly engaged',
     're-engagement candidate', 'unreachable']
    """

    _roles = _ROLES
    _summary = "engagement_table"
    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "method": [Options(("quantile", "share", "fixed", "natural"))],
        "cuts": [InstanceOf((tuple, list, np.ndarray, type(None)))],
        "tier_names": [InstanceOf((tuple, list))],
        "log_scale": [InstanceOf((bool,))],
        "min_score": [Interval(float, 0, None, closed="left")],
        "window_min_score": [Interval(float, 0, None, closed="neither")],
        "disengaged_label": [InstanceOf((str,))],
        "candidate_label": [InstanceOf((str,))],
        "unreachable_label": [InstanceOf((str,))],
        "score_col": [InstanceOf((str,))],
        "earlier_col": [InstanceOf((str, type(None)))],
        "recent_col": [InstanceOf((str, type(None)))],
        "delivered_col": [InstanceOf((str, type(None)))],
    }

    def __init__(
        self,
        method: str = "quantile",
        *,
        cuts: Sequence[float] | None = None,
        tier_names: tuple[str, ...] = ("passive", "engaged", "highly engaged"),
        log_scale: bool = True,
        min_score: float = 0.5,
        window_min_score: float = 3.0,
        disengaged_label: str = ENGAGEMENT_SEGMENTS[0],
        candidate_label: str = ENGAGEMENT_SEGMENTS[4],
        unreachable_label: str = ENGAGEMENT_SEGMENTS[5],
        score_col: str = "engagement_score",
        earlier_col: str | None = "earlier_score",
        recent_col: str | None = "recent_score",
        delivered_col: str | None = "recent_delivered",
    ) -> None:
        self.method = method
        self.cuts = cuts
        self.tier_names = tier_names
        self.log_scale = log_scale
        self.min_score = min_score
        self.window_min_score = window_min_score
        self.disengaged_label = disengaged_label
        self.candidate_label = candidate_label
        self.unreachable_label = unreachable_label
        self.score_col = score_col
        self.earlier_col = earlier_col
        self.recent_col = recent_col
        self.delivered_col = delivered_col

    # --- columns and names ----------------------------------------------------------
    def _output_names(self, n_columns: int) -> list[str]:
        return ["engagement_score", "score_change", "segment_index"]

    def _n_scores(self) -> int:
        return 3

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    # --- fit ------------------------------------------------------------------------
    def _columns(self, X: np.ndarray) -> dict[str, np.ndarray]:
        roles = self._checked_roles(X)
        out = {role: X[:, j] for j, role in enumerate(roles)}
        for role, column in roles.items():  # a loop over a few columns
            _check_non_negative(type(self).__name__, out[role], column)
        return out

    def _special(self, cols: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Masks of the unreachable customers and of the re-engagement candidates."""
        n = len(cols["score"])
        unreachable = np.zeros(n, dtype=bool)
        if "delivered" in cols and "recent" in cols:
            unreachable = (cols["delivered"] == 0) & (cols["recent"] == 0)
        candidate = np.zeros(n, dtype=bool)
        if "earlier" in cols and "recent" in cols:
            m = self.window_min_score
            candidate = (cols["earlier"] >= m) & (cols["recent"] < m) & ~unreachable
        return unreachable, candidate

    def _fit(self, X: np.ndarray, y: Any) -> None:
        labels = [self.disengaged_label, *self.tier_names]
        cols = self._columns(X)
        unreachable, candidate = self._special(cols)
        extra = []
        if "earlier" in cols and "recent" in cols:
            extra.append(self.candidate_label)
        if "delivered" in cols and "recent" in cols:
            extra.append(self.unreachable_label)
        every = [*labels, *extra]
        if not all(isinstance(name, str) for name in every) or len(set(every)) != len(every):
            raise ValueError(
                f"tier_names={self.tier_names!r} and the labels {extra + labels[:1]} must "
                f"be distinct strings"
            )
        scored = ~unreachable & ~candidate & (cols["score"] >= self.min_score)
        tiers = UsageTierSegmenter(
            self.method,
            cuts=self.cuts,
            tier_names=tuple(self.tier_names),
            log_scale=self.log_scale,
            zero_label=None,
            usage_col=self.score_col,
        )
        # The usage segmenter learns (and validates) the cut points: one rule, one
        # implementation. Fitted on a frame so its messages name the score column.
        if scored.any():
            self.thresholds_ = tiers.fit(
                pd.DataFrame({self.score_col: cols["score"][scored]})
            ).thresholds_
        else:
            cuts = tiers._check_params()
            fixed = self.method == "fixed" and cuts is not None
            self.thresholds_ = cuts if fixed else np.full(len(self.tier_names) - 1, np.inf)
            warnings.warn(
                f"column {self.score_col!r}: no customer outside the explicit segments has "
                f"a score >= min_score={self.min_score}, so the tier cut points could not "
                f"be learned; every engaged customer will be {self.tier_names[0]!r}",
                BehaviorsegWarning,
                stacklevel=4,
            )
        self.segments_ = every

    # --- predict / transform --------------------------------------------------------
    def _codes(self, X: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        cols = self._columns(X)
        unreachable, candidate = self._special(cols)
        score = cols["score"]
        tier = 1 + np.searchsorted(self.thresholds_, score, side="right")
        code = np.where(score < self.min_score, 0, tier)
        k = 1 + len(self.tier_names)
        code = np.where(candidate, k, code)
        code = np.where(unreachable, len(self.segments_) - 1, code)
        return code.astype(np.int64), cols

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        return self._codes(X)[0]

    def _transform(self, X: np.ndarray) -> np.ndarray:
        code, cols = self._codes(X)
        windows = "earlier" in cols and "recent" in cols
        change = cols["recent"] - cols["earlier"] if windows else np.zeros(len(code))
        return np.column_stack([cols["score"], change, code.astype(np.float64)])
