"""BetaGeoModel (BG/NBD) and GammaGammaModel: published CDNOW results, lifetimes parity,
numerical robustness and bad input.

References
----------
- P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), "Counting your customers the easy way:
  an alternative to the Pareto/NBD model", Marketing Science 24(2): CDNOW sample, 2,357
  customers, 39-week calibration: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
  LL = -9582.4.
- P. S. Fader, B. G. S. Hardie (2005), "Implementing the BG/NBD model for customer base
  analysis in Excel": E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226.
- P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), "RFM and CLV: using iso-value curves for
  customer base analysis", JMR 42(4); Fader & Hardie (2013), "The Gamma-Gamma model of
  monetary value": 946 CDNOW repeat buyers, p = 6.25, q = 3.74, gamma = 15.44.
- lifetimes 0.11.3 (test-time oracle only) for per-customer predictions.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import behaviorseg as bs
from behaviorseg.exceptions import (
    BehaviorsegWarning,
    ConvergenceError,
    DataValidationError,
    RowsExcludedWarning,
    SchemaError,
)
from behaviorseg.models import BetaGeoModel, GammaGammaModel
from behaviorseg.models._beta_geo import _expected_count, _expected_count_quadrature

with warnings.catch_warnings():  # lifetimes sets a pandas option that pandas 3 deprecates
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter

CALIBRATION_END = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """The 39-week CDNOW calibration summary in weeks, from the bundled transactions."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)  # rows after the calibration
        return bs.clv_summary(
            bs.datasets.load_cdnow(), as_of=CALIBRATION_END, freq="D", freq_multiplier=7
        )


@pytest.fixture(scope="module")
def bgnbd(cdnow_summary) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_summary)


@pytest.fixture(scope="module")
def gamma_gamma(cdnow_summary) -> GammaGammaModel:
    return GammaGammaModel().fit(cdnow_summary)


def _lifetimes_bgnbd(params: pd.Series) -> BetaGeoFitter:
    """A lifetimes BetaGeoFitter carrying the given parameters."""
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(params.to_numpy(), index=["r", "alpha", "a", "b"])
    return fitter


def _lifetimes_gg(params: pd.Series) -> GammaGammaFitter:
    fitter = GammaGammaFitter()
    fitter.params_ = pd.Series(params.to_numpy(), index=["p", "q", "v"])
    return fitter


# --- published results -----------------------------------------------------------------


def test_bgnbd_reproduces_the_published_cdnow_parameters(bgnbd, cdnow_summary):
    """Fader, Hardie & Lee (2005): r, alpha, a, b to 3 significant figures, LL -9582.4."""
    assert len(cdnow_summary) == 2357
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert float(f"{bgnbd.params_[name]:.3g}") == pytest.approx(float(f"{value:.3g}"))
    assert bgnbd.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert bgnbd.n_customers_ == 2357
    assert bgnbd.n_distinct_ < bgnbd.n_customers_  # identical rows were collapsed


def test_bgnbd_reproduces_the_spreadsheet_conditional_expectation(bgnbd):
    """Fader & Hardie's Excel note: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226."""
    customer = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert bgnbd.expected_purchases(customer, 39).iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_gamma_gamma_reproduces_the_published_cdnow_parameters(gamma_gamma):
    """Fader, Hardie & Lee (2005b): p=6.25, q=3.74, gamma=15.44 on 946 repeat buyers."""
    assert gamma_gamma.n_customers_ == 946
    np.testing.assert_allclose(
        gamma_gamma.params_[["p", "q", "gamma"]], [6.25, 3.74, 15.44], rtol=0, atol=6e-3
    )
    # The paper reports a weak frequency-spend correlation (0.11): no warning then.
    assert abs(gamma_gamma.frequency_spend_corr_) < 0.3


# --- parity with lifetimes (same parameters) --------------------------------------------


def test_bgnbd_fit_agrees_with_lifetimes(bgnbd, cdnow_summary):
    """Both maximise the same likelihood: parameters agree to 1e-4 relative."""
    s = cdnow_summary
    ref = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(bgnbd.params_.to_numpy(), ref.params_.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(
        bgnbd.standard_errors_.to_numpy(), ref.standard_errors_.to_numpy(), rtol=2e-2
    )


def test_bgnbd_predictions_match_lifetimes_per_customer(bgnbd, cdnow_summary):
    """P(alive), conditional and unconditional expectations equal lifetimes' to 1e-6."""
    s = cdnow_summary
    ref = _lifetimes_bgnbd(bgnbd.params_)
    np.testing.assert_allclose(
        bgnbd.probability_alive(s),
        ref.conditional_probability_alive(s["frequency"], s["recency"], s["T"]),
        rtol=1e-6,
    )
    for t in (1.0, 13.0, 39.0, 52.0):
        np.testing.assert_allclose(
            bgnbd.expected_purchases(s, t),
            ref.conditional_expected_number_of_purchases_up_to_time(
                t, s["frequency"], s["recency"], s["T"]
            ),
            rtol=1e-6,
        )
    ts = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        bgnbd.expected_purchases_new(ts), ref.expected_number_of_purchases_up_to_time(ts), rtol=1e-6
    )


def test_probability_no_purchase_is_consistent_in_time_and_with_lifetimes(bgnbd, cdnow_summary):
    """P(no purchase in t1 + t2) = P(none in t1) * P(none in t2 | none in t1, T + t1);
    for a brand-new customer it equals lifetimes' unconditional P(X(t) = 0)."""
    s = cdnow_summary
    later = s.assign(T=s["T"] + 13.0)
    np.testing.assert_allclose(
        bgnbd.probability_no_purchase(s, 39.0),
        bgnbd.probability_no_purchase(s, 13.0) * bgnbd.probability_no_purchase(later, 26.0),
        rtol=1e-10,
    )
    ref = _lifetimes_bgnbd(bgnbd.params_)
    new = np.zeros((1, 3))
    for t in (1.0, 39.0):
        expected = ref.probability_of_n_purchases_up_to_time(t, 0)
        assert bgnbd.probability_no_purchase(new, t)[0] == pytest.approx(expected, rel=1e-9)


def test_bgnbd_log_likelihood_per_customer_sums_to_the_total(bgnbd, cdnow_summary):
    """log_likelihood(X) is per customer; on the fitted data it sums to log_likelihood_."""
    per_customer = bgnbd.log_likelihood(cdnow_summary)
    assert per_customer.index.equals(cdnow_summary.index)
    assert per_customer.sum() == pytest.approx(bgnbd.log_likelihood_, rel=1e-10)
    assert (per_customer <= 0).all()


def test_gamma_gamma_matches_lifetimes(gamma_gamma, cdnow_summary):
    """Parameters to 1e-4 and conditional expected spend per customer to 1e-6."""
    s = cdnow_summary
    repeat = s[s["frequency"] > 0]
    ref = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    np.testing.assert_allclose(gamma_gamma.params_.to_numpy(), ref.params_.to_numpy(), rtol=1e-4)
    ref = _lifetimes_gg(gamma_gamma.params_)
    np.testing.assert_allclose(
        gamma_gamma.expected_average_value(s),
        ref.conditional_expected_average_profit(s["frequency"], s["monetary_value"]),
        rtol=1e-6,
    )


def test_one_time_buyers_get_the_population_mean_spend(gamma_gamma, cdnow_summary):
    """frequency 0 → p * gamma / (q - 1), whatever their monetary_value column says."""
    p, q, gamma = gamma_gamma.params_
    one_time = cdnow_summary[cdnow_summary["frequency"] == 0].assign(monetary_value=99.0)
    np.testing.assert_allclose(gamma_gamma.expected_average_value(one_time), p * gamma / (q - 1))


# --- model rules and sklearn behaviour ----------------------------------------------------


def test_one_time_buyers_are_alive_with_certainty(bgnbd, cdnow_summary):
    """The model's answer: a customer with no repeat purchase cannot have dropped out."""
    alive = bgnbd.probability_alive(cdnow_summary)
    assert (alive[cdnow_summary["frequency"] == 0] == 1.0).all()
    assert (alive[cdnow_summary["frequency"] > 0] < 1.0).all()


def test_array_input_is_read_by_position_and_returns_arrays(bgnbd, cdnow_summary):
    """A plain (frequency, recency, T) array gives the same numbers as the frame."""
    array = cdnow_summary[["frequency", "recency", "T"]].to_numpy()
    out = bgnbd.probability_alive(array)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, bgnbd.probability_alive(cdnow_summary).to_numpy())


def test_column_names_are_parameters(cdnow_summary, bgnbd):
    """Renamed columns are read through the *_col parameters."""
    renamed = cdnow_summary.rename(columns={"frequency": "f", "recency": "age_last", "T": "age"})
    model = BetaGeoModel(frequency_col="f", recency_col="age_last", T_col="age").fit(renamed)
    np.testing.assert_allclose(model.params_, bgnbd.params_, rtol=1e-8)


@pytest.mark.parametrize("seed", [3, 7, 2024])
def test_row_order_does_not_change_the_fit(cdnow_summary, bgnbd, gamma_gamma, seed):
    """Shuffled rows give bit-identical fits: the likelihood runs over the distinct rows
    in sorted order, whatever the input order."""
    shuffled = cdnow_summary.sample(frac=1.0, random_state=seed)
    for fitted, model in ((bgnbd, BetaGeoModel()), (gamma_gamma, GammaGammaModel())):
        refit = model.fit(shuffled)
        np.testing.assert_array_equal(refit.params_, fitted.params_)
        assert refit.log_likelihood_ == fitted.log_likelihood_
        np.testing.assert_array_equal(refit.standard_errors_, fitted.standard_errors_)


def test_models_clone_pickle_and_refuse_to_predict_before_fit(bgnbd, gamma_gamma, cdnow_summary):
    """sklearn conventions: clone keeps params only; pickling keeps predictions."""
    with pytest.raises(NotFittedError):
        clone(bgnbd).probability_alive(cdnow_summary)
    with pytest.raises(NotFittedError):
        clone(gamma_gamma).expected_average_value(cdnow_summary)
    restored = pickle.loads(pickle.dumps(bgnbd))
    np.testing.assert_array_equal(
        restored.expected_purchases(cdnow_summary, 10), bgnbd.expected_purchases(cdnow_summary, 10)
    )
    assert BetaGeoModel(T_col="age").get_params()["T_col"] == "age"


def test_per_row_horizons_equal_one_call_per_horizon(bgnbd, cdnow_summary):
    """t may hold one horizon per customer; a wrong length or a negative t is refused."""
    some = cdnow_summary.iloc[:6]
    horizons = np.array([0.0, 1.0, 5.0, 13.0, 39.0, 52.0])
    per_row = bgnbd.expected_purchases(some, horizons)
    one_by_one = [bgnbd.expected_purchases(some, t).iloc[i] for i, t in enumerate(horizons)]
    np.testing.assert_allclose(per_row, one_by_one, rtol=1e-12)
    with pytest.raises(ValueError, match="6 numbers"):
        bgnbd.expected_purchases(some, horizons[:3])
    with pytest.raises(ValueError, match="non-negative"):
        bgnbd.probability_no_purchase(some, -1.0)


def test_fitting_leaves_the_blas_thread_pools_as_they_were(cdnow_summary):
    """The optimiser's one-BLAS-thread limit is lifted when the fit returns."""
    from threadpoolctl import threadpool_info

    before = [pool["num_threads"] for pool in threadpool_info()]
    BetaGeoModel().fit(cdnow_summary)
    GammaGammaModel().fit(cdnow_summary)
    assert [pool["num_threads"] for pool in threadpool_info()] == before


def test_summary_table_has_intervals_around_the_estimates(bgnbd):
    """summary(): estimate within its 95 % interval, positive bounds."""
    table = bgnbd.summary()
    assert list(table.index) == ["r", "alpha", "a", "b"]
    assert (table["ci_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["ci_high"]).all()
    assert (table["ci_low"] > 0).all()


def test_simulated_parameters_are_recovered():
    """On 4,000 simulated customers the fitted BG/NBD is near the simulated truth."""
    tx, _ = bs.datasets.make_transactions(
        4000, random_state=11, n_days=730, r=0.5, alpha=20.0, a=0.8, b=2.5
    )
    summary = bs.clv_summary(tx, freq="D")
    model = BetaGeoModel().fit(summary)
    # Mean purchase rate r / alpha and mean dropout a / (a + b) are well identified.
    r, alpha, a, b = model.params_
    assert r / alpha == pytest.approx(0.5 / 20.0, rel=0.15)
    assert a / (a + b) == pytest.approx(0.8 / 3.3, rel=0.25)


# --- robustness ---------------------------------------------------------------------------


def _with_params(params: list[float]) -> BetaGeoModel:
    model = BetaGeoModel()
    model.params_ = pd.Series(params, index=["r", "alpha", "a", "b"])
    return model


extreme = st.floats(min_value=1e-4, max_value=1e4)


@settings(max_examples=60, deadline=None)
@given(
    r=extreme,
    alpha=st.floats(min_value=1e-4, max_value=1e6),
    a=extreme,
    b=extreme,
    x=st.integers(0, 200),
    recency_share=st.floats(0.0, 1.0),
    T=st.floats(0.5, 500.0),
)
def test_predictions_stay_finite_and_ordered_over_the_whole_search_region(
    r, alpha, a, b, x, recency_share, T
):
    """P(alive) in [0, 1]; E[purchases] finite, >= 0 and non-decreasing in t, anywhere."""
    t_x = 0.0 if x == 0 else max(recency_share * T, 1e-3)
    X = np.array([[x, t_x, T]])
    model = _with_params([r, alpha, a, b])
    alive = model.probability_alive(X)
    assert np.all((alive >= 0) & (alive <= 1))
    counts = np.array([model.expected_purchases(X, t)[0] for t in (0.0, 1.0, 10.0, 100.0)])
    assert np.all(np.isfinite(counts))
    assert counts[0] == pytest.approx(0.0, abs=1e-9)
    assert np.all(counts >= 0)
    assert np.all(np.diff(counts) >= -1e-8 * max(counts.max(), 1.0))
    new = model.expected_purchases_new(np.array([1.0, 10.0, 100.0]))
    assert np.all(np.isfinite(new)) and np.all(np.diff(new) >= -1e-8 * max(new.max(), 1.0))


@pytest.mark.parametrize(("a", "b"), [(0.3, 2.0), (2.5, 0.7), (5.0, 40.0)])
def test_quadrature_agrees_with_the_closed_form(a, b):
    """The Gauss-Jacobi fallback and the 2F1 closed form agree where both are valid."""
    shape = np.array([0.5, 2.3, 7.0])
    rate = np.array([4.0, 40.0, 10.0])
    beta_b = b + np.array([0.0, 2.0, 5.0])
    t = np.array([39.0, 5.0, 100.0])
    closed = _expected_count(shape, rate, a, beta_b, t)
    np.testing.assert_allclose(
        _expected_count_quadrature(shape, rate, a, beta_b, t), closed, rtol=1e-7
    )


def test_a_equal_to_one_is_not_a_singularity():
    """At a = 1 the closed form divides by zero; the result is continuous there."""
    X = np.array([[3, 20.0, 30.0], [0, 0.0, 30.0]])
    near = [_with_params([0.5, 5.0, a, 2.0]).expected_purchases(X, 10) for a in (0.999, 1.0, 1.001)]
    assert np.all(np.isfinite(near[1]))
    np.testing.assert_allclose(near[1], (near[0] + near[2]) / 2, rtol=1e-3)


def test_online_retail_converges_without_a_penalty(shared_data):
    """UCI Online Retail invoices: a nearly flat likelihood in a, b still converges to
    finite parameters (lifetimes finds the same optimum) and finite predictions."""
    invoices = pd.read_csv(shared_data / "online_retail" / "online_retail_invoices.csv")
    invoices["date"] = pd.to_datetime(invoices["date"], format="%Y-%m-%d %H:%M:%S")
    summary = bs.clv_summary(invoices, time_col="date", freq="D", freq_multiplier=7)
    model = BetaGeoModel().fit(summary)
    assert np.all(np.isfinite(model.params_)) and np.isfinite(model.log_likelihood_)
    ref = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(model.params_, ref.params_, rtol=1e-3)
    assert np.isfinite(model.expected_purchases(summary, 52)).all()
    alive = model.probability_alive(summary)
    assert ((alive >= 0) & (alive <= 1)).all()


def test_a_failed_optimisation_raises_convergence_error(monkeypatch, cdnow_summary):
    """When every start fails, ConvergenceError says what to try and no params_ are left."""
    from scipy.optimize import OptimizeResult

    from behaviorseg.models import _common

    def failing(fun, x0, **kwargs):
        return OptimizeResult(x=x0, fun=1.0, success=False, message="ABNORMAL")

    monkeypatch.setattr(_common, "minimize", failing)
    model = BetaGeoModel()
    with pytest.raises(ConvergenceError, match="repeat buyers"):
        model.fit(cdnow_summary)
    assert not hasattr(model, "params_")


# --- bad input ------------------------------------------------------------------------------


def _summary(**overrides) -> pd.DataFrame:
    base = {"frequency": [0, 2, 1, 4], "recency": [0.0, 10.0, 3.0, 20.0], "T": [30.0] * 4}
    base.update(overrides)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("overrides", "exception", "match"),
    [
        ({"frequency": [0, -2, 1, 4]}, DataValidationError, "'frequency' has 1 values < 0"),
        ({"recency": [0.0, np.nan, 3.0, 20.0]}, DataValidationError, "'recency' has 1 missing"),
        ({"T": [30.0, np.inf, 30.0, 30.0]}, DataValidationError, "'T' has 1 missing or non-finite"),
        ({"recency": [0.0, 40.0, 3.0, 20.0]}, DataValidationError, "1 rows have 'recency' > 'T'"),
        ({"recency": [0.0, 0.0, 3.0, 20.0]}, DataValidationError, "1 rows have 'frequency' > 0"),
        ({"frequency": [0, 0, 0, 0], "recency": [0.0] * 4}, DataValidationError, "0 for all 4"),
        ({"frequency": [0, 2.5, 1, 4]}, DataValidationError, "1 non-integer"),
        ({"frequency": ["0", "2", "1", "4"]}, SchemaError, "expected numbers"),
    ],
)
def test_bad_summaries_are_refused_with_the_column_and_count(overrides, exception, match):
    """Each violation names the column and how many rows break it."""
    with pytest.raises(exception, match=match):
        BetaGeoModel().fit(_summary(**overrides))


def test_an_rfm_table_is_refused_with_the_recency_explanation():
    """rfm_table's recency_days is days *since* the last purchase: the error says so."""
    tx = bs.datasets.load_cdnow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = bs.rfm_table(tx)
    with pytest.raises(SchemaError, match="clv_summary"):
        BetaGeoModel().fit(table)


def test_missing_columns_name_the_parameter():
    """A frame without 'T' says which parameter picks the column."""
    with pytest.raises(SchemaError, match="T_col"):
        BetaGeoModel().fit(_summary().drop(columns="T"))


def test_wrong_array_shape_is_refused():
    """Arrays must have the documented number of columns."""
    with pytest.raises(ValueError, match="3 columns"):
        BetaGeoModel().fit(np.ones((5, 2)))


@pytest.mark.filterwarnings(
    "ignore:BetaGeoModel. parameter:behaviorseg.exceptions.BehaviorsegWarning"
)
def test_customers_first_seen_at_the_end_of_the_window_are_accepted():
    """T == 0 with no repeat purchase contributes a likelihood of 1 and P(alive) = 1."""
    frame = pd.concat([_summary(), pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})])
    model = BetaGeoModel().fit(frame)
    assert model.log_likelihood(frame).iloc[-1] == pytest.approx(0.0, abs=1e-12)
    assert model.probability_alive(frame).iloc[-1] == 1.0


def test_gamma_gamma_refuses_zero_spend_repeat_buyers():
    """A repeat buyer with mean spend 0 cannot come from a gamma distribution."""
    X = pd.DataFrame({"frequency": [1, 2, 3], "monetary_value": [10.0, 0.0, 12.0]})
    with pytest.raises(DataValidationError, match="'monetary_value' is 0 for 1 repeat"):
        GammaGammaModel().fit(X)


@pytest.mark.filterwarnings(
    "ignore:GammaGammaModel. parameter:behaviorseg.exceptions.BehaviorsegWarning"
)
def test_gamma_gamma_warns_when_spend_depends_on_frequency():
    """The independence assumption is checked: a strong correlation warns."""
    rng = np.random.default_rng(1)
    freq = rng.integers(1, 20, size=400)
    spend = 5.0 * freq + rng.gamma(2.0, 1.0, size=400)
    with pytest.warns(BehaviorsegWarning, match="correlated"):
        model = GammaGammaModel().fit(np.column_stack([freq, spend]))
    assert model.frequency_spend_corr_ > 0.3


def _spend_tied_to_frequency() -> np.ndarray:
    """400 repeat buyers whose mean spend is 5 x frequency plus Gamma(2, 1) noise: the
    likelihood keeps rising as q -> inf (no heterogeneity left beyond frequency)."""
    rng = np.random.default_rng(1)
    freq = rng.integers(1, 20, size=400)
    return np.column_stack([freq, 5.0 * freq + rng.gamma(2.0, 1.0, size=400)])


@pytest.mark.parametrize("seed", [None, 10, 25])
def test_gamma_gamma_stops_on_the_q_bound_with_a_true_warning(seed):
    """Issue 20: with the likelihood rising towards q = inf, the fit converges on q's
    upper bound for any row order (rows 10 and 25 used to end in ConvergenceError),
    the warning quotes q's own region, and its claim about the predictions holds."""
    X = _spend_tied_to_frequency()
    reference = X
    if seed is not None:
        X = X[np.random.default_rng(seed).permutation(len(X))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GammaGammaModel().fit(X)
        base = GammaGammaModel().fit(reference)
    bound = [str(w.message) for w in caught if "search region" in str(w.message)]
    assert len(bound) == 2
    assert (
        "parameter q = 1e+04 is at the upper end of its search region [0.0001, 1e+04]" in bound[0]
    )
    assert "parameter p" not in bound[0] and "parameter gamma" not in bound[0]
    np.testing.assert_array_equal(model.params_, base.params_)
    p, q, gamma = model.params_
    assert q == pytest.approx(1e4, rel=1e-12)
    assert np.isnan(model.standard_errors_["q"])
    assert np.isfinite(model.standard_errors_[["p", "gamma"]]).all()
    # "nearly the population mean, the own mean weighing at most w".
    population = p * gamma / (q - 1)
    assert f"= {population:.6g}" in bound[0]
    weight = float(bound[0].split("weighing at most ")[1].split(" ")[0])
    value = model.expected_average_value(X)
    own_weight = (value - population) / (X[:, 1] - population)
    assert np.all(own_weight <= weight * 1.05)
    assert np.all(np.isfinite(value)) and np.all(value > 0)


SCALES = [1e-3, 1.0, 7.0, 1e3, 1e8]


@pytest.mark.parametrize("c", SCALES)
def test_gamma_gamma_is_scale_equivariant(gamma_gamma, cdnow_summary, c):
    """Spend in another currency or in minor units (mean order value up to ~3e9):
    p and q are unchanged, gamma and the predictions scale by c, and no parameter
    reaches a bound (issue 20: at c = 1e8 gamma stopped on its bound, values 70 % off)."""
    scaled = cdnow_summary.assign(monetary_value=cdnow_summary["monetary_value"] * c)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BehaviorsegWarning)
        model = GammaGammaModel().fit(scaled)
    expected = gamma_gamma.params_.to_numpy() * [1.0, 1.0, c]
    np.testing.assert_allclose(model.params_, expected, rtol=1e-9)
    np.testing.assert_allclose(
        model.expected_average_value(scaled),
        c * gamma_gamma.expected_average_value(cdnow_summary),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        model.standard_errors_, gamma_gamma.standard_errors_.to_numpy() * [1, 1, c], rtol=1e-4
    )
    # The density of spend is in 1/currency: the log-likelihood shifts by -n log c.
    shift = -gamma_gamma.n_customers_ * np.log(c)
    assert model.log_likelihood_ == pytest.approx(gamma_gamma.log_likelihood_ + shift, abs=1e-6)


@pytest.mark.parametrize("c", [1.0 / 7.0, 7.0, 7.0 * 24.0, 7.0 * 86400.0])
def test_bgnbd_is_time_unit_equivariant(bgnbd, cdnow_summary, c):
    """Ages in days, hours or seconds instead of weeks: r, a, b are unchanged, alpha
    scales with the unit and the predictions over the same calendar span are the same
    (issue 20: in seconds alpha stopped on its bound and predictions were 99 % off)."""
    scaled = cdnow_summary.assign(recency=cdnow_summary["recency"] * c, T=cdnow_summary["T"] * c)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BehaviorsegWarning)
        model = BetaGeoModel().fit(scaled)
    np.testing.assert_allclose(
        model.params_, bgnbd.params_.to_numpy() * [1.0, c, 1.0, 1.0], rtol=1e-9
    )
    np.testing.assert_allclose(
        model.expected_purchases(scaled, 39.0 * c),
        bgnbd.expected_purchases(cdnow_summary, 39.0),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        model.probability_alive(scaled), bgnbd.probability_alive(cdnow_summary), rtol=1e-9
    )
    shift = -cdnow_summary["frequency"].sum() * np.log(c)
    assert model.log_likelihood_ == pytest.approx(bgnbd.log_likelihood_ + shift, abs=1e-6)


def test_bound_warning_quotes_each_parameters_own_region():
    """Parameters with different search regions are each reported with their own."""
    from behaviorseg.models._common import _warn_at_bound

    bounds = np.array([[1e-4, 1e4], [1e-6 * 30, 1e6 * 30]])
    with pytest.warns(BehaviorsegWarning) as caught:
        _warn_at_bound(
            "Model", ("r", "alpha"), np.array([1e-4, 3e7]), bounds, np.array([True, True])
        )
    message = str(caught[0].message)
    assert (
        "parameter r = 0.0001 is at the lower end of its search region [0.0001, 1e+04]" in message
    )
    assert (
        "parameter alpha = 3e+07 is at the upper end of its search region [3e-05, 3e+07]" in message
    )


@pytest.mark.parametrize("model", [BetaGeoModel(), GammaGammaModel()])
def test_duplicated_column_names_are_refused_by_name(model, cdnow_summary):
    """A column named twice (after pd.concat) is a SchemaError naming it, in fit and predict."""
    doubled = pd.concat([cdnow_summary, cdnow_summary[["frequency"]]], axis=1)
    with pytest.raises(SchemaError, match="'frequency' \\(2 times\\)"):
        model.fit(doubled)
    fitted = clone(model).fit(cdnow_summary)
    predict = (
        fitted.probability_alive
        if isinstance(fitted, BetaGeoModel)
        else fitted.expected_average_value
    )
    with pytest.raises(SchemaError, match="duplicated column names"):
        predict(doubled)


@settings(max_examples=40, deadline=None)
@given(
    p=st.floats(0.1, 100.0),
    q=st.floats(1.01, 100.0),
    gamma=st.floats(0.01, 1e4),
    x=st.integers(0, 500),
    m=st.floats(0.01, 1e5),
)
def test_gamma_gamma_values_are_positive_and_between_prior_and_own_mean(p, q, gamma, x, m):
    """The conditional mean lies between the population mean and the customer's own mean."""
    model = GammaGammaModel()
    model.params_ = pd.Series([p, q, gamma], index=["p", "q", "gamma"])
    value = model.expected_average_value(np.array([[x, m]]))[0]
    population = p * gamma / (q - 1)
    assert value > 0
    if x > 0:
        low, high = sorted([population, m])
        assert low * (1 - 1e-9) <= value <= high * (1 + 1e-9)
    else:
        assert value == pytest.approx(population)
