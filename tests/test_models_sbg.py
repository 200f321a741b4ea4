"""ShiftedBetaGeoModel (sBG): published reproductions, predictions and bad input.

References
----------
- P. S. Fader, B. G. S. Hardie (2007), "How to project customer retention", Journal of
  Interactive Marketing 21(1), 76-90: the "high end" and "regular" cohorts, years 0-7
  (fit) and 8-12 (actual survivors, held out); alpha, beta and LL in the text.
- P. S. Fader, B. G. S. Hardie (2010), "Customer-base valuation in a contractual
  setting: the perils of ignoring heterogeneity", Marketing Science 29(1), 85-93, eq. 6:
  DERL, checked here against its defining sum.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

from behaviorseg.datasets import make_subscriptions
from behaviorseg.exceptions import BehaviorsegWarning, DataValidationError, SchemaError
from behaviorseg.models import ShiftedBetaGeoModel
from behaviorseg.summaries import subscription_table, tenures_from_survivors

HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
#: Actual survivors in years 8-12 (Fader & Hardie 2007, table 1), not used in the fit.
HIGH_END_LATER = [468, 445, 427, 409, 394]
REGULAR_LATER = [223, 207, 194, 183, 173]


def _fit(survivors: list[int]) -> ShiftedBetaGeoModel:
    table = tenures_from_survivors(survivors)
    return ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "loglik"),
    [(HIGH_END, 0.668, 3.806, -1611.2), (REGULAR, 0.704, 1.182, -1680.3)],
    ids=["high end", "regular"],
)
def test_reproduces_fader_hardie_2007_estimates(survivors, alpha, beta, loglik):
    """alpha, beta and the log-likelihood of both cohorts match the paper to its digits."""
    model = _fit(survivors)
    assert model.params_.round(3).tolist() == [alpha, beta]
    assert round(model.log_likelihood_, 1) == loglik
    assert model.n_subscribers_ == 1000
    assert model.n_churned_ == 1000 - survivors[-1]


@pytest.mark.parametrize(
    ("survivors", "later", "projected", "worst"),
    [
        (HIGH_END, HIGH_END_LATER, [460, 436, 414, 395, 378], 0.045),
        (REGULAR, REGULAR_LATER, [220, 204, 191, 180, 170], 0.02),
    ],
    ids=["high end", "regular"],
)
def test_projects_years_8_to_12_close_to_the_held_out_survivors(survivors, later, projected, worst):
    """Projected survivors (1000 S(t), t = 8..12) stay within a few % of the actual ones."""
    model = _fit(survivors)
    ours = 1000 * model.survival_function(np.arange(8, 13))
    assert np.round(ours).tolist() == projected
    error = np.abs(ours / np.array(later) - 1)
    assert error.max() < worst  # high end 4.1 %, regular 1.7 % at year 12


def test_fit_equals_the_fit_of_the_expanded_individual_table():
    """Weighted survivor counts and one row per subscriber give the same estimates."""
    table = tenures_from_survivors(REGULAR)
    rows = table.loc[table.index.repeat(table["n_subscribers"])].reset_index(drop=True)
    weighted = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
    expanded = ShiftedBetaGeoModel().fit(rows.sample(frac=1.0, random_state=0))
    np.testing.assert_allclose(weighted.params_, expanded.params_, rtol=1e-9)
    assert weighted.log_likelihood_ == pytest.approx(expanded.log_likelihood_, rel=1e-12)


def test_several_cohorts_fit_together_with_right_censoring():
    """A triangle of cohorts observed for different lengths fits as one likelihood."""
    triangle = pd.DataFrame(
        {"2019": REGULAR, "2020": REGULAR[:5] + [np.nan] * 3, "2021": REGULAR[:3] + [np.nan] * 5}
    )
    table = tenures_from_survivors(triangle)
    assert set(table["cohort"]) == {"2019", "2020", "2021"}
    model = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
    alpha, beta = model.params_
    expected = 0.0
    for column in triangle:
        counts = triangle[column].dropna().to_numpy()
        t = np.arange(1, len(counts))
        expected += float(
            -np.diff(counts) @ (betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))
        )
        expected += counts[-1] * (betaln(alpha, beta + t[-1]) - betaln(alpha, beta))
    assert model.log_likelihood_ == pytest.approx(expected, rel=1e-12)
    assert model.n_subscribers_ == 3000


def test_standard_errors_match_the_inverse_observed_information():
    """Standard errors equal the inverse Hessian of the log-likelihood (finite differences)."""
    model = _fit(HIGH_END)
    table = tenures_from_survivors(HIGH_END)
    w = table["n_subscribers"].to_numpy()
    t = table["tenure_periods"].to_numpy()
    c = table["churned"].to_numpy()

    def loglik(p: np.ndarray) -> float:
        a, b = p
        terms = np.where(c, betaln(a + 1, b + t - 1), betaln(a, b + t)) - betaln(a, b)
        return float(w @ terms)

    p0, h = model.params_.to_numpy(), 1e-4
    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * h, np.eye(2)[j] * h
            hessian[i, j] = (
                loglik(p0 + e_i + e_j)
                - loglik(p0 + e_i - e_j)
                - loglik(p0 - e_i + e_j)
                + loglik(p0 - e_i - e_j)
            ) / (4 * h * h)
    errors = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    np.testing.assert_allclose(model.standard_errors_, errors, rtol=1e-4)
    assert model.summary().loc["alpha", "ci_low"] < 0.668 < model.summary().loc["alpha", "ci_high"]


def test_retention_rate_is_the_ratio_of_survival_and_rises_with_tenure():
    """r(t) = S(t) / S(t - 1), increasing in t (the sorting effect of heterogeneity)."""
    model = _fit(REGULAR)
    t = np.arange(1, 15)
    ratio = model.survival_function(t) / model.survival_function(t - 1)
    np.testing.assert_allclose(model.retention_rate(t), ratio, rtol=1e-12)
    assert np.all(np.diff(model.retention_rate(t)) > 0)
    assert model.survival_function(0) == 1.0


def test_churn_probability_falls_with_tenure_and_matches_the_posterior_mean():
    """Next-period churn is alpha / (alpha + beta + n); churned subscribers get 1."""
    model = _fit(REGULAR)
    alpha, beta = model.params_
    X = pd.DataFrame({"tenure_periods": [0, 1, 5, 3], "churned": [False, False, False, True]})
    risk = model.churn_probability(X)
    np.testing.assert_allclose(risk[:3], alpha / (alpha + beta + np.array([0, 1, 5])))
    assert risk.iloc[3] == 1.0
    two = model.churn_probability(X, t=2)
    assert np.all(two[:3] > risk[:3])
    assert risk.name == "churn_probability"


@pytest.mark.parametrize("discount_rate", [0.05, 0.1, 0.25])
def test_derl_equals_its_defining_sum(discount_rate):
    """DERL (Fader & Hardie 2010, eq. 6) equals sum_k S(n + 1 + k) / S(n) / (1 + d)^k."""
    model = _fit(HIGH_END)
    alpha, beta = model.params_
    tenure = np.array([0, 1, 2, 5, 10, 30])
    X = pd.DataFrame({"tenure_periods": tenure, "churned": False})
    derl = model.discounted_expected_residual_lifetime(X, discount_rate=discount_rate)
    k = np.arange(0, 4000)[None, :]
    n = tenure[:, None]
    terms = np.exp(
        betaln(alpha, beta + n + 1 + k) - betaln(alpha, beta + n) - k * np.log1p(discount_rate)
    )
    np.testing.assert_allclose(derl, terms.sum(axis=1), rtol=1e-10)
    assert np.all(np.diff(derl) > 0)  # the longer the tenure, the more valuable


def test_derl_of_a_churned_subscriber_is_zero_and_discount_must_be_positive():
    """Churned subscribers are worth nothing more; discount_rate 0 is refused."""
    model = _fit(REGULAR)
    X = pd.DataFrame({"tenure_periods": [2], "churned": [True]})
    assert model.discounted_expected_residual_lifetime(X, discount_rate=0.1).iloc[0] == 0.0
    with pytest.raises(ValueError, match="discount_rate"):
        model.discounted_expected_residual_lifetime(X, discount_rate=0.0)


def test_expected_remaining_lifetime_is_infinite_below_alpha_one_and_matches_the_sum_above():
    """(beta + n) / (alpha - 1) when alpha > 1, inf otherwise; a horizon truncates the sum."""
    regular = _fit(REGULAR)  # alpha = 0.704 < 1
    X = pd.DataFrame({"tenure_periods": [0, 4], "churned": False})
    assert np.isinf(regular.expected_remaining_lifetime(X)).all()
    assert np.isfinite(regular.expected_remaining_lifetime(X, horizon=50)).all()
    loyal = ShiftedBetaGeoModel().fit(
        pd.DataFrame({"tenure_periods": [1, 2, 3, 4, 6, 6], "churned": [1, 1, 1, 1, 0, 0]})
    )
    alpha, beta = loyal.params_
    assert alpha > 1
    closed = loyal.expected_remaining_lifetime(X)
    np.testing.assert_allclose(closed, (beta + np.array([0, 4])) / (alpha - 1))
    np.testing.assert_allclose(
        loyal.expected_remaining_lifetime(X, horizon=200_000), closed, rtol=1e-3
    )


def test_recovers_the_true_parameters_from_a_simulated_subscription_log():
    """Fit on subscription_table of 20,000 simulated subscribers: within 3 standard errors."""
    events, truth = make_subscriptions(
        20_000, random_state=7, n_periods=36, acquisition_periods=24, alpha=0.7, beta=3.0
    )
    table = subscription_table(events, as_of=truth["as_of"].iloc[0])
    model = ShiftedBetaGeoModel().fit(table)
    z = (model.params_ - pd.Series({"alpha": 0.7, "beta": 3.0})) / model.standard_errors_
    assert (z.abs() < 3).all(), z


def test_reads_a_plain_array_and_01_flags():
    """A 2-column array (tenure, churned) and a 0/1 flag fit like a boolean frame."""
    table = tenures_from_survivors(REGULAR)
    frame = ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])
    array = table[["tenure_periods", "churned"]].to_numpy(dtype=float)
    plain = ShiftedBetaGeoModel().fit(array, sample_weight=table["n_subscribers"])
    np.testing.assert_allclose(plain.params_, frame.params_, rtol=1e-10)
    assert isinstance(plain.churn_probability(array), np.ndarray)


@pytest.mark.parametrize(
    ("frame", "error", "match"),
    [
        ({"tenure_periods": [0, 2], "churned": [True, False]}, DataValidationError, "tenure 1"),
        ({"tenure_periods": [1, 2], "churned": [False, False]}, DataValidationError, "no churn"),
        ({"tenure_periods": [1, 2], "churned": [2, 0]}, DataValidationError, "other than 0 and 1"),
        ({"tenure_periods": [1.5, 2], "churned": [1, 0]}, DataValidationError, "non-integer"),
        ({"tenure_periods": [1, 2], "churned": ["yes", "no"]}, SchemaError, "booleans"),
        ({"tenure": [1, 2], "churned": [1, 0]}, SchemaError, "tenure_periods"),
    ],
)
def test_bad_input_names_the_column_and_the_fix(frame, error, match):
    """Each problem is refused with a message naming the column and the problem."""
    with pytest.raises(error, match=match):
        ShiftedBetaGeoModel().fit(pd.DataFrame(frame))


def test_a_parameter_on_its_bound_is_named_in_a_warning():
    """Everyone churning at the first decision drives beta to its lower bound, with a warning."""
    X = pd.DataFrame({"tenure_periods": [1] * 20, "churned": True})
    with pytest.warns(BehaviorsegWarning, match="beta"):
        model = ShiftedBetaGeoModel().fit(X)
    assert np.isnan(model.standard_errors_["beta"])


def test_predictions_need_a_fitted_model_and_keep_the_index():
    """NotFittedError before fit; Series on the caller's index after."""
    from sklearn.exceptions import NotFittedError

    X = pd.DataFrame({"tenure_periods": [1, 3], "churned": [False, True]}, index=["a", "b"])
    with pytest.raises(NotFittedError):
        ShiftedBetaGeoModel().churn_probability(X)
    model = _fit(REGULAR)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = model.discounted_expected_residual_lifetime(X, discount_rate=0.1)
    assert out.index.tolist() == ["a", "b"]
