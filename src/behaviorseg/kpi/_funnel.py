"""Funnel KPIs: stage-to-stage conversion, for a population or per segment."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import check_columns, check_frame
from ..exceptions import DataValidationError, SchemaError
from ..summaries._events import _normalize_stages
from ._common import _segment_codes as _segment_codes_of

__all__ = ["funnel_conversion"]


def _segment_codes(
    segments: Any, funnel: pd.DataFrame
) -> tuple[np.ndarray, pd.Index] | tuple[None, None]:
    """Dense segment code per row and the segment names, in a stable order."""
    if segments is None:
        return None, None
    if isinstance(segments, str):
        check_columns(funnel, {"segments": segments}, name="funnel")
        values = funnel[segments]
    elif isinstance(segments, pd.Series):
        values = segments
        if not values.index.equals(funnel.index):
            values = segments.reindex(funnel.index)
            if values.isna().sum() > segments.isna().sum():
                raise DataValidationError(
                    "segments is a Series whose index does not cover every customer of "
                    "funnel; align it first, e.g. segments.reindex(funnel.index)"
                )
    else:
        if np.ndim(segments) != 1 or len(segments) != len(funnel):
            raise DataValidationError(
                f"segments has shape {np.shape(segments)} for {len(funnel)} customers; give "
                f"one label per row of funnel"
            )
        values = pd.Series(segments, index=funnel.index)  # keeps a Categorical's order
    if len(values) != len(funnel):
        raise DataValidationError(
            f"segments has {len(values)} labels for {len(funnel)} customers; give one "
            f"label per row of funnel"
        )
    frame = pd.DataFrame({"segment": values})  # keeps a Categorical's categories and order
    return _segment_codes_of(frame, "segment", name="segments", param="segments")


@frame_boundary("funnel")
def funnel_conversion(
    funnel: pd.DataFrame,
    *,
    stages: Any = None,
    segments: Any = None,
    ordered: bool = False,
) -> pd.DataFrame:
    """Count customers at each funnel stage and the conversion between consecutive stages.

    Parameters
    ----------
    funnel : DataFrame
        One row per customer with a ``reached_<stage>`` column per stage (bool,
        or 0/1 numbers): the output of
        :func:`~behaviorseg.summaries.funnel_table`, or the ``transform`` of an
        :class:`~behaviorseg.segmenters.AIDAStageSegmenter` with
        ``set_output(transform="pandas")``. Not modified.
    stages : sequence, mapping or None, default=None
        The stages to report, in funnel order (names, ``(stage, events)``
        pairs or a mapping, as for ``funnel_table``). ``None``: every
        ``reached_*`` column, in column order.
    segments : str, array-like, Series or None, default=None
        Segment of each customer: a column of ``funnel``, one label per row, or a
        Series aligned on ``funnel``'s index (e.g. usage tiers). ``None``: the
        whole population.
    ordered : bool, default=False
        ``True`` counts a stage as reached only if every earlier stage was
        reached too (a strict funnel, so the counts can only shrink).

    Returns
    -------
    DataFrame
        One row per stage, indexed by ``stage`` (or by ``(segment, stage)``, with
        segments in sorted or categorical order, empty categories included), with:

        - ``customers`` (int): customers in the population or segment.
        - ``reached`` (int): customers who reached the stage.
        - ``reach_rate`` (float): ``reached / customers``.
        - ``previous`` (int): customers who reached the previous stage (for the
          first stage: ``customers``).
        - ``converted`` (int): customers who reached both the previous stage and
          this one (for the first stage: ``reached``).
        - ``conversion_rate`` (float): ``converted / previous``, the
          stage-to-stage conversion; NaN when ``previous`` is 0.

    Notes
    -----
    With ``ordered=False`` a customer who skipped a logged step (a purchase
    without a logged product view) counts in ``reached`` but not in
    ``converted``, so ``conversion_rate`` is the share of the previous stage's
    customers who went on, whatever the other customers did.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import funnel_conversion
    >>> funnel = pd.DataFrame({
    ...     "reached_interest": [True, True, True, False],
    ...     "reached_action": [True, False, False, True],
    ... })
    >>> funnel_conversion(funnel)
              customers  reached  reach_rate  previous  converted  conversion_rate
    stage
    interest          4        3        0.75         4          3         0.750000
    action            4        2        0.50         3          1         0.333333
    """
    check_frame(funnel, name="funnel")
    if not isinstance(ordered, bool):
        raise TypeError(f"ordered={ordered!r} must be True or False")
    if stages is None:
        names = [c[len("reached_") :] for c in funnel.columns if str(c).startswith("reached_")]
        if not names:
            raise SchemaError(
                "funnel has no 'reached_<stage>' columns; build it with "
                "behaviorseg.summaries.funnel_table or pass stages=..."
            )
    else:
        names = [s for s, _ in _normalize_stages(stages, names_only=True)]
    columns = [f"reached_{s}" for s in names]
    check_columns(
        funnel, {f"stages[{s!r}]": c for s, c in zip(names, columns, strict=True)}, name="funnel"
    )
    flags = funnel[columns]
    for column in columns:  # a loop over a handful of stages, for messages naming them
        dtype = flags[column].dtype
        if not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
            raise SchemaError(
                f"column {column!r} has dtype {dtype}, expected bool (or 0/1 numbers)"
            )
    values = flags.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        column = columns[int(np.flatnonzero(bad.any(axis=0))[0])]
        raise DataValidationError(
            f"{int(bad.sum())} reached_* values are neither True/False nor 0/1 (first in "
            f"column {column!r}); missing values mean unknown, fill them with False first"
        )
    reached = values.astype(bool)
    if ordered:
        reached = np.logical_and.accumulate(reached, axis=1)
    n, k = reached.shape
    previous = np.column_stack([np.ones(n, dtype=bool), reached[:, :-1]])
    converted = previous & reached

    codes, segment_names = _segment_codes(segments, funnel)
    n_groups = 1 if segment_names is None else len(segment_names)
    group = np.zeros(n, dtype=np.int64) if codes is None else codes
    sums = np.zeros((3, n_groups, k), dtype=np.int64)
    for i, matrix in enumerate((reached, previous, converted)):
        np.add.at(sums[i], group, matrix.astype(np.int64))
    size = np.bincount(group, minlength=n_groups)
    customers = np.repeat(size, k)
    reached_n, previous_n, converted_n = (s.ravel() for s in sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        data = {
            "customers": customers,
            "reached": reached_n,
            "reach_rate": np.where(customers > 0, reached_n / np.maximum(customers, 1), np.nan),
            "previous": previous_n,
            "converted": converted_n,
            "conversion_rate": np.where(
                previous_n > 0, converted_n / np.maximum(previous_n, 1), np.nan
            ),
        }
    if segment_names is None:
        index: pd.Index = pd.Index(names, name="stage")
    else:
        index = pd.MultiIndex.from_product([segment_names, names], names=["segment", "stage"])
    out: pd.DataFrame = pd.DataFrame(data, index=index)
    return out
