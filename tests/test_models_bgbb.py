"""BetaGeoBetaBinomModel (BG/BB): the published donations fit, lifetimes as an oracle,
the conditional distribution of future transactions and parameter recovery.

References
----------
- P. S. Fader, B. G. S. Hardie, J. Shang (2010), "Customer-base analysis in a
  discrete-time noncontractual setting", Marketing Science 29(6), 1086-1108: the 1995
  donor cohort (11,104 donors, 6 opportunities), alpha = 1.204, beta = 0.750,
  gamma = 0.657, delta = 2.783, LL = -33,225.6; eqs. 5, 7, 8, 11, 13, 14.
- lifetimes 0.11.3 ``BetaGeoBetaBinomFitter`` (test-time oracle only), which also
  ships the donations data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

from behaviorseg.datasets import load_donations, make_opportunity_histories
from behaviorseg.exceptions import DataValidationError
from behaviorseg.models import BetaGeoBetaBinomModel

NAMES = ["alpha", "beta", "gamma", "delta"]


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    return load_donations()


@pytest.fixture(scope="module")
def model(donations) -> BetaGeoBetaBinomModel:
    return BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])


def _oracle(model: BetaGeoBetaBinomModel) -> object:
    lifetimes = pytest.importorskip("lifetimes")
    fitter = lifetimes.BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series(model.params_.to_numpy(), index=NAMES)
    return fitter


def _columns(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        frame["frequency"].to_numpy(),
        frame["recency"].to_numpy(),
        frame["n_periods"].to_numpy(),
    )


def test_reproduces_fader_hardie_shang_2010_donations_fit(model):
    """alpha, beta, gamma, delta and the LL of the paper, to its digits."""
    assert model.params_.round(3).tolist() == [1.204, 0.750, 0.657, 2.783]
    assert round(model.log_likelihood_, 1) == -33225.6
    assert model.n_customers_ == 11104
    assert model.n_distinct_ == 22


def test_bundled_donations_equal_the_lifetimes_copy(donations):
    """The bundled file holds the same patterns and counts as lifetimes' donations.csv."""
    lifetimes = pytest.importorskip("lifetimes.datasets")
    theirs = lifetimes.load_donations()
    np.testing.assert_array_equal(
        donations.to_numpy(), theirs[["frequency", "recency", "periods", "weights"]].to_numpy()
    )


def test_fit_and_standard_errors_match_lifetimes(donations, model):
    """lifetimes' fit on the same data: same optimum and standard errors."""
    lifetimes = pytest.importorskip("lifetimes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = lifetimes.BetaGeoBetaBinomFitter().fit(
            *_columns(donations), weights=donations["n_donors"].to_numpy()
        )
    np.testing.assert_allclose(model.params_, fitter.params_[NAMES], rtol=1e-4)
    np.testing.assert_allclose(model.standard_errors_, fitter.standard_errors_[NAMES], rtol=1e-3)


@pytest.mark.parametrize("t", [1, 2, 5, 10])
def test_predictions_equal_lifetimes_at_the_same_parameters(donations, model, t):
    """P(alive at n + t) and E[X(n, n + t)] equal lifetimes' to 1e-6 relative."""
    fitter = _oracle(model)
    x, t_x, n = _columns(donations)
    np.testing.assert_allclose(
        model.probability_alive(donations, t),
        fitter.conditional_probability_alive(t, x, t_x, n),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        model.expected_purchases(donations, t),
        fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, n),
        rtol=1e-6,
    )


def test_new_customer_distribution_equals_lifetimes_eq7(donations, model):
    """P(X(6) = x) of a new customer (eq. 7) equals lifetimes' expected counts / 11,104."""
    fitter = _oracle(model)
    fitter.data = pd.DataFrame(
        {"frequency": donations["frequency"], "weights": donations["n_donors"]}
    )
    expected = fitter.expected_number_of_transactions_in_first_n_periods(6)["model"]
    new = pd.DataFrame({"frequency": [0], "recency": [0], "n_periods": [0]})
    ours = [model.probability_of_n_purchases(new, 6, k).iloc[0] for k in expected.index]
    np.testing.assert_allclose(ours, expected.to_numpy() / 11104, rtol=1e-6)


@pytest.mark.parametrize("t", [1, 3, 7])
def test_conditional_distribution_sums_to_one_with_the_expected_mean(donations, model, t):
    """Over n = 0..t the probabilities sum to 1 and average to expected_purchases."""
    probabilities = np.array(
        [model.probability_of_n_purchases(donations, t, k).to_numpy() for k in range(t + 1)]
    )
    np.testing.assert_allclose(probabilities.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(
        np.arange(t + 1) @ probabilities, model.expected_purchases(donations, t), rtol=1e-10
    )
    assert (model.probability_of_n_purchases(donations, t, t + 1) == 0).all()


def test_expected_purchases_of_a_new_customer_is_eq8(model):
    """E[X(n)] = a/(a+b) d/(g-1) [1 - G(g+d)/G(1+d) G(1+d+n)/G(g+d+n)] (eq. 8)."""
    from scipy.special import gammaln

    a, b, g, d = model.params_
    n = np.array([1.0, 6.0, 20.0])
    eq8 = (
        a
        / (a + b)
        * d
        / (g - 1)
        * (1 - np.exp(gammaln(g + d) - gammaln(1 + d) + gammaln(1 + d + n) - gammaln(g + d + n)))
    )
    new = pd.DataFrame({"frequency": 0, "recency": 0, "n_periods": np.zeros(3)})
    np.testing.assert_allclose(model.expected_purchases(new, n), eq8, rtol=1e-12)


def test_expected_purchases_near_gamma_one_uses_the_sum(donations, model):
    """At gamma = 1 the closed form is 0/0; the sum it stands for is used instead."""
    near = BetaGeoBetaBinomModel()
    near.params_ = model.params_.copy()
    near.params_["gamma"] = 1.0
    slightly = BetaGeoBetaBinomModel()
    slightly.params_ = model.params_.copy()
    slightly.params_["gamma"] = 1.0 + 1e-4
    np.testing.assert_allclose(
        near.expected_purchases(donations, 5), slightly.expected_purchases(donations, 5), rtol=1e-3
    )


def test_dert_equals_its_defining_sum(donations, model):
    """DERT (eq. 14) equals sum_i E[p] P(alive at n + i) / (1 + d)^i."""
    a, b, g, d = model.params_
    x, _, n = _columns(donations)
    ll = model.log_likelihood(donations).to_numpy()
    i = np.arange(1, 3000)[None, :]
    terms = np.exp(
        (betaln(a + x + 1, b + n - x) - betaln(a, b) - ll)[:, None]
        + betaln(g, d + n[:, None] + i)
        - betaln(g, d)
        - i * np.log(1.1)
    )
    dert = model.discounted_expected_purchases(donations, discount_rate=0.1)
    np.testing.assert_allclose(dert, terms.sum(axis=1), rtol=1e-10)


def test_weights_equal_expanded_rows(donations, model):
    """Fitting the 11,104 expanded rows, in any order, gives the weighted fit."""
    rows = donations.loc[donations.index.repeat(donations["n_donors"])]
    expanded = BetaGeoBetaBinomModel().fit(rows.sample(frac=1.0, random_state=1))
    np.testing.assert_allclose(expanded.params_, model.params_, rtol=1e-9)


def test_recovers_the_true_parameters_from_simulated_histories():
    """Fit on 30,000 simulated donors recovers alpha..delta within 3 standard errors, and
    predicts the simulated holdout."""
    truth_params = pd.Series({"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8})
    histories, truth = make_opportunity_histories(30_000, random_state=11, n_future=5)
    fitted = BetaGeoBetaBinomModel().fit(histories)
    z = (fitted.params_ - truth_params) / fitted.standard_errors_
    assert (z.abs() < 3).all(), z
    expected = fitted.expected_purchases(histories, 5).mean()
    assert expected == pytest.approx(truth["future_purchases"].mean(), rel=0.03)
    alive = fitted.probability_alive(histories, 1).mean()
    assert alive == pytest.approx(truth["alive_next"].mean(), abs=0.01)


def test_reads_a_clv_summary_with_n_periods_col_T():
    """A clv_summary in the opportunity period reads with n_periods_col='T'."""
    histories, _ = make_opportunity_histories(300, random_state=0)
    renamed = histories.rename(columns={"n_periods": "T"})
    a = BetaGeoBetaBinomModel().fit(histories)
    b = BetaGeoBetaBinomModel(n_periods_col="T").fit(renamed)
    np.testing.assert_array_equal(a.params_, b.params_)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ((3, 2, 6), "frequency' > 'recency"),
        ((2, 7, 6), "recency' > 'n_periods"),
        ((0, 2, 6), "frequency' == 0"),
        ((1.5, 2, 6), "non-integer"),
    ],
)
def test_impossible_histories_are_refused_with_the_reason(row, match):
    """Histories that cannot happen are refused, naming the columns."""
    X = pd.DataFrame([row, (1, 1, 6)], columns=["frequency", "recency", "n_periods"])
    with pytest.raises(DataValidationError, match=match):
        BetaGeoBetaBinomModel().fit(X)


def test_future_opportunities_must_be_whole(model, donations):
    """t = 1.5 opportunities is refused."""
    with pytest.raises(ValueError, match="whole numbers"):
        model.expected_purchases(donations, 1.5)
