"""Choosing a repeat-buying model with evidence: fit statistics, holdout errors and the
tracking of repeat transactions over calibration and holdout.

- :func:`purchase_tracking`: from a transaction log, the first and the repeat purchases
  of the calibration customers in each period (model-free);
- :func:`tracking_table`: a fitted model's expected repeat transactions per tracking
  period next to the actual ones (the tracking figures of Fader, Hardie & Lee 2005);
- :func:`compare_models`: several models fitted on the same calibration summary, one
  row each: log-likelihood, AIC, BIC and the holdout errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from .._frames import frame_boundary
from .._validation import as_timestamp, check_columns, check_frame, to_datetime
from ..exceptions import DataValidationError, SchemaError
from ..summaries._holdout import calibration_holdout_split
from ..summaries._transactions import _period_ordinals
from ._beta_geo import BetaGeoModel
from ._common import _RepeatBuyingModel
from ._modified_beta_geo import ModifiedBetaGeoModel
from ._pareto_nbd import ParetoNBDModel

__all__ = ["compare_models", "purchase_tracking", "tracking_table"]

#: The columns of a :func:`purchase_tracking` table.
_TRACKING_COLUMNS = ("first_purchases", "repeat_purchases")
#: The holdout columns of a ``calibration_holdout_split`` table.
_HOLDOUT_COLUMNS = ("frequency_holdout", "duration_holdout")


def _check_model(model: Any, owner: str) -> None:
    """Refuse anything but a repeat-buying model (BG/NBD, MBG/NBD, Pareto/NBD)."""
    if not isinstance(model, _RepeatBuyingModel):
        raise TypeError(
            f"{owner} needs a repeat-buying model (BetaGeoModel, ModifiedBetaGeoModel or "
            f"ParetoNBDModel), got {type(model).__name__}"
        )


def _model_frame(model: Any, data: pd.DataFrame, *, name: str) -> pd.DataFrame:
    """The frequency, recency and T columns of ``data`` under the model's column names.

    ``data`` is a summary with the model's own columns, or a
    ``calibration_holdout_split`` table whose ``_cal`` columns are used.
    """
    own = [model.frequency_col, model.recency_col, model.T_col]
    if all(col in data.columns for col in own):
        mine: pd.DataFrame = data[own]
        return mine
    suffixed = [f"{col}_cal" for col in own]
    if all(col in data.columns for col in suffixed):
        out: pd.DataFrame = data[suffixed].set_axis(own, axis=1)
        return out
    raise SchemaError(
        f"{name} has neither the columns {own} nor {suffixed} (it has "
        f"{list(data.columns)[:8]}); pass a clv_summary table or the output of "
        f"calibration_holdout_split"
    )


def _holdout_columns(data: pd.DataFrame, *, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``frequency_holdout`` and ``duration_holdout`` as float arrays, checked."""
    check_columns(data, {c: c for c in _HOLDOUT_COLUMNS}, name=name)
    actual, duration = (data[c].to_numpy(dtype=np.float64) for c in _HOLDOUT_COLUMNS)
    bad = ~np.isfinite(actual) | (actual < 0) | ~np.isfinite(duration) | (duration < 0)
    if bad.any():
        raise DataValidationError(
            f"{name} has {int(bad.sum())} rows with a negative or missing frequency_holdout "
            f"or duration_holdout; pass the output of calibration_holdout_split unchanged"
        )
    return actual, duration


def _holdout_predictions(model: Any, split: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's expected and actual holdout purchases (a fitted model, a split).

    Shared by :func:`compare_models` and the calibration-vs-holdout plot.
    """
    actual, duration = _holdout_columns(split, name="split")
    predicted = np.asarray(
        model.expected_purchases(_model_frame(model, split, name="split"), duration),
        dtype=np.float64,
    )
    return predicted, actual


@frame_boundary("transactions")
def purchase_tracking(
    transactions: pd.DataFrame,
    *,
    calibration_end: Any,
    as_of: Any,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    freq: str = "D",
    freq_multiplier: float = 1.0,
) -> pd.DataFrame:
    """First and repeat purchases per period of the customers of a calibration window.

    The data behind the tracking figures of Fader, Hardie & Lee (2005): the
    customers are those of :func:`~behaviorseg.summaries.calibration_holdout_split`
    with the same arguments (a purchase on or before ``calibration_end``); each
    period (``freq``) counts how many of them made their first purchase in it, and
    their repeat purchases in it, up to ``as_of``. Purchases in one period merge
    into one, as in :func:`~behaviorseg.summaries.clv_summary`, so the
    calibration repeat purchases add up to the split's ``frequency_cal`` and the
    later ones to its ``frequency_holdout``. No model is involved: pass the table
    to :func:`tracking_table` with a fitted model for the expected counts.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line, with a customer id and a timestamp. Not modified.
    calibration_end, as_of : date-like
        End of the calibration window and of the holdout, as in
        ``calibration_holdout_split``.
    customer_col, time_col : str
        Column names.
    freq, freq_multiplier
        As in ``clv_summary``: the period, and how many periods make one time unit.

    Returns
    -------
    DataFrame
        One row per period, from the first purchase of the calibration customers
        to ``as_of``, indexed by ``t``, the period's time in the summary's unit
        counted from the calibration end (so ``t <= 0`` is the calibration,
        ``t > 0`` the holdout): ``first_purchases`` and ``repeat_purchases``
        (int64).

    Raises
    ------
    DataValidationError
        As ``calibration_holdout_split`` (``as_of`` not after
        ``calibration_end``, an empty calibration window).

    Examples
    --------
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import purchase_tracking
    >>> tx = bs.datasets.load_cdnow()
    >>> tracking = purchase_tracking(
    ...     tx, calibration_end="1997-09-30", as_of="1998-06-30", freq_multiplier=7
    ... )
    >>> holdout = tracking.index > 0
    >>> int(tracking["first_purchases"].sum()), int(tracking["repeat_purchases"][holdout].sum())
    (2357, 1882)
    """
    split = calibration_holdout_split(
        transactions,
        calibration_end=calibration_end,
        as_of=as_of,
        customer_col=customer_col,
        time_col=time_col,
        freq=freq,
        freq_multiplier=freq_multiplier,
    )  # validates everything, and warns about the rows it leaves out
    times = to_datetime(transactions[time_col], column=time_col)
    ends = []
    for param, value in (("calibration_end", calibration_end), ("as_of", as_of)):
        stamp = as_timestamp(value, reference=times, param=param)
        ends.append(pd.Period(stamp.tz_localize(None), freq=freq).ordinal)
    cal_period, end_period = ends
    # Ages in periods are whole numbers: T_cal * freq_multiplier gives them back exactly.
    first = cal_period - np.rint(split["T_cal"].to_numpy() * freq_multiplier).astype(np.int64)
    periods = _period_ordinals(times, freq)
    codes = split.index.get_indexer(pd.Index(transactions[customer_col].to_numpy()))
    keep = (codes >= 0) & (periods <= end_period)
    low = int(first.min())
    span = end_period - low + 1
    pairs = pd.unique(codes[keep] * np.int64(span) + (periods[keep] - low))
    customer, offset = pairs // span, pairs % span
    repeat = offset != first[customer] - low
    out: pd.DataFrame = pd.DataFrame(
        {
            "first_purchases": np.bincount(first - low, minlength=span),
            "repeat_purchases": np.bincount(offset[repeat], minlength=span),
        },
        index=pd.Index((np.arange(span) + low - cal_period) / freq_multiplier, name="t"),
    ).astype(np.int64)
    return out


def _check_tracking(obj: Any) -> pd.DataFrame:
    """The tracking table, checked: the two count columns and an increasing index."""
    tracking = check_frame(obj, name="tracking")
    missing = [c for c in _TRACKING_COLUMNS if c not in tracking.columns]
    if missing:
        raise SchemaError(
            f"tracking lacks the columns {missing} (it has {list(tracking.columns)[:8]}); "
            f"pass the output of behaviorseg.models.purchase_tracking"
        )
    try:
        t = tracking.index.to_numpy(dtype=np.float64)
        counts = tracking[list(_TRACKING_COLUMNS)].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SchemaError(
            "tracking must be indexed by the time t (numbers) and hold counts; pass the "
            "output of behaviorseg.models.purchase_tracking"
        ) from err
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise DataValidationError(
            "the index of tracking (the time t of each period) must be finite and strictly "
            "increasing; pass the output of behaviorseg.models.purchase_tracking unchanged"
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise DataValidationError(
            "tracking has negative or missing purchase counts; pass the output of "
            "behaviorseg.models.purchase_tracking unchanged"
        )
    if counts[:, 0].sum() == 0:
        raise DataValidationError("tracking has no first purchase: there is no customer to track")
    return tracking


@frame_boundary("tracking", index={"tracking": 0})
def tracking_table(model: Any, tracking: pd.DataFrame, *, period: float = 1.0) -> pd.DataFrame:
    """Actual and expected repeat transactions per tracking period, and cumulated.

    A customer whose first purchase is at time ``s`` is expected to have made
    ``model.expected_purchases_new(t - s)`` repeat purchases by time ``t``; the
    expected cumulative repeat transactions at ``t`` add this up over the
    customers of ``tracking`` (Fader, Hardie & Lee 2005, figures 3 and 4:
    ``E[X(t)]`` summed over each customer's trial date). The periods of
    ``tracking`` are gathered into tracking periods of length ``period`` that end
    on multiples of ``period`` (the calibration end, ``t = 0``, is always a
    boundary); the last one ends at the last period of ``tracking`` (shorter if the
    holdout is not a whole number of tracking periods).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted on the calibration summary of the same customers.
    tracking : DataFrame
        The output of :func:`purchase_tracking`.
    period : float
        Length of a tracking period, in the summary's time unit (e.g. 1 = one week
        when the summary counts weeks); a positive number.

    Returns
    -------
    DataFrame
        Indexed by ``t``, the end of each tracking period (counted from the
        calibration end): ``actual`` and ``predicted`` repeat transactions in the
        period, ``cumulative_actual`` and ``cumulative_predicted`` up to its end.

    Examples
    --------
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import BetaGeoModel, purchase_tracking, tracking_table
    >>> tx = bs.datasets.load_cdnow()
    >>> split = bs.calibration_holdout_split(
    ...     tx, calibration_end="1997-09-30", as_of="1998-06-30", freq_multiplier=7
    ... )
    >>> model = BetaGeoModel(frequency_col="frequency_cal", recency_col="recency_cal",
    ...                      T_col="T_cal").fit(split)
    >>> tracking = purchase_tracking(
    ...     tx, calibration_end="1997-09-30", as_of="1998-06-30", freq_multiplier=7
    ... )
    >>> weekly = tracking_table(model, tracking)
    >>> len(weekly), round(float(weekly.loc[39.0, "cumulative_predicted"]))  # 78 weeks
    (78, 4161)
    """
    _check_model(model, "tracking_table")
    tracking = _check_tracking(tracking)
    if isinstance(period, bool) or not isinstance(period, (int, float, np.integer, np.floating)):
        raise TypeError(f"period={period!r} must be a positive number")
    if not (np.isfinite(period) and period > 0):
        raise ValueError(f"period={period!r} must be a positive number (a tracking period)")
    t = tracking.index.to_numpy(dtype=np.float64)
    firsts = tracking["first_purchases"].to_numpy(dtype=np.float64)
    repeats = tracking["repeat_purchases"].to_numpy(dtype=np.float64)
    start = t[np.flatnonzero(firsts)[0]]
    first_k, last_k = int(np.ceil(start / period)), int(np.ceil(t[-1] / period))
    edges = np.arange(first_k, last_k + 1, dtype=np.float64) * period
    edges[-1] = min(edges[-1], t[-1])
    edges = edges[np.concatenate([[True], np.diff(edges) > 0])]
    # Cumulative actual at each edge: the repeat purchases of the periods up to it.
    cumulative_actual = np.concatenate([[0.0], np.cumsum(repeats)])[
        np.searchsorted(t, edges, side="right")
    ]
    # Cumulative expected at each edge: E[X(age)] of every customer, by distinct age.
    cohorts = np.flatnonzero(firsts)
    ages = np.maximum(edges[None, :] - t[cohorts][:, None], 0.0)
    distinct, inverse = np.unique(ages, return_inverse=True)
    expected = np.asarray(model.expected_purchases_new(distinct), dtype=np.float64)
    cumulative_predicted = firsts[cohorts] @ expected[inverse.reshape(ages.shape)]
    out: pd.DataFrame = pd.DataFrame(
        {
            "actual": np.diff(cumulative_actual, prepend=0.0),
            "predicted": np.diff(cumulative_predicted, prepend=0.0),
            "cumulative_actual": cumulative_actual,
            "cumulative_predicted": cumulative_predicted,
        },
        index=pd.Index(edges, name="t"),
    )
    return out


def _named_models(models: Any) -> dict[str, Any]:
    """The models to compare, by name: a mapping, a sequence (class names) or the default."""
    if models is None:
        models = (BetaGeoModel(), ModifiedBetaGeoModel(), ParetoNBDModel())
    if isinstance(models, Mapping):
        named = {str(name): model for name, model in models.items()}
    elif isinstance(models, Sequence) and not isinstance(models, str):
        named = {}
        for model in models:
            name = type(model).__name__
            if name in named:
                raise ValueError(
                    f"models holds two {name}s; pass a dict that names each, e.g. "
                    f"{{'{name}': ..., '{name} (penalised)': ...}}"
                )
            named[name] = model
    else:
        raise TypeError(
            f"models must be a sequence or a dict of models, got {type(models).__name__}"
        )
    if not named:
        raise ValueError("models is empty; pass at least one model to fit")
    for model in named.values():
        _check_model(model, "compare_models")
    return named


@frame_boundary("data", "tracking", index={"data": "customer_id", "tracking": 0})
def compare_models(
    data: pd.DataFrame,
    *,
    models: Sequence[Any] | Mapping[str, Any] | None = None,
    tracking: pd.DataFrame | None = None,
    period: float = 1.0,
) -> pd.DataFrame:
    """Fit several repeat-buying models on the same calibration data and compare them.

    Each model is cloned (the caller's are not touched), fitted on the calibration
    columns of ``data`` and scored on what the data allows:

    - always, the fit: ``n_params`` (k), ``log_likelihood`` (LL), ``aic`` =
      2k - 2 LL and ``bic`` = k ln(n) - 2 LL, n the number of customers (lower is
      better for both), and ``unidentified``: the parameters without a standard
      error, i.e. on a bound of the search region or on a flat likelihood (the
      model warns; e.g. no dropout at all: a BG/NBD with a -> 0 and b -> inf is
      the NBD), empty when every parameter is estimated;
    - when ``data`` is a :func:`~behaviorseg.summaries.calibration_holdout_split`
      table, the holdout per customer: ``mae`` and ``rmse`` of the predicted
      ``expected_purchases(duration_holdout)`` against ``frequency_holdout``; and
      in aggregate: ``predicted`` (total expected holdout repeat transactions),
      ``actual`` and ``error_pct`` = 100 (predicted - actual) / actual;
    - with ``tracking``, the tracking curve: ``tracking_mae``, the mean absolute
      error of the repeat transactions per tracking period over the holdout
      periods (see :func:`tracking_table`).

    Parameters
    ----------
    data : DataFrame
        A ``clv_summary`` table, or a ``calibration_holdout_split`` table (its
        ``_cal`` columns are fitted on).
    models : sequence or dict of models, or None
        Unfitted (or fitted: they are cloned) ``BetaGeoModel``,
        ``ModifiedBetaGeoModel`` or ``ParetoNBDModel`` instances; a dict names the
        rows. Default: BG/NBD, MBG/NBD and Pareto/NBD with their defaults.
    tracking : DataFrame or None
        The output of :func:`purchase_tracking` for the same customers and
        windows; adds ``tracking_mae``.
    period : float
        Length of a tracking period, in the summary's time unit.

    Returns
    -------
    DataFrame
        One row per model, indexed by ``model`` (the dict's keys or the class
        names), in the given order.

    Raises
    ------
    TypeError
        If a model is not a repeat-buying model.
    DataValidationError
        If ``tracking`` does not describe the customers of ``data``.

    Examples
    --------
    >>> import behaviorseg as bs
    >>> from behaviorseg.models import compare_models
    >>> split = bs.calibration_holdout_split(
    ...     bs.datasets.load_cdnow(), calibration_end="1997-09-30", as_of="1998-06-30",
    ...     freq_multiplier=7,
    ... )
    >>> table = compare_models(split)
    >>> table.index.tolist()
    ['BetaGeoModel', 'ModifiedBetaGeoModel', 'ParetoNBDModel']
    >>> table.loc["BetaGeoModel", ["log_likelihood", "bic"]].astype(float).round(1).tolist()
    [-9582.4, 19195.9]
    """
    data = check_frame(data, name="data")
    named = _named_models(models)
    with_holdout = all(c in data.columns for c in _HOLDOUT_COLUMNS)
    if tracking is not None:
        tracking = _check_tracking(tracking)
        if int(tracking["first_purchases"].sum()) != len(data):
            raise DataValidationError(
                f"tracking counts {int(tracking['first_purchases'].sum())} first purchases "
                f"but data has {len(data)} customers; build both from the same log with the "
                f"same calibration_end, as_of, freq and freq_multiplier"
            )
    rows = {}
    for name, template in named.items():
        model = clone(template)
        frame = _model_frame(model, data, name="data")
        model.fit(frame)
        k = len(model.params_)
        ll = float(model.log_likelihood_)
        row = {
            "n_params": k,
            "log_likelihood": ll,
            "aic": 2.0 * k - 2.0 * ll,
            "bic": k * np.log(len(frame)) - 2.0 * ll,
            "unidentified": ", ".join(
                str(p) for p in model.standard_errors_.index[model.standard_errors_.isna()]
            ),
        }
        if with_holdout:
            predicted, actual = _holdout_predictions(model, data)
            error = predicted - actual
            row |= {
                "mae": float(np.mean(np.abs(error))),
                "rmse": float(np.sqrt(np.mean(error**2))),
                "predicted": float(predicted.sum()),
                "actual": float(actual.sum()),
                "error_pct": float(100.0 * error.sum() / actual.sum())
                if actual.sum() > 0
                else np.nan,
            }
        if tracking is not None:
            curve = tracking_table(model, tracking, period=period)
            holdout = curve[curve.index > 0]
            row["tracking_mae"] = float((holdout["predicted"] - holdout["actual"]).abs().mean())
        rows[name] = row
    out: pd.DataFrame = pd.DataFrame.from_dict(rows, orient="index")
    out["n_params"] = out["n_params"].astype(np.int64)
    out.index.name = "model"
    return out
