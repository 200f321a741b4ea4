"""The 2×2 matrix core shared by the quadrant models, and the generic ``MatrixSegmenter``.

A quadrant model places each customer on two axes and names the four cells of the
resulting 2×2 figure. Every axis is a *score* built from one or more columns:

1. each column is put on a common scale learned in ``fit`` (``scaling``);
2. the scaled columns are averaged with signed weights, ``sum(w * z) / sum(|w|)``,
   so a weight says how much a column counts and its sign which direction is "high";
3. the score is split at a threshold learned in ``fit`` (the median by default, a
   quantile, or a fixed value). A customer is *high* on an axis when the score is
   strictly above the threshold, so equal scores always fall on the same side.

Entries of the second (``y``) axis may carry two weights, one for customers on the
low side of the first (``x``) axis and one for those on the high side: a behaviour
can mean different things depending on the other axis (Assael: repeat buying of one
brand is *inertia* under low involvement, *brand loyalty* under high involvement).

:class:`~behaviorseg.segmenters.AssaelSegmenter` and
:class:`~behaviorseg.segmenters.WalkerLoyaltySegmenter` are thin layers on the private
core below; :class:`MatrixSegmenter` exposes it for any other 2×2 (value ×
engagement, ...).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._base import BaseSegmenter
from .._validation import Constraint, InstanceOf, Options
from ..exceptions import BehaviorsegWarning, DataValidationError

__all__ = ["AxisEntry", "MatrixSegmenter", "ThresholdRule"]

#: IQR of the standard normal distribution: IQR / this is a robust standard deviation.
_IQR_PER_SD = 1.3489795003921634
#: ``scaling="robust"`` clips z-scores to +/- this many robust standard deviations.
_CLIP = 3.0

#: An axis entry: (column, weight) or, on the y axis, (column, weight if x low, weight if x high).
AxisEntry = tuple[str, float] | tuple[str, float, float]
#: A threshold rule: "median", ("quantile", q) or ("fixed", value).
ThresholdRule = str | tuple[str, float]


def _is_number(value: object) -> bool:
    """True for a finite real number that is not a bool."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return bool(np.isfinite(float(value)))


@dataclass(frozen=True)
class _Axis:
    """What one axis reads and how it is split, built from the parameters in ``fit``."""

    name: str  # e.g. "involvement"; transform names its column f"{name}_score"
    param: str  # the parameter that lists the columns (for messages)
    threshold_param: str  # the parameter that sets the threshold (for messages)
    entries: tuple[tuple[str, float, float], ...]  # (column, weight if x low, weight if x high)
    rule: tuple[str, float]  # ("median", 0.5), ("quantile", q) or ("fixed", value)
    scaling: str | None  # "robust", "standard" or None (raw values)
    missing: str | float | None = None  # None: NaN is an error; "label"; or a value to impute
    value_range: tuple[float, float] | None = None  # declared scale, checked on every call
    range_name: str = ""  # e.g. "the NPS scale 0-10" (for messages)


@dataclass(frozen=True)
class _FittedAxis:
    """The learned state of one axis (no training data: only per-column statistics)."""

    name: str
    labels: tuple[str, ...]  # column names (frames) or x<i> (arrays)
    w_low: np.ndarray  # weight of each column when x is low (0 for unused columns)
    w_high: np.ndarray  # weight of each column when x is high
    center: np.ndarray
    scale: np.ndarray
    used: np.ndarray  # False: constant in fit, left out
    clip: float  # z-scores are clipped to +/- clip (inf: no clipping)
    threshold: float


def _parse_entries(
    value: object, *, param: str, owner: str, conditional_on: str | None = None
) -> tuple[tuple[str, float, float], ...]:
    """Validate an axis parameter and return ``(column, weight if x low, weight if x high)``.

    ``conditional_on`` names the x axis when entries may carry two weights (y axis only).
    """
    pair = "(column, weight)"
    shapes = (2,) if conditional_on is None else (2, 3)
    if conditional_on is not None:
        pair += f" or (column, weight if {conditional_on} is low, weight if it is high)"
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{owner}: {param} must be a tuple of {pair} entries, got {value!r}")
    if len(value) == 0:
        raise ValueError(f"{owner}: {param} is empty; give at least one {pair} entry")
    entries: list[tuple[str, float, float]] = []
    for entry in value:  # a loop over a few entries
        if not (
            isinstance(entry, (tuple, list))
            and len(entry) in shapes
            and isinstance(entry[0], str)
            and all(_is_number(w) for w in entry[1:])
        ):
            raise ValueError(
                f"{owner}: {param} entry {entry!r} is not a {pair} with a str column and "
                f"finite weights; write e.g. (('frequency', 1.0), ('recency_days', -1.0))"
            )
        entries.append((entry[0], float(entry[1]), float(entry[-1])))
    names = [column for column, _, _ in entries]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise ValueError(f"{owner}: {param} lists the columns {repeated} more than once")
    for side, k in (("low", 1), ("high", 2)):
        if all(entry[k] == 0 for entry in entries):
            where = "" if conditional_on is None else f" for customers {side} on {conditional_on}"
            raise ValueError(f"{owner}: every weight in {param} is 0{where}; nothing is scored")
    return tuple(entries)


def _parse_threshold(value: object, *, param: str, owner: str) -> tuple[str, float]:
    """Validate a threshold rule: ``"median"``, ``("quantile", q)`` or ``("fixed", value)``."""
    if isinstance(value, str) and value == "median":
        return ("median", 0.5)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and isinstance(value[0], str)
        and value[0] in ("quantile", "fixed")
        and _is_number(value[1])
    ):
        number = float(value[1])
        if value[0] == "quantile" and not 0 < number < 1:
            raise ValueError(
                f"{owner}: {param}={value!r}: the quantile must lie strictly between 0 and 1"
            )
        return (str(value[0]), number)
    raise ValueError(
        f"{owner}: {param}={value!r} is invalid; it must be 'median', ('quantile', q) with "
        f"0 < q < 1, or ('fixed', value) with a finite value"
    )


def _rows(mask: np.ndarray) -> str:
    """The first few row positions of ``mask``, for messages."""
    positions = np.flatnonzero(mask)
    shown = ", ".join(str(p) for p in positions[:3])
    return shown + (", ..." if len(positions) > 3 else "")


class _MatrixCore(BaseSegmenter):
    """Private template of the 2×2 segmenters; subclasses describe their axes and cells.

    Hooks: ``_axes()`` returns the two :class:`_Axis` (x, then y) built from the
    parameters; ``_cells()`` returns the segment names in ``segments_`` order and a
    2×2 integer grid ``grid[y_high, x_high]`` of positions into it; ``_unknown_label()``
    names the segment of customers unknown on an axis that allows missing values;
    ``_x_width(n_columns, n_x)`` says how many leading columns of a plain array
    form the x axis.
    """

    _min_features = 2

    # --- hooks --------------------------------------------------------------------
    def _axes(self) -> tuple[_Axis, _Axis]:
        raise NotImplementedError

    def _cells(self) -> tuple[list[str], np.ndarray]:
        raise NotImplementedError

    def _unknown_label(self) -> str | None:
        return None

    def _x_width(self, n_columns: int, n_x: int) -> int:
        """Leading columns of a plain array read as the x axis (the rest: y)."""
        return min(max(n_x, 1), n_columns - 1)

    # --- columns and names --------------------------------------------------------
    def _input_columns(self) -> list[str]:
        x, y = self._axes()
        return [c for c, _, _ in x.entries] + [c for c, _, _ in y.entries]

    def _column_params(self, columns: list[str]) -> dict[str, str]:
        # For messages: "involvement[0]" rather than "column 0".
        out: dict[str, str] = {}
        for axis in self._axes():
            for i, (column, _, _) in enumerate(axis.entries):
                out[f"{axis.param}[{i}]"] = column
        return out

    def _output_names(self, n_columns: int) -> list[str]:
        return [f"{axis.name}_score" for axis in self._fitted_axes_]

    def _n_scores(self) -> int:
        return 2

    # --- fit ----------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: Any) -> None:
        owner = type(self).__name__
        x_axis, y_axis = self._axes()
        names, grid = self._cells()
        unknown = self._unknown_label()
        every = [*names, *([unknown] if unknown is not None else [])]
        if len(set(every)) != len(every):
            raise ValueError(f"{owner}: the segment names {every} must all be distinct")
        n_rows, n_columns = X.shape
        by_name = getattr(self, "feature_names_in_", None) is not None
        k = self._x_width(n_columns, len(x_axis.entries))
        labels = self._input_columns() if by_name else [f"x{i}" for i in range(n_columns)]
        learns = any(
            axis.rule[0] != "fixed" or axis.scaling is not None for axis in (x_axis, y_axis)
        )
        if n_rows < 2 and learns:
            raise DataValidationError(
                f"{owner} learns its scales and thresholds from the customers: it needs at "
                f"least 2 customers, got 1 sample"
            )
        x_values = self._values(x_axis, X[:, :k], labels[:k])
        x_fit = self._fit_axis(x_axis, x_values, labels[:k], None)
        x_high = self._score(x_fit, x_values, None) > x_fit.threshold
        y_values = self._values(y_axis, X[:, k:], labels[k:])
        y_fit = self._fit_axis(y_axis, y_values, labels[k:], x_high)
        self._warn_empty_sides(x_fit, x_axis, self._score(x_fit, x_values, None))
        self._warn_empty_sides(y_fit, y_axis, self._score(y_fit, y_values, x_high))

        self._fitted_axes_ = (x_fit, y_fit)
        self._axis_specs_ = (x_axis, y_axis)
        self._x_columns_ = k
        self._has_unknown_ = unknown is not None
        self._grid_ = np.asarray(grid, dtype=np.int64)
        self.segments_ = every
        self.thresholds_ = {x_fit.name: x_fit.threshold, y_fit.name: y_fit.threshold}
        rows = []
        for axis in (x_fit, y_fit):
            for j, label in enumerate(axis.labels):
                rows.append(
                    {
                        "column": label,
                        "axis": axis.name,
                        "weight": axis.w_low[j],
                        "weight_if_x_high": axis.w_high[j],
                        "center": axis.center[j],
                        "scale": axis.scale[j],
                        "used": bool(axis.used[j]),
                    }
                )
        self.axis_columns_ = pd.DataFrame(rows).set_index("column")

    def _values(self, axis: _Axis, values: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """Check NaN and the declared range; impute missing values when asked to."""
        owner = type(self).__name__
        missing = np.isnan(values)
        if axis.missing is None and missing.any():
            j = int(np.flatnonzero(missing.any(axis=0))[0])
            raise DataValidationError(
                f"{owner}: column {labels[j]!r} ({axis.param}) has "
                f"{int(missing[:, j].sum())} missing values (row positions "
                f"{_rows(missing[:, j])}); the {axis.name} axis must be known for every "
                f"customer, so drop or fill them first"
            )
        if axis.value_range is not None:
            low, high = axis.value_range
            with np.errstate(invalid="ignore"):
                outside = (values < low) | (values > high)
            if outside.any():
                j = int(np.flatnonzero(outside.any(axis=0))[0])
                raise DataValidationError(
                    f"{owner}: column {labels[j]!r} has {int(outside[:, j].sum())} values "
                    f"outside {axis.range_name} (row positions {_rows(outside[:, j])}, e.g. "
                    f"{values[outside[:, j], j][0]:g}); fix them, or declare the right scale"
                )
        if axis.missing is not None and not isinstance(axis.missing, str):
            return np.where(missing, float(axis.missing), values)
        return values

    def _fit_axis(
        self,
        axis: _Axis,
        values: np.ndarray,
        labels: Sequence[str],
        x_high: np.ndarray | None,
    ) -> _FittedAxis:
        """Learn the per-column scales and the threshold of one axis."""
        owner = type(self).__name__
        n_columns = values.shape[1]
        w = np.array([(lo, hi) for _, lo, hi in axis.entries[:n_columns]]).reshape(-1, 2)
        w = np.vstack([w, np.ones((n_columns - len(w), 2))])  # unnamed extra columns: +1
        known = ~np.isnan(values).any(axis=1)
        v = values[known]
        if len(v) == 0 and (axis.rule[0] != "fixed" or axis.scaling is not None):
            raise DataValidationError(
                f"{owner}: no customer has a value in {list(labels)} ({axis.param}), so the "
                f"{axis.name} axis cannot be learned; {axis.threshold_param} needs answers "
                f"(or a fixed threshold)"
            )
        if axis.scaling is None:
            center, scale = np.zeros(n_columns), np.ones(n_columns)
            used = np.ones(n_columns, dtype=bool)
        else:
            used = v.max(axis=0) - v.min(axis=0) > 0
            if axis.scaling == "robust":
                center = np.median(v, axis=0)
                q75, q25 = np.percentile(v, [75, 25], axis=0)
                iqr_scale = (q75 - q25) / _IQR_PER_SD
                scale = np.where(iqr_scale > 0, iqr_scale, v.std(axis=0))
            else:
                center, scale = v.mean(axis=0), v.std(axis=0)
            scale = np.where(used, scale, 1.0)
        clip = _CLIP if axis.scaling == "robust" else np.inf
        w = np.where(used[:, None], w, 0.0)
        constant = [labels[int(j)] for j in np.flatnonzero(~used)]
        both_sides = (np.abs(w[:, 0]).sum() > 0) and (np.abs(w[:, 1]).sum() > 0)
        if constant and both_sides:
            warnings.warn(
                f"{owner}: the columns {constant} ({axis.param}) have the same value for "
                f"every customer, so they cannot be scaled and were left out of the "
                f"{axis.name} axis",
                BehaviorsegWarning,
                stacklevel=4,
            )
        if not both_sides:
            self._raise_constant(axis, labels, len(v))
        fitted = _FittedAxis(
            name=axis.name,
            labels=tuple(labels),
            w_low=w[:, 0],
            w_high=w[:, 1],
            center=center,
            scale=scale,
            used=used,
            clip=clip,
            threshold=np.nan,
        )
        kind, number = axis.rule
        if kind == "fixed":
            threshold = number
        else:
            scores = self._score(fitted, values, x_high)[known]
            if scores.max() - scores.min() <= 0:
                self._raise_constant(axis, labels, len(v))
            threshold = float(
                np.median(scores) if kind == "median" else np.quantile(scores, number)
            )
        return replace(fitted, threshold=float(threshold))

    def _raise_constant(self, axis: _Axis, labels: Sequence[str], n_known: int) -> None:
        raise DataValidationError(
            f"{type(self).__name__}: the {axis.name} axis is constant: its columns "
            f"{list(labels)} ({axis.param}) give the same score to all {n_known} customers "
            f"with a value, so no threshold can split them. Add a column that varies to "
            f"{axis.param}, or set {axis.threshold_param}=('fixed', value)"
            + (" with scaling=None" if axis.scaling is not None else "")
        )

    def _warn_empty_sides(self, fitted: _FittedAxis, axis: _Axis, scores: np.ndarray) -> None:
        known = scores[~np.isnan(scores)]
        if len(known) == 0:
            warnings.warn(
                f"{type(self).__name__}: no customer has a value in {list(fitted.labels)}, "
                f"so every customer is {self._unknown_label()!r}",
                BehaviorsegWarning,
                stacklevel=4,
            )
            return
        high = int((known > fitted.threshold).sum())
        if high in (0, len(known)):
            side = "above" if high == 0 else "at or below"
            warnings.warn(
                f"{type(self).__name__}: nobody scores {side} the {axis.name} threshold "
                f"{fitted.threshold:g}, so one side of the matrix is empty (because of ties "
                f"or of the threshold rule {axis.rule}, see {axis.threshold_param}); equal "
                f"scores always fall on the same side",
                BehaviorsegWarning,
                stacklevel=4,
            )

    # --- scores -------------------------------------------------------------------
    @staticmethod
    def _score(fitted: _FittedAxis, values: np.ndarray, x_high: np.ndarray | None) -> np.ndarray:
        """Weighted mean of the clipped z-scores (NaN where a value is missing)."""
        z = np.clip((values - fitted.center) / fitted.scale, -fitted.clip, fitted.clip)
        z = np.where(fitted.used, z, 0.0)
        if x_high is None:
            weights = np.broadcast_to(fitted.w_low, z.shape)
        else:
            weights = np.where(x_high[:, None], fitted.w_high, fitted.w_low)
        total: np.ndarray = (z * weights).sum(axis=1) / np.abs(weights).sum(axis=1)
        return total

    def _scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both axis scores of every row (the y score is NaN when unknown)."""
        x_fit, y_fit = self._fitted_axes_
        x_axis, y_axis = self._axis_specs_
        k = self._x_columns_
        x_values = self._values(x_axis, X[:, :k], x_fit.labels)
        x_score = self._score(x_fit, x_values, None)
        y_values = self._values(y_axis, X[:, k:], y_fit.labels)
        y_score = self._score(y_fit, y_values, x_score > x_fit.threshold)
        return x_score, y_score

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        x_score, y_score = self._scores(X)
        x_fit, y_fit = self._fitted_axes_
        with np.errstate(invalid="ignore"):
            y_high = y_score > y_fit.threshold
        codes = self._grid_[y_high.astype(np.int64), (x_score > x_fit.threshold).astype(np.int64)]
        if not self._has_unknown_:
            return codes
        result: np.ndarray = np.where(np.isnan(y_score), len(self.segments_) - 1, codes)
        return result

    def _transform(self, X: np.ndarray) -> np.ndarray:
        x_score, y_score = self._scores(X)
        x_fit, y_fit = self._fitted_axes_
        return np.column_stack([x_score - x_fit.threshold, y_score - y_fit.threshold])


class MatrixSegmenter(_MatrixCore):
    """Place customers in a 2×2 matrix of two behavioural scores and name the quadrants.

    The generic core of :class:`~behaviorseg.segmenters.AssaelSegmenter` and
    :class:`~behaviorseg.segmenters.WalkerLoyaltySegmenter`, for any other 2×2
    (value × engagement, frequency × breadth, ...). Each axis is a score built
    from one or more columns: every column is scaled (``scaling``), the scaled
    columns are averaged with signed weights, and the score is split at a
    threshold learned in ``fit``. ``predict`` names the quadrant; ``transform``
    returns both scores minus their thresholds (positive = high side).

    Parameters
    ----------
    x_axis : tuple of (str, float) or None, default=None
        The columns of the horizontal axis with their weights, e.g.
        ``(("frequency", 1.0), ("recency_days", -1.0))``. Only relative weights
        matter (the score divides by the sum of their absolute values); a negative
        weight makes small values count as high. ``None``: the first column of
        ``X``.
    y_axis : tuple of (str, float) or (str, float, float), or None, default=None
        The columns of the vertical axis. An entry with two weights,
        ``(column, weight if x is low, weight if x is high)``, lets a column mean
        different things on each side of the x axis. ``None``: all the columns of
        ``X`` after the first.
    axis_names : tuple of two str, default=("x", "y")
        Names of the axes: ``transform`` names its columns ``<name>_score``.
    quadrant_names : tuple of four str or None, default=None
        Segment names in the reading order of the figure: top-left (low x, high y),
        top-right (high x, high y), bottom-left (low x, low y), bottom-right (high
        x, low y). ``None``: ``"low x, high y"``, ... from ``axis_names``.
    x_threshold, y_threshold : str or tuple, default="median"
        Where each axis splits: ``"median"``; ``("quantile", q)`` (a share ``q``
        of customers is low, at or below the threshold); or ``("fixed", value)``
        in the units of the score (z-units with scaling, the column's units with
        ``scaling=None``). High means strictly above the threshold.
    scaling : {"robust", "standard"} or None, default="robust"
        How each column is put on a common scale before weighting:
        ``"robust"``: ``(value - median) / (IQR / 1.349)`` (the standard deviation
        when the IQR is 0), clipped to ±3, so one skewed column cannot outvote the
        others; ``"standard"``: ``(value - mean) / std``; ``None``: raw values
        (columns already on one scale, or a fixed threshold in the column's units).

    Attributes
    ----------
    segments_ : list of str
        The quadrant names, in the order of ``quadrant_names``.
    thresholds_ : dict of str to float
        The threshold of each axis, in the units of its score.
    axis_columns_ : DataFrame
        One row per input column: ``axis``, ``weight``, ``weight_if_x_high``,
        ``center``, ``scale`` and ``used`` (False: constant in ``fit``, left out
        with a warning).
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    **Plain arrays** are read by position: the first ``len(x_axis)`` columns (at
    most all but the last) form the x axis, the others the y axis; each column takes
    the weight of the entry at its position. Columns beyond the listed entries are
    ignored with a :class:`~behaviorseg.exceptions.ColumnsByPositionWarning`, as
    extra DataFrame columns are. Without axes (the default) every column is read:
    column 0 is x, the others y, each with weight +1.
    **Constant columns** cannot be scaled: they are left out of their axis with a
    :class:`~behaviorseg.exceptions.BehaviorsegWarning`; an axis that does not vary
    at all raises :class:`~behaviorseg.exceptions.DataValidationError` (unless its
    threshold is fixed and ``scaling=None``). Missing values are errors.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.segmenters import MatrixSegmenter
    >>> customers = pd.DataFrame({
    ...     "monetary": [900.0, 40.0, 650.0, 15.0, 300.0, 80.0],
    ...     "sessions": [30, 25, 2, 1, 12, 6],
    ... })
    >>> seg = MatrixSegmenter(
    ...     (("monetary", 1.0),), (("sessions", 1.0),), axis_names=("value", "engagement")
    ... ).fit(customers)
    >>> seg.predict(customers).tolist()
    ['high value, high engagement', 'low value, high engagement',
     'high value, low engagement', 'low value, low engagement',
     'high value, high engagement', 'low value, low engagement']
    >>> seg.transform(customers).round(2)[:2]
    array([[ 1.87,  1.51],
           [-0.39,  1.15]])
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "x_axis": [InstanceOf((tuple, list, type(None)))],
        "y_axis": [InstanceOf((tuple, list, type(None)))],
        "axis_names": [InstanceOf((tuple, list))],
        "quadrant_names": [InstanceOf((tuple, list, type(None)))],
        "x_threshold": [InstanceOf((str, tuple, list))],
        "y_threshold": [InstanceOf((str, tuple, list))],
        "scaling": [Options(("robust", "standard")), InstanceOf((type(None),))],
    }

    def __init__(
        self,
        x_axis: Sequence[AxisEntry] | None = None,
        y_axis: Sequence[AxisEntry] | None = None,
        *,
        axis_names: tuple[str, str] = ("x", "y"),
        quadrant_names: tuple[str, str, str, str] | None = None,
        x_threshold: ThresholdRule = "median",
        y_threshold: ThresholdRule = "median",
        scaling: str | None = "robust",
    ) -> None:
        self.x_axis = x_axis
        self.y_axis = y_axis
        self.axis_names = axis_names
        self.quadrant_names = quadrant_names
        self.x_threshold = x_threshold
        self.y_threshold = y_threshold
        self.scaling = scaling

    def _names(self) -> tuple[str, str]:
        names = tuple(self.axis_names)
        if len(names) != 2 or not all(isinstance(n, str) for n in names) or names[0] == names[1]:
            raise ValueError(
                f"MatrixSegmenter: axis_names={self.axis_names!r} must be two distinct str"
            )
        return str(names[0]), str(names[1])

    def _entries(
        self,
    ) -> tuple[tuple[tuple[str, float, float], ...], tuple[tuple[str, float, float], ...]]:
        """The (column, weight if x low, weight if x high) entries of both axes."""
        if self.x_axis is None and self.y_axis is None:
            # Positional defaults: a frame's own columns, first = x, the rest = y.
            names = [str(c) for c in getattr(self, "feature_names_in_", [])]
            return (
                tuple((c, 1.0, 1.0) for c in names[:1]),
                tuple((c, 1.0, 1.0) for c in names[1:]),
            )
        if self.x_axis is None or self.y_axis is None:
            raise ValueError(
                "MatrixSegmenter: give both x_axis and y_axis, or neither (then the first "
                "column of X is the x axis and the other columns the y axis)"
            )
        x_name, _ = self._names()
        return (
            _parse_entries(self.x_axis, param="x_axis", owner="MatrixSegmenter"),
            _parse_entries(
                self.y_axis, param="y_axis", owner="MatrixSegmenter", conditional_on=x_name
            ),
        )

    def _axes(self) -> tuple[_Axis, _Axis]:
        owner = "MatrixSegmenter"
        names = self._names()
        axes = []
        for name, param, entries in zip(names, ("x_axis", "y_axis"), self._entries(), strict=True):
            threshold_param = param[0] + "_threshold"
            axes.append(
                _Axis(
                    name=name,
                    param=param,
                    threshold_param=threshold_param,
                    entries=entries,
                    rule=_parse_threshold(
                        getattr(self, threshold_param), param=threshold_param, owner=owner
                    ),
                    scaling=self.scaling,
                )
            )
        return axes[0], axes[1]

    def _column_params(self, columns: list[str]) -> dict[str, str]:
        if self.x_axis is None:
            return {f"column {i}": c for i, c in enumerate(columns)}
        return super()._column_params(columns)

    def _cells(self) -> tuple[list[str], np.ndarray]:
        x, y = self._names()
        if self.quadrant_names is None:
            names = [
                f"low {x}, high {y}",
                f"high {x}, high {y}",
                f"low {x}, low {y}",
                f"high {x}, low {y}",
            ]
        else:
            names = list(self.quadrant_names)
            if len(names) != 4 or not all(isinstance(n, str) for n in names):
                raise ValueError(
                    f"MatrixSegmenter: quadrant_names={self.quadrant_names!r} must be four "
                    f"str: top-left (low x, high y), top-right, bottom-left, bottom-right"
                )
        # grid[y_high, x_high] -> position in the reading order of the figure
        return names, np.array([[2, 3], [0, 1]])
