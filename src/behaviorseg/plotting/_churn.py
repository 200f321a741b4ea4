"""Plots of churn scores: their distribution, calibration and cumulative gains."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..exceptions import DataValidationError
from ..segmenters.churn import ChurnSegmenter
from ._common import _axes, _positive_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["churn_calibration", "churn_distribution", "churn_lift"]


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
