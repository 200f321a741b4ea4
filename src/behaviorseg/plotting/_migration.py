"""Plots of segment migration: the migration matrix and the flow between two dates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import Interval, check_frame, validate_params
from ..exceptions import DataValidationError, SchemaError
from ._common import _axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["migration_heatmap", "segment_flow"]


def _flow_path(x0: float, x1: float, left: tuple[float, float], right: tuple[float, float]) -> Any:
    """A band from the interval ``left`` at ``x0`` to ``right`` at ``x1``, with S-curves."""
    from matplotlib.path import Path

    mid = (x0 + x1) / 2.0
    (l_low, l_high), (r_low, r_high) = left, right
    vertices = [
        (x0, l_high),
        (mid, l_high),
        (mid, r_high),
        (x1, r_high),
        (x1, r_low),
        (mid, r_low),
        (mid, l_low),
        (x0, l_low),
        (x0, l_high),
    ]
    codes = [Path.MOVETO, *[Path.CURVE4] * 3, Path.LINETO, *[Path.CURVE4] * 3, Path.CLOSEPOLY]
    return Path(vertices, codes)


def migration_heatmap(matrix: pd.DataFrame, *, ax: Axes | None = None, cmap: str = "Blues") -> Axes:
    """Draw a migration matrix: where the customers of each segment went.

    Parameters
    ----------
    matrix : DataFrame
        The output of :func:`behaviorseg.profiling.migration_matrix` (counts or
        shares): rows are the segments at the first date (and ``"new"``),
        columns at the second (and ``"lost"``).
    ax : matplotlib Axes or None
        Where to draw.
    cmap : str
        Colour map name.

    Returns
    -------
    matplotlib Axes
        One cell per transition, coloured by its **share of the row** (where the
        customers of that segment went, so large segments do not drown the
        others) and annotated with the matrix's own value (a count, or a share
        in percent). Customers who stayed, the diagonal, are outlined.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from behaviorseg.plotting import migration_heatmap
    >>> from behaviorseg.profiling import migration_matrix
    >>> before = pd.Series({"a": "gold", "b": "gold", "c": "silver"})
    >>> after = pd.Series({"a": "gold", "b": "silver", "d": "gold"})
    >>> ax = migration_heatmap(migration_matrix(before, after))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['gold', 'silver', 'new']
    """
    check_frame(matrix, name="matrix")
    try:
        values = matrix.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SchemaError(
            "matrix must hold numbers (counts or shares); pass the output of "
            "behaviorseg.profiling.migration_matrix"
        ) from err
    if np.isinf(values).any() or (values < 0).any():
        raise DataValidationError(
            "matrix has negative or infinite values; pass counts or shares from "
            "behaviorseg.profiling.migration_matrix"
        )
    from matplotlib.patches import Rectangle

    with np.errstate(invalid="ignore", divide="ignore"):
        totals = np.nansum(values, axis=1, keepdims=True)
        shares = np.where(totals > 0, values / np.where(totals > 0, totals, 1.0), np.nan)
    n_rows, n_cols = values.shape
    ax = _axes(ax, figsize=(0.9 * n_cols + 2.5, 0.55 * n_rows + 1.5))
    image = ax.imshow(shares, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="share of the row")
    ax.set_xticks(np.arange(n_cols), [str(c) for c in matrix.columns], rotation=45, ha="right")
    ax.set_yticks(np.arange(n_rows), [str(r) for r in matrix.index])
    ax.set_xlabel(str(matrix.columns.name or "after"))
    ax.set_ylabel(str(matrix.index.name or "before"))
    counts = bool(np.array_equal(np.nan_to_num(values), np.round(np.nan_to_num(values))))
    for (y, x), value in np.ndenumerate(values):
        if not np.isfinite(value):
            continue
        text = f"{value:,.0f}" if counts else f"{value:.0%}"
        dark = np.isfinite(shares[y, x]) and shares[y, x] > 0.5
        ax.text(
            x, y, text, ha="center", va="center", fontsize=8, color="white" if dark else "black"
        )
    columns = list(matrix.columns)
    for y, row in enumerate(matrix.index):  # outline the cells of customers who stayed
        if row in columns:
            x = columns.index(row)
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, linewidth=1.5))
    ax.set_title("Segment migration (colour: share of the row)")
    return ax


def segment_flow(
    before: pd.Series,
    after: pd.Series,
    *,
    ax: Axes | None = None,
    gap: float = 0.02,
) -> Axes:
    """Draw an alluvial (flow) chart of the customers moving between segments.

    The segments at the first date are stacked on the left (then the new
    customers), those at the second date on the right (then the lost ones); a
    band joins each pair of segments, as wide as the customers who moved from
    one to the other. Drawn with matplotlib patches only.

    Parameters
    ----------
    before, after : Series
        Segment labels indexed by customer id at the two dates, as for
        :func:`behaviorseg.profiling.migration_matrix` (Categorical labels keep
        their order).
    ax : matplotlib Axes or None
        Where to draw.
    gap : float
        Vertical space between two stacked segments, as a share of the height,
        in [0, 0.2].

    Returns
    -------
    matplotlib Axes
        One ``PathPatch`` band per non-empty transition (coloured by the segment
        of origin; new customers in grey), one ``Rectangle`` per non-empty
        segment on each side, labelled with its name and customer count.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from behaviorseg.plotting import segment_flow
    >>> before = pd.Series({"a": "gold", "b": "gold", "c": "silver"})
    >>> after = pd.Series({"a": "gold", "b": "silver", "d": "gold"})
    >>> ax = segment_flow(before, after)
    >>> len([p for p in ax.patches if type(p).__name__ == "PathPatch"])  # 4 transitions
    4
    """
    validate_params({"gap": gap}, {"gap": [Interval(float, 0.0, 0.2)]}, owner="segment_flow")
    from matplotlib.patches import PathPatch, Rectangle

    from ..profiling._migration import migration_matrix

    matrix = migration_matrix(before, after)
    counts = matrix.to_numpy(dtype=np.float64)
    total = counts.sum()
    if total == 0:
        raise DataValidationError(
            "before and after hold no customer; pass the segment labels of the customers at "
            "each date"
        )
    out_sizes, in_sizes = counts.sum(axis=1), counts.sum(axis=0)
    width = 0.06

    def stack(sizes: np.ndarray) -> np.ndarray:
        """Top of each block, stacked from the top with gaps between non-empty blocks."""
        shown = sizes > 0
        scale = (1.0 - gap * max(int(shown.sum()) - 1, 0)) / total
        heights = sizes * scale
        tops = np.empty(len(sizes))
        y = 1.0
        for i, height in enumerate(heights):  # a loop over a few segments
            tops[i] = y
            y -= height + (gap if shown[i] else 0.0)
        return tops

    left_top, right_top = stack(out_sizes), stack(in_sizes)
    scale = (1.0 - gap * max(int((out_sizes > 0).sum()) - 1, 0)) / total
    right_scale = (1.0 - gap * max(int((in_sizes > 0).sum()) - 1, 0)) / total
    import matplotlib as mpl

    palette = mpl.colormaps["tab20" if len(out_sizes) > 10 else "tab10"]
    colours = [palette(i % palette.N) for i in range(len(out_sizes) - 1)] + ["0.6"]
    ax = _axes(ax, figsize=(8.0, 6.0))
    left_used = np.zeros(len(out_sizes))
    right_used = np.zeros(len(in_sizes))
    x0, x1 = width, 1.0 - width
    for i in range(counts.shape[0]):  # bands: a loop over the segment pairs
        for j in range(counts.shape[1]):
            if counts[i, j] == 0:
                continue
            l_high = left_top[i] - left_used[i]
            l_low = l_high - counts[i, j] * scale
            r_high = right_top[j] - right_used[j]
            r_low = r_high - counts[i, j] * right_scale
            left_used[i] += counts[i, j] * scale
            right_used[j] += counts[i, j] * right_scale
            path = _flow_path(x0, x1, (l_low, l_high), (r_low, r_high))
            ax.add_patch(PathPatch(path, facecolor=colours[i], alpha=0.45, linewidth=0))
    for side, sizes, tops, names, factor in (
        ("left", out_sizes, left_top, matrix.index, scale),
        ("right", in_sizes, right_top, matrix.columns, right_scale),
    ):
        x = 0.0 if side == "left" else x1
        for k, size in enumerate(sizes):  # blocks and labels: a loop over the segments
            if size == 0:
                continue
            height = size * factor
            colour = colours[k] if side == "left" else "0.35"
            ax.add_patch(Rectangle((x, tops[k] - height), width, height, color=colour))
            ax.text(
                -0.01 if side == "left" else 1.01,
                tops[k] - height / 2,
                f"{names[k]} ({int(size):,})",
                ha="right" if side == "left" else "left",
                va="center",
                fontsize=8,
            )
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(-0.02, 1.02)
    ax.axis("off")
    ax.set_title("Segment flow: before (left) to after (right)")
    return ax
