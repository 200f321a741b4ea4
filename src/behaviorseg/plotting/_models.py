"""Diagnostic plots of the repeat-buying models (BG/NBD, MBG/NBD, Pareto/NBD).

The figures of Fader, Hardie & Lee (2005): P(alive) and expected purchases over
(frequency, recency), the distribution of repeat purchases in the calibration
period, the holdout purchases by calibration frequency, and the tracking of
repeat transactions week by week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_frame
from ..models._compare import _check_model, _holdout_predictions, _model_frame, tracking_table
from ._common import _axes, _positive_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "calibration_holdout_purchases",
    "expected_purchases_heatmap",
    "probability_alive_heatmap",
    "repeat_purchase_distribution",
    "tracking_curve",
]


def _frequency_recency_image(
    table: pd.DataFrame, *, label: str, title: str, ax: Axes | None, cmap: str
) -> Axes:
    """Draw a (recency x frequency) model matrix: frequency across, recency up."""
    values = table.to_numpy(dtype=np.float64)
    ax = _axes(ax, figsize=(7.0, 5.5))
    image = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap=cmap)
    ax.figure.colorbar(image, ax=ax, label=label)
    for axis, labels in ((ax.xaxis, table.columns), (ax.yaxis, table.index)):
        positions = np.unique(np.linspace(0, len(labels) - 1, min(len(labels), 11)).round())
        ticks = positions.astype(np.int64)
        axis.set_ticks(ticks, [f"{float(labels[i]):g}" for i in ticks])
    ax.set_xlabel("calibration frequency (repeat purchases)")
    ax.set_ylabel("calibration recency (age at the last purchase)")
    ax.set_title(title)
    return ax


def probability_alive_heatmap(
    model: Any,
    T: float,
    *,
    max_frequency: int,
    recency: Any = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
) -> Axes:
    """Draw P(alive) over (frequency, recency) for customers of age ``T``.

    The heat map of Fader, Hardie & Lee (2005): the values of the model's
    :meth:`~behaviorseg.models.BetaGeoModel.probability_alive_matrix`, frequency
    across, recency up. Histories that cannot happen (a repeat buyer with recency
    0, a one-time buyer with recency > 0) are left blank.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted.
    T : float
        The customers' age at the end of the window, in the summary's time unit.
    max_frequency : int
        Largest number of repeat purchases drawn.
    recency : array or None
        Ages at the last purchase (rows), within [0, T]; default 0, 1, ..., floor(T).
    ax : matplotlib Axes or None
        Where to draw.
    cmap : str
        Colour map name.

    Returns
    -------
    matplotlib Axes
        One image whose array is the matrix (rows = recency, columns = frequency).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import BetaGeoModel
    >>> from behaviorseg.plotting import probability_alive_heatmap
    >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
    >>> ax = probability_alive_heatmap(BetaGeoModel().fit(X), 52, max_frequency=20)
    >>> ax.images[0].get_array().shape
    (53, 21)
    """
    _check_model(model, "probability_alive_heatmap")
    table = model.probability_alive_matrix(T, max_frequency=max_frequency, recency=recency)
    return _frequency_recency_image(
        table,
        label="P(alive)",
        title=f"{type(model).__name__}: P(alive) at age T = {T:.4g}",
        ax=ax,
        cmap=cmap,
    )


def expected_purchases_heatmap(
    model: Any,
    t: float,
    T: float,
    *,
    max_frequency: int,
    recency: Any = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
) -> Axes:
    """Draw the expected purchases in the next ``t`` over (frequency, recency).

    The values of the model's
    :meth:`~behaviorseg.models.BetaGeoModel.expected_purchases_matrix` for customers
    of age ``T``, frequency across, recency up; impossible histories are blank.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted.
    t : float
        Length of the future period, in the summary's time unit.
    T : float
        The customers' age at the end of the window.
    max_frequency : int
        Largest number of repeat purchases drawn.
    recency : array or None
        Ages at the last purchase (rows), within [0, T]; default 0, 1, ..., floor(T).
    ax : matplotlib Axes or None
        Where to draw.
    cmap : str
        Colour map name.

    Returns
    -------
    matplotlib Axes
        One image whose array is the matrix (rows = recency, columns = frequency).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import BetaGeoModel
    >>> from behaviorseg.plotting import expected_purchases_heatmap
    >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
    >>> ax = expected_purchases_heatmap(BetaGeoModel().fit(X), 13, 52, max_frequency=20)
    >>> ax.get_xlabel()
    'calibration frequency (repeat purchases)'
    """
    _check_model(model, "expected_purchases_heatmap")
    table = model.expected_purchases_matrix(t, T, max_frequency=max_frequency, recency=recency)
    return _frequency_recency_image(
        table,
        label=f"expected purchases in the next {t:g}",
        title=f"{type(model).__name__}: expected purchases in the next {t:g} (age T = {T:.4g})",
        ax=ax,
        cmap=cmap,
    )


def _frequency_bins(frequency: np.ndarray, max_frequency: int) -> tuple[np.ndarray, list[str]]:
    """Bin of each customer (0, 1, ..., max_frequency = "max_frequency+") and the labels."""
    bins = np.minimum(frequency, max_frequency).astype(np.int64)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    return bins, labels


def repeat_purchase_distribution(
    model: Any,
    X: pd.DataFrame,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Bars of the customers with 0, 1, 2, ... repeat purchases: observed and expected.

    The expected count of customers with ``n`` repeat purchases is the sum over the
    customers of the model's probability that a new customer makes exactly ``n``
    repeat purchases in their calibration time ``T`` (``probability_of_n_purchases``
    of a customer with frequency, recency and T all 0): the exact expectation,
    as in Fader, Hardie & Lee (2005, figure 2), rather than a simulation (no seed,
    no sampling noise). The last bar gathers ``max_frequency`` and more.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted on ``X``.
    X : DataFrame
        The calibration summary (``clv_summary``, or a ``calibration_holdout_split``
        table whose ``_cal`` columns are read).
    max_frequency : int
        The last bar holds the customers with this many repeat purchases or more.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        Two bar containers, ``ax.containers[0]`` observed and ``[1]`` expected,
        ``max_frequency + 1`` bars each.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import BetaGeoModel
    >>> from behaviorseg.plotting import repeat_purchase_distribution
    >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
    >>> ax = repeat_purchase_distribution(BetaGeoModel().fit(X), X)
    >>> int(sum(bar.get_height() for bar in ax.containers[0]))  # every customer once
    2357
    """
    _check_model(model, "repeat_purchase_distribution")
    _positive_int("repeat_purchase_distribution", max_frequency=max_frequency)
    frame = _model_frame(model, check_frame(X, name="X"), name="X")
    frequency = frame[model.frequency_col].to_numpy(dtype=np.float64)
    ages, weights = np.unique(frame[model.T_col].to_numpy(dtype=np.float64), return_counts=True)
    new = np.zeros((len(ages), 3))
    expected = np.array(
        [
            weights @ np.asarray(model.probability_of_n_purchases(new, ages, n), dtype=np.float64)
            for n in range(max_frequency)
        ]
    )
    expected = np.append(expected, len(frame) - expected.sum())
    bins, labels = _frequency_bins(frequency, max_frequency)
    observed = np.bincount(bins, minlength=max_frequency + 1)
    ax = _axes(ax, figsize=(7.0, 4.5))
    x = np.arange(max_frequency + 1)
    ax.bar(x - 0.2, observed, width=0.4, label="observed")
    ax.bar(x + 0.2, expected, width=0.4, label=f"expected ({type(model).__name__})")
    ax.set_xticks(x, labels)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("customers")
    ax.legend()
    ax.set_title("Repeat purchases: observed and expected")
    return ax


def calibration_holdout_purchases(
    model: Any,
    split: pd.DataFrame,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Mean holdout purchases by calibration frequency: actual and predicted.

    The conditional-expectation check of Fader, Hardie & Lee (2005, figure 5):
    customers are grouped by their calibration repeat purchases (the last group
    gathers ``max_frequency`` and more); each group is one point at its mean
    ``frequency_holdout`` (actual) and one at its mean
    ``expected_purchases(duration_holdout)`` (predicted).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted on the calibration columns of ``split``.
    split : DataFrame
        The output of :func:`~behaviorseg.summaries.calibration_holdout_split`.
    max_frequency : int
        The last group holds the customers with this many calibration repeat
        purchases or more.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        Two lines, ``ax.lines[0]`` actual and ``[1]`` predicted, one point per
        non-empty group.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import BetaGeoModel
    >>> from behaviorseg.plotting import calibration_holdout_purchases
    >>> split = bs.calibration_holdout_split(
    ...     bs.datasets.load_cdnow(), calibration_end="1997-09-30", as_of="1998-06-30",
    ...     freq_multiplier=7,
    ... )
    >>> model = BetaGeoModel(frequency_col="frequency_cal", recency_col="recency_cal",
    ...                      T_col="T_cal").fit(split)
    >>> ax = calibration_holdout_purchases(model, split)
    >>> len(ax.lines[0].get_ydata())
    8
    """
    _check_model(model, "calibration_holdout_purchases")
    _positive_int("calibration_holdout_purchases", max_frequency=max_frequency)
    split = check_frame(split, name="split")
    predicted, actual = _holdout_predictions(model, split)
    frequency = _model_frame(model, split, name="split")[model.frequency_col].to_numpy()
    bins, labels = _frequency_bins(frequency, max_frequency)
    size = np.bincount(bins, minlength=max_frequency + 1)
    shown = np.flatnonzero(size)
    sum_actual = np.bincount(bins, weights=actual, minlength=max_frequency + 1)[shown]
    sum_predicted = np.bincount(bins, weights=predicted, minlength=max_frequency + 1)[shown]
    ax = _axes(ax, figsize=(7.0, 4.5))
    ax.plot(shown, sum_actual / size[shown], marker="o", label="actual")
    ax.plot(
        shown,
        sum_predicted / size[shown],
        marker="s",
        linestyle="--",
        label=f"predicted ({type(model).__name__})",
    )
    ax.set_xticks(np.arange(max_frequency + 1), labels)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout")
    ax.legend()
    ax.set_title("Holdout purchases by calibration frequency")
    return ax


def tracking_curve(
    model: Any,
    tracking: pd.DataFrame,
    *,
    cumulative: bool = True,
    period: float = 1.0,
    ax: Axes | None = None,
) -> Axes:
    """Actual and expected repeat transactions over calibration and holdout.

    The tracking figures of Fader, Hardie & Lee (2005, figures 3 and 4): the
    values of :func:`behaviorseg.models.tracking_table`, cumulative (the default)
    or per tracking period, with a vertical line at the calibration end (t = 0).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted on the calibration summary of the same customers.
    tracking : DataFrame
        The output of :func:`behaviorseg.models.purchase_tracking`.
    cumulative : bool
        Draw the cumulative curves (True) or the transactions per period (False).
    period : float
        Length of a tracking period, in the summary's time unit.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        ``ax.lines[0]`` actual and ``[1]`` predicted (x = the end of each tracking
        period, counted from the calibration end), then the calibration-end line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import BetaGeoModel, purchase_tracking
    >>> from behaviorseg.plotting import tracking_curve
    >>> tx = bs.datasets.load_cdnow()
    >>> windows = {"calibration_end": "1997-09-30", "as_of": "1998-06-30"}
    >>> split = bs.calibration_holdout_split(tx, **windows, freq_multiplier=7)
    >>> model = BetaGeoModel(frequency_col="frequency_cal", recency_col="recency_cal",
    ...                      T_col="T_cal").fit(split)
    >>> ax = tracking_curve(model, purchase_tracking(tx, **windows, freq_multiplier=7))
    >>> int(ax.lines[0].get_ydata()[-1])  # repeat transactions in weeks 1-78
    4339
    """
    if not isinstance(cumulative, (bool, np.bool_)):
        raise TypeError(f"cumulative={cumulative!r} must be True or False")
    table = tracking_table(model, tracking, period=period)
    if cumulative:
        actual, predicted = table["cumulative_actual"], table["cumulative_predicted"]
        what = "cumulative repeat transactions"
    else:
        actual, predicted = table["actual"], table["predicted"]
        what = "repeat transactions per period" + (
            f" ({period:g} time units)" if period != 1 else ""
        )
    ax = _axes(ax, figsize=(8.0, 4.5))
    ax.plot(table.index, actual.to_numpy(), label="actual")
    ax.plot(table.index, predicted.to_numpy(), linestyle="--", label=f"{type(model).__name__}")
    ax.axvline(0.0, color="grey", linestyle=":", linewidth=1)
    ax.text(
        0.0,
        0.98,
        " calibration end",
        transform=ax.get_xaxis_transform(),
        ha="left",
        va="top",
        color="grey",
    )
    ax.set_xlabel("time since the calibration end (the summary's unit)")
    ax.set_ylabel(what)
    ax.legend(loc="upper left" if cumulative else "upper right")
    ax.set_title(f"Tracking: {what}")
    return ax
