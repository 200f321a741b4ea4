"""Funnel stage segmentation: AIDA by default, any ordered funnel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from .._base import BaseSegmenter
from .._validation import Constraint, InstanceOf, Interval
from ..summaries._events import AIDA_STAGES, _normalize_stages
from .usage import _check_non_negative

__all__ = ["AIDAStageSegmenter"]


def _positive_days(value: object) -> bool:
    """True for a finite number of days > 0 (not a bool)."""
    return Interval(float, 0, None, closed="neither").accepts(value)


class AIDAStageSegmenter(BaseSegmenter):
    """Place each customer at the furthest funnel stage they reached (AIDA by default).

    The customer table has one numeric column per stage: the days since the
    customer *last* reached it, NaN if never — the ``days_since_<stage>`` columns
    of :func:`behaviorseg.summaries.funnel_table`. Nothing is learned from the
    data: the stage rules are fixed by the parameters, and ``fit`` only checks
    them and the table.

    Parameters
    ----------
    stages : tuple or mapping or None, default=None
        The funnel, in order: ``None`` for AIDA (attention, interest, desire,
        action); a sequence of stage names; or the ``stages`` given to
        :func:`~behaviorseg.summaries.funnel_table` (``(stage, events)`` pairs or
        a mapping; only the names are used here, and an event listed under two
        stages is an error).
    lookback : float or None, default=None
        Only stages reached within this many days count (``days_since <=
        lookback``); older ones are forgotten. ``None``: no limit.
    stale_after : float, mapping or None, default=None
        Days after which a reached stage has gone stale: a customer whose
        furthest stage is stale lapses back one stage (a cart abandoned 90 days
        ago is interest, not desire, today; a stale first stage lapses to
        ``unaware_label``). A number applies to every stage; a mapping
        ``{stage: days}`` to the stages it names (the others never go stale).
    ordered : bool, default=False
        ``False``: the furthest stage reached wins, even if earlier stages were
        never logged (real logs skip steps: a purchase without a logged product
        view). ``True``: a stage counts only if every earlier stage was reached
        within the lookback too.
    unaware_label : str, default="unaware"
        Segment of customers who reached no stage.
    stage_cols : tuple of str or None, default=None
        The column of each stage, in funnel order; default
        ``days_since_<stage>``. A plain array is read positionally, one column per
        stage (extra columns are ignored, as extra DataFrame columns are).

    Attributes
    ----------
    stages_ : list of str
        The stage names, in funnel order.
    segments_ : list of str
        ``[unaware_label, *stages_]``.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    ``transform`` returns ``stage_index`` (0 = unaware, 1 = first stage, ...,
    the position in ``segments_``) and one flag ``reached_<stage>`` per stage (1.0
    if the stage counts: reached within the lookback and, with ``ordered``, after
    all earlier stages). Staleness moves only the stage index. The flags have the
    names of :func:`~behaviorseg.summaries.funnel_table`'s ``reached_*``
    columns, so :func:`behaviorseg.kpi.funnel_conversion` reads either.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import AIDAStageSegmenter
    >>> customers = pd.DataFrame({
    ...     "days_since_attention": [2.0, 40.0, np.nan, 5.0],
    ...     "days_since_interest": [1.0, 35.0, np.nan, np.nan],
    ...     "days_since_desire": [np.nan, 30.0, np.nan, np.nan],
    ...     "days_since_action": [np.nan, np.nan, np.nan, 3.0],
    ... })
    >>> AIDAStageSegmenter().fit_predict(customers).tolist()
    ['interest', 'desire', 'unaware', 'action']
    >>> seg = AIDAStageSegmenter(stale_after={"desire": 14}, ordered=True).fit(customers)
    >>> seg.predict(customers).tolist()
    ['interest', 'interest', 'unaware', 'attention']
    >>> seg.transform(customers)[:, 0]
    array([2., 2., 0., 1.])
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "stages": [InstanceOf((tuple, list, Mapping, type(None)))],
        "lookback": [Interval(float, 0, None, closed="neither"), InstanceOf((type(None),))],
        "stale_after": [
            Interval(float, 0, None, closed="neither"),
            InstanceOf((Mapping, type(None))),
        ],
        "ordered": [InstanceOf((bool,))],
        "unaware_label": [InstanceOf((str,))],
        "stage_cols": [InstanceOf((tuple, list, type(None)))],
    }
    _allow_nan = True

    def __init__(
        self,
        stages: Sequence[Any] | Mapping[str, Any] | None = None,
        *,
        lookback: float | None = None,
        stale_after: float | Mapping[str, float] | None = None,
        ordered: bool = False,
        unaware_label: str = "unaware",
        stage_cols: Sequence[str] | None = None,
    ) -> None:
        self.stages = stages
        self.lookback = lookback
        self.stale_after = stale_after
        self.ordered = ordered
        self.unaware_label = unaware_label
        self.stage_cols = stage_cols

    # --- columns and names ----------------------------------------------------------
    def _stage_names(self) -> list[str]:
        pairs = _normalize_stages(
            AIDA_STAGES if self.stages is None else self.stages, names_only=True
        )
        return [stage for stage, _ in pairs]

    def _input_columns(self) -> list[str]:
        names = self._stage_names()
        if self.stage_cols is None:
            return [f"days_since_{stage}" for stage in names]
        cols = list(self.stage_cols)
        if len(cols) != len(names) or not all(isinstance(c, str) for c in cols):
            raise ValueError(
                f"stage_cols={self.stage_cols!r} must name one column (str) per stage; "
                f"the funnel has {len(names)} stages {names}"
            )
        return cols

    def _column_params(self, columns: list[str]) -> dict[str, str]:
        # For messages: name the parameter entry that chose each stage's column.
        return {f"stage_cols[{i}]": col for i, col in enumerate(columns)}

    def _output_names(self, n_columns: int) -> list[str]:
        return ["stage_index", *(f"reached_{stage}" for stage in self.stages_)]

    def _n_scores(self) -> int:
        return 1 + len(self.stages_)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    # --- fit ------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: Any) -> None:
        names = self._stage_names()
        self._input_columns()  # checks stage_cols against the stages
        if self.unaware_label in names:
            raise ValueError(
                f"unaware_label={self.unaware_label!r} is also a stage name; choose another"
            )
        k = len(names)
        if X.shape[1] < k:
            raise ValueError(
                f"AIDAStageSegmenter with {k} stages {names} needs at least {k} feature(s) "
                f"(days since each stage, in funnel order), got {X.shape[1]} feature(s); "
                f"build the table with behaviorseg.summaries.funnel_table"
            )
        stale = np.full(k, np.inf)
        if isinstance(self.stale_after, Mapping):
            unknown = sorted(set(self.stale_after) - set(names))
            if unknown:
                raise ValueError(
                    f"stale_after names unknown stages {unknown}; the stages are {names}"
                )
            for j, stage in enumerate(names):  # a loop over a handful of stages
                days = self.stale_after.get(stage)
                if days is not None:
                    if not _positive_days(days):
                        raise ValueError(
                            f"stale_after[{stage!r}]={days!r} must be a positive number of days"
                        )
                    stale[j] = float(days)
        elif self.stale_after is not None:
            stale[:] = float(self.stale_after)
        self._check_days(X[:, :k], names)
        self.stages_ = names
        self.segments_ = [self.unaware_label, *names]
        self._stale_days_ = stale
        self._lookback_days_ = np.inf if self.lookback is None else float(self.lookback)

    def _check_days(self, days: np.ndarray, names: list[str]) -> None:
        for j in np.flatnonzero((days < 0).any(axis=0)):  # only columns with a problem
            _check_non_negative(type(self).__name__, days[:, j], self._input_columns()[j])

    # --- predict / transform --------------------------------------------------------
    def _stage(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stage index per row (0 = unaware) and the per-stage ``counts`` flags."""
        k = len(self.stages_)
        days = X[:, :k]
        self._check_days(days, self.stages_)
        with np.errstate(invalid="ignore"):
            counts = days <= self._lookback_days_  # False for NaN (never reached)
        if self.ordered:
            counts = np.logical_and.accumulate(counts, axis=1)
        anything = counts.any(axis=1)
        furthest = k - 1 - np.argmax(counts[:, ::-1], axis=1)  # 0-based, valid if anything
        rows = np.arange(len(days))
        with np.errstate(invalid="ignore"):
            stale = days[rows, furthest] > self._stale_days_[furthest]
        index = np.where(anything, furthest + 1 - stale, 0).astype(np.int64)
        return index, counts

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        return self._stage(X)[0]

    def _transform(self, X: np.ndarray) -> np.ndarray:
        index, counts = self._stage(X)
        return np.column_stack([index, counts]).astype(np.float64)
