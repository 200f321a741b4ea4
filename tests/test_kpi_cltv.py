"""cltv (historical and predictive) and cltv_by_segment: hand computations, the CDNOW
comparison with lifetimes, units, bad input and invariants.

References
----------
- lifetimes 0.11.3 (test-time oracle only): ``GammaGammaFitter.customer_lifetime_value``
  with a ``BetaGeoFitter``, 12 months, 1 % per month, ``freq="W"`` (4.345 weeks per
  month, month-by-month discounting), given the same parameters as our models.
- P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), Marketing Science 24(2): the CDNOW
  sample, 39-week calibration ending 1997-09-30, time in weeks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import behaviorseg as bs
from behaviorseg.exceptions import BehaviorsegWarning, DataValidationError, SchemaError
from behaviorseg.kpi import PERIOD_DAYS, cltv, cltv_by_segment
from behaviorseg.models import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)

with warnings.catch_warnings():  # lifetimes sets a pandas option that pandas 3 deprecates
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter


class PoissonModel:
    """A duck-typed purchase model: rate purchases per time unit, nobody drops out."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def expected_purchases(self, X: pd.DataFrame, t: float) -> np.ndarray:
        return np.full(len(X), self.rate * t)


class FlatSpend:
    """A duck-typed spend model: the customer's own monetary_value."""

    def expected_average_value(self, X: pd.DataFrame) -> pd.Series:
        return X["monetary_value"]


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """The 39-week CDNOW calibration summary, in weeks (days merged, divided by 7)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bs.exceptions.RowsExcludedWarning)
        return bs.clv_summary(
            bs.datasets.load_cdnow(), as_of="1997-09-30", freq="D", freq_multiplier=7
        )


@pytest.fixture(scope="module")
def fitted(cdnow_summary) -> tuple[BetaGeoModel, GammaGammaModel]:
    return BetaGeoModel().fit(cdnow_summary), GammaGammaModel().fit(cdnow_summary)


# --- historical --------------------------------------------------------------------------


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "avg_order_value": [40.0, 25.0, 10.0],
            "frequency": [12, 2, 1],
            "tenure_days": [2 * 365.2425, 365.2425 / 12, 3.0],
            "churn": [0.1, 0.5, 1.0],
        },
        index=pd.Index(["x", "y", "z"], name="customer_id"),
    )


def test_historical_cltv_by_hand_with_a_lifetime():
    """x: 12 orders in 24 months = 0.5/month, 40 × 0.5 × 0.4 × 18 = 144; y: 2 in 1 month,
    25 × 2 × 0.4 × 18 = 360; z: 3 days < 1 month counts as 1 month, 10 × 1 × 0.4 × 18 = 72."""
    out = cltv(_customers(), period="M", margin=0.4, lifetime=18)
    np.testing.assert_allclose(out["purchases_per_period"], [0.5, 2.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(out["cltv"], [144.0, 360.0, 72.0], rtol=1e-12)
    assert out.index.equals(_customers().index)
    assert list(out.columns) == [
        "avg_order_value",
        "purchases_per_period",
        "margin",
        "lifetime_periods",
        "cltv",
    ]


def test_historical_cltv_divides_by_a_per_customer_churn_rate():
    """lifetime = 1 / churn: x 10 months, y 2, z 1 → 40·0.5·10, 25·2·2, 10·1·1."""
    out = cltv(_customers(), period="M", churn_rate="churn")
    np.testing.assert_allclose(out["lifetime_periods"], [10.0, 2.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(out["cltv"], [200.0, 100.0, 10.0], rtol=1e-12)


def test_historical_period_is_an_explicit_unit():
    """Per week instead of per month: the rate per period shrinks by 7 / 30.436875 and the
    lifetime is counted in weeks, so with the same lifetime in days the CLTV is unchanged."""
    monthly = cltv(_customers().iloc[:1], period="M", lifetime=12)["cltv"].iloc[0]
    weeks = 12 * PERIOD_DAYS["M"] / 7
    weekly = cltv(_customers().iloc[:1], period="W", lifetime=weeks)["cltv"].iloc[0]
    assert weekly == pytest.approx(monthly, rel=1e-12)
    per_days = cltv(_customers().iloc[:1], period=7.0, lifetime=weeks)["cltv"].iloc[0]
    assert per_days == pytest.approx(weekly, rel=1e-12)


def test_historical_without_tenure_reads_purchases_per_period():
    """tenure_col=None: frequency_col already holds purchases per period."""
    frame = pd.DataFrame({"avg_order_value": [30.0], "orders_per_month": [1.5]})
    out = cltv(frame, frequency_col="orders_per_month", tenure_col=None, lifetime=10)
    assert out["cltv"].iloc[0] == pytest.approx(450.0, rel=1e-12)


def test_negative_order_values_give_zero_cltv_with_a_warning():
    """Returns exceeding purchases: CLTV 0 (never negative), and the warning counts them."""
    frame = _customers().assign(avg_order_value=[40.0, -5.0, -1.0])
    with pytest.warns(BehaviorsegWarning, match="2 customers have a negative"):
        out = cltv(frame, lifetime=12)
    assert out["cltv"].tolist()[1:] == [0.0, 0.0]
    assert out["cltv"].iloc[0] > 0


def test_historical_cltv_works_on_rfm_table_columns_and_leaves_input_alone():
    """rfm_table's default columns are read directly; the input frame is not modified."""
    customers = bs.rfm_table(bs.datasets.load_cdnow())
    before = customers.copy()
    out = cltv(customers, period="M", margin=0.3, churn_rate=0.05)
    pd.testing.assert_frame_equal(customers, before)
    expected = (
        customers["avg_order_value"]
        * customers["frequency"]
        / np.maximum(customers["tenure_days"] / PERIOD_DAYS["M"], 1)
        * 0.3
        * 20
    )
    np.testing.assert_allclose(out["cltv"], expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "exactly one of lifetime"),
        ({"lifetime": 3, "churn_rate": 0.1}, ValueError, "exactly one"),
        ({"lifetime": 0}, DataValidationError, "lifetime"),
        ({"churn_rate": 1.5}, DataValidationError, r"churn_rate.*\(0.0, 1.0\]"),
        ({"churn_rate": "missing"}, SchemaError, "churn_rate"),
        ({"lifetime": 3, "margin": 1.2}, DataValidationError, "margin"),
        ({"lifetime": 3, "margin": "high"}, SchemaError, "margin"),
        ({"lifetime": 3, "period": "fortnight"}, ValueError, "period"),
        ({"lifetime": 3, "horizon": 12}, ValueError, "does not use horizon"),
        ({"lifetime": 3, "discount_rate": 0.01}, ValueError, "discount_rate"),
        ({"lifetime": 3, "method": "magic"}, ValueError, "method"),
        ({"lifetime": 3, "aov_col": "aov"}, SchemaError, "aov_col"),
        ({"lifetime": [3]}, TypeError, "lifetime"),
    ],
)
def test_bad_historical_input_is_refused(kwargs, error, match):
    """Each bad parameter or column raises an error that names it."""
    with pytest.raises(error, match=match):
        cltv(_customers(), **kwargs)


def test_negative_frequency_is_refused():
    """Purchases cannot be negative."""
    with pytest.raises(DataValidationError, match="'frequency'"):
        cltv(_customers().assign(frequency=[1, -1, 2]), lifetime=2)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-100, 1000), st.integers(0, 50), st.floats(0, 2000), st.floats(0.01, 1)
        ),
        min_size=1,
        max_size=20,
    ),
    st.floats(0, 1),
)
def test_historical_cltv_is_never_negative(rows, margin):
    """Whatever the order values (returns included), CLTV >= 0 and finite."""
    frame = pd.DataFrame(rows, columns=["avg_order_value", "frequency", "tenure_days", "churn"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        out = cltv(frame, margin=margin, churn_rate="churn")
    assert (out["cltv"] >= 0).all() and np.isfinite(out["cltv"]).all()


# --- predictive --------------------------------------------------------------------------


@pytest.mark.parametrize("calendar_weeks", [False, True], ids=["days/7", "freq=W"])
def test_predictive_cltv_matches_lifetimes_per_customer_on_cdnow(
    cdnow_summary, fitted, calendar_weeks
):
    """Same parameters, 12 months, 1 %/month, 4.345 weeks per month: every customer's
    CLTV equals lifetimes' customer_lifetime_value within 1e-6 relative, for a summary in
    weeks as days / 7 (Fader et al.'s) and one in whole calendar weeks (freq="W")."""
    if calendar_weeks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bs.exceptions.RowsExcludedWarning)
            cdnow_summary = bs.clv_summary(bs.datasets.load_cdnow(), as_of="1997-09-30", freq="W")
        fitted = BetaGeoModel().fit(cdnow_summary), GammaGammaModel().fit(cdnow_summary)
    bgnbd, gamma_gamma = fitted
    ref_bg = BetaGeoFitter()
    ref_bg.params_ = pd.Series(bgnbd.params_.to_numpy(), index=["r", "alpha", "a", "b"])
    ref_bg.predict = ref_bg.conditional_expected_number_of_purchases_up_to_time
    ref_gg = GammaGammaFitter()
    ref_gg.params_ = pd.Series(gamma_gamma.params_.to_numpy(), index=["p", "q", "v"])
    s = cdnow_summary
    expected = ref_gg.customer_lifetime_value(
        ref_bg,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    out = cltv(
        s,
        method="predictive",
        transaction_model=bgnbd,
        spend_model=gamma_gamma,
        time_unit="W",
        period="M",
        horizon=12,
        discount_rate=0.01,
        periods_per_step=4.345,
    )
    assert out.index.equals(s.index) and len(out) == 2357
    np.testing.assert_allclose(out["cltv"], expected.to_numpy(), rtol=1e-6)
    assert (out["cltv"] > 0).all()


def test_calendar_months_differ_from_lifetimes_weeks_by_a_tenth_of_a_percent(cdnow_summary, fitted):
    """The default month is 30.436875 days = 4.348 weeks, not lifetimes' 4.345: the same as
    passing periods_per_step=30.436875 / 7, and within 0.1 % of the lifetimes convention."""
    bgnbd, gamma_gamma = fitted
    kw = {
        "method": "predictive",
        "transaction_model": bgnbd,
        "spend_model": gamma_gamma,
        "horizon": 12,
        "discount_rate": 0.01,
    }
    calendar = cltv(cdnow_summary, time_unit="W", **kw)["cltv"]
    explicit = cltv(cdnow_summary, periods_per_step=365.2425 / 12 / 7, **kw)["cltv"]
    lifetimes_way = cltv(cdnow_summary, periods_per_step=4.345, **kw)["cltv"]
    np.testing.assert_allclose(calendar, explicit, rtol=1e-12)
    ratio = calendar / lifetimes_way
    assert (ratio > 1).all() and (ratio < 1.001).all()


def test_predictive_cltv_by_hand_with_duck_typed_models():
    """Poisson 0.5/week, no dropout, spend 20, margin 0.25, 3 periods of 4 weeks, 10 %:
    each period brings 2 purchases × 20 × 0.25 = 10, discounted 10/1.1 + 10/1.21 + 10/1.331."""
    summary = pd.DataFrame({"monetary_value": [20.0]}, index=pd.Index([7], name="id"))
    out = cltv(
        summary,
        method="predictive",
        transaction_model=PoissonModel(0.5),
        spend_model=FlatSpend(),
        time_unit="W",
        period=28.0,
        horizon=3,
        discount_rate=0.10,
        margin=0.25,
    )
    assert out["cltv"].iloc[0] == pytest.approx(10 / 1.1 + 10 / 1.21 + 10 / 1.331, rel=1e-12)
    assert out["expected_purchases"].iloc[0] == pytest.approx(6.0, rel=1e-12)
    assert out["expected_order_value"].iloc[0] == 20.0
    assert out.index.name == "id"


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_predictive_cltv_equals_the_sum_by_hand_for_every_purchase_model(
    cdnow_summary, fitted, model_class
):
    """CDNOW, 12 months of 4.348 weeks, 1 %/month, margin 0.3: with each purchase model,
    CLTV = sum over months of the model's expected purchases in that month x Gamma-Gamma's
    expected spend x margin / 1.01^i, computed from the same fitted models."""
    model = model_class().fit(cdnow_summary)
    _, gamma_gamma = fitted
    out = cltv(
        cdnow_summary,
        method="predictive",
        transaction_model=model,
        spend_model=gamma_gamma,
        time_unit="W",
        horizon=12,
        discount_rate=0.01,
        margin=0.3,
    )
    step = PERIOD_DAYS["M"] / 7
    cumulative = [np.zeros(len(cdnow_summary))] + [
        model.expected_purchases(cdnow_summary, i * step).to_numpy() for i in range(1, 13)
    ]
    by_hand = sum((cumulative[i] - cumulative[i - 1]) / 1.01**i for i in range(1, 13))
    value = gamma_gamma.expected_average_value(cdnow_summary).to_numpy()
    np.testing.assert_allclose(out["cltv"], by_hand * value * 0.3, rtol=1e-12)
    np.testing.assert_allclose(out["expected_purchases"], cumulative[-1], rtol=1e-12)
    one_time = (cdnow_summary["frequency"] == 0).to_numpy()
    assert (out["cltv"][one_time] > 0).all()


def test_purchase_models_value_one_time_buyers_differently(cdnow_summary, fitted):
    """BG/NBD deems every one-time buyer alive; MBG/NBD and Pareto/NBD let them be gone,
    which lowers each one-time buyer's CLTV."""
    _, gamma_gamma = fitted
    kw = {"method": "predictive", "spend_model": gamma_gamma, "time_unit": "W", "horizon": 12}
    one_time = cdnow_summary[cdnow_summary["frequency"] == 0]
    values = {
        model_class: cltv(one_time, transaction_model=model_class().fit(cdnow_summary), **kw)
        for model_class in (BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel)
    }
    assert (values[ModifiedBetaGeoModel]["cltv"] < values[BetaGeoModel]["cltv"]).all()
    assert (values[ParetoNBDModel]["cltv"] < values[BetaGeoModel]["cltv"]).all()


def test_undiscounted_cltv_is_purchases_times_value_times_margin(cdnow_summary, fitted):
    """discount_rate = 0: CLTV = E[purchases over the horizon] × E[spend] × margin."""
    bgnbd, gamma_gamma = fitted
    out = cltv(
        cdnow_summary,
        method="predictive",
        transaction_model=bgnbd,
        spend_model=gamma_gamma,
        time_unit="W",
        horizon=6,
        margin=0.3,
    )
    direct = bgnbd.expected_purchases(cdnow_summary, 6 * PERIOD_DAYS["M"] / 7)
    np.testing.assert_allclose(out["expected_purchases"], direct, rtol=1e-12)
    np.testing.assert_allclose(
        out["cltv"], direct * gamma_gamma.expected_average_value(cdnow_summary) * 0.3, rtol=1e-10
    )


def test_longer_horizons_and_lower_rates_never_lower_the_value(cdnow_summary, fitted):
    """CLTV grows with the horizon and shrinks with the discount rate, customer by customer."""
    bgnbd, gamma_gamma = fitted
    kw = {
        "method": "predictive",
        "transaction_model": bgnbd,
        "spend_model": gamma_gamma,
        "time_unit": "W",
    }
    short = cltv(cdnow_summary, horizon=6, discount_rate=0.01, **kw)["cltv"]
    long = cltv(cdnow_summary, horizon=12, discount_rate=0.01, **kw)["cltv"]
    steep = cltv(cdnow_summary, horizon=12, discount_rate=0.05, **kw)["cltv"]
    assert (long > short).all() and (steep < long).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"transaction_model": None}, TypeError, "expected_purchases"),
        (
            {"transaction_model": GammaGammaModel()},
            TypeError,
            "BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel",
        ),
        ({"transaction_model": ParetoNBDModel}, TypeError, r"ParetoNBDModel\(\)\.fit"),
        ({"spend_model": GammaGammaModel}, TypeError, "fitted model instance as spend_model"),
        ({"spend_model": object()}, TypeError, "expected_average_value"),
        ({"horizon": None}, ValueError, "needs horizon"),
        ({"horizon": 0}, ValueError, "horizon"),
        ({"horizon": 1.5}, ValueError, "horizon"),
        ({"discount_rate": -0.1}, ValueError, "discount_rate"),
        ({"time_unit": None}, ValueError, "needs time_unit"),
        ({"time_unit": "fortnight"}, ValueError, "time_unit"),
        ({"periods_per_step": 0.0}, ValueError, "periods_per_step"),
        ({"churn_rate": 0.1}, ValueError, "does not use lifetime or churn_rate"),
    ],
)
def test_bad_predictive_input_is_refused(kwargs, error, match):
    """Missing models, horizon or units, and historical-only options raise clearly."""
    summary = pd.DataFrame({"monetary_value": [20.0]})
    params = {
        "method": "predictive",
        "transaction_model": PoissonModel(1.0),
        "spend_model": FlatSpend(),
        "time_unit": "W",
        "horizon": 12,
        **kwargs,
    }
    with pytest.raises(error, match=match):
        cltv(summary, **params)


def test_a_model_returning_bad_values_is_refused():
    """NaN or negative predictions from a model are an error, not a silent NaN CLTV."""
    summary = pd.DataFrame({"monetary_value": [20.0, 5.0]})
    with pytest.raises(DataValidationError, match="transaction_model"):
        cltv(
            summary,
            method="predictive",
            transaction_model=PoissonModel(-1.0),
            spend_model=FlatSpend(),
            time_unit="W",
            horizon=2,
        )


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0, 500), min_size=1, max_size=10),
    st.floats(0, 3),
    st.integers(1, 24),
    st.floats(0, 0.2),
)
def test_predictive_cltv_is_never_negative(values, rate, horizon, discount):
    """Non-negative model outputs give CLTV >= 0 for any horizon and rate."""
    summary = pd.DataFrame({"monetary_value": values})
    out = cltv(
        summary,
        method="predictive",
        transaction_model=PoissonModel(rate),
        spend_model=FlatSpend(),
        time_unit="D",
        horizon=horizon,
        discount_rate=discount,
    )
    assert (out["cltv"] >= 0).all() and np.isfinite(out["cltv"]).all()


# --- cltv_by_segment ---------------------------------------------------------------------


def test_segment_summary_by_hand():
    """a: 10, 20, 60 → mean 30, median 20, total 90; b: 5, 7 → 6, 6, 12."""
    data = pd.DataFrame({"seg": ["a", "b", "a", "a", "b"], "cltv": [10.0, 5.0, 20.0, 60.0, 7.0]})
    out = cltv_by_segment(data, segment_col="seg", random_state=0)
    assert out.index.name == "seg" and list(out.index) == ["a", "b"]
    assert out["n"].tolist() == [3, 2]
    np.testing.assert_allclose(out["mean"], [30.0, 6.0])
    np.testing.assert_allclose(out["median"], [20.0, 6.0])
    np.testing.assert_allclose(out["total"], [90.0, 12.0])
    assert (out["ci_low"] <= out["mean"]).all() and (out["mean"] <= out["ci_high"]).all()
    # the bootstrap mean of a segment can only range over its own values
    assert out.loc["a", "ci_low"] >= 10.0 and out.loc["a", "ci_high"] <= 60.0


def test_segment_summary_keeps_empty_categories_and_is_reproducible():
    """An empty category: n 0, total 0, NaN statistics; a seed fixes the interval."""
    data = pd.DataFrame(
        {
            "seg": pd.Categorical(["a", "a", "c"], categories=["c", "b", "a"]),
            "cltv": [1.0, 3.0, 2.0],
        }
    )
    first = cltv_by_segment(data, segment_col="seg", random_state=42)
    again = cltv_by_segment(data, segment_col="seg", random_state=42)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.index) == ["c", "b", "a"]
    assert first.loc["b", "n"] == 0 and first.loc["b", "total"] == 0.0
    assert first.loc["b", ["mean", "median", "ci_low", "ci_high"]].isna().all()
    assert first.loc["c", "ci_low"] == first.loc["c", "ci_high"] == 2.0


def test_segment_summary_on_cdnow_predictive_cltv(cdnow_summary, fitted):
    """Totals add up to the sum over customers and the intervals bracket the means."""
    bgnbd, gamma_gamma = fitted
    values = cltv(
        cdnow_summary,
        method="predictive",
        transaction_model=bgnbd,
        spend_model=gamma_gamma,
        time_unit="W",
        horizon=12,
        discount_rate=0.01,
    )
    labels = np.where(cdnow_summary["frequency"] > 0, "repeat", "one-time")
    out = cltv_by_segment(values.assign(kind=labels), segment_col="kind", random_state=1)
    assert out["total"].sum() == pytest.approx(values["cltv"].sum(), rel=1e-12)
    assert out["n"].sum() == len(values)
    assert ((out["ci_low"] < out["mean"]) & (out["mean"] < out["ci_high"])).all()
    assert out.loc["repeat", "mean"] > out.loc["one-time", "mean"]


def test_bad_segment_summary_input_is_refused():
    """Missing column, NaN values, too few resamples and a bad seed raise clearly."""
    data = pd.DataFrame({"seg": ["a"], "cltv": [1.0]})
    with pytest.raises(SchemaError, match="cltv_col"):
        cltv_by_segment(data, segment_col="seg", cltv_col="value")
    with pytest.raises(DataValidationError, match="non-finite"):
        cltv_by_segment(data.assign(cltv=np.nan), segment_col="seg")
    with pytest.raises(ValueError, match="n_resamples"):
        cltv_by_segment(data, segment_col="seg", n_resamples=10)
    with pytest.raises(TypeError, match="random_state"):
        cltv_by_segment(data, segment_col="seg", random_state="x")


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 1e4)), min_size=1, max_size=60),
    st.integers(0, 2**31),
)
def test_bootstrap_interval_contains_the_mean(rows, seed):
    """The percentile interval of each segment's mean contains the sample mean."""
    data = pd.DataFrame(rows, columns=["seg", "cltv"])
    out = cltv_by_segment(data, segment_col="seg", n_resamples=200, random_state=seed)
    tol = 1e-9 * (1 + out["mean"].abs())
    assert (out["ci_low"] <= out["mean"] + tol).all()
    assert (out["mean"] <= out["ci_high"] + tol).all()


# -- intervals from the models' parameter uncertainty ------------------------------------


def _predictive_options(fitted) -> dict:
    bg, gg = fitted
    return {
        "method": "predictive",
        "transaction_model": bg,
        "spend_model": gg,
        "time_unit": "W",
        "period": "M",
        "horizon": 6,
        "discount_rate": 0.01,
    }


def test_cltv_interval_brackets_the_point_value(cdnow_summary, fitted):
    """interval= adds cltv_low <= cltv <= cltv_high and leaves the other columns unchanged."""
    options = _predictive_options(fitted)
    point = cltv(cdnow_summary, **options)
    value = cltv(cdnow_summary, **options, interval=0.95, n_draws=200, random_state=0)
    pd.testing.assert_frame_equal(value[point.columns], point)
    assert (value["cltv_low"] <= value["cltv"] + 1e-9).all()
    assert (value["cltv"] <= value["cltv_high"] + 1e-9).all()
    assert (value["cltv_high"] > value["cltv_low"]).all()


def test_cltv_draws_are_the_interval_source_and_reproducible(cdnow_summary, fitted):
    """return_draws gives (n_draws, n_customers) draws whose percentiles are the interval."""
    options = _predictive_options(fitted)
    value, draws = cltv(
        cdnow_summary, **options, interval=0.9, n_draws=100, random_state=1, return_draws=True
    )
    assert draws.shape == (100, len(cdnow_summary))
    low, high = np.quantile(draws, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(value["cltv_low"], low)
    np.testing.assert_allclose(value["cltv_high"], high)
    again = cltv(cdnow_summary, **options, interval=0.9, n_draws=100, random_state=1)
    pd.testing.assert_frame_equal(value, again)


def test_segment_totals_propagate_parameter_uncertainty_jointly(cdnow_summary, fitted):
    """Each draw's segment total is the sum of its customers' draws: the total's interval
    is far wider than independent errors would give, and contains the total."""
    value, draws = cltv(
        cdnow_summary,
        **_predictive_options(fitted),
        interval=0.95,
        n_draws=200,
        random_state=0,
        return_draws=True,
    )
    data = value.assign(segment=np.where(cdnow_summary["frequency"] > 0, "repeat", "one-time"))
    table = cltv_by_segment(data, segment_col="segment", random_state=0, draws=draws)
    assert {"total_low", "total_high", "mean_low", "mean_high"} <= set(table.columns)
    assert (table["total_low"] <= table["total"]).all() and (
        table["total"] <= table["total_high"]
    ).all()
    np.testing.assert_allclose(table["mean_low"] * table["n"], table["total_low"])
    one_hot = data["segment"].to_numpy()[None, :] == table.index.to_numpy()[:, None]
    totals = draws @ one_hot.T
    np.testing.assert_allclose(table["total_high"], np.quantile(totals, 0.975, axis=0))
    independent = np.sqrt((draws.std(axis=0) ** 2) @ one_hot.T)
    assert np.all(totals.std(axis=0) > 3 * independent)


def test_cltv_interval_options_are_checked(cdnow_summary, fitted):
    """interval options are refused where they do not apply, with a clear message."""
    options = _predictive_options(fitted)
    with pytest.raises(ValueError, match="does not use interval"):
        cltv(_customers(), churn_rate=0.1, interval=0.95)
    with pytest.raises(ValueError, match="return_draws=True needs interval"):
        cltv(cdnow_summary, **options, return_draws=True)
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        cltv(cdnow_summary, **options, interval=95)
    with pytest.raises(TypeError, match=r"from behaviorseg\.models"):
        cltv(
            cdnow_summary,
            **{**options, "transaction_model": PoissonModel(0.1)},
            interval=0.95,
        )
    with pytest.raises(ValueError, match="draws must have shape"):
        cltv_by_segment(
            pd.DataFrame({"segment": ["a", "b"], "cltv": [1.0, 2.0]}),
            segment_col="segment",
            draws=np.ones((50, 3)),
        )
