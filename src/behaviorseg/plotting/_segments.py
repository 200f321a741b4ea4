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
from sklearn.utils.validation import check_is_fitted

from .._validation import Interval, check_columns, check_frame, validate_params
from ..exceptions import DataValidationError, SchemaError
from ..segmenters.churn import ChurnSegmenter
from ..segmenters.matrix import _MatrixCore

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "churn_calibration",
    "churn_distribution",
    "churn_lift",
    "funnel_chart",
    "kpi_intervals",
    "matrix_scatter",
    "migration_heatmap",
    "rfm_heatmap",
    "segment_flow",
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
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def _positive_int(owner: str, **params: object) -> None:
    """Raise ValueError naming the first parameter that is not an int >= 1."""
    validate_params(params, {k: [Interval(int, 1, None)] for k in params}, owner=owner)


def _probabilities(values: Any, *, name: str) -> np.ndarray:
    """Return a non-empty 1-D float array of probabilities in [0, 1], else raise."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or len(arr) == 0:
        raise DataValidationError(
            f"{name} has shape {arr.shape}; pass a non-empty 1-D sequence of probabilities, "
            f"e.g. segmenter.predict_proba(X)[:, 1]"
        )
    bad = ~((arr >= 0) & (arr <= 1))  # NaN included
    if bad.any():
        raise DataValidationError(
            f"{name} has {int(bad.sum())} values outside [0, 1] or NaN; pass churn "
            f"probabilities (drop or impute the missing ones first)"
        )
    return arr


def _outcomes(y_true: Any, n: int) -> np.ndarray:
    """Return the churn outcomes as booleans, one per probability, else raise."""
    truth = np.asarray(y_true)
    if truth.shape != (n,):
        raise DataValidationError(
            f"y_true has shape {truth.shape} but proba has {n} values; y_true and proba must "
            f"be 1-D and of the same length (one outcome per customer)"
        )
    if truth.dtype.kind == "f" and np.isnan(truth).any():
        raise DataValidationError(
            "y_true has missing outcomes; drop the customers whose outcome is unknown first"
        )
    return truth.astype(bool)


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


def churn_distribution(
    proba: Sequence[float] | np.ndarray | pd.Series,
    *,
    thresholds: Sequence[float] | None = None,
    segmenter: ChurnSegmenter | None = None,
    bins: int = 20,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of churn probabilities with the risk-tier thresholds drawn.

    Parameters
    ----------
    proba : sequence of float
        Churn probabilities in [0, 1] (e.g. ``ChurnSegmenter.predict_proba(X)[:, 1]``).
    thresholds : sequence of float or None
        Tier cut points to draw.
    segmenter : fitted ChurnSegmenter or None
        Alternative to ``thresholds``: draw its ``thresholds`` and write its tier
        names (``segments_``) above the tiers.
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
    _positive_int("churn_distribution", bins=bins)
    values = _probabilities(proba, name="proba")
    tiers: list[str] = []
    if segmenter is not None:
        if thresholds is not None:
            raise ValueError(
                "churn_distribution: pass thresholds= or segmenter=, not both (the "
                "segmenter's thresholds are drawn)"
            )
        if not isinstance(segmenter, ChurnSegmenter):
            raise TypeError(
                f"churn_distribution: segmenter must be a fitted ChurnSegmenter, got "
                f"{type(segmenter).__name__}; pass thresholds= for other models"
            )
        check_is_fitted(segmenter, "segments_")
        thresholds, tiers = tuple(segmenter.thresholds), list(segmenter.segments_)
    cuts = np.asarray(thresholds if thresholds is not None else (), dtype=np.float64)
    if cuts.ndim != 1 or not np.all((cuts > 0) & (cuts < 1)) or np.any(np.diff(cuts) <= 0):
        raise ValueError(
            f"churn_distribution: thresholds={thresholds!r} must be increasing "
            f"probabilities in (0, 1)"
        )
    ax = _axes(ax)
    ax.hist(values, bins=bins, range=(0.0, 1.0), color="tab:blue", edgecolor="white")
    for cut in cuts:
        ax.axvline(float(cut), color="tab:red", linestyle="--", linewidth=1)
    edges = np.concatenate([[0.0], cuts, [1.0]])
    if tiers:
        ax.set_ylim(top=ax.get_ylim()[1] * 1.12)  # headroom: the tier names sit above the bars
    for name, lo, hi in zip(tiers, edges[:-1], edges[1:], strict=False):  # no tiers: none
        ax.text(
            (lo + hi) / 2,
            0.97,
            name,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            color="tab:red",
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )
    ax.set_xlabel("churn probability")
    ax.set_ylabel("customers")
    ax.set_title("Churn probability" + (" and risk tiers" if len(cuts) else ""))
    return ax


def churn_calibration(
    y_true: Sequence[bool] | np.ndarray | pd.Series,
    proba: Sequence[float] | np.ndarray | pd.Series,
    *,
    n_bins: int = 10,
    ax: Axes | None = None,
) -> Axes:
    """Reliability curve: observed churn rate against predicted probability, by quantile bin.

    Customers are sorted by predicted probability (ties in input order) and cut
    into ``n_bins`` groups of (about) equal size; each group is one point at its
    mean prediction and its observed churn rate.

    Parameters
    ----------
    y_true : sequence of bool
        What happened (True = churned), e.g. from a holdout period.
    proba : sequence of float
        Predicted churn probabilities.
    n_bins : int
        Number of bins.
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
    _positive_int("churn_calibration", n_bins=n_bins)
    values = _probabilities(proba, name="proba")
    truth = _outcomes(y_true, len(values))
    order = np.argsort(values, kind="stable")
    n_groups = min(n_bins, len(values))
    bin_of = np.empty(len(values), dtype=np.int64)
    bin_of[order] = np.arange(len(values)) * n_groups // len(values)
    size = np.bincount(bin_of, minlength=n_groups)
    predicted = np.bincount(bin_of, weights=values, minlength=n_groups) / size
    observed = np.bincount(bin_of, weights=truth.astype(np.float64), minlength=n_groups) / size
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


def churn_lift(
    y_true: Sequence[bool] | np.ndarray | pd.Series,
    proba: Sequence[float] | np.ndarray | pd.Series,
    *,
    n_bins: int = 10,
    ax: Axes | None = None,
) -> Axes:
    """Cumulative gains: the share of all churners reached by targeting the riskiest customers.

    Customers are sorted by predicted probability, highest first (ties in input
    order), and cut into ``n_bins`` groups of (about) equal size. Point ``k`` is at
    (share of customers in the top ``k`` groups, share of all churners among
    them); the diagonal is random targeting. The title gives the lift of the top
    group: its churn rate divided by the overall churn rate.

    Parameters
    ----------
    y_true : sequence of bool
        What happened (True = churned); at least one churner.
    proba : sequence of float
        Predicted churn probabilities.
    n_bins : int
        Number of groups (10 = deciles).
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        The diagonal (random targeting) and the gains curve from (0, 0) to (1, 1),
        ``n_bins + 1`` points.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from behaviorseg.plotting import churn_lift
    >>> p = np.linspace(0, 1, 100)
    >>> ax = churn_lift(p >= 0.9, p, n_bins=10)
    >>> float(ax.lines[1].get_ydata()[1])  # the top decile holds every churner
    1.0
    """
    _positive_int("churn_lift", n_bins=n_bins)
    values = _probabilities(proba, name="proba")
    truth = _outcomes(y_true, len(values))
    total = int(truth.sum())
    if total == 0:
        raise DataValidationError(
            "y_true has no churner; gains and lift need at least one customer with "
            "y_true=True (check the outcome column or the holdout period)"
        )
    n = len(values)
    order = np.argsort(-values, kind="stable")
    n_groups = min(n_bins, n)
    ends = (np.arange(1, n_groups + 1) * n) // n_groups  # customers in the top k groups
    caught = np.concatenate([[0], np.cumsum(truth[order])])[ends]
    share_targeted = np.concatenate([[0.0], ends / n])
    gains = np.concatenate([[0.0], caught / total])
    top_lift = (caught[0] / ends[0]) / (total / n)
    ax = _axes(ax, figsize=(5.0, 5.0))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="random")
    ax.plot(share_targeted, gains, marker="o", label="model")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("share of customers targeted (riskiest first)")
    ax.set_ylabel("share of churners reached")
    ax.legend(loc="lower right")
    ax.set_title(f"Cumulative gains (top {1 / n_groups:.0%}: lift {top_lift:.1f})")
    return ax


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
