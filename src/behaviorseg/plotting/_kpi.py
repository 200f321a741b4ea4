"""Plots of KPIs: the funnel and per-segment values with their intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import check_columns, check_frame
from ..exceptions import DataValidationError, SchemaError
from ._common import _axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["funnel_chart", "kpi_intervals"]


def funnel_chart(
    conversion: pd.DataFrame,
    *,
    segment: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw a funnel: customers reaching each stage, with the stage-to-stage conversion.

    Parameters
    ----------
    conversion : DataFrame
        The output of :func:`behaviorseg.kpi.funnel_conversion` (indexed by stage,
        or by (segment, stage) when computed per segment).
    segment : str or None
        For a per-segment table: the segment to draw (required then; a
        DataValidationError lists the segments otherwise).
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        One horizontal bar per stage (first stage on top) labelled with its count,
        and the conversion rate from the previous stage between the bars.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from behaviorseg.plotting import funnel_chart
    >>> table = pd.DataFrame(
    ...     {"reached": [100, 40, 10], "conversion_rate": [1.0, 0.4, 0.25]},
    ...     index=pd.Index(["attention", "interest", "action"], name="stage"),
    ... )
    >>> len(funnel_chart(table).patches)
    3
    """
    check_frame(conversion, name="conversion")
    missing = sorted({"reached", "conversion_rate"} - set(conversion.columns))
    if missing:
        raise SchemaError(
            f"conversion lacks the columns {missing} (it has {list(conversion.columns)[:8]}); "
            f"pass the output of behaviorseg.kpi.funnel_conversion"
        )
    table = conversion
    if isinstance(conversion.index, pd.MultiIndex):
        segments = list(conversion.index.get_level_values(0).unique())
        if segment not in segments:
            problem = "needs segment=" if segment is None else f"has no segment {segment!r}"
            raise DataValidationError(
                f"this per-segment funnel {problem}; pass segment= one of {segments[:10]}"
            )
        table = pd.DataFrame(conversion.xs(segment, level=0))
    elif segment is not None:
        raise DataValidationError(
            f"segment={segment!r} given but conversion has one funnel only (no segment "
            f"level in its index); drop segment= or pass funnel_conversion(..., segments=...)"
        )
    stages = [str(s) for s in table.index]
    reached = table["reached"].to_numpy(dtype=np.float64)
    rates = table["conversion_rate"].to_numpy(dtype=np.float64)
    ax = _axes(ax, figsize=(7.0, 0.7 * len(stages) + 1.5))
    y = np.arange(len(stages))
    top = reached.max() if reached.max() > 0 else 1.0
    ax.barh(y, reached, left=(top - reached) / 2, height=0.6, color="tab:blue")
    for i, count in enumerate(reached):
        ax.text(top / 2, i, f"{int(count):,}", ha="center", va="center", color="white")
        if i > 0:
            rate = "n/a" if np.isnan(rates[i]) else f"{rates[i]:.0%}"
            ax.text(top, i - 0.5, f"↓ {rate}", ha="right", va="center", fontsize="small")
    ax.set_yticks(y, stages)
    ax.invert_yaxis()
    ax.set_xticks([])
    ax.set_xlabel("customers reaching the stage (↓ conversion from the previous stage)")
    ax.set_title("Funnel" + (f": {segment}" if segment is not None else ""))
    return ax


def kpi_intervals(
    table: pd.DataFrame,
    value_col: str = "rate",
    low_col: str = "ci_low",
    high_col: str = "ci_high",
    *,
    reference: float | None = None,
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw a per-segment KPI as points with interval bars (one row per segment).

    Parameters
    ----------
    table : DataFrame
        Indexed by segment, e.g. :func:`behaviorseg.kpi.conversion_rate` (``rate``,
        ``ci_low``, ``ci_high``) or :func:`behaviorseg.kpi.cltv_by_segment`
        (``mean`` with its bootstrap bounds).
    value_col, low_col, high_col : str
        Columns of the value and of its interval.
    reference : float or None
        Draw a vertical line here (e.g. the overall rate).
    xlabel : str or None
        Axis label and title subject (default: ``value_col``), e.g.
        ``"12-month CLTV"``.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        One point and error bar per segment; segments without a value are listed
        but not drawn; a missing bound is drawn at the value (no bar on that side).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from behaviorseg.plotting import kpi_intervals
    >>> t = pd.DataFrame({"rate": [0.1, 0.3], "ci_low": [0.05, 0.2], "ci_high": [0.2, 0.4]},
    ...                  index=pd.Index(["a", "b"], name="segment"))
    >>> kpi_intervals(t).get_xlabel()
    'rate'
    """
    check_frame(table, name="table")
    check_columns(
        table, {"value_col": value_col, "low_col": low_col, "high_col": high_col}, name="table"
    )
    try:
        value, low, high = (
            table[c].to_numpy(dtype=np.float64) for c in (value_col, low_col, high_col)
        )
    except (TypeError, ValueError) as err:
        raise SchemaError(
            f"columns {value_col!r}, {low_col!r}, {high_col!r} of table must be numeric; "
            f"choose the KPI's columns with value_col=, low_col=, high_col="
        ) from err
    bounded = np.isfinite(value) & np.isfinite(low) & np.isfinite(high)
    outside = bounded & ~((low <= value) & (value <= high))
    if outside.any():
        first = [str(s) for s in table.index[outside][:3]]
        raise DataValidationError(
            f"{int(outside.sum())} segments (e.g. {first}) have {value_col} outside "
            f"[{low_col}, {high_col}]; check that the three columns belong together"
        )
    ax = _axes(ax, figsize=(6.5, 0.4 * len(table) + 1.5))
    y = np.arange(len(table))
    ok = np.isfinite(value)
    errors = np.nan_to_num(np.vstack([value - low, high - value])[:, ok], nan=0.0)
    ax.errorbar(value[ok], y[ok], xerr=errors, fmt="o", capsize=3)
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(y, [str(s) for s in table.index])
    ax.invert_yaxis()
    subject = value_col if xlabel is None else xlabel
    ax.set_xlabel(subject)
    ax.set_title(f"{subject} per segment")
    return ax
