"""Plots of segments: the RFM grid, segment sizes and the 2x2 quadrants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..exceptions import DataValidationError
from ..segmenters.matrix import _MatrixCore
from ._common import _axes, _positive_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["matrix_scatter", "rfm_heatmap", "segment_sizes"]


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
    if n_bins is not None:
        _positive_int("rfm_heatmap", n_bins=n_bins)
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise DataValidationError(
            f"scores has shape {arr.shape}; it needs two columns, the recency and frequency "
            f"scores: pass RFMSegmenter.transform(customers)"
        )
    if len(arr) == 0:
        raise DataValidationError("scores is empty (0 rows); there is no customer to draw")
    rf = arr[:, :2]
    if not np.isfinite(rf).all() or not np.array_equal(rf, np.round(rf)):
        raise DataValidationError(
            "scores must hold whole, non-missing recency and frequency scores in their first "
            "two columns; pass RFMSegmenter.transform(customers)"
        )
    r = rf[:, 0].astype(np.int64)
    f = rf[:, 1].astype(np.int64)
    size = int(n_bins if n_bins is not None else max(r.max(), f.max(), 1))
    if r.min() < 1 or f.min() < 1 or max(r.max(), f.max()) > size:
        raise DataValidationError(
            f"scores must lie in 1..{size}; pass n_bins= the segmenter's number of scores"
        )
    cell = (f - 1) * size + (r - 1)
    counts = np.bincount(cell, minlength=size * size).reshape(size, size)
    if monetary is not None:
        values = np.asarray(monetary, dtype=np.float64)
        if values.shape != r.shape:
            raise DataValidationError(
                f"monetary has shape {values.shape} for {len(r)} rows of scores; pass one "
                f"value per customer, in the same order"
            )
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
    if len(series) == 0:
        raise DataValidationError("labels is empty; pass one segment name per customer")
    if series.isna().any():
        raise DataValidationError(
            f"labels has {int(series.isna().sum())} missing segment names; every customer "
            f"needs a segment (label the rest e.g. 'unknown' first)"
        )
    if order is None:
        if isinstance(series.dtype, pd.CategoricalDtype):
            order = list(series.cat.categories)
        else:
            order = list(series.value_counts().index)
    names = pd.Index([str(s) for s in order])
    series = series.astype(str)
    unlisted = sorted(set(series.unique()) - set(names))
    if unlisted:
        raise DataValidationError(
            f"labels has segments {unlisted[:5]} that are not in order; add them to order "
            f"(e.g. order=segmenter.segments_) or leave order=None"
        )
    counts = series.value_counts().reindex(names, fill_value=0)
    share = 100 * counts / counts.sum()
    ax = _axes(ax, figsize=(7.0, 0.45 * len(order) + 1.5))
    y = np.arange(len(order))
    height = 0.4 if revenue is not None else 0.7
    ax.barh(y, share.to_numpy(), height=height, label="customers")
    if revenue is not None:
        amounts = np.asarray(revenue, dtype=np.float64)
        if amounts.shape != (len(series),):
            raise DataValidationError(
                f"revenue has shape {amounts.shape} for {len(series)} labels; pass one "
                f"value per customer, in the same order"
            )
        money = pd.Series(amounts, index=series.index)
        per_segment = money.groupby(series.to_numpy()).sum().reindex(names, fill_value=0.0)
        total = per_segment.sum()
        rev_share = 100 * per_segment / total if total else per_segment * np.nan
        ax.barh(y + height, rev_share.to_numpy(), height=height, label="revenue")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never on a bar
    ax.set_yticks(y + (height / 2 if revenue is not None else 0), list(names))
    ax.invert_yaxis()
    ax.set_xlabel("share (%)")
    ax.set_title("Segment sizes" + (" and revenue share" if revenue is not None else ""))
    return ax


def matrix_scatter(
    segmenter: Any,
    X: Any,
    *,
    max_points: int = 5000,
    random_state: int = 0,
    ax: Axes | None = None,
) -> Axes:
    """Draw a fitted 2x2 segmenter's customers on its two axes, with the learned thresholds.

    The axes are the two scores (``transform`` plus the thresholds, i.e. in the
    units of ``thresholds_``). Works with
    :class:`~behaviorseg.segmenters.MatrixSegmenter`,
    :class:`~behaviorseg.segmenters.AssaelSegmenter` and
    :class:`~behaviorseg.segmenters.WalkerLoyaltySegmenter` (customers without an
    attitude score have no position on that axis: they are not drawn, and the
    title counts them).

    Parameters
    ----------
    segmenter : MatrixSegmenter, AssaelSegmenter or WalkerLoyaltySegmenter
        Fitted; its ``transform`` gives the two axis scores, ``predict`` the
        quadrant, ``thresholds_`` the cut on each axis.
    X : DataFrame or array
        The customers to draw, as passed to ``predict``.
    max_points : int
        Larger inputs are subsampled (seeded) to this many points; the title says so.
    random_state : int
        Seed of the subsample.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        One scatter collection per drawn segment (legend = segment names), a vertical
        and a horizontal line at the thresholds, each quadrant's name in its corner.

    Raises
    ------
    TypeError
        If ``segmenter`` is not a 2x2 segmenter.
    sklearn.exceptions.NotFittedError
        If it is not fitted.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from behaviorseg.segmenters import MatrixSegmenter
    >>> from behaviorseg.plotting import matrix_scatter
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> seg = MatrixSegmenter().fit(X)
    >>> ax = matrix_scatter(seg, X)
    >>> ax.get_xlabel()
    'x_score'
    """
    _positive_int("matrix_scatter", max_points=max_points)
    if not isinstance(segmenter, _MatrixCore):
        raise TypeError(
            f"matrix_scatter draws a fitted 2x2 segmenter (MatrixSegmenter, AssaelSegmenter, "
            f"WalkerLoyaltySegmenter), got {type(segmenter).__name__}"
        )
    check_is_fitted(segmenter, "thresholds_")
    thresholds = np.array(list(segmenter.thresholds_.values()), dtype=np.float64)
    # transform gives each score minus its threshold: add it back to draw the scores
    # themselves, with the lines at the learned thresholds.
    scores = np.asarray(segmenter.transform(X), dtype=np.float64) + thresholds
    labels = np.asarray(segmenter.predict(X), dtype=object)
    names = [str(n) for n in segmenter.get_feature_names_out()]
    drawn = np.isfinite(scores).all(axis=1)
    unscored = int((~drawn).sum())
    note = ""
    if drawn.sum() > max_points:
        rng = np.random.default_rng(random_state)
        keep = rng.choice(np.flatnonzero(drawn), size=max_points, replace=False)
        drawn = np.zeros(len(scores), dtype=bool)
        drawn[keep] = True
        note = f" (random {max_points:,} of {len(scores):,})"
    if unscored:
        note += f"\n{unscored:,} customers without both scores not drawn"
    ax = _axes(ax, figsize=(6.5, 5.5))
    colours = {name: f"C{i % 10}" for i, name in enumerate(segmenter.segments_)}
    for name in segmenter.segments_:
        mine = drawn & (labels == name)
        if not mine.any():
            continue
        ax.scatter(
            scores[mine, 0], scores[mine, 1], s=8, alpha=0.6, color=colours[name], label=str(name)
        )
    ax.axvline(thresholds[0], color="black", linewidth=1)
    ax.axhline(thresholds[1], color="black", linewidth=1)
    for name in segmenter.segments_:
        mine = drawn & (labels == name)
        if not mine.any():
            continue
        right = bool(np.median(scores[mine, 0]) > thresholds[0])
        top = bool(np.median(scores[mine, 1]) > thresholds[1])
        ax.text(
            0.98 if right else 0.02,
            0.98 if top else 0.02,
            str(name),
            transform=ax.transAxes,
            ha="right" if right else "left",
            va="top" if top else "bottom",
            fontweight="bold",
            color=colours[name],
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", markerscale=2)
    ax.set_title(f"{type(segmenter).__name__}: quadrants{note}")
    return ax
