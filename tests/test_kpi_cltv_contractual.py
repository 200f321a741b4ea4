"""cltv(method="contractual"): price x margin x DERL per subscriber, and per segment.

References
----------
- P. S. Fader, B. G. S. Hardie (2010), "Customer-base valuation in a contractual
  setting: the perils of ignoring heterogeneity", Marketing Science 29(1), 85-93, eq. 6:
  DERL = sum_{k >= 1} S(n + k) / S(n) / (1 + d)^(k - 1) for a subscriber active after n
  renewals; checked here against that sum, computed term by term from the sBG survival
  function S(t) = B(alpha, beta + t) / B(alpha, beta).
- P. S. Fader, B. G. S. Hardie (2007), "How to project customer retention", Journal of
  Interactive Marketing 21(1), 76-90: the "regular" cohort (alpha = 0.704, beta = 1.182).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

from behaviorseg.datasets import make_subscriptions
from behaviorseg.exceptions import DataValidationError, SchemaError
from behaviorseg.kpi import cltv, cltv_by_segment
from behaviorseg.models import BetaGeoModel, ShiftedBetaGeoModel
from behaviorseg.segmenters import ChurnSegmenter
from behaviorseg.summaries import subscription_table, tenures_from_survivors

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.fixture(scope="module")
def regular() -> ShiftedBetaGeoModel:
    cohort = tenures_from_survivors(REGULAR)
    return ShiftedBetaGeoModel().fit(cohort, sample_weight=cohort["n_subscribers"])


def _subscribers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenure_periods": [0, 1, 4, 12, 3],
            "churned": [False, False, False, False, True],
            "plan": ["basic", "basic", "premium", "premium", "basic"],
            "price": [10.0, 10.0, 25.0, 25.0, 10.0],
        },
        index=pd.Index([11, 12, 13, 14, 15], name="customer_id"),
    )


def _discounted_survival(model, tenure, discount_rate, n_terms):
    """sum_{k=1..n_terms} S(n + k) / S(n) / (1 + d)^(k - 1), term by term."""
    alpha, beta = model.params_
    n = np.asarray(tenure, dtype=float)[:, None]
    k = np.arange(1, n_terms + 1)[None, :]
    ratio = np.exp(betaln(alpha, beta + n + k) - betaln(alpha, beta + n))
    return (ratio / (1.0 + discount_rate) ** (k - 1)).sum(axis=1)


@pytest.mark.parametrize("discount_rate", [0.01, 0.1, 0.25])
def test_cltv_is_price_times_margin_times_the_sum_of_discounted_survival(regular, discount_rate):
    """The contractual CLTV equals price x margin x the term-by-term sum of discounted
    survival probabilities (3,000 terms), and 0 for a churned subscriber."""
    subs = _subscribers()
    out = cltv(
        subs,
        method="contractual",
        retention_model=regular,
        price_per_period="price",
        margin=0.4,
        discount_rate=discount_rate,
    )
    assert list(out.columns) == ["discounted_payments", "price_per_period", "margin", "cltv"]
    assert out.index.equals(subs.index)
    active = ~subs["churned"].to_numpy()
    expected = _discounted_survival(regular, subs["tenure_periods"][active], discount_rate, 3000)
    np.testing.assert_allclose(out["discounted_payments"][active], expected, rtol=1e-9)
    np.testing.assert_allclose(out["cltv"][active], expected * subs["price"][active] * 0.4)
    assert out.loc[15, "cltv"] == 0.0 and out.loc[15, "discounted_payments"] == 0.0
    derl = regular.discounted_expected_residual_lifetime(subs, discount_rate=discount_rate)
    np.testing.assert_allclose(out["discounted_payments"], derl, rtol=1e-12)


def test_a_horizon_counts_that_many_payments(regular):
    """With horizon=H, the sum stops after H payments: undiscounted it is the model's
    expected_remaining_lifetime(horizon=H); discounted, the partial sum; a long horizon
    tends to the DERL."""
    subs = _subscribers()
    common = {"method": "contractual", "retention_model": regular, "price_per_period": 1.0}
    flat = cltv(subs, horizon=12, **common)
    np.testing.assert_allclose(
        flat["cltv"], regular.expected_remaining_lifetime(subs, horizon=12), rtol=1e-10
    )
    partial = cltv(subs, horizon=24, discount_rate=0.1, **common)["cltv"].to_numpy()
    active = ~subs["churned"].to_numpy()
    expected = _discounted_survival(regular, subs["tenure_periods"][active], 0.1, 24)
    np.testing.assert_allclose(partial[active], expected, rtol=1e-10)
    long = cltv(subs, horizon=400, discount_rate=0.1, **common)["cltv"]
    whole = cltv(subs, discount_rate=0.1, **common)["cltv"]
    np.testing.assert_allclose(long, whole, rtol=1e-9)


def test_value_grows_with_tenure_as_the_least_loyal_leave_first(regular):
    """A subscriber who has renewed more is worth more: their churn risk is lower."""
    tenures = pd.DataFrame({"tenure_periods": np.arange(0, 30), "churned": False})
    value = cltv(
        tenures,
        method="contractual",
        retention_model=regular,
        price_per_period=10.0,
        discount_rate=0.1,
    )["cltv"]
    assert value.is_monotonic_increasing and value.iloc[0] > 0


def test_cltv_by_segment_summarises_the_contractual_value_of_risk_tiers():
    """On the generator: the contractual route's tiers and its fitted model's CLTV go
    through cltv_by_segment; totals are the sums per tier, the churned tier is worth 0,
    and the lower the risk tier, the higher its mean value."""
    events, truth = make_subscriptions(2000, random_state=5, acquisition_periods=24)
    table = subscription_table(events, as_of=truth["as_of"].iloc[0])
    seg = ChurnSegmenter("contractual", thresholds=(0.05, 0.1)).fit(table)
    value = cltv(
        table,
        method="contractual",
        retention_model=seg.model_,
        price_per_period=9.99,
        margin=0.6,
        discount_rate=0.01,
    )
    tiers = pd.Categorical(seg.predict(table), categories=seg.segments_)
    data = value.assign(tier=tiers)
    summary = cltv_by_segment(data, segment_col="tier", random_state=0)
    assert summary.index.tolist() == ["low", "medium", "high", "churned"]
    np.testing.assert_allclose(
        summary["total"], data.groupby("tier", observed=False)["cltv"].sum(), rtol=1e-12
    )
    assert summary.loc["churned", "total"] == 0.0
    assert summary["n"].sum() == len(table)
    assert summary["mean"].iloc[:3].is_monotonic_decreasing


def test_a_plan_price_column_and_a_margin_column_are_read_per_subscriber(regular):
    """price_per_period and margin may each name a column."""
    subs = _subscribers().assign(share=[0.5, 0.5, 0.7, 0.7, 0.5])
    out = cltv(
        subs,
        method="contractual",
        retention_model=regular,
        price_per_period="price",
        margin="share",
        discount_rate=0.1,
    )
    np.testing.assert_allclose(
        out["cltv"], out["discounted_payments"] * subs["price"] * subs["share"]
    )


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"retention_model": None}, TypeError, "needs retention_model="),
        ({"retention_model": ShiftedBetaGeoModel}, TypeError, "the class ShiftedBetaGeoModel"),
        ({"retention_model": BetaGeoModel()}, TypeError, "got BetaGeoModel"),
        ({"price_per_period": None}, ValueError, "needs price_per_period="),
        ({"discount_rate": 0.0}, ValueError, "needs discount_rate > 0"),
        ({"discount_rate": 10.0}, ValueError, "discount_rate=10.0 is invalid"),
        ({"horizon": 2.5}, ValueError, "horizon=2.5 is invalid"),
        ({"lifetime": 12.0}, ValueError, "does not use lifetime"),
        ({"transaction_model": BetaGeoModel()}, ValueError, "does not use transaction_model"),
        ({"price_per_period": "fee"}, SchemaError, "'fee'"),
    ],
)
def test_bad_parameters_say_what_to_pass(regular, params, error, match):
    """Missing or wrong models, prices, rates and other methods' parameters are refused."""
    arguments = {
        "method": "contractual",
        "retention_model": regular,
        "price_per_period": 10.0,
        "discount_rate": 0.1,
        **params,
    }
    with pytest.raises(error, match=match):
        cltv(_subscribers(), **arguments)


def test_other_methods_refuse_the_contractual_parameters(regular):
    """retention_model and price_per_period belong to method='contractual' only."""
    subs = _subscribers()
    with pytest.raises(ValueError, match=r"historical.*does not use retention_model"):
        cltv(subs, churn_rate=0.1, retention_model=regular)
    with pytest.raises(ValueError, match=r"predictive.*does not use retention_model"):
        cltv(subs, method="predictive", time_unit="W", horizon=12, price_per_period=5.0)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda s: s.drop(columns="tenure_periods"), SchemaError, "'tenure_periods'"),
        (
            lambda s: s.assign(tenure_periods=[0, -1, 4, 12, 3]),
            DataValidationError,
            "'tenure_periods'",
        ),
        (
            lambda s: s.assign(churned=[0.0, np.nan, 1.0, 0.0, 1.0]),
            DataValidationError,
            "'churned'",
        ),
        (lambda s: s.assign(price=[10.0, -1.0, 25.0, 25.0, 10.0]), DataValidationError, "'price'"),
    ],
    ids=["no tenure", "negative tenure", "NaN flag", "negative price"],
)
def test_bad_subscription_tables_name_the_column(regular, change, error, match):
    """The retention model's checks and the price check name the offending column."""
    with pytest.raises(error, match=match):
        cltv(
            change(_subscribers()),
            method="contractual",
            retention_model=regular,
            price_per_period="price",
            discount_rate=0.1,
        )


def test_the_callers_table_is_not_modified(regular):
    """cltv leaves the subscription table as it was."""
    subs = _subscribers()
    before = subs.copy(deep=True)
    cltv(
        subs,
        method="contractual",
        retention_model=regular,
        price_per_period="price",
        discount_rate=0.1,
    )
    pd.testing.assert_frame_equal(subs, before)
