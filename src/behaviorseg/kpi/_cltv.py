"""Customer lifetime value: historical (simple) and predictive (a purchase model such as
BG/NBD, MBG/NBD or Pareto/NBD, with Gamma-Gamma), per customer, and its summary per
segment."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    Interval,
    Options,
    check_columns,
    check_frame,
    check_numeric,
    validate_params,
)
from ..exceptions import BehaviorsegWarning, DataValidationError
from ..models._uncertainty import (
    _check_level,
    _distinct_rows,
    _evaluate,
    _on_rows,
    _percentiles,
    _row_blocks,
)
from ._common import (
    _bootstrap_mean_interval,
    _check_confidence,
    _check_random_state,
    _group_median,
    _group_size,
    _group_sum,
    _safe_divide,
    _segment_codes,
)

__all__ = ["PERIOD_DAYS", "cltv", "cltv_by_segment"]

#: Length in days of each time unit accepted by :func:`cltv`. Months, quarters and
#: years are calendar averages (Gregorian year of 365.2425 days), so a month is
#: 30.436875 days = 4.348 weeks (lifetimes uses 4.345 weeks, or 30 days: pass
#: ``periods_per_step`` to reproduce it).
PERIOD_DAYS: Mapping[str, float] = MappingProxyType(
    {
        "H": 1.0 / 24.0,
        "D": 1.0,
        "W": 7.0,
        "M": 365.2425 / 12.0,
        "Q": 365.2425 / 4.0,
        "Y": 365.2425,
    }
)


class _TransactionModel(Protocol):
    """What :func:`cltv` needs from a purchase model (``BetaGeoModel``,
    ``ModifiedBetaGeoModel``, ``ParetoNBDModel`` or any object with this method)."""

    def expected_purchases(self, X: Any, t: Any) -> Any: ...  # pragma: no cover


class _SpendModel(Protocol):
    """What :func:`cltv` needs from a spend model (e.g. ``GammaGammaModel``)."""

    def expected_average_value(self, X: Any) -> Any: ...  # pragma: no cover


def _as_number(value: object) -> float | None:
    """``value`` as a float if it is a real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _unit_days(value: object, *, param: str) -> float:
    """Days in one ``value`` unit: a key of PERIOD_DAYS or a positive number of days."""
    if isinstance(value, str) and value in PERIOD_DAYS:
        return PERIOD_DAYS[value]
    number = _as_number(value)
    if number is not None and np.isfinite(number) and number > 0:
        return number
    raise ValueError(
        f"cltv: parameter {param}={value!r} is invalid; it must be one of "
        f"{', '.join(repr(k) for k in PERIOD_DAYS)} or a positive number of days"
    )


def _scalar_or_column(
    frame: pd.DataFrame,
    value: object,
    *,
    param: str,
    low: float,
    high: float | None,
    low_open: bool,
) -> np.ndarray:
    """A per-customer array from a number or from a column name, range-checked."""
    if isinstance(value, str):
        check_columns(frame, {param: value}, name="customers")
        values = check_numeric(frame[value], column=value)
        label = f"column {value!r} ({param})"
    elif (number := _as_number(value)) is not None:
        values = np.full(len(frame), number)
        label = f"{param}={value!r}"
    else:
        raise TypeError(
            f"cltv: parameter {param}={value!r} must be a number or the name of a column"
        )
    bad = ~np.isfinite(values) | (values <= low if low_open else values < low)
    if high is not None:
        bad |= values > high
    if bad.any():
        interval = f"{'(' if low_open else '['}{low}, {'inf)' if high is None else f'{high}]'}"
        raise DataValidationError(
            f"{label} has {int(bad.sum())} values outside {interval}; "
            f"{'a share of revenue' if param == 'margin' else 'a per-period quantity'} "
            f"must lie there"
        )
    return values


def _historical(
    customers: pd.DataFrame,
    *,
    period: object,
    lifetime: object,
    churn_rate: object,
    margin: object,
    aov_col: str,
    frequency_col: str,
    tenure_col: str | None,
) -> pd.DataFrame:
    if (lifetime is None) == (churn_rate is None):
        raise ValueError(
            "cltv(method='historical') needs exactly one of lifetime= (expected lifetime in "
            "periods) or churn_rate= (share of customers lost per period; lifetime = "
            "1 / churn_rate)"
        )
    period_days = _unit_days(period, param="period")
    columns = {"aov_col": aov_col, "frequency_col": frequency_col}
    if tenure_col is not None:
        columns["tenure_col"] = tenure_col
    check_columns(customers, columns, name="customers")
    aov = check_numeric(customers[aov_col], column=aov_col)
    frequency = check_numeric(customers[frequency_col], column=frequency_col, min_value=0.0)
    if tenure_col is None:
        per_period = frequency
    else:
        tenure = check_numeric(customers[tenure_col], column=tenure_col, min_value=0.0)
        # a customer seen for less than one period counts as seen for one period
        per_period = frequency / np.maximum(tenure / period_days, 1.0)
    if lifetime is not None:
        periods = _scalar_or_column(
            customers, lifetime, param="lifetime", low=0.0, high=None, low_open=True
        )
    else:
        churn = _scalar_or_column(
            customers, churn_rate, param="churn_rate", low=0.0, high=1.0, low_open=True
        )
        periods = 1.0 / churn
    share = _scalar_or_column(customers, margin, param="margin", low=0.0, high=1.0, low_open=False)
    negative = aov < 0
    if negative.any():
        warnings.warn(
            f"{int(negative.sum())} customers have a negative {aov_col!r} (returns exceed "
            f"purchases); their CLTV is set to 0",
            BehaviorsegWarning,
            stacklevel=3,
        )
    value = np.maximum(aov, 0.0) * per_period * share * periods
    out: pd.DataFrame = pd.DataFrame(
        {
            "avg_order_value": aov,
            "purchases_per_period": per_period,
            "margin": share,
            "lifetime_periods": periods,
            "cltv": value,
        },
        index=customers.index.copy(),
    )
    return out


def _model_output(values: Any, n: int, *, what: str) -> np.ndarray:
    """The model's prediction as a finite, non-negative float array of length n."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.shape != (n,) or not np.isfinite(array).all() or (array < 0).any():
        raise DataValidationError(
            f"{what} returned {array.shape[0]} values for {n} customers, or values that "
            f"are missing, infinite or negative; check that the model was fitted on a "
            f"summary in the same time unit"
        )
    return array


def _predictive(
    customers: pd.DataFrame,
    *,
    transaction_model: Any,
    spend_model: Any,
    time_unit: object,
    period: object,
    periods_per_step: object,
    horizon: object,
    discount_rate: object,
    margin: object,
    interval: float | None = None,
    n_draws: int = 1000,
    random_state: int | np.random.Generator | None = None,
    keep_draws: bool = False,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    for param, model in (("transaction_model", transaction_model), ("spend_model", spend_model)):
        if isinstance(model, type):
            raise TypeError(
                f"cltv(method='predictive') needs a fitted model instance as {param}=, got "
                f"the class {model.__name__}; fit one first, e.g. {model.__name__}().fit(summary)"
            )
    if not callable(getattr(transaction_model, "expected_purchases", None)):
        raise TypeError(
            "cltv(method='predictive') needs transaction_model= with an "
            "expected_purchases(X, t) method: a fitted BetaGeoModel, ModifiedBetaGeoModel or "
            "ParetoNBDModel from behaviorseg.models (or any object with that method); "
            f"got {type(transaction_model).__name__}"
        )
    if not callable(getattr(spend_model, "expected_average_value", None)):
        raise TypeError(
            "cltv(method='predictive') needs spend_model= with an expected_average_value(X) "
            "method, e.g. a fitted behaviorseg.models.GammaGammaModel; got "
            f"{type(spend_model).__name__}"
        )
    if horizon is None:
        raise ValueError(
            "cltv(method='predictive') needs horizon=, the number of periods to project "
            "(e.g. horizon=12 with period='M' for one year)"
        )
    validate_params(
        {"horizon": horizon, "discount_rate": discount_rate},
        {"horizon": [Interval(float, 1, None)], "discount_rate": [Interval(float, 0.0, None)]},
        owner="cltv",
    )
    n_steps = float(horizon)  # type: ignore[arg-type]
    if not n_steps.is_integer():
        raise ValueError(
            f"cltv: parameter horizon={horizon!r} is invalid; it counts whole periods, so "
            f"pass a whole number such as {int(n_steps)} or {int(n_steps) + 1}, or a "
            f"shorter period= (e.g. period='W') to project part of a period"
        )
    rate = float(discount_rate)  # type: ignore[arg-type]
    if rate >= 1.0:
        raise ValueError(
            f"cltv: parameter discount_rate={discount_rate!r} is invalid; it is a rate per "
            f"period in [0, 1), and {rate:g} would discount by {rate:.0%} a period. Pass a "
            f"fraction (0.1 for 10 %), per period: a yearly rate r is (1 + r) ** (1 / 12) - 1 "
            f"a month"
        )
    if periods_per_step is None:
        step = _unit_days(period, param="period") / _unit_days(time_unit, param="time_unit")
    else:
        validate_params(
            {"periods_per_step": periods_per_step},
            {"periods_per_step": [Interval(float, 0.0, None, closed="neither")]},
            owner="cltv",
        )
        step = float(periods_per_step)  # type: ignore[arg-type]
    share = _scalar_or_column(customers, margin, param="margin", low=0.0, high=1.0, low_open=False)
    n = len(customers)
    value = _model_output(spend_model.expected_average_value(customers), n, what="spend_model")
    previous = np.zeros(n)
    discounted = np.zeros(n)
    for i in range(1, int(n_steps) + 1):  # a loop over the horizon's periods, not customers
        cumulative = _model_output(
            transaction_model.expected_purchases(customers, i * step),
            n,
            what="transaction_model.expected_purchases",
        )
        discounted += (cumulative - previous) / (1.0 + rate) ** i
        previous = cumulative
    out: pd.DataFrame = pd.DataFrame(
        {
            "expected_purchases": previous,
            "expected_order_value": value,
            "margin": share,
            "cltv": np.maximum(discounted * value * share, 0.0),
        },
        index=customers.index.copy(),
    )
    if interval is None:
        return out, None
    level = _check_level(interval)
    low, high, draws = _predictive_draws(
        customers,
        keep_draws=keep_draws,
        transaction_model=transaction_model,
        spend_model=spend_model,
        step=step,
        n_steps=int(n_steps),
        rate=rate,
        share=share,
        level=level,
        n_draws=n_draws,
        random_state=random_state,
    )
    out["cltv_low"], out["cltv_high"] = low, high
    return out, draws


def _predictive_draws(
    customers: pd.DataFrame,
    *,
    transaction_model: Any,
    spend_model: Any,
    step: float,
    n_steps: int,
    rate: float,
    share: np.ndarray,
    level: float,
    n_draws: int,
    random_state: int | np.random.Generator | None,
    keep_draws: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Percentile interval of each customer's predictive CLTV under parameter draws.

    The purchase and spend models are fitted on separate likelihoods, so their
    parameters are drawn independently, each from its own asymptotic covariance
    (``parameter_draws``); draw ``d`` of a customer's CLTV uses the purchase
    draw ``d`` and the spend draw ``d``, and every customer shares them, so sums
    of draws over customers carry the joint uncertainty. Customers are taken in
    blocks, so memory stays bounded unless ``keep_draws`` asks for all the draws
    (n_draws x customers).
    """
    for param, model in (("transaction_model", transaction_model), ("spend_model", spend_model)):
        if not callable(getattr(model, "parameter_draws", None)):
            raise TypeError(
                f"cltv(interval=...) needs {param}= from behaviorseg.models (it draws the "
                f"model's parameters); got {type(model).__name__}"
            )
    rng = np.random.default_rng(random_state)
    purchase_draws = transaction_model.parameter_draws(n_draws, random_state=rng).to_numpy()
    spend_draws = spend_model.parameter_draws(n_draws, random_state=rng).to_numpy()
    n = len(customers)
    spend = spend_model._prediction("expected_average_value", (customers,), {}, n)
    purchases = [
        transaction_model._prediction("expected_purchases", (customers, i * step), {}, n)
        for i in range(1, n_steps + 1)
    ]
    # Customers with the same inputs share their draws: compute them once.
    first, codes = _distinct_rows(share, *spend.rows, *purchases[0].rows)
    spend, purchases, share = (
        _on_rows(spend, first),
        [_on_rows(p, first) for p in purchases],
        share[first],
    )
    n = len(first)
    draws = np.empty((n_draws, n)) if keep_draws else None
    low, high = np.empty(n), np.empty(n)
    for rows in _row_blocks(n, n_draws, spend, *purchases):
        previous = np.zeros((n_draws, rows.stop - rows.start))
        discounted = np.zeros_like(previous)
        for i, prediction in enumerate(purchases, start=1):
            cumulative = _evaluate(prediction, purchase_draws, rows)
            discounted += (cumulative - previous) / (1.0 + rate) ** i
            previous = cumulative
        block = np.maximum(discounted * _evaluate(spend, spend_draws, rows) * share[rows], 0.0)
        low[rows], high[rows] = _percentiles(block, level)
        if draws is not None:
            draws[:, rows] = block
    return low[codes], high[codes], None if draws is None else draws[:, codes]


class _RetentionModel(Protocol):
    """What :func:`cltv` needs from a retention model of contract renewals
    (``ShiftedBetaGeoModel`` or any object with these two methods)."""

    def churn_probability(self, X: Any, t: Any = 1) -> Any: ...  # pragma: no cover

    def discounted_expected_residual_lifetime(
        self, X: Any, *, discount_rate: float
    ) -> Any: ...  # pragma: no cover


def _contractual(
    subscriptions: pd.DataFrame,
    *,
    retention_model: Any,
    price_per_period: object,
    margin: object,
    horizon: object,
    discount_rate: object,
) -> pd.DataFrame:
    """Price x margin x the discounted expected number of future payments (DERL)."""
    if isinstance(retention_model, type):
        raise TypeError(
            f"cltv(method='contractual') needs a fitted model instance as retention_model=, "
            f"got the class {retention_model.__name__}; fit one first, e.g. "
            f"{retention_model.__name__}().fit(subscription_table(...))"
        )
    needed = ("churn_probability", "discounted_expected_residual_lifetime")
    if not all(callable(getattr(retention_model, name, None)) for name in needed):
        raise TypeError(
            "cltv(method='contractual') needs retention_model=, a fitted "
            "ShiftedBetaGeoModel from behaviorseg.models (or any object with "
            "churn_probability(X, t) and discounted_expected_residual_lifetime(X, "
            f"discount_rate=)); got {type(retention_model).__name__}"
        )
    if price_per_period is None:
        raise ValueError(
            "cltv(method='contractual') needs price_per_period=, the amount billed per "
            "billing period of the subscription table: a number, or a column such as the "
            "plan's price"
        )
    validate_params(
        {"discount_rate": discount_rate},
        {"discount_rate": [Interval(float, 0.0, 1.0, closed="left")]},
        owner="cltv",
    )
    rate = float(discount_rate)  # type: ignore[arg-type]
    n = len(subscriptions)
    if horizon is None:
        if rate == 0.0:
            raise ValueError(
                "cltv(method='contractual') without horizon= counts every future payment, "
                "which needs discount_rate > 0 (per billing period): undiscounted, a "
                "subscriber's expected lifetime is infinite when the sBG's alpha <= 1. "
                "Pass discount_rate=, or horizon= (a number of payments)"
            )
        payments = _model_output(
            retention_model.discounted_expected_residual_lifetime(
                subscriptions, discount_rate=rate
            ),
            n,
            what="retention_model.discounted_expected_residual_lifetime",
        )
    else:
        validate_params({"horizon": horizon}, {"horizon": [Interval(int, 1, None)]}, owner="cltv")
        payments = np.zeros(n)
        n_payments = int(horizon)  # type: ignore[call-overload]
        for k in range(1, n_payments + 1):  # a loop over future renewals, not subscribers
            stays = 1.0 - _model_output(
                retention_model.churn_probability(subscriptions, k),
                n,
                what="retention_model.churn_probability",
            )
            payments += stays / (1.0 + rate) ** (k - 1)
    price = _scalar_or_column(
        subscriptions,
        price_per_period,
        param="price_per_period",
        low=0.0,
        high=None,
        low_open=False,
    )
    share = _scalar_or_column(
        subscriptions, margin, param="margin", low=0.0, high=1.0, low_open=False
    )
    out: pd.DataFrame = pd.DataFrame(
        {
            "discounted_payments": payments,
            "price_per_period": price,
            "margin": share,
            "cltv": payments * price * share,
        },
        index=subscriptions.index.copy(),
    )
    return out


@frame_boundary("customers", index={"customers": "customer_id"})
def cltv(
    customers: pd.DataFrame,
    *,
    method: str = "historical",
    period: str | float = "M",
    margin: float | str = 1.0,
    lifetime: float | str | None = None,
    churn_rate: float | str | None = None,
    aov_col: str = "avg_order_value",
    frequency_col: str = "frequency",
    tenure_col: str | None = "tenure_days",
    transaction_model: _TransactionModel | None = None,
    spend_model: _SpendModel | None = None,
    time_unit: str | float | None = None,
    horizon: float | None = None,
    discount_rate: float = 0.0,
    periods_per_step: float | None = None,
    retention_model: _RetentionModel | None = None,
    price_per_period: float | str | None = None,
    interval: float | None = None,
    n_draws: int = 1000,
    random_state: int | np.random.Generator | None = None,
    return_draws: bool = False,
) -> Any:
    """Customer lifetime value of each customer: historical, predictive or contractual.

    **Historical** (``method="historical"``): ``average order value × purchases
    per period × margin × expected lifetime in periods`` (lifetime = ``1 /
    churn_rate`` when a churn rate is given), undiscounted. It projects each
    customer's past behaviour forward unchanged: simple and transparent.

    **Predictive** (``method="predictive"``): the discounted expected margin of
    each customer's future purchases over ``horizon`` periods, from a purchase
    model (BG/NBD, MBG/NBD or Pareto/NBD: how many purchases, given the
    customer's history and the chance they have left) and a spend model
    (Gamma-Gamma: how much per purchase). Cash flow of period ``i`` =
    ``(E[Y(i s)] - E[Y((i-1) s)]) × E[spend] × margin / (1 + discount_rate)^i``,
    summed for ``i = 1 .. horizon``, where ``E[Y(t)]`` is the expected number of
    purchases in the next ``t`` summary time units and ``s`` the number of summary
    time units per period. This is lifetimes' ``customer_lifetime_value``
    convention.

    **Contractual** (``method="contractual"``, subscriptions): ``price per
    period × margin × DERL``, the discounted expected number of future payments
    of each subscriber from a fitted retention model
    (:class:`~behaviorseg.models.ShiftedBetaGeoModel`, Fader & Hardie 2010):
    ``DERL = sum_{k >= 1} S(n + k) / S(n) / (1 + discount_rate)^(k - 1)`` for a
    subscriber active after ``n`` renewals (the next payment undiscounted),
    summed to infinity or over the next ``horizon`` payments; 0 for churned
    subscribers.

    Parameters
    ----------
    customers : DataFrame
        Historical: one row per customer with an average order value, a number of
        purchases and a tenure (:func:`~behaviorseg.summaries.rfm_table` has
        them all). Predictive: the :func:`~behaviorseg.summaries.clv_summary`
        table the models read (``frequency``, ``recency``, ``T``,
        ``monetary_value``). Contractual: the
        :func:`~behaviorseg.summaries.subscription_table` the retention model
        reads (its ``tenure_col`` and ``churned_col``). Not modified.
    method : {"historical", "predictive", "contractual"}, default="historical"
        Which CLTV to compute.
    period : {"H", "D", "W", "M", "Q", "Y"} or float, default="M"
        The period of every "per period" quantity: purchases per period,
        ``lifetime``, ``churn_rate`` (historical), ``horizon`` and
        ``discount_rate`` (predictive). A number is a length in days. Months,
        quarters and years are calendar averages (see :data:`PERIOD_DAYS`).
    margin : float or str, default=1.0
        Gross margin as a share of revenue, in [0, 1], or a column holding one
        per customer. 1.0 gives revenue CLTV (lifetimes' convention); pass your
        margin to get profit CLTV.
    lifetime : float, str or None
        Historical only: expected remaining lifetime, in periods (> 0), or a
        column of them.
    churn_rate : float, str or None
        Historical only: share of customers lost per period, in (0, 1], or a
        column of per-customer churn probabilities; lifetime = ``1 /
        churn_rate`` periods (the mean of a geometric lifetime).
    aov_col, frequency_col : str
        Historical only: average order value (currency per order) and number
        of purchases in the observed window (rfm_table's names).
    tenure_col : str or None, default="tenure_days"
        Historical only: days each customer was observed (first purchase to the
        end of the window); purchases per period = ``frequency / max(tenure in
        periods, 1)``, so a customer seen for less than one period counts as
        seen for one. ``None``: ``frequency_col`` already holds purchases per
        period.
    transaction_model : fitted model, optional
        Predictive only: has ``expected_purchases(X, t)``: a fitted
        :class:`~behaviorseg.models.BetaGeoModel`,
        :class:`~behaviorseg.models.ModifiedBetaGeoModel` or
        :class:`~behaviorseg.models.ParetoNBDModel` (or any object with that
        method). The models differ on one-time buyers: BG/NBD deems every one
        of them alive, the other two let them be gone (see the models guide).
    spend_model : fitted model, optional
        Predictive only: has ``expected_average_value(X)``, e.g. a fitted
        :class:`~behaviorseg.models.GammaGammaModel`.
    time_unit : {"H", "D", "W", "M", "Q", "Y"}, float or None
        Predictive only, required: the time unit of the summary the models
        were fitted on (``"W"`` for ``clv_summary(..., freq="W")`` or
        ``freq="D", freq_multiplier=7``). A number is a length in days.
    horizon : int or None
        Predictive only, required: number of periods to project (a whole
        number >= 1; an integral float such as ``12.0`` is accepted, ``12.5``
        is refused). Contractual, optional: the number of future payments
        counted (a whole number >= 1); None counts them all.
    discount_rate : float, default=0.0
        Predictive only: discount rate per period, in [0, 1); period ``i``'s
        cash flow is divided by ``(1 + discount_rate)^i`` (received at the end
        of the period). 0.01 per month is about 12.7 % a year. A rate of 1
        (100 % per period) or more is refused: it is almost always a
        percentage (pass 0.1 for 10 %) or a yearly rate with a monthly
        ``period``. Contractual: per billing period of the subscription
        table, the ``k``-th future payment divided by ``(1 +
        discount_rate)^(k - 1)``; > 0 unless ``horizon`` is given.
    periods_per_step : float or None, default=None
        Predictive only: summary time units per period, overriding the
        conversion from ``time_unit`` and ``period``. lifetimes uses 4.345
        weeks (or 30 days, 720 hours) per month: pass ``periods_per_step=4.345``
        to reproduce its numbers from a weekly summary.
    retention_model : fitted model, optional
        Contractual only, required: a fitted
        :class:`~behaviorseg.models.ShiftedBetaGeoModel` (or any object with
        ``churn_probability(X, t)`` and ``discounted_expected_residual_lifetime(X,
        discount_rate=)``), e.g. ``ChurnSegmenter(method="contractual").model_``.
    price_per_period : float, str or None
        Contractual only, required: the amount billed per billing period (>= 0),
        or a column of them (e.g. the plan's price); ``margin`` applies to it.
    interval : float or None, default=None
        Predictive only: the level of an interval for each customer's CLTV (e.g.
        0.95), from the uncertainty of both models' fitted parameters: each
        model's parameters are drawn ``n_draws`` times from their asymptotic
        covariance (``parameter_draws``) and the CLTV recomputed under each draw;
        adds ``cltv_low`` and ``cltv_high``, the percentiles of the draws. Needs
        models from :mod:`behaviorseg.models`.
    n_draws : int, default=1000
        Predictive with ``interval`` only: number of parameter draws (>= 20).
    random_state : int, numpy Generator or None, default=None
        Predictive with ``interval`` only: seed of the draws.
    return_draws : bool, default=False
        Predictive with ``interval`` only: also return the CLTV draws, an array
        of shape ``(n_draws, n_customers)`` (rows = draws, columns in the order
        of ``customers``), for :func:`cltv_by_segment`'s ``draws=``.

    Returns
    -------
    DataFrame, or (DataFrame, ndarray) with ``return_draws=True``
        Indexed like ``customers``, with ``cltv`` (float, >= 0, in the currency
        of the amounts) and its components. Historical: ``avg_order_value``,
        ``purchases_per_period``, ``margin``, ``lifetime_periods``. Contractual:
        ``discounted_payments`` (the expected discounted number of future
        payments, DERL), ``price_per_period``, ``margin``. Predictive:
        ``expected_purchases`` (undiscounted, over the horizon),
        ``expected_order_value``, ``margin``, and with ``interval``
        ``cltv_low``, ``cltv_high``.

    Raises
    ------
    SchemaError
        A needed column is missing or not numeric.
    DataValidationError
        Missing or out-of-range values (negative frequency or tenure, margin
        outside [0, 1], churn rate outside (0, 1]).
    ValueError, TypeError
        A parameter is invalid or belongs to the other method.

    Notes
    -----
    - CLTV is never negative: historical customers whose returns exceed their
      purchases (negative average order value) get 0, with a warning.
    - Time units: ``tenure_col`` is in days; every other "per period" quantity
      is per ``period``. The predictive models count time in the summary's
      unit (``time_unit``), converted with :data:`PERIOD_DAYS` unless
      ``periods_per_step`` is given. Using calendar months (4.348 weeks) instead
      of lifetimes' 4.345 changes CDNOW values by less than 0.1 %.
    - The predictive CLTV covers *future* purchases only, over a finite
      horizon, and each period's cash flow is discounted from the period's end
      (mid-period discounting would raise values by about ``(1 + d)^0.5``).
    - The contractual CLTV values each active subscriber just before their next
      renewal: that payment counts undiscounted, weighted by the probability of
      renewing; the period already paid is not counted. ``period`` and
      ``time_unit`` do not apply: the billing period is the subscription
      table's.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import cltv
    >>> customers = pd.DataFrame({
    ...     "avg_order_value": [50.0, 20.0],
    ...     "frequency": [6, 1],
    ...     "tenure_days": [365.2425, 10.0],
    ... })
    >>> cltv(customers, period="M", margin=0.3, churn_rate=0.05).round(2)
       avg_order_value  purchases_per_period  margin  lifetime_periods   cltv
    0             50.0                   0.5     0.3              20.0  150.0
    1             20.0                   1.0     0.3              20.0  120.0

    Contractual: the "regular" cohort of Fader & Hardie (2007), $10 a year at a
    50 % margin, 10 % a year; a subscriber's value grows with their tenure.

    >>> from behaviorseg.models import ShiftedBetaGeoModel
    >>> from behaviorseg.summaries import tenures_from_survivors
    >>> cohort = tenures_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> sbg = ShiftedBetaGeoModel().fit(cohort, sample_weight=cohort["n_subscribers"])
    >>> subscribers = pd.DataFrame({"tenure_periods": [0, 1, 4], "churned": False})
    >>> cltv(subscribers, method="contractual", retention_model=sbg,
    ...      price_per_period=10.0, margin=0.5, discount_rate=0.1).round(2)
       discounted_payments  price_per_period  margin   cltv
    0                 2.96              10.0     0.5  14.82
    1                 4.10              10.0     0.5  20.52
    2                 5.89              10.0     0.5  29.47
    """
    check_frame(customers, name="customers")
    validate_params(
        {"method": method},
        {"method": [Options(("historical", "predictive", "contractual"))]},
        owner="cltv",
    )
    if method == "historical":
        stray = {
            "transaction_model": transaction_model,
            "spend_model": spend_model,
            "time_unit": time_unit,
            "horizon": horizon,
            "periods_per_step": periods_per_step,
            "retention_model": retention_model,
            "price_per_period": price_per_period,
            "interval": interval,
        }
        given = [name for name, value in stray.items() if value is not None]
        if discount_rate != 0.0:
            given.append("discount_rate")
        if given:
            raise ValueError(
                f"cltv(method='historical') does not use {', '.join(given)}; pass "
                f"method='predictive' for the model-based CLTV"
            )
        return _historical(
            customers,
            period=period,
            lifetime=lifetime,
            churn_rate=churn_rate,
            margin=margin,
            aov_col=aov_col,
            frequency_col=frequency_col,
            tenure_col=tenure_col,
        )
    if method == "contractual":
        unused = {
            "transaction_model": transaction_model,
            "spend_model": spend_model,
            "time_unit": time_unit,
            "periods_per_step": periods_per_step,
            "lifetime": lifetime,
            "churn_rate": churn_rate,
            "interval": interval,
        }
        named = [name for name, value in unused.items() if value is not None]
        if named:
            raise ValueError(
                f"cltv(method='contractual') does not use {', '.join(named)}: the retention "
                f"model and price_per_period give a subscriber's value"
            )
        return _contractual(
            customers,
            retention_model=retention_model,
            price_per_period=price_per_period,
            margin=margin,
            horizon=horizon,
            discount_rate=discount_rate,
        )
    if retention_model is not None or price_per_period is not None:
        raise ValueError(
            "cltv(method='predictive') does not use retention_model or price_per_period; "
            "pass method='contractual' for the value of subscribers"
        )
    if lifetime is not None or churn_rate is not None:
        raise ValueError(
            "cltv(method='predictive') does not use lifetime or churn_rate: the purchase "
            "model predicts both; pass method='historical' to use them"
        )
    if time_unit is None and periods_per_step is None:
        raise ValueError(
            "cltv(method='predictive') needs time_unit=, the time unit of the summary the "
            "models were fitted on (e.g. 'W' for clv_summary(..., freq='W')), or "
            "periods_per_step="
        )
    if interval is None and return_draws:
        raise ValueError("cltv: return_draws=True needs interval= (e.g. interval=0.95)")
    out, draws = _predictive(
        customers,
        transaction_model=transaction_model,
        spend_model=spend_model,
        time_unit=time_unit,
        period=period,
        periods_per_step=periods_per_step,
        horizon=horizon,
        discount_rate=discount_rate,
        margin=margin,
        interval=interval,
        n_draws=n_draws,
        random_state=random_state,
        keep_draws=return_draws,
    )
    return (out, draws) if return_draws else out


@frame_boundary("data")
def cltv_by_segment(
    data: pd.DataFrame,
    *,
    segment_col: str,
    cltv_col: str = "cltv",
    confidence: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    draws: Any = None,
) -> pd.DataFrame:
    """Summarise customer lifetime values per segment: mean, median, total and an interval.

    Parameters
    ----------
    data : DataFrame
        One row per customer with a segment label and a CLTV (e.g. the output
        of :func:`cltv` joined with segment labels). Not modified.
    segment_col : str
        Column with the segment labels. A Categorical column keeps all its
        categories, in order (empty segments get ``n`` = 0).
    cltv_col : str, default="cltv"
        Column with the CLTV of each customer.
    confidence : float, default=0.95
        Confidence level of the interval of the mean, in (0, 1).
    n_resamples : int, default=1000
        Number of bootstrap resamples (>= 100).
    random_state : int, numpy Generator or None, default=None
        Seed of the bootstrap; an int makes the interval reproducible.
    draws : array of shape (n_draws, n_customers), optional
        CLTV draws of each customer under parameter draws of the models, columns
        in the order of ``data``'s rows: the second result of ``cltv(...,
        interval=..., return_draws=True)``. Adds ``total_low``, ``total_high``,
        ``mean_low``, ``mean_high``: percentile intervals (at ``confidence``) of
        the segment's total and mean CLTV from the uncertainty of the models'
        parameters. Each draw's segment total is the sum of its customers' values
        under the same parameter draw, so the uncertainty is propagated jointly:
        customers' errors move together and do not average out.

    Returns
    -------
    DataFrame
        One row per segment (index named ``segment_col``) with ``n`` (int),
        ``mean``, ``median``, ``total`` (the sum: the segment's value to the
        business), and ``ci_low``, ``ci_high``: the percentile bootstrap
        interval of the mean, resampling customers within each segment. Empty
        segments: ``total`` 0 and NaN elsewhere (no customer, no average).
        One-customer segments get a zero-width interval. With ``draws``, also
        ``total_low``, ``total_high``, ``mean_low``, ``mean_high`` (NaN means for
        empty segments).

    Notes
    -----
    CLTV is heavily skewed (a few customers carry much of the value), which is
    why the interval is a bootstrap rather than ``mean ± 1.96 se``; for small
    segments it is still too narrow, so read it as a guide.

    The two intervals answer different questions. ``ci_low``/``ci_high``: how
    much the mean could change with other customers like these (sampling of
    customers, the model's values taken as exact). ``mean_low``/``mean_high``
    (from ``draws``): how much the model's values for *these* customers could
    change with other parameter values equally supported by the data.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import cltv_by_segment
    >>> values = pd.DataFrame({"segment": ["a", "a", "a", "b"],
    ...                        "cltv": [10.0, 20.0, 60.0, 5.0]})
    >>> table = cltv_by_segment(values, segment_col="segment", random_state=0)
    >>> table[["n", "mean", "median", "total"]]
             n  mean  median  total
    segment
    a        3  30.0    20.0   90.0
    b        1   5.0     5.0    5.0
    """
    check_frame(data, name="data")
    conf = _check_confidence(confidence, owner="cltv_by_segment")
    validate_params(
        {"n_resamples": n_resamples},
        {"n_resamples": [Interval(int, 100, None)]},
        owner="cltv_by_segment",
    )
    rng = _check_random_state(random_state, owner="cltv_by_segment")
    codes, segments = _segment_codes(data, segment_col, name="data")
    check_columns(data, {"cltv_col": cltv_col}, name="data")
    values = check_numeric(data[cltv_col], column=cltv_col)
    k = len(segments)
    size = _group_size(codes, k)
    total = _group_sum(values, codes, k)
    low, high = _bootstrap_mean_interval(
        values, codes, k, confidence=conf, n_resamples=int(n_resamples), rng=rng
    )
    out: pd.DataFrame = pd.DataFrame(
        {
            "n": size,
            "mean": _safe_divide(total, size),
            "median": _group_median(values, codes, k),
            "total": total,
            "ci_low": low,
            "ci_high": high,
        },
        index=segments,
    )
    if draws is not None:
        matrix = np.asarray(draws, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(values) or matrix.shape[0] < 20:
            raise ValueError(
                f"draws must have shape (n_draws >= 20, {len(values)}): one column per row "
                f"of data, as returned by cltv(..., interval=..., return_draws=True); got "
                f"{matrix.shape}"
            )
        if not np.all(np.isfinite(matrix)):
            raise DataValidationError("draws has missing or infinite values")
        one_hot = np.zeros((len(values), k))
        one_hot[np.arange(len(values)), codes] = 1.0
        totals = matrix @ one_hot  # (n_draws, segments): sums under the same draw
        out["total_low"], out["total_high"] = _percentiles(totals, conf)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(size > 0, totals / size, np.nan)
        out["mean_low"], out["mean_high"] = _percentiles(means, conf)
    return out
