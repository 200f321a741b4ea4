"""Walker's loyalty matrix: behaviour (what customers do) × attitude (what they feel)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from .._validation import Constraint, InstanceOf, Options
from .matrix import (
    AxisEntry,
    ThresholdRule,
    _Axis,
    _is_number,
    _MatrixCore,
    _parse_entries,
    _parse_threshold,
)

__all__ = ["ATTITUDE_SCALES", "LOYALTY_SEGMENTS", "WalkerLoyaltySegmenter"]

#: The four loyalty types, in the order of ``segments_`` (before the unknown label).
LOYALTY_SEGMENTS: tuple[str, ...] = ("truly loyal", "accessible", "trapped", "high risk")

#: Built-in survey scales: ``name -> (lowest answer, highest answer, threshold)``.
#: High attitude is strictly above the threshold: NPS promoters (9-10; passives 7-8
#: and detractors 0-6 are low), CSAT "top-2-box" (4-5).
ATTITUDE_SCALES: dict[str, tuple[float, float, float]] = {
    "nps": (0.0, 10.0, 8.5),
    "csat": (1.0, 5.0, 3.5),
}


class WalkerLoyaltySegmenter(_MatrixCore):
    """Type customers by loyalty behaviour × attitude (Walker's loyalty matrix).

    ::

                          low behaviour       high behaviour
        high attitude     accessible          truly loyal
        low attitude      high risk           trapped

    *Behaviour* is what customers do (repeat purchase, recency, spend): by default
    a score from :func:`behaviorseg.summaries.rfm_table`'s ``recency_days``
    (weight -1: recent is high), ``frequency`` and ``monetary``, split at the
    median. *Attitude* is what they feel, read from one survey column: an NPS
    "likelihood to recommend" answer (0-10) by default. Customers who never
    answered the survey (NaN) get the explicit segment ``unknown_label`` unless
    you opt into an imputation with ``missing_attitude``.

    Parameters
    ----------
    behavior : tuple of (str, float), default=(("recency_days", -1.0), \
("frequency", 1.0), ("monetary", 1.0))
        Columns of the behaviour axis with their weights (only relative weights
        matter; negative: small values count as high). Missing values are errors.
    attitude_col : str, default="likelihood_to_recommend"
        The survey column (one answer per customer, NaN when none).
    attitude_scale : {"nps", "csat"}, tuple of two numbers, or None, default="nps"
        The declared answer scale, checked on every call (an answer outside is an
        error that names the column and the range):

        - ``"nps"``: 0-10; high attitude = promoters (9-10). Passives (7-8) are
          low: satisfied but not committed enough to recommend, they are the ones
          a competitor can take. Set ``attitude_threshold=("fixed", 6.5)`` to count
          them as high.
        - ``"csat"``: 1-5; high = 4-5 (the usual top-2-box).
        - ``(low, high)``: a custom scale; the threshold is learned
          (``attitude_threshold``, median by default).
        - ``None``: no declared scale, nothing checked, threshold learned.
    behavior_threshold : str or tuple, default="median"
        ``"median"``, ``("quantile", q)`` or ``("fixed", value)`` in z-units.
    attitude_threshold : str, tuple or None, default=None
        ``None``: the scale's rule (8.5 for NPS, 3.5 for CSAT, the median of the
        answers otherwise). Or ``"median"``, ``("quantile", q)``,
        ``("fixed", value)`` in the units of the survey column. Learned thresholds
        use the customers who answered.
    missing_attitude : "label" or float, default="label"
        ``"label"``: customers without an answer get the segment ``unknown_label``
        and a NaN ``attitude_score``. A number: their answer is taken to be that
        value (on the declared scale), e.g. ``6`` to count silence as a detractor.
    unknown_label : str, default="unknown attitude"
        Segment of customers without an attitude answer.
    scaling : {"robust", "standard"} or None, default="robust"
        How each behaviour column is scaled before weighting (see
        :class:`~behaviorseg.segmenters.MatrixSegmenter`). The attitude score is
        always in the survey's own units.

    Attributes
    ----------
    segments_ : list of str
        ``["truly loyal", "accessible", "trapped", "high risk"]``, then
        ``unknown_label`` when ``missing_attitude="label"``.
    thresholds_ : dict of str to float
        Threshold of ``"behavior"`` (z-units) and of ``"attitude"`` (survey units).
    axis_columns_ : DataFrame
        One row per input column: ``axis``, ``weight``, ``center``, ``scale``,
        ``used``.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    ``transform`` returns ``behavior_score`` and ``attitude_score`` minus their
    thresholds (positive = high side; the attitude score is NaN for unknown
    attitude). A plain array is read by position, in the order of the roles
    (the ``behavior`` columns, then the attitude); columns beyond the roles are
    ignored with a :class:`~behaviorseg.exceptions.ColumnsByPositionWarning`. An
    array with fewer columns reads its last column as the attitude and the
    others as behaviour (with the weights of ``behavior`` in order).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import WalkerLoyaltySegmenter
    >>> customers = pd.DataFrame({
    ...     "recency_days": [5.0, 200.0, 12.0, 300.0, 8.0, 150.0],
    ...     "frequency": [14, 2, 11, 1, 9, 3],
    ...     "monetary": [1400.0, 90.0, 900.0, 40.0, 700.0, 160.0],
    ...     "likelihood_to_recommend": [10, 9, 6, 3, np.nan, np.nan],
    ... })
    >>> seg = WalkerLoyaltySegmenter().fit(customers)
    >>> seg.predict(customers).tolist()
    ['truly loyal', 'accessible', 'trapped', 'high risk', 'unknown attitude',
     'unknown attitude']
    >>> seg.transform(customers)[:, 1]
    array([ 1.5,  0.5, -2.5, -5.5,  nan,  nan])
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "behavior": [InstanceOf((tuple, list))],
        "attitude_col": [InstanceOf((str,))],
        "attitude_scale": [Options(("nps", "csat")), InstanceOf((tuple, list, type(None)))],
        "behavior_threshold": [InstanceOf((str, tuple, list))],
        "attitude_threshold": [InstanceOf((str, tuple, list, type(None)))],
        "missing_attitude": [Options(("label",)), InstanceOf((int, float))],
        "unknown_label": [InstanceOf((str,))],
        "scaling": [Options(("robust", "standard")), InstanceOf((type(None),))],
    }
    _allow_nan = True

    def __init__(
        self,
        *,
        behavior: Sequence[AxisEntry] = (
            ("recency_days", -1.0),
            ("frequency", 1.0),
            ("monetary", 1.0),
        ),
        attitude_col: str = "likelihood_to_recommend",
        attitude_scale: str | tuple[float, float] | None = "nps",
        behavior_threshold: ThresholdRule = "median",
        attitude_threshold: ThresholdRule | None = None,
        missing_attitude: str | float = "label",
        unknown_label: str = "unknown attitude",
        scaling: str | None = "robust",
    ) -> None:
        self.behavior = behavior
        self.attitude_col = attitude_col
        self.attitude_scale = attitude_scale
        self.behavior_threshold = behavior_threshold
        self.attitude_threshold = attitude_threshold
        self.missing_attitude = missing_attitude
        self.unknown_label = unknown_label
        self.scaling = scaling

    def _scale(self) -> tuple[tuple[float, float] | None, str, tuple[str, float] | None]:
        """The declared range, its description, and the scale's own threshold rule."""
        scale = self.attitude_scale
        if isinstance(scale, str):
            low, high, cut = ATTITUDE_SCALES[scale]
            return (low, high), f"the {scale.upper()} scale {low:g}-{high:g}", ("fixed", cut)
        if scale is None:
            return None, "", None
        if not (
            len(scale) == 2 and all(_is_number(v) for v in scale) and float(scale[0]) < scale[1]
        ):
            raise ValueError(
                f"WalkerLoyaltySegmenter: attitude_scale={scale!r} must be 'nps', 'csat', "
                f"None or a (lowest, highest) pair of numbers"
            )
        low, high = float(scale[0]), float(scale[1])
        return (low, high), f"the declared scale {low:g}-{high:g}", None

    def _axes(self) -> tuple[_Axis, _Axis]:
        owner = "WalkerLoyaltySegmenter"
        value_range, range_name, scale_rule = self._scale()
        if self.attitude_threshold is not None:
            rule = _parse_threshold(
                self.attitude_threshold, param="attitude_threshold", owner=owner
            )
        else:
            rule = scale_rule if scale_rule is not None else ("median", 0.5)
        missing = self.missing_attitude
        if not isinstance(missing, str):
            if not _is_number(missing):
                raise ValueError(
                    f"{owner}: missing_attitude={missing!r} must be 'label' or a finite number"
                )
            if value_range is not None and not value_range[0] <= missing <= value_range[1]:
                raise ValueError(f"{owner}: missing_attitude={missing!r} lies outside {range_name}")
            missing = float(missing)
        x = _Axis(
            name="behavior",
            param="behavior",
            threshold_param="behavior_threshold",
            entries=_parse_entries(self.behavior, param="behavior", owner=owner),
            rule=_parse_threshold(self.behavior_threshold, param="behavior_threshold", owner=owner),
            scaling=self.scaling,
        )
        y = _Axis(
            name="attitude",
            param="attitude_col",
            threshold_param="attitude_threshold",
            entries=((self.attitude_col, 1.0, 1.0),),
            rule=rule,
            scaling=None,  # one column, in the survey's own units
            missing=missing,
            value_range=value_range,
            range_name=range_name,
        )
        return x, y

    def _column_params(self, columns: list[str]) -> dict[str, str]:
        params = {f"behavior[{i}]": c for i, (c, *_) in enumerate(self.behavior)}
        params["attitude_col"] = self.attitude_col
        return params

    def _x_width(self, n_columns: int, n_x: int) -> int:
        return n_columns - 1  # the last column is the attitude

    def _unknown_label(self) -> str | None:
        return self.unknown_label if self.missing_attitude == "label" else None

    def _cells(self) -> tuple[list[str], np.ndarray]:
        # grid[attitude high, behaviour high] -> position in LOYALTY_SEGMENTS
        return list(LOYALTY_SEGMENTS), np.array([[3, 2], [1, 0]])
