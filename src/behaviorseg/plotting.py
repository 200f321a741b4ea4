"""Plots for segments and KPIs (optional: needs the ``plot`` extra, i.e. matplotlib).

Nothing inside behaviorseg imports this module, and it imports matplotlib only when a
function is called, so ``import behaviorseg`` never loads matplotlib. Every function
takes ``ax=None`` (a new figure is made when omitted) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["rfm_heatmap", "segment_sizes"]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.5)) -> Axes:
    """Return ``ax`` or a new Axes, with a clear error when matplotlib is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - exercised without the extra
        raise ImportError(
            "behaviorseg.plotting needs matplotlib: pip install 'behaviorseg[plot]'"
        ) from err
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def rfm_heatmap(
    scores: Any,
    *,
    monetary: Sequence[float] | pd.Series | None = None,
    n_bins: int | None = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
) -> Axes:
    """Draw the recency x frequency grid: customers per cell, or mean monetary value.

    Parameters
    ----------
    scores : array-like or DataFrame of shape (n_customers, >= 2)
        The output of ``RFMSegmenter.transform``: column 0 is the recency
        score, column 1 the frequency score.
    monetary : sequence of float or None
        Per-customer monetary values; when given, cells show their mean instead
        of the customer count.
    n_bins : int or None
        Scores per axis (default: the largest score seen).
    ax : matplotlib Axes or None
        Where to draw.
    cmap : str
        Colour map name.

    Returns
    -------
    matplotlib Axes
        The heatmap, recency score on the x axis, frequency score on the y axis,
        each cell annotated with its value.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from behaviorseg.plotting import rfm_heatmap
    >>> ax = rfm_heatmap(np.array([[5, 5], [1, 1], [5, 4]]), n_bins=5)
    >>> ax.get_xlabel()
    'recency score (5 = most recent)'
    """
    arr = np.asarray(scores)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError("scores must have at least two columns: recency and frequency scores")
    r = arr[:, 0].astype(np.int64)
    f = arr[:, 1].astype(np.int64)
    size = int(n_bins if n_bins is not None else max(r.max(), f.max()))
    if r.min() < 1 or f.min() < 1 or max(r.max(), f.max()) > size:
        raise ValueError(f"scores must lie in 1..{size}")
    cell = (f - 1) * size + (r - 1)
    counts = np.bincount(cell, minlength=size * size).reshape(size, size)
    if monetary is not None:
        values = np.asarray(monetary, dtype=np.float64)
        if values.shape != r.shape:
            raise ValueError("monetary must have one value per row of scores")
        totals = np.bincount(cell, weights=values, minlength=size * size).reshape(size, size)
        with np.errstate(invalid="ignore", divide="ignore"):
            grid = np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)
        label, fmt = "mean monetary value", "{:,.0f}"
    else:
        grid, label, fmt = counts.astype(np.float64), "customers", "{:,.0f}"

    ax = _axes(ax)
    image = ax.imshow(grid, origin="lower", cmap=cmap, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label=label)
    ticks = np.arange(size)
    ax.set_xticks(ticks, [str(t + 1) for t in ticks])
    ax.set_yticks(ticks, [str(t + 1) for t in ticks])
    ax.set_xlabel("recency score (5 = most recent)" if size == 5 else "recency score")
    ax.set_ylabel("frequency score")
    ax.set_title(f"RFM grid: {label} per cell")
    finite = grid[np.isfinite(grid)]
    middle = float(finite.mean()) if finite.size else 0.0
    for (y, x), value in np.ndenumerate(grid):
        if np.isfinite(value):
            ax.text(
                x,
                y,
                fmt.format(value),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value < middle else "black",
            )
    return ax


def segment_sizes(
    labels: Sequence[str] | pd.Series | np.ndarray,
    *,
    revenue: Sequence[float] | pd.Series | None = None,
    order: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw each segment's share of customers (and of revenue) as horizontal bars.

    Parameters
    ----------
    labels : sequence of str
        One segment name per customer (the output of ``predict``).
    revenue : sequence of float or None
        Per-customer revenue; adds a second bar per segment with its revenue share.
    order : sequence of str or None
        Segment order (e.g. ``segmenter.segments_``); empty segments are shown.
        Default: the order of a Categorical, else by size.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        One bar per segment (two with ``revenue``); shares in percent.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from behaviorseg.plotting import segment_sizes
    >>> ax = segment_sizes(["a", "b", "a"], revenue=[10.0, 30.0, 20.0])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    """
    series = pd.Series(labels)
    if order is None:
        if isinstance(series.dtype, pd.CategoricalDtype):
            order = list(series.cat.categories)
        else:
            order = list(series.value_counts().index)
    names = pd.Index([str(s) for s in order])
    counts = series.value_counts().reindex(names, fill_value=0)
    share = 100 * counts / counts.sum()
    ax = _axes(ax, figsize=(7.0, 0.45 * len(order) + 1.5))
    y = np.arange(len(order))
    height = 0.4 if revenue is not None else 0.7
    ax.barh(y, share.to_numpy(), height=height, label="customers")
    if revenue is not None:
        money = pd.Series(np.asarray(revenue, dtype=np.float64), index=series.index)
        if len(money) != len(series):
            raise ValueError("revenue must have one value per label")
        per_segment = money.groupby(series.to_numpy()).sum().reindex(names, fill_value=0.0)
        total = per_segment.sum()
        rev_share = 100 * per_segment / total if total else per_segment * np.nan
        ax.barh(y + height, rev_share.to_numpy(), height=height, label="revenue")
        ax.legend(loc="lower right")
    ax.set_yticks(y + (height / 2 if revenue is not None else 0), list(names))
    ax.invert_yaxis()
    ax.set_xlabel("share (%)")
    ax.set_title("Segment sizes" + (" and revenue share" if revenue is not None else ""))
    return ax
