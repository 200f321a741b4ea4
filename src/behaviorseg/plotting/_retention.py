"""Plots of contractual retention: survival and retention curves, residual value by tenure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._common import _axes, _positive_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["derl_by_tenure", "retention_curve", "survival_curve"]


def _check_model(model: Any, owner: str) -> None:
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(model, "survival_function") or not hasattr(model, "retention_rate"):
        raise TypeError(f"{owner} needs a fitted ShiftedBetaGeoModel, got {type(model).__name__}")
    check_is_fitted(model, "params_")


def _survivors(survivors: Any, owner: str) -> np.ndarray:
    counts = np.asarray(survivors, dtype=np.float64).ravel()
    if len(counts) < 2 or not np.all(np.isfinite(counts)) or counts[0] <= 0:
        raise ValueError(
            f"{owner}: survivors must hold at least two finite counts, the first (the "
            f"cohort's size) > 0"
        )
    return counts


def survival_curve(
    model: Any,
    *,
    survivors: Any = None,
    n_periods: int = 12,
    calibration_periods: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The share of a cohort still subscribed after each renewal, model against actual.

    Draws the fitted ``S(t)`` for ``t = 0..n_periods`` (as survivors of the
    cohort when ``survivors`` is given), the actual survivor counts as dots and,
    with ``calibration_periods``, a vertical line where the fitted data ends (the
    projection of Fader & Hardie, 2007, figure 3).

    Parameters
    ----------
    model : ShiftedBetaGeoModel
        Fitted.
    survivors : sequence of numbers or None
        The cohort's actual counts at periods 0, 1, 2, ...
    n_periods : int
        Last period drawn.
    calibration_periods : int or None
        Periods the model was fitted on (a dotted line there).
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        ``ax.lines[0]`` the model curve, then the actual counts if given.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from behaviorseg.models import ShiftedBetaGeoModel
    >>> from behaviorseg.plotting import survival_curve
    >>> from behaviorseg.summaries import tenures_from_survivors
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
    >>> table = tenures_from_survivors(regular[:8])
    >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
    >>> ax = survival_curve(model, survivors=regular, calibration_periods=7)
    >>> round(float(ax.lines[0].get_ydata()[12]))  # projected survivors in year 12
    170
    """
    _check_model(model, "survival_curve")
    _positive_int("survival_curve", n_periods=n_periods)
    t = np.arange(n_periods + 1)
    scale = 1.0
    actual = None
    if survivors is not None:
        actual = _survivors(survivors, "survival_curve")
        scale = float(actual[0])
    ax = _axes(ax)
    ax.plot(t, scale * model.survival_function(t), label=f"{type(model).__name__}")
    if actual is not None:
        ax.plot(np.arange(len(actual)), actual, "o", color="black", markersize=4, label="actual")
    if calibration_periods is not None:
        ax.axvline(calibration_periods, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("renewal decisions since sign-up (periods)")
    ax.set_ylabel("subscribers still active" if actual is not None else "share still active")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right")
    ax.set_title("Survival curve")
    return ax


def retention_curve(
    model: Any,
    *,
    survivors: Any = None,
    n_periods: int = 12,
    ax: Axes | None = None,
) -> Axes:
    """Period-by-period retention rates, model against actual.

    The fitted ``r(t) = S(t) / S(t - 1)`` rises with tenure as the least loyal
    leave first (Fader & Hardie, 2007, figure 4); the actual rates are the
    ratios of consecutive survivor counts.

    Parameters
    ----------
    model : ShiftedBetaGeoModel
        Fitted.
    survivors : sequence of numbers or None
        The cohort's actual counts at periods 0, 1, 2, ...
    n_periods : int
        Last renewal decision drawn.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        ``ax.lines[0]`` the model rates (t = 1..n_periods), then the actual ones.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from behaviorseg.models import ShiftedBetaGeoModel
    >>> from behaviorseg.plotting import retention_curve
    >>> from behaviorseg.summaries import tenures_from_survivors
    >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
    >>> ax = retention_curve(model, survivors=[1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(float(ax.lines[1].get_ydata()[0]), 3)  # 631 / 1000
    0.631
    """
    _check_model(model, "retention_curve")
    _positive_int("retention_curve", n_periods=n_periods)
    t = np.arange(1, n_periods + 1)
    ax = _axes(ax)
    ax.plot(t, model.retention_rate(t), label=f"{type(model).__name__}")
    if survivors is not None:
        actual = _survivors(survivors, "retention_curve")
        ax.plot(
            np.arange(1, len(actual)),
            actual[1:] / actual[:-1],
            "o",
            color="black",
            markersize=4,
            label="actual",
        )
    ax.set_xlabel("renewal decision t")
    ax.set_ylabel("retention rate r(t)")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    ax.set_title("Retention rate by tenure")
    return ax


def derl_by_tenure(
    model: Any,
    *,
    discount_rate: float,
    max_tenure: int = 10,
    ax: Axes | None = None,
) -> Axes:
    """Discounted expected residual lifetime (DERL) of an active subscriber, by tenure.

    The longer a subscriber has stayed, the more they are worth: under the sBG
    model a long tenure reveals a low churn probability (Fader & Hardie, 2010).

    Parameters
    ----------
    model : ShiftedBetaGeoModel
        Fitted.
    discount_rate : float
        Discount rate per period, > 0.
    max_tenure : int
        Renewals made, 0..max_tenure, on the x axis.
    ax : matplotlib Axes or None
        Where to draw.

    Returns
    -------
    matplotlib Axes
        ``ax.patches`` one bar per tenure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from behaviorseg.models import ShiftedBetaGeoModel
    >>> from behaviorseg.plotting import derl_by_tenure
    >>> from behaviorseg.summaries import tenures_from_survivors
    >>> table = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
    >>> ax = derl_by_tenure(model, discount_rate=0.1, max_tenure=4)
    >>> len(ax.patches)
    5
    """
    _check_model(model, "derl_by_tenure")
    _positive_int("derl_by_tenure", max_tenure=max_tenure)
    tenure = np.arange(max_tenure + 1)
    active = pd.DataFrame(
        {model.tenure_col: tenure, model.churned_col: np.zeros(len(tenure), dtype=bool)}
    )
    value = np.asarray(
        model.discounted_expected_residual_lifetime(active, discount_rate=discount_rate)
    )
    ax = _axes(ax)
    ax.bar(tenure, value, color="tab:blue")
    ax.set_xlabel("renewals made (tenure, periods)")
    ax.set_ylabel(f"DERL (payments, d = {discount_rate:g})")
    ax.set_title("Residual value of an active subscriber by tenure")
    return ax
