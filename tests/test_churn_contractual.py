"""ChurnSegmenter(method="contractual"): sBG churn risk tiers from a subscription table.

References
----------
- P. S. Fader, B. G. S. Hardie (2007), "How to project customer retention", Journal of
  Interactive Marketing 21(1), 76-90: a subscriber active after ``n`` renewals has
  ``theta ~ Beta(alpha, beta + n)``, so their churn probability at the next renewal is
  ``alpha / (alpha + beta + n)`` (the "regular" cohort: alpha = 0.704, beta = 1.182).
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from behaviorseg.datasets import make_subscriptions
from behaviorseg.exceptions import DataValidationError, SchemaError
from behaviorseg.models import BetaGeoModel, ShiftedBetaGeoModel
from behaviorseg.segmenters import ChurnSegmenter
from behaviorseg.summaries import subscription_table, tenures_from_survivors

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.fixture(scope="module")
def simulated():
    """A subscription table at the end of a 24-month window (sign-ups all along it, so
    tenures run from 0 to 23 months), and the generator's truth."""
    events, truth = make_subscriptions(3000, random_state=11, acquisition_periods=24)
    table = subscription_table(events, as_of=truth["as_of"].iloc[0])
    return table, truth.loc[table.index]


def _tiers(proba: np.ndarray, cuts: tuple[float, ...], names: tuple[str, ...]) -> np.ndarray:
    return np.asarray(names, dtype=object)[np.searchsorted(cuts, proba, side="right")]


def test_probabilities_are_the_fitted_models_own_churn_probability(simulated):
    """Fitted on the whole table, the segmenter's model equals a model fitted by hand, and
    its churn probability of every active subscriber is that model's churn_probability."""
    table, _ = simulated
    seg = ChurnSegmenter("contractual", thresholds=(0.05, 0.1)).fit(table)
    by_hand = ShiftedBetaGeoModel().fit(table)
    np.testing.assert_array_equal(seg.model_.params_, by_hand.params_)
    expected = by_hand.churn_probability(table).to_numpy()
    np.testing.assert_allclose(seg.transform(table)[:, 0], expected, rtol=1e-12)
    proba = seg.predict_proba(table)
    np.testing.assert_allclose(proba[:, 1], expected, rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    active = ~table["churned"].to_numpy()
    alpha, beta = by_hand.params_
    closed_form = alpha / (alpha + beta + table["tenure_periods"].to_numpy()[active])
    np.testing.assert_allclose(proba[active, 1], closed_form, rtol=1e-10)


def test_active_subscribers_get_a_risk_tier_and_churned_ones_the_churned_tier(simulated):
    """Every row gets exactly one label: a tier cut from its probability if active,
    'churned' (probability 1) if it has churned; segments_ ends with 'churned'."""
    table, _ = simulated
    cuts, names = (0.05, 0.08, 0.12), ("safe", "watch", "risk", "alarm")
    seg = ChurnSegmenter("contractual", thresholds=cuts, tier_names=names).fit(table)
    assert seg.segments_ == [*names, "churned"]
    labels = seg.predict(table)
    proba = seg.predict_proba(table)[:, 1]
    churned = table["churned"].to_numpy()
    expected = np.where(churned, "churned", _tiers(proba, cuts, names))
    np.testing.assert_array_equal(labels, expected)
    assert len(labels) == len(table)
    np.testing.assert_array_equal(proba[churned], 1.0)
    assert set(labels[~churned]) <= set(names)


def test_risk_falls_with_tenure_on_the_published_cohort():
    """On Fader & Hardie's regular cohort, the next-renewal risk is alpha / (alpha + beta +
    n): 0.373 for a newcomer, 0.079 after 7 renewals (the model's doctest values)."""
    table = tenures_from_survivors(REGULAR)
    rows = table.index.repeat(table["n_subscribers"])
    expanded = table.loc[rows, ["tenure_periods", "churned"]].reset_index(drop=True)
    seg = ChurnSegmenter("contractual", thresholds=(0.1, 0.3)).fit(expanded)
    np.testing.assert_allclose(seg.model_.params_.round(3), [0.704, 1.182])
    new = pd.DataFrame({"tenure_periods": [0, 1, 7], "churned": False})
    assert seg.transform(new)[:, 0].round(3).tolist() == [0.373, 0.244, 0.079]
    assert seg.predict(new).tolist() == ["high", "medium", "low"]


def test_horizon_counts_renewal_decisions(simulated):
    """horizon=k gives the model's probability of cancelling within k decisions; a
    fractional horizon is refused on this route."""
    table, _ = simulated
    seg = ChurnSegmenter("contractual", horizon=12).fit(table)
    expected = seg.model_.churn_probability(table, 12).to_numpy()
    np.testing.assert_allclose(seg.transform(table)[:, 0], expected, rtol=1e-12)
    one = ChurnSegmenter("contractual").fit(table).transform(table)[:, 0]
    active = ~table["churned"].to_numpy()
    assert np.all(expected[active] > one[active])
    with pytest.raises(ValueError, match=r"horizon=2\.5 counts renewal decisions"):
        ChurnSegmenter("contractual", horizon=2.5).fit(table)


def _simulated_table(n: int, alpha: float, beta: float, seed: int) -> pd.DataFrame:
    """The sBG story by hand: theta ~ Beta(alpha, beta), cancellation at renewal decision
    L ~ Geometric(theta), observed for a uniform 0..23 decisions (right-censored)."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(theta)
    observed = rng.integers(0, 24, n)
    churned = lifetime <= observed
    return pd.DataFrame(
        {
            "tenure_periods": np.where(churned, lifetime, observed),
            "churned": churned,
            "theta": theta,
        }
    )


def test_tiers_are_calibrated_against_the_true_churn_probability():
    """On simulated sBG subscribers, the mean predicted risk of each tier is the mean true
    per-renewal churn probability (theta) of its active subscribers, within 10 %, and it
    rises tier by tier."""
    table = _simulated_table(20_000, 0.7, 3.0, seed=3)
    seg = ChurnSegmenter("contractual", thresholds=(0.05, 0.1)).fit(table)
    frame = pd.DataFrame(
        {
            "tier": seg.predict(table),
            "predicted": seg.predict_proba(table)[:, 1],
            "true": table["theta"],
        }
    )
    by_tier = frame[frame["tier"] != "churned"].groupby("tier")[["predicted", "true"]].mean()
    by_tier = by_tier.loc[["low", "medium", "high"]]
    assert by_tier["true"].is_monotonic_increasing
    np.testing.assert_allclose(by_tier["predicted"], by_tier["true"], rtol=0.1)


def test_reads_by_name_by_position_and_from_numbers(simulated):
    """Columns in any order, extra columns ignored, 0/1 flags, a plain array by position:
    the same labels; the caller's frame is left unchanged."""
    table, _ = simulated
    before = table.copy(deep=True)
    seg = ChurnSegmenter("contractual", thresholds=(0.05, 0.1)).fit(table)
    labels = seg.predict(table)
    pd.testing.assert_frame_equal(table, before)
    np.testing.assert_array_equal(seg.predict(table[table.columns[::-1]]), labels)
    numbers = table.assign(churned=table["churned"].astype(int))
    np.testing.assert_array_equal(clone(seg).fit(numbers).predict(numbers), labels)
    array = table[["tenure_periods", "churned"]].to_numpy(dtype=float)
    np.testing.assert_array_equal(clone(seg).fit(array).predict(array), labels)
    renamed = table.rename(columns={"tenure_periods": "months", "churned": "gone"})
    other = ChurnSegmenter("contractual", thresholds=(0.05, 0.1), tenure_col="months")
    other.set_params(churned_col="gone").fit(renamed)
    np.testing.assert_array_equal(other.predict(renamed), labels)


def test_clones_pickles_outputs_pandas_and_needs_fitting(simulated):
    """The scikit-learn behaviour the common checks cannot exercise with random numbers
    (a tenure must be a whole number and the flag 0 or 1)."""
    table, _ = simulated
    seg = ChurnSegmenter("contractual")
    with pytest.raises(NotFittedError):
        seg.predict(table)
    seg.fit(table)
    restored = pickle.loads(pickle.dumps(seg))
    np.testing.assert_array_equal(restored.predict(table), seg.predict(table))
    frame = clone(seg).set_output(transform="pandas").fit(table).transform(table)
    assert list(frame.columns) == ["churn_probability"]
    assert frame.index.equals(table.index)
    assert seg.classes_.tolist() == [False, True]
    piped = make_pipeline(clone(seg)).fit(table)
    np.testing.assert_array_equal(piped.predict(table), seg.predict(table))


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda t: t.drop(columns="tenure_periods"), SchemaError, "'tenure_periods'"),
        (lambda t: t.drop(columns="churned"), SchemaError, "'churned'"),
        (
            lambda t: t.assign(tenure_periods=t["tenure_periods"] - 30),
            DataValidationError,
            "'tenure_periods' has .* values < 0",
        ),
        (
            lambda t: t.assign(tenure_periods=t["tenure_periods"].where(t.index != 5)),
            DataValidationError,
            "'tenure_periods'",
        ),
        (
            lambda t: t.assign(tenure_periods=t["tenure_periods"] + 0.5),
            DataValidationError,
            "'tenure_periods'",
        ),
        (
            lambda t: t.assign(churned=t["churned"].astype(int) * 2),
            DataValidationError,
            "'churned'",
        ),
        (
            lambda t: t.assign(churned=t["churned"].astype("boolean").where(t.index != 5)),
            DataValidationError,
            "'churned'",
        ),
        (
            lambda t: t.assign(churned=t["churned"].map({True: "yes", False: "no"})),
            SchemaError,
            "'churned'",
        ),
    ],
    ids=[
        "no tenure",
        "no flag",
        "negative",
        "NaN tenure",
        "fraction",
        "flag 2",
        "NA flag",
        "text flag",
    ],
)
def test_bad_input_names_the_column(simulated, change, error, match):
    """Missing columns, negative, missing or fractional tenures and bad flags raise an
    error naming the column, in fit and in predict (where a missing column is first
    caught by scikit-learn's feature-name check)."""
    table, _ = simulated
    bad = change(table)
    with pytest.raises(error, match=match):
        ChurnSegmenter("contractual").fit(bad)
    if set(bad.columns) == set(table.columns):  # (a missing column: sklearn's name check)
        fitted = ChurnSegmenter("contractual").fit(table)
        with pytest.raises(error, match=match):
            fitted.predict(bad)


def test_a_table_without_churn_cannot_be_fitted(simulated):
    """With no cancellation the churn probabilities cannot be estimated: the model says so."""
    table, _ = simulated
    with pytest.raises(DataValidationError, match="'churned' is False for all"):
        ChurnSegmenter("contractual").fit(table[~table["churned"]])


def test_models_of_the_other_family_and_the_churned_name_are_refused(simulated):
    """A purchase model on the contractual route, an sBG on the others, and a tier named
    'churned' are refused with messages that say what to pass."""
    table, _ = simulated
    with pytest.raises(TypeError, match="fits a ShiftedBetaGeoModel"):
        ChurnSegmenter("contractual", model=BetaGeoModel()).fit(table)
    summary = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 5.0], "T": [9.0, 9.0]})
    with pytest.raises(TypeError, match="method='contractual'"):
        ChurnSegmenter(model=ShiftedBetaGeoModel()).fit(summary)
    with pytest.raises(ValueError, match="must not contain 'churned'"):
        ChurnSegmenter("contractual", tier_names=("ok", "churned", "x")).fit(table)
    seg = ChurnSegmenter("contractual", model=ShiftedBetaGeoModel(tenure_col="x")).fit(table)
    assert seg.model_.tenure_col == "tenure_periods"  # the segmenter's columns win


def test_polars_input_is_read_by_name(simulated):
    """A polars frame with a boolean churned column labels as the pandas frame does."""
    pl = pytest.importorskip("polars")
    table, _ = simulated
    plain = table[["tenure_periods", "churned"]]
    seg = ChurnSegmenter("contractual").fit(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        polars_table = pl.from_pandas(plain.reset_index(drop=True))
    np.testing.assert_array_equal(
        clone(seg).fit(polars_table).predict(polars_table), seg.predict(plain)
    )
