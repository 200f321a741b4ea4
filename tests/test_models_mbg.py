"""ModifiedBetaGeoModel (MBG/NBD), and what it shares with BetaGeoModel: the distribution
of future purchases, sample weights, lifetimes' penalty and the (frequency, recency)
matrices.

References
----------
- E. P. Batislam, M. Denizel, A. Filiztekin (2007), "Empirical validation and comparison
  of models for customer base analysis", IJRM 24(3): the MBG/NBD model; U. Wagner,
  D. Hoppe (2008), "Erratum on the MBG/NBD model", IJRM 25(3).
- CDNOW sample, 39-week calibration, weeks: r = 0.525, alpha = 6.183, a = 0.891,
  b = 1.614 (R package BTYDplus, ``mbgcnbd.EstimateParameters`` with k = 1, and
  lifetimes 0.11.3 ``ModifiedBetaGeoFitter`` agree).
- P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), Marketing Science 24(2), eq. 8: the
  BG/NBD P(X(t) = n), as lifetimes' ``probability_of_n_purchases_up_to_time``.
- lifetimes 0.11.3 (test-time oracle only).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import behaviorseg as bs
from behaviorseg.exceptions import RowsExcludedWarning
from behaviorseg.models import BetaGeoModel, ModifiedBetaGeoModel

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter

NAMES = ["r", "alpha", "a", "b"]
ORACLES = {BetaGeoModel: BetaGeoFitter, ModifiedBetaGeoModel: ModifiedBetaGeoFitter}


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        return bs.clv_summary(
            bs.datasets.load_cdnow(), as_of="1997-09-30", freq="D", freq_multiplier=7
        )


@pytest.fixture(scope="module")
def mbg(cdnow_summary) -> ModifiedBetaGeoModel:
    return ModifiedBetaGeoModel().fit(cdnow_summary)


def _oracle(model) -> object:
    fitter = ORACLES[type(model)]()
    fitter.params_ = pd.Series(model.params_.to_numpy(), index=NAMES)
    return fitter


def _columns(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()


def test_mbg_reproduces_the_published_cdnow_parameters(mbg):
    """BTYDplus / lifetimes: r = 0.525, alpha = 6.183, a = 0.891, b = 1.614."""
    assert mbg.params_.round(3).to_dict() == {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    assert mbg.n_customers_ == 2357


def test_mbg_fit_and_predictions_equal_lifetimes(mbg, cdnow_summary):
    """Same optimum as lifetimes (1e-5); per-customer predictions equal to 1e-6."""
    x, t_x, T = _columns(cdnow_summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = ModifiedBetaGeoFitter().fit(x, t_x, T)
    np.testing.assert_allclose(mbg.params_, fitted.params_.to_numpy(), rtol=1e-5)
    ref = _oracle(mbg)
    np.testing.assert_allclose(
        mbg.probability_alive(cdnow_summary),
        ref.conditional_probability_alive(x, t_x, T),
        rtol=1e-6,
    )
    for t in (1.0, 13.0, 39.0, 52.0):
        np.testing.assert_allclose(
            mbg.expected_purchases(cdnow_summary, t),
            ref.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T),
            rtol=1e-6,
        )
    ts = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        mbg.expected_purchases_new(ts), ref.expected_number_of_purchases_up_to_time(ts), rtol=1e-6
    )


def test_mbg_one_time_buyers_can_be_gone(mbg):
    """Unlike BG/NBD, a one-time buyer may have dropped out, more so the older they are."""
    alive = mbg.probability_alive(np.array([[0, 0.0, 1.0], [0, 0.0, 39.0]]))
    assert np.all(alive < 1) and alive[1] < alive[0]


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel])
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_new_customer_distribution_equals_lifetimes(cdnow_summary, model_class, n):
    """At frequency = recency = T = 0, P(n purchases in t) is lifetimes' unconditional
    probability_of_n_purchases_up_to_time (eq. 8 for BG/NBD)."""
    model = model_class().fit(cdnow_summary)
    ref = _oracle(model)
    for t in (1.0, 39.0, 104.0):
        ours = model.probability_of_n_purchases(np.zeros((1, 3)), t, n)[0]
        assert ours == pytest.approx(
            float(ref.probability_of_n_purchases_up_to_time(t, n)), rel=1e-9
        )


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel])
def test_conditional_distribution_sums_to_one_with_the_expected_mean(cdnow_summary, model_class):
    """Per customer: sum_n P(n) = 1, sum_n n P(n) = expected_purchases, P(0) = no purchase."""
    model = model_class().fit(cdnow_summary)
    some = cdnow_summary.iloc[::5]
    probs = np.array([model.probability_of_n_purchases(some, 39.0, n) for n in range(400)])
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-10)
    np.testing.assert_allclose(
        np.arange(400) @ probs, model.expected_purchases(some, 39.0), rtol=1e-9
    )
    np.testing.assert_allclose(probs[0], model.probability_no_purchase(some, 39.0), rtol=1e-12)


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel])
def test_sample_weight_of_collapsed_rows_equals_the_expanded_fit(cdnow_summary, model_class):
    """Distinct rows with their counts as sample_weight: bit-identical parameters."""
    expanded = model_class().fit(cdnow_summary)
    counts = cdnow_summary.value_counts(["frequency", "recency", "T"]).reset_index(name="n")
    collapsed = model_class().fit(counts, sample_weight=counts["n"].to_numpy())
    np.testing.assert_array_equal(collapsed.params_, expanded.params_)
    assert collapsed.n_customers_ == expanded.n_customers_ == 2357
    assert collapsed.log_likelihood_ == pytest.approx(expanded.log_likelihood_, rel=1e-12)


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel])
def test_penalizer_matches_lifetimes(cdnow_summary, model_class):
    """penalizer_coef = 0.01 (lifetimes: 0.01 * sum(params**2), alpha in units of max T,
    added to the mean negative log-likelihood): the same parameters to 1e-5."""
    model = model_class(penalizer_coef=0.01).fit(cdnow_summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ORACLES[model_class](penalizer_coef=0.01).fit(*_columns(cdnow_summary))
    np.testing.assert_allclose(model.params_, ref.params_.to_numpy(), rtol=1e-5)


def test_bad_weights_and_penalty_are_refused(cdnow_summary):
    """Negative weights, wrong lengths and negative penalties name the parameter."""
    with pytest.raises(bs.exceptions.DataValidationError, match="sample_weight has 1 negative"):
        BetaGeoModel().fit(cdnow_summary, sample_weight=np.r_[-1.0, np.ones(2356)])
    with pytest.raises(ValueError, match="one weight per row"):
        BetaGeoModel().fit(cdnow_summary, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="penalizer_coef"):
        ModifiedBetaGeoModel(penalizer_coef=-1.0).fit(cdnow_summary)
    with pytest.raises(ValueError, match="whole numbers"):
        BetaGeoModel().fit(cdnow_summary).probability_of_n_purchases(cdnow_summary, 5, 1.5)


def test_matrices_hold_the_per_customer_values(mbg):
    """probability_alive_matrix / expected_purchases_matrix: rows recency, columns
    frequency, nan where the history is impossible, values as per customer."""
    alive = mbg.probability_alive_matrix(39.0, max_frequency=8)
    assert alive.index.name == "recency" and alive.columns.name == "frequency"
    assert alive.shape == (40, 9)
    assert np.isnan(alive.loc[0.0, 1]) and not np.isnan(alive.loc[0.0, 0])
    assert alive.loc[30.0, 4] == pytest.approx(
        mbg.probability_alive(np.array([[4, 30.0, 39.0]]))[0]
    )
    grid = mbg.expected_purchases_matrix(13.0, 39.0, max_frequency=3, recency=[0.0, 10.0, 39.0])
    assert list(grid.index) == [0.0, 10.0, 39.0]
    assert grid.loc[39.0, 3] > grid.loc[10.0, 3]
    with pytest.raises(ValueError, match="recency values"):
        mbg.probability_alive_matrix(39.0, max_frequency=3, recency=[50.0])
