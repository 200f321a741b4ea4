"""ParetoNBDModel: published CDNOW results, lifetimes parity, the distribution of future
purchases, weights, the penalty and numerical robustness.

References
----------
- D. C. Schmittlein, D. G. Morrison, R. Colombo (1987), "Counting your customers: who
  are they and what will they do next?", Management Science 33(1): the model.
- P. S. Fader, B. G. S. Hardie (2005), "A note on implementing the Pareto/NBD model in
  MATLAB" (brucehardie.com/notes/008): the likelihood with its two 2F1 branches and, on
  the CDNOW sample (2,357 customers, 39-week calibration, weeks), r = 0.553,
  alpha = 10.578, s = 0.606, beta = 11.669, LL = -9594.98.
- lifetimes 0.11.3 ``ParetoNBDFitter`` (test-time oracle only) for per-customer values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

import behaviorseg as bs
from behaviorseg.exceptions import RowsExcludedWarning
from behaviorseg.models import ParetoNBDModel
from behaviorseg.models._common import _levels
from behaviorseg.models._pareto_nbd import (
    _SERIES_MAX_Z,
    _log_integral,
    _log_integral_and_gradient,
    _log_integral_quadrature,
    _log_likelihood,
    _log_likelihood_and_gradient,
)

with warnings.catch_warnings():  # lifetimes sets a pandas option that pandas 3 deprecates
    warnings.simplefilter("ignore")
    from lifetimes import ParetoNBDFitter

NAMES = ["r", "alpha", "s", "beta"]


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """The 39-week CDNOW calibration summary in weeks, from the bundled transactions."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        return bs.clv_summary(
            bs.datasets.load_cdnow(), as_of="1997-09-30", freq="D", freq_multiplier=7
        )


@pytest.fixture(scope="module")
def pareto(cdnow_summary) -> ParetoNBDModel:
    return ParetoNBDModel().fit(cdnow_summary)


def _lifetimes(params: pd.Series) -> ParetoNBDFitter:
    fitter = ParetoNBDFitter()
    fitter.params_ = pd.Series(params.to_numpy(), index=NAMES)
    return fitter


def _with_params(params: list[float]) -> ParetoNBDModel:
    model = ParetoNBDModel()
    model.params_ = pd.Series(params, index=NAMES)
    return model


def _columns(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()


# --- published results -----------------------------------------------------------------


def test_reproduces_the_published_cdnow_parameters(pareto):
    """Fader & Hardie (2005, MATLAB note): r, alpha, s, beta to 3 decimals, LL -9594.98."""
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert pareto.params_.round(3).to_dict() == published
    assert round(pareto.log_likelihood_, 2) == -9594.98
    assert pareto.n_customers_ == 2357 and pareto.n_distinct_ < 2357


def test_bundled_transactions_give_the_published_fit_from_the_shared_summary(shared_data, pareto):
    """The shared CDNOW summary file (2-decimal weeks) gives the same parameters to 3 decimals."""
    summary = pd.read_csv(shared_data / "cdnow" / "cdnow_customers_summary.csv")
    model = ParetoNBDModel().fit(summary)
    np.testing.assert_allclose(model.params_, pareto.params_, rtol=2e-3)
    assert round(model.log_likelihood_, 0) == -9595


# --- parity with lifetimes (same parameters) --------------------------------------------


def test_log_likelihood_equals_lifetimes_per_customer(pareto, cdnow_summary):
    """Per-customer log-likelihood equals lifetimes' _conditional_log_likelihood to 1e-10."""
    ours = pareto.log_likelihood(cdnow_summary)
    ref = ParetoNBDFitter._conditional_log_likelihood(
        pareto.params_.to_numpy(), *_columns(cdnow_summary)
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-10)
    assert ours.sum() == pytest.approx(pareto.log_likelihood_, rel=1e-12)


def test_predictions_equal_lifetimes_per_customer(pareto, cdnow_summary):
    """P(alive), conditional and unconditional expectations equal lifetimes' to 1e-6."""
    x, t_x, T = _columns(cdnow_summary)
    ref = _lifetimes(pareto.params_)
    np.testing.assert_allclose(
        pareto.probability_alive(cdnow_summary),
        ref.conditional_probability_alive(x, t_x, T),
        rtol=1e-6,
    )
    for t in (1.0, 13.0, 39.0, 52.0):
        np.testing.assert_allclose(
            pareto.expected_purchases(cdnow_summary, t),
            ref.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T),
            rtol=1e-6,
        )
    ts = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        pareto.expected_purchases_new(ts),
        ref.expected_number_of_purchases_up_to_time(ts),
        rtol=1e-6,
    )


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("t", [13.0, 39.0])
def test_probability_of_n_purchases_equals_lifetimes(pareto, cdnow_summary, n, t):
    """The conditional pmf equals lifetimes' (Fader & Hardie's note 028, eq. 16) to 1e-6."""
    ref = _lifetimes(pareto.params_).conditional_probability_of_n_purchases_up_to_time(
        n, t, *_columns(cdnow_summary)
    )
    np.testing.assert_allclose(
        pareto.probability_of_n_purchases(cdnow_summary, t, n), ref, rtol=1e-6
    )


def test_probability_of_n_purchases_is_a_distribution_with_the_expected_mean(pareto, cdnow_summary):
    """Sum over n of P(n) is 1 and sum of n P(n) is expected_purchases, per customer."""
    some = cdnow_summary.iloc[::7]
    probs = np.array([pareto.probability_of_n_purchases(some, 39.0, n) for n in range(300)])
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose(
        np.arange(300) @ probs, pareto.expected_purchases(some, 39.0), rtol=1e-8
    )
    new = np.zeros((1, 3))
    mean_new = sum(n * pareto.probability_of_n_purchases(new, 52.0, n)[0] for n in range(300))
    assert mean_new == pytest.approx(pareto.expected_purchases_new(52.0), rel=1e-8)
    np.testing.assert_allclose(pareto.probability_no_purchase(some, 39.0), probs[0], rtol=1e-12)


# --- the analytic gradient -----------------------------------------------------------------


def _log_integral_by_quad(r, alpha, s, beta, x, t_x, T):
    """log of the integral of _log_integral by scipy.integrate.quad (u = t_x + e^w)."""
    shift = -(r + x) * np.log(alpha + t_x) - (s + 1) * np.log(beta + t_x)

    def integrand(w: float) -> float:
        u = t_x + np.exp(w)
        return np.exp(w - (r + x) * np.log(alpha + u) - (s + 1) * np.log(beta + u) - shift)

    value, _ = quad(integrand, -60.0, np.log(T - t_x), epsabs=0, epsrel=1e-13, limit=500)
    return shift + np.log(value)


def _rows_and_cdnow(cdnow_summary):
    """CDNOW's rows plus the edge cases: t_x = T, T = 0, a heavy buyer, a tiny gap."""
    x, t_x, T = _columns(cdnow_summary)
    extra = np.array(
        [[0, 0.0, 0.0], [3, 20.0, 20.0], [250, 30.0, 39.0], [1, 39.0 - 1e-9, 39.0], [0, 0.0, 80.0]]
    )
    return (np.concatenate([col, add]) for col, add in zip((x, t_x, T), extra.T, strict=True))


@pytest.mark.parametrize(
    "params",
    [
        (0.553, 10.578, 0.606, 11.669),  # the CDNOW optimum: alpha < beta
        (0.553, 12.578, 0.606, 10.669),  # alpha > beta
        (0.5, 1.0, 2.0, 1.0),  # alpha == beta, where the two branches meet
        (0.5, 1.0, 2.0, 1.0 + 1e-9),
        (2.0, 1.0, 0.3, 50.0),  # z up to 0.98: rows on both sides of the series limit
        (30.0, 0.5, 3.0, 100.0),
        (0.05, 200.0, 5.0, 0.2),
    ],
)
def test_analytic_gradient_equals_central_differences_of_the_closed_form(cdnow_summary, params):
    """Per row, the series likelihood equals the 2F1 closed form to 1e-12 and its gradient
    equals central differences of that closed form (in log-parameters) to 1e-6."""
    x, t_x, T = _rows_and_cdnow(cdnow_summary)
    params = np.array(params)
    ll, grad = _log_likelihood_and_gradient(params, x, t_x, T)
    np.testing.assert_allclose(ll, _log_likelihood(*params, x, t_x, T), rtol=1e-12, atol=1e-12)
    step = 1e-6
    for k in range(4):
        up, down = params.copy(), params.copy()
        up[k] *= np.exp(step)
        down[k] *= np.exp(-step)
        central = (_log_likelihood(*up, x, t_x, T) - _log_likelihood(*down, x, t_x, T)) / (2 * step)
        np.testing.assert_allclose(grad[:, k] * params[k], central, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("r", "alpha", "s", "beta", "x", "t_x", "T"),
    [
        (14.436, 1.696, 0.18858, 44.95, 292, 0.7043, 1.3141),  # z = 0.947, alpha < beta
        (7.878, 1203.7, 6568.9, 68.17, 0, 0.0, 45.468),  # z = 0.943, alpha > beta
        (0.2789, 6.347e-4, 22.27, 1397.4, 1820, 661.76, 2200.6),  # huge x and T
        (0.553, 10.578, 0.606, 11.669, 2, 30.43, 38.86),
    ],
)
def test_series_is_exact_where_scipys_2f1_drifts(r, alpha, s, beta, x, t_x, T):
    """The series of the likelihood's integral equals adaptive quadrature to 1e-13 relative,
    also near the series limit where scipy's 2F1 closed form is off by up to 1e-9."""
    args = [np.array([v], dtype=float) for v in (x, t_x, T)]
    assert abs(alpha - beta) / (max(alpha, beta) + t_x) <= _SERIES_MAX_Z
    series, _ = _log_integral_and_gradient(r, alpha, s, beta, *args, _levels(args[0]))
    reference = _log_integral_by_quad(r, alpha, s, beta, x, t_x, T)
    assert series[0] == pytest.approx(reference, rel=1e-13, abs=1e-12)


def test_fit_is_the_exact_maximum(pareto, cdnow_summary):
    """At the fitted parameters the gradient of the log-likelihood vanishes (to rounding)."""
    x, t_x, T = _columns(cdnow_summary)
    params = pareto.params_.to_numpy()
    _, grad = _log_likelihood_and_gradient(params, x, t_x, T)
    assert np.abs(grad.sum(axis=0) * params).max() < 1e-8 * len(x)
    assert np.abs(pareto.optimizer_result_.jac).max() < 1e-10


def test_fits_in_between_do_not_change_the_next_one(pareto, cdnow_summary):
    """The likelihood's memo of distinct pairs serves one fit: fits on other data in
    between leave a refit bit-identical."""
    days = cdnow_summary.assign(recency=cdnow_summary["recency"] * 7, T=cdnow_summary["T"] * 7)
    ParetoNBDModel().fit(days)
    ParetoNBDModel().fit(cdnow_summary.iloc[::2])
    np.testing.assert_array_equal(ParetoNBDModel().fit(cdnow_summary).params_, pareto.params_)


# --- weights, penalty, sklearn behaviour ---------------------------------------------------


def test_sample_weight_of_collapsed_rows_equals_the_expanded_fit(pareto, cdnow_summary):
    """Fitting the distinct rows with their counts gives bit-identical parameters."""
    counts = cdnow_summary.value_counts(["frequency", "recency", "T"]).reset_index(name="n")
    model = ParetoNBDModel().fit(counts, sample_weight=counts["n"])
    np.testing.assert_array_equal(model.params_, pareto.params_)
    assert model.n_customers_ == 2357
    assert model.log_likelihood_ == pytest.approx(pareto.log_likelihood_, rel=1e-12)


def test_penalizer_matches_lifetimes_definition(cdnow_summary):
    """penalizer_coef=0.01: lifetimes adds 0.01 * sum(params**2), times in units of max T,
    to the total negative log-likelihood. Its Nelder-Mead stops at tol 1e-4 (where
    depends on the scipy version), so the parameters agree to 1e-3 and ours are at least
    as good under lifetimes' own objective."""
    model = ParetoNBDModel(penalizer_coef=0.01).fit(cdnow_summary)
    x, t_x, T = _columns(cdnow_summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ParetoNBDFitter(penalizer_coef=0.01).fit(x, t_x, T)
    np.testing.assert_allclose(model.params_, ref.params_.to_numpy(), rtol=1e-3)
    units = np.array([1.0, 1.0 / T.max(), 1.0, 1.0 / T.max()])  # lifetimes' time scale

    def objective(params: np.ndarray) -> float:
        return ParetoNBDFitter._negative_log_likelihood(
            params * units, x, t_x / T.max(), T / T.max(), np.ones(len(x)), 0.01
        )

    assert objective(model.params_.to_numpy()) <= objective(ref.params_.to_numpy()) + 1e-9
    assert model.params_["beta"] < ParetoNBDModel().fit(cdnow_summary).params_["beta"]


@pytest.mark.parametrize("seed", [3, 2024])
def test_row_order_does_not_change_the_fit(pareto, cdnow_summary, seed):
    """Shuffled rows give bit-identical parameters."""
    refit = ParetoNBDModel().fit(cdnow_summary.sample(frac=1.0, random_state=seed))
    np.testing.assert_array_equal(refit.params_, pareto.params_)


@pytest.mark.parametrize("c", [1.0 / 7.0, 7.0 * 24.0])
def test_time_unit_equivariance(pareto, cdnow_summary, c):
    """Ages in days or hours: r, s unchanged, alpha and beta scale, predictions follow."""
    scaled = cdnow_summary.assign(recency=cdnow_summary["recency"] * c, T=cdnow_summary["T"] * c)
    model = ParetoNBDModel().fit(scaled)
    np.testing.assert_allclose(model.params_, pareto.params_.to_numpy() * [1, c, 1, c], rtol=1e-6)
    np.testing.assert_allclose(
        model.expected_purchases(scaled, 39.0 * c),
        pareto.expected_purchases(cdnow_summary, 39.0),
        rtol=1e-6,
    )


def test_summary_and_matrices(pareto):
    """summary() has intervals; the matrices are P(alive) / E[purchases] on the grid."""
    table = pareto.summary()
    assert list(table.index) == NAMES and (table["ci_low"] < table["estimate"]).all()
    alive = pareto.probability_alive_matrix(39.0, max_frequency=5)
    assert alive.shape == (40, 6)
    assert np.isnan(alive.loc[0.0, 3]) and np.isnan(alive.loc[10.0, 0])
    assert alive.loc[39.0, 5] == pytest.approx(
        pareto.probability_alive(np.array([[5, 39.0, 39.0]]))[0]
    )
    expected = pareto.expected_purchases_matrix(13.0, 39.0, max_frequency=5)
    assert expected.loc[20.0, 2] == pytest.approx(
        pareto.expected_purchases(np.array([[2, 20.0, 39.0]]), 13.0)[0]
    )


def test_one_time_buyers_can_be_dead(pareto, cdnow_summary):
    """Unlike BG/NBD, P(alive) of a one-time buyer is below 1 and falls with T."""
    ages = np.array([[0, 0.0, 1.0], [0, 0.0, 20.0], [0, 0.0, 60.0]])
    alive = pareto.probability_alive(ages)
    assert np.all(alive < 1) and np.all(np.diff(alive) < 0)


# --- numerical robustness ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("r", "alpha", "s", "beta", "x", "t_x", "T"),
    [
        (0.55, 10.6, 0.61, 11.7, 2, 30.43, 38.86),
        (2.0, 1.0, 0.3, 50.0, 40, 10.0, 60.0),
        (0.5, 80.0, 3.0, 0.5, 15, 5.0, 200.0),
        (5.0, 3.0, 5.0, 3.0, 100, 99.0, 100.0),
    ],
)
def test_quadrature_agrees_with_the_closed_form_and_with_adaptive_integration(
    r, alpha, s, beta, x, t_x, T
):
    """The 2F1 closed form, its Gauss-Legendre fallback and scipy.integrate.quad agree."""
    args = [np.array([v], dtype=float) for v in (r, alpha, s, beta, x, t_x, T)]
    closed = _log_integral(*args)[0]
    fallback = _log_integral_quadrature(*args)[0]
    shift = -(r + x) * np.log(alpha + t_x) - (s + 1) * np.log(beta + t_x)
    value, _ = quad(
        lambda u: np.exp(-(r + x) * np.log(alpha + u) - (s + 1) * np.log(beta + u) - shift),
        t_x,
        T,
        epsabs=0,
        epsrel=1e-12,
    )
    assert closed == pytest.approx(shift + np.log(value), abs=1e-9)
    assert fallback == pytest.approx(closed, abs=2e-5)  # the fallback is for the corners


@settings(max_examples=60, deadline=None)
@given(
    r=st.floats(1e-4, 1e4),
    alpha=st.floats(1e-4, 1e6),
    s=st.floats(1e-4, 1e4),
    beta=st.floats(1e-4, 1e6),
    x=st.integers(0, 1000),
    recency_share=st.floats(0.0, 1.0),
    T=st.floats(0.5, 5000.0),
)
def test_predictions_stay_finite_over_the_whole_search_region(
    r, alpha, s, beta, x, recency_share, T
):
    """Likelihood finite; P(alive) in [0, 1]; E[purchases] finite, >= 0, non-decreasing."""
    t_x = 0.0 if x == 0 else max(recency_share * T, 1e-3)
    X = np.array([[x, t_x, T]])
    model = _with_params([r, alpha, s, beta])
    assert np.isfinite(model.log_likelihood(X)[0])
    alive = model.probability_alive(X)[0]
    assert 0.0 <= alive <= 1.0
    counts = np.array([model.expected_purchases(X, t)[0] for t in (0.0, 1.0, 10.0, 100.0)])
    assert np.all(np.isfinite(counts)) and counts[0] == 0.0
    assert np.all(np.diff(counts) >= -1e-8 * max(counts.max(), 1.0))
    quiet = model.probability_no_purchase(X, 10.0)[0]
    assert 1.0 - alive - 1e-9 <= quiet <= 1.0


def test_large_frequency_and_age_fit_without_overflow():
    """Heavy buyers over a long window (x up to 2,000, T up to 10,000 days) fit finitely."""
    rng = np.random.default_rng(5)
    T = rng.uniform(1000, 10_000, 500)
    x = rng.integers(0, 2000, 500)
    t_x = np.where(x > 0, T * rng.uniform(0.2, 1.0, 500), 0.0)
    model = ParetoNBDModel().fit(np.column_stack([x, t_x, T]))
    assert np.all(np.isfinite(model.params_)) and np.isfinite(model.log_likelihood_)
    assert np.all(np.isfinite(model.expected_purchases(np.column_stack([x, t_x, T]), 365.0)))
