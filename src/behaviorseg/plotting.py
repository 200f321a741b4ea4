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

__all__ = [
    "churn_calibration",
    "churn_distribution",
    "funnel_chart",
    "kpi_intervals",
    "matrix_scatter",
    "rfm_heatmap",
    "segment_sizes",
]


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


def matrix_scatter(
    segmenter: Any,
    X: Any,
    *,
    max_points: int = 5000,
    random_state: int = 0,
    ax: Axes | None = None,
) -> Axes:
    """Draw a fitted 2x2 segmenter's customers on its two axes, with the learned thresholds.

    Works with :class:`~behaviorseg.segmenters.MatrixSegmenter`,
    :class:`~behaviorseg.segmenters.AssaelSegmenter` and
    :class:`~behaviorseg.segmenters.WalkerLoyaltySegmenter` (customers without an
    attitude score are not drawn: they have no position on that axis).

    Parameters
    ----------
    segmenter : fitted 2x2 segmenter
        Provides ``transform`` (the two axis scores), ``predict`` (the quadrant),
        ``thresholds_`` and ``get_feature_names_out``.
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
        One scatter collection per quadrant (legend = quadrant names), a vertical
        and a horizontal line at the thresholds, each quadrant's name in its corner.

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
    scores = np.asarray(segmenter.transform(X), dtype=np.float64)
    labels = np.asarray(segmenter.predict(X), dtype=object)
    names = [str(n) for n in segmenter.get_feature_names_out()]
    if scores.ndim != 2 or scores.shape[1] != 2:
        raise ValueError("matrix_scatter needs a segmenter whose transform returns two axis scores")
    drawn = np.isfinite(scores).all(axis=1)
    note = ""
    if drawn.sum() > max_points:
        rng = np.random.default_rng(random_state)
        keep = rng.choice(np.flatnonzero(drawn), size=max_points, replace=False)
        drawn = np.zeros(len(scores), dtype=bool)
        drawn[keep] = True
        note = f" (random {max_points:,} of {len(scores):,})"
    thresholds = list(segmenter.thresholds_.values())
    ax = _axes(ax, figsize=(6.5, 5.5))
    for name in segmenter.segments_:
        mine = drawn & (labels == name)
        ax.scatter(scores[mine, 0], scores[mine, 1], s=8, alpha=0.6, label=str(name))
    ax.axvline(thresholds[0], color="black", linewidth=1)
    ax.axhline(thresholds[1], color="black", linewidth=1)
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    for name in segmenter.segments_:
        mine = drawn & (labels == name)
        if not mine.any():
            continue
        right = np.median(scores[mine, 0]) > thresholds[0]
        top = np.median(scores[mine, 1]) > thresholds[1]
        ax.text(
            x_hi if right else x_lo,
            y_hi if top else y_lo,
            f" {name} ",
            ha="right" if right else "left",
            va="top" if top else "bottom",
            fontweight="bold",
        )
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.legend(loc="best", fontsize="small", markerscale=2)
    ax.set_title(f"{type(segmenter).__name__}: quadrants{note}")
    return ax


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
        For a per-segment table: the segment to draw (required then).
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
    missing = {"reached", "conversion_rate"} - set(conversion.columns)
    if missing:
        raise ValueError(
            f"conversion lacks columns {sorted(missing)}; pass the output of "
            f"behaviorseg.kpi.funnel_conversion"
        )
    table = conversion
    if isinstance(conversion.index, pd.MultiIndex):
        if segment is None:
            segments = list(conversion.index.get_level_values(0).unique())
            raise ValueError(f"a per-segment funnel needs segment=, one of {segments}")
        table = pd.DataFrame(conversion.xs(segment, level=0))
    if len(table) == 0:
        raise ValueError("the funnel has no stage to draw")
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
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        One point and error bar per segment; segments without a value are listed
        but not drawn.

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
    missing = [c for c in (value_col, low_col, high_col) if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}; available: {list(table.columns)}")
    if len(table) == 0:
        raise ValueError("the table has no segment to draw")
    value = table[value_col].to_numpy(dtype=np.float64)
    low = table[low_col].to_numpy(dtype=np.float64)
    high = table[high_col].to_numpy(dtype=np.float64)
    ax = _axes(ax, figsize=(6.5, 0.4 * len(table) + 1.5))
    y = np.arange(len(table))
    ok = np.isfinite(value)
    errors = np.vstack([value - low, high - value])[:, ok]
    ax.errorbar(value[ok], y[ok], xerr=errors, fmt="o", capsize=3)
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(y, [str(s) for s in table.index])
    ax.invert_yaxis()
    ax.set_xlabel(value_col)
    ax.set_title(f"{value_col} per segment with its interval")
    return ax


def churn_distribution(
    proba: Sequence[float] | np.ndarray | pd.Series,
    *,
    thresholds: Sequence[float] | None = None,
    bins: int = 20,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of churn probabilities with the risk-tier thresholds drawn.

    Parameters
    ----------
    proba : sequence of float
        Churn probabilities in [0, 1] (e.g. ``ChurnSegmenter.predict_proba(X)[:, 1]``).
    thresholds : sequence of float or None
        Tier cut points to draw (e.g. ``segmenter.thresholds``).
    bins : int
        Number of equal-width bins on [0, 1].
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        ``bins`` bars and one dashed vertical line per threshold.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from behaviorseg.plotting import churn_distribution
    >>> ax = churn_distribution([0.1, 0.5, 0.9], thresholds=(0.3, 0.7), bins=10)
    >>> len(ax.patches), len(ax.lines)
    (10, 2)
    """
    values = np.asarray(proba, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError("proba must be a non-empty 1-D sequence of probabilities")
    if not np.all((values >= 0) & (values <= 1)):
        raise ValueError("proba must hold probabilities in [0, 1]")
    ax = _axes(ax)
    ax.hist(values, bins=bins, range=(0.0, 1.0), color="tab:blue", edgecolor="white")
    for cut in thresholds or ():
        ax.axvline(float(cut), color="tab:red", linestyle="--", linewidth=1)
    ax.set_xlabel("churn probability")
    ax.set_ylabel("customers")
    ax.set_title("Churn probability" + (" and risk tiers" if thresholds else ""))
    return ax


def churn_calibration(
    y_true: Sequence[bool] | np.ndarray | pd.Series,
    proba: Sequence[float] | np.ndarray | pd.Series,
    *,
    n_bins: int = 10,
    ax: Axes | None = None,
) -> Axes:
    """Reliability curve: observed churn rate against predicted probability, by quantile bin.

    Parameters
    ----------
    y_true : sequence of bool
        What happened (True = churned).
    proba : sequence of float
        Predicted churn probabilities.
    n_bins : int
        Number of bins of (about) equal size, by predicted probability.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        The diagonal (perfect calibration) and one point per non-empty bin at
        (mean predicted, observed rate).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from behaviorseg.plotting import churn_calibration
    >>> p = np.linspace(0, 1, 200)
    >>> ax = churn_calibration(p > 0.5, p, n_bins=4)
    >>> len(ax.lines[1].get_xdata())
    4
    """
    truth = np.asarray(y_true, dtype=bool)
    values = np.asarray(proba, dtype=np.float64)
    if truth.shape != values.shape or values.ndim != 1 or len(values) == 0:
        raise ValueError("y_true and proba must be non-empty 1-D sequences of the same length")
    order = np.argsort(values, kind="stable")
    groups = np.array_split(order, min(n_bins, len(values)))
    predicted = np.array([values[g].mean() for g in groups if len(g)])
    observed = np.array([truth[g].mean() for g in groups if len(g)])
    ax = _axes(ax, figsize=(5.0, 5.0))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    ax.plot(predicted, observed, marker="o", label="model")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted churn probability")
    ax.set_ylabel("observed churn rate")
    ax.legend(loc="upper left")
    ax.set_title("Churn calibration")
    return ax
