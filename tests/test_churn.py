"""churn_labels (leakage-safe labels), ChurnClassifier (model selection) and ChurnSegmenter."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline

from behaviorseg.datasets import load_cdnow, make_transactions
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning
from behaviorseg.segmenters import ChurnClassifier, ChurnSegmenter
from behaviorseg.summaries import churn_labels, rfm_table

CUTOFF = pd.Timestamp("2024-07-01")


@pytest.fixture(scope="module")
def simulated():
    tx, truth = make_transactions(3000, random_state=7, n_days=365, acquisition_days=120)
    return tx, truth


def _tiny_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 4],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-02-10", "2024-01-20", "2024-01-25", "2024-02-20", "2024-01-05"]
            ),
            "amount": [10.0, 20.0, 5.0, -5.0, 7.0, 3.0],
        }
    )


def test_labels_mark_customers_without_a_purchase_in_the_window():
    """churned is True exactly for customers with no purchase in (cutoff, cutoff + horizon]."""
    out = churn_labels(_tiny_log(), cutoff="2024-01-31", horizon="20D")
    assert out.index.tolist() == [1, 2, 4]  # 3 first bought after the cutoff
    assert out["churned"].tolist() == [False, True, True]
    # a return inside the window is not a purchase: customer 2 stays churned
    assert out.loc[2, "frequency"] == 1


def test_features_equal_rfm_table_at_the_cutoff(simulated):
    """The feature columns are rfm_table of the rows up to the cutoff, as_of=cutoff."""
    tx, _ = simulated
    out = churn_labels(tx, cutoff=CUTOFF, horizon="90D")
    expected = rfm_table(tx[tx["timestamp"] <= CUTOFF], as_of=CUTOFF)
    pd.testing.assert_frame_equal(out.drop(columns="churned"), expected)


@settings(max_examples=25, deadline=None)
@given(
    shift_days=st.integers(1, 200),
    scale=st.floats(0.0, 100.0, allow_nan=False),
    seed=st.integers(0, 1000),
)
def test_no_row_after_the_cutoff_can_leak_into_the_features(shift_days, scale, seed):
    """Rewriting every post-cutoff row (times, amounts) leaves the features unchanged."""
    tx, _ = make_transactions(150, random_state=3, n_days=365, acquisition_days=120)
    late = (tx["timestamp"] > CUTOFF).to_numpy()
    rng = np.random.default_rng(seed)
    tampered = tx.copy()
    tampered.loc[late, "amount"] = rng.uniform(0, scale + 1, late.sum())
    tampered.loc[late, "timestamp"] = tx.loc[late, "timestamp"] + pd.Timedelta(days=shift_days)
    extra = pd.DataFrame(  # brand-new customers and new purchases after the cutoff
        {
            "customer_id": [1, 10_001],
            "timestamp": [CUTOFF + pd.Timedelta(hours=1)] * 2,
            "amount": [999.0, 5.0],
        }
    )
    tampered = pd.concat([tampered, extra], ignore_index=True)
    a = churn_labels(tx, cutoff=CUTOFF, horizon="30D").drop(columns="churned")
    b = churn_labels(tampered, cutoff=CUTOFF, horizon="30D").drop(columns="churned")
    pd.testing.assert_frame_equal(a, b)


def test_censored_label_window_is_refused():
    """A horizon past the end of the log raises DataValidationError; as_of extends it."""
    with pytest.raises(DataValidationError, match="censored"):
        churn_labels(_tiny_log(), cutoff="2024-02-01", horizon="60D")
    out = churn_labels(_tiny_log(), cutoff="2024-02-01", horizon="60D", as_of="2024-04-30")
    assert len(out) == 3


@pytest.mark.parametrize("horizon", ["-5D", 0, "soon", True])
def test_bad_horizon_is_refused(horizon):
    """A non-positive or unparseable horizon raises ValueError naming it."""
    with pytest.raises(ValueError, match="horizon"):
        churn_labels(_tiny_log(), cutoff="2024-01-31", horizon=horizon)


def test_input_log_is_not_mutated(simulated):
    """churn_labels leaves the caller's frame untouched."""
    tx, _ = simulated
    before = tx.copy(deep=True)
    churn_labels(tx, cutoff=CUTOFF, horizon="90D")
    pd.testing.assert_frame_equal(tx, before)


def test_supervised_route_ranks_churners(simulated):
    """Trained on one cutoff, scored on a later one: ROC AUC well above chance."""
    tx, _ = simulated
    train = churn_labels(tx, cutoff="2024-05-01", horizon="90D")
    test = churn_labels(tx, cutoff=CUTOFF, horizon="90D")
    seg = ChurnSegmenter(method="supervised", random_state=0).fit(
        train.drop(columns="churned"), train["churned"]
    )
    proba = seg.predict_proba(test.drop(columns="churned"))
    assert proba.shape == (len(test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    auc = roc_auc_score(test["churned"], proba[:, 1])
    # Simulated BG/NBD churn is mostly noise: the best single feature reaches ~0.70.
    best_single = max(
        roc_auc_score(test["churned"], test["recency_days"]),
        roc_auc_score(test["churned"], -test["frequency"]),
    )
    assert auc > 0.70, auc
    assert auc >= best_single - 0.01, (auc, best_single)


def test_tiers_follow_the_thresholds():
    """A customer's tier is set by the documented thresholds on the churn probability."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 300, 400)})
    y = X["recency_days"] + rng.normal(0, 40, 400) > 150
    seg = ChurnSegmenter(
        method="supervised",
        classifier=LogisticRegression(),
        feature_cols=("recency_days",),
        thresholds=(0.2, 0.5, 0.8),
        tier_names=("safe", "watch", "risk", "lost"),
    ).fit(X, y)
    p = seg.transform(X)[:, 0]
    expected = np.select([p < 0.2, p < 0.5, p < 0.8], ["safe", "watch", "risk"], "lost")
    np.testing.assert_array_equal(seg.predict(X), expected)
    assert seg.segments_ == ["safe", "watch", "risk", "lost"]
    assert seg.get_feature_names_out().tolist() == ["churn_probability"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"thresholds": (0.7, 0.3)}, "increasing"),
        ({"thresholds": (0.5, 1.5)}, "in \\(0, 1\\)"),
        ({"tier_names": ("a", "b")}, "tier_names"),
        ({"method": "magic"}, "method"),
    ],
)
def test_bad_tier_parameters_are_refused(params, match):
    """Thresholds must increase inside (0, 1) and match the number of tier names."""
    X = pd.DataFrame({"recency_days": [1.0, 2.0, 3.0, 4.0]})
    seg = ChurnSegmenter(
        method="supervised", classifier=LogisticRegression(), feature_cols=("recency_days",)
    ).set_params(**params)
    with pytest.raises(ValueError, match=match):
        seg.fit(X, [True, False, True, False])


def test_supervised_route_needs_two_classes_of_labels():
    """Missing labels, or a single class, raise a clear error."""
    X = pd.DataFrame({"recency_days": [1.0, 2.0, 3.0]})
    seg = ChurnSegmenter(method="supervised", feature_cols=("recency_days",))
    with pytest.raises(ValueError, match="requires y"):
        seg.fit(X)
    with pytest.raises(ValueError, match="one class only"):
        seg.fit(X, [True, True, True])
    with pytest.raises(TypeError, match="booleans or numbers"):
        seg.fit(X, ["yes", "no", "yes"])


def test_missing_rows_warn_in_churn_labels():
    """Rows without a customer id are dropped with a counted warning, as in rfm_table."""
    log = _tiny_log()
    log.loc[0, "customer_id"] = None
    with pytest.warns(RowsExcludedWarning, match="^1 rows"):
        churn_labels(log, cutoff="2024-01-31", horizon="20D")


# --- probabilistic route (the default, BG/NBD) ---------------------------------------------------


@pytest.fixture(scope="module")
def simulated_summary(simulated):
    """The BG/NBD summary (weeks) of the simulated log up to the cutoff."""
    from behaviorseg.summaries import clv_summary

    tx, _ = simulated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        return clv_summary(tx, as_of=CUTOFF, freq="D", freq_multiplier=7)


def test_probabilistic_route_is_one_minus_p_alive(simulated_summary):
    """method='probabilistic' fits BG/NBD in fit and reports 1 - P(alive)."""
    from behaviorseg.models import BetaGeoModel

    summary = simulated_summary
    seg = ChurnSegmenter().fit(summary)
    assert isinstance(seg.model_, BetaGeoModel)
    expected = 1.0 - BetaGeoModel().fit(summary).probability_alive(summary).to_numpy()
    np.testing.assert_allclose(seg.transform(summary)[:, 0], expected)
    np.testing.assert_allclose(seg.predict_proba(summary)[:, 1], expected)
    np.testing.assert_allclose(seg.predict_proba(summary).sum(axis=1), 1.0)
    labels = seg.predict(summary)
    cuts = np.array([0.3, 0.7])
    np.testing.assert_array_equal(
        labels, np.array(["low", "medium", "high"])[np.searchsorted(cuts, expected, side="right")]
    )


def test_probabilistic_horizon_scores_no_purchase_in_the_horizon(simulated_summary):
    """With horizon, churn probability is the model's P(no purchase in the next t periods)."""
    summary = simulated_summary
    seg = ChurnSegmenter(horizon=13.0).fit(summary)
    expected = seg.model_.probability_no_purchase(summary, 13.0).to_numpy()
    np.testing.assert_allclose(seg.transform(summary)[:, 0], expected)
    one_time = (summary["frequency"] == 0).to_numpy()
    assert np.ptp(expected[one_time]) > 0  # one-time buyers are ranked, not all zero
    with pytest.raises(ValueError, match="horizon"):
        ChurnSegmenter(horizon=0.0).fit(summary)


def test_probabilistic_route_ranks_true_dropouts(simulated, simulated_summary):
    """Against the simulated truth, churn probability ranks dead repeat buyers above live ones."""
    _, truth = simulated
    summary = simulated_summary
    repeat = summary[summary["frequency"] > 0]
    dead_by_cutoff = ~(truth["dropout_at"].isna() | (truth["dropout_at"] > CUTOFF))
    proba = ChurnSegmenter().fit(summary).predict_proba(repeat)[:, 1]
    auc = roc_auc_score(dead_by_cutoff.loc[repeat.index], proba)
    baseline = roc_auc_score(dead_by_cutoff.loc[repeat.index], repeat["T"] - repeat["recency"])
    assert auc > 0.65
    assert auc > baseline  # P(alive) uses frequency too, not only the time since the last buy


def test_probabilistic_route_clones_pickles_and_reads_arrays(simulated_summary):
    """The sklearn behaviour the common checks cannot exercise with random data."""
    import pickle

    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    summary = simulated_summary
    seg = ChurnSegmenter()
    with pytest.raises(NotFittedError):
        seg.predict(summary)
    seg.fit(summary)
    restored = pickle.loads(pickle.dumps(seg))
    np.testing.assert_array_equal(restored.predict(summary), seg.predict(summary))
    array = summary[["frequency", "recency", "T"]].to_numpy()
    np.testing.assert_array_equal(clone(seg).fit(array).predict(array), seg.predict(summary))
    frame = clone(seg).set_output(transform="pandas").fit(summary).transform(summary)
    assert list(frame.columns) == list(seg.get_feature_names_out())
    assert frame.index.equals(summary.index)


def test_probabilistic_route_refuses_an_rfm_table(simulated):
    """Given rfm_table's recency_days, the error explains the two meanings of recency."""
    tx, _ = simulated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        table = rfm_table(tx, as_of=CUTOFF)
    with pytest.raises(KeyError, match="recency"):
        ChurnSegmenter().fit(table)


# --- probabilistic route with any purchase model (BG/NBD, MBG/NBD, Pareto/NBD) -------------

PURCHASE_MODELS = ["BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel"]


@pytest.fixture(scope="module")
def cdnow_summary():
    """The 39-week CDNOW calibration summary in weeks (Fader & Hardie's data)."""
    from behaviorseg.summaries import clv_summary

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        return clv_summary(load_cdnow(), as_of="1997-09-30", freq="D", freq_multiplier=7)


def _model(name, **params):
    from behaviorseg import models

    return getattr(models, name)(**params)


@pytest.mark.parametrize("name", PURCHASE_MODELS)
def test_probabilistic_route_with_each_model_is_one_minus_its_p_alive(cdnow_summary, name):
    """On CDNOW, the churn probability is 1 - P(alive) of the fitted model (a clone of the
    one passed, with the parameters of a fit by hand), and the tiers cut it."""
    model = _model(name)
    seg = ChurnSegmenter(model=model).fit(cdnow_summary)
    assert type(seg.model_) is type(model) and seg.model_ is not model
    assert not hasattr(model, "params_")  # the caller's model is left unfitted
    np.testing.assert_array_equal(seg.model_.params_, _model(name).fit(cdnow_summary).params_)
    expected = 1.0 - seg.model_.probability_alive(cdnow_summary).to_numpy()
    np.testing.assert_allclose(seg.transform(cdnow_summary)[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(seg.predict_proba(cdnow_summary)[:, 1], expected, rtol=1e-12)
    tiers = np.array(["low", "medium", "high"])[np.searchsorted([0.3, 0.7], expected, "right")]
    np.testing.assert_array_equal(seg.predict(cdnow_summary), tiers)


@pytest.mark.parametrize("name", PURCHASE_MODELS)
def test_probabilistic_horizon_with_each_model_is_its_no_purchase_probability(cdnow_summary, name):
    """With horizon=13 (weeks), the churn probability is the fitted model's
    probability_no_purchase over 13 weeks."""
    seg = ChurnSegmenter(model=_model(name), horizon=13.0).fit(cdnow_summary)
    expected = seg.model_.probability_no_purchase(cdnow_summary, 13.0).to_numpy()
    np.testing.assert_allclose(seg.transform(cdnow_summary)[:, 0], expected, rtol=1e-12)


def test_only_bg_nbd_deems_every_one_time_buyer_alive(cdnow_summary):
    """1 - P(alive) is 0 for every one-time buyer under BG/NBD (the default); MBG/NBD and
    Pareto/NBD give them a churn probability that grows with T."""
    one_time = cdnow_summary[cdnow_summary["frequency"] == 0].sort_values("T")
    default = ChurnSegmenter().fit(cdnow_summary)
    assert type(default.model_).__name__ == "BetaGeoModel"
    np.testing.assert_array_equal(default.transform(one_time)[:, 0], 0.0)
    for name in PURCHASE_MODELS[1:]:
        churn = ChurnSegmenter(model=_model(name)).fit(cdnow_summary).transform(one_time)[:, 0]
        assert churn.min() > 0 and np.all(np.diff(churn) >= 0)


def test_model_parameters_are_kept_and_tunable(cdnow_summary):
    """The model's own parameters survive the clone and are reachable as model__<name>."""
    seg = ChurnSegmenter(model=_model("ParetoNBDModel", penalizer_coef=0.01))
    assert seg.get_params()["model__penalizer_coef"] == 0.01
    seg.fit(cdnow_summary)
    penalised = _model("ParetoNBDModel", penalizer_coef=0.01).fit(cdnow_summary)
    np.testing.assert_array_equal(seg.model_.params_, penalised.params_)
    seg.set_params(model__penalizer_coef=0.0).fit(cdnow_summary)
    assert seg.model_.penalizer_coef == 0.0


def test_model_reads_the_segmenters_columns_and_names_them_in_errors(cdnow_summary):
    """Renamed columns reach the model through the segmenter's *_col parameters; the model's
    errors name the caller's column."""
    renamed = cdnow_summary.rename(columns={"frequency": "n_orders", "recency": "age_last"})
    seg = ChurnSegmenter(model=_model("ParetoNBDModel"), frequency_col="n_orders")
    seg.set_params(recency_col="age_last").fit(renamed)
    reference = ChurnSegmenter(model=_model("ParetoNBDModel")).fit(cdnow_summary)
    np.testing.assert_array_equal(seg.transform(renamed), reference.transform(cdnow_summary))
    with pytest.raises(DataValidationError, match="'n_orders'"):
        clone(seg).fit(renamed.assign(n_orders=renamed["n_orders"] + 0.5))


@pytest.mark.parametrize("bad", ["GammaGammaModel()", "LogisticRegression()", "ParetoNBDModel"])
@pytest.mark.parametrize("method", ["probabilistic", "supervised"])
def test_a_model_that_is_not_a_purchase_model_is_refused(bad, method):
    """model= must be None or an instance of one of the three purchase models, whatever
    the route: a TypeError names the accepted models, before the data is read."""
    from behaviorseg import models

    model = eval(bad, {"LogisticRegression": LogisticRegression, **vars(models)})
    X, y = _small_table()
    accepted = "an instance of BetaGeoModel or ModifiedBetaGeoModel or ParetoNBDModel or None"
    with pytest.raises(TypeError, match=f"parameter model=.* is invalid; it must be {accepted}"):
        ChurnSegmenter(method, model=model, feature_cols=("recency_days",)).fit(X, y)


# --- ChurnClassifier: the supervised model that scikit-learn's model selection tunes ---

#: The folds of every model-selection test (cross_val_score with cv=3 uses the same).
FOLDS = StratifiedKFold(n_splits=3)


@pytest.fixture(scope="module")
def cdnow_training():
    """Issue 20's data: CDNOW features at 1997-09-30 and churn in the next 180 days."""
    table = churn_labels(load_cdnow(), cutoff="1997-09-30", horizon="180D")
    return table.drop(columns="churned"), table["churned"]


@pytest.fixture(scope="module")
def held_out_folds(cdnow_training):
    """By hand, per fold: the test rows, and the output of a model fitted without them."""
    X, y = cdnow_training
    folds = []
    for train, test in FOLDS.split(X, y):
        model = ChurnClassifier(random_state=0).fit(X.iloc[train], y.iloc[train])
        folds.append((test, model.predict_proba(X.iloc[test]), model.predict(X.iloc[test])))
    return folds


def _by_hand(scoring, y_test, proba, labels):
    """The metric of one held-out fold, computed directly from sklearn.metrics."""
    if scoring == "roc_auc":
        return roc_auc_score(y_test, proba[:, 1])
    if scoring == "average_precision":
        return average_precision_score(y_test, proba[:, 1])
    if scoring == "neg_log_loss":
        return -log_loss(y_test, proba, labels=[False, True])
    return accuracy_score(y_test, labels)  # the default scoring: ClassifierMixin.score


def _small_table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "recency_days": rng.uniform(0, 300, n),
            "frequency": rng.integers(1, 10, n).astype(float),
            "segment": rng.choice(["a", "b"], n),  # a non-feature column of another dtype
        },
        index=pd.Index(np.arange(100, 100 + n), name="customer_id"),
    )
    y = X["recency_days"] + rng.normal(0, 40, n) > 150
    return X, y.rename("churned")


def test_churn_classifier_is_a_classifier_and_the_segmenter_is_not():
    """ChurnClassifier is a scikit-learn classifier; ChurnSegmenter names tiers and is not."""
    X, y = _small_table()
    clf = ChurnClassifier(LogisticRegression(), feature_cols=("recency_days",)).fit(X, y)
    assert is_classifier(clf)
    assert not is_classifier(ChurnSegmenter(method="supervised"))
    assert clf.classes_.tolist() == [False, True]
    assert clf.predict(X).dtype == bool
    assert clf.score(X, y) == accuracy_score(y, clf.predict(X))
    expected = clf.classes_[clf.predict_proba(X).argmax(axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected)


@pytest.mark.parametrize("scoring", ["roc_auc", "neg_log_loss", "average_precision", None])
def test_cross_val_score_equals_the_metric_on_each_held_out_fold(
    cdnow_training, held_out_folds, scoring
):
    """cross_val_score gives finite scores, each the metric computed by hand on its fold."""
    X, y = cdnow_training
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed fold would warn and score nan
        scores = cross_val_score(ChurnClassifier(random_state=0), X, y, cv=3, scoring=scoring)
    expected = [
        _by_hand(scoring, y.iloc[test], proba, labels) for test, proba, labels in held_out_folds
    ]
    assert np.isfinite(scores).all()
    np.testing.assert_allclose(scores, expected, rtol=1e-12)


def test_cross_val_predict_proba_returns_the_held_out_probabilities(cdnow_training, held_out_folds):
    """cross_val_predict(method='predict_proba') works, for the classifier and the segmenter."""
    X, y = cdnow_training
    expected = np.empty((len(X), 2))
    for test, proba, _ in held_out_folds:
        expected[test] = proba
    for estimator in (
        ChurnClassifier(random_state=0),
        ChurnSegmenter(method="supervised", random_state=0),
    ):
        got = cross_val_predict(estimator, X, y, cv=FOLDS, method="predict_proba")
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_grid_search_tunes_the_inner_classifier(cdnow_training, held_out_folds):
    """GridSearchCV over classifier__max_leaf_nodes scores every setting (no nan) by hand."""
    X, y = cdnow_training
    # the default classifier, spelled out so that its parameters can be searched
    model = ChurnClassifier(
        HistGradientBoostingClassifier(learning_rate=0.05, min_samples_leaf=50, random_state=0)
    )
    search = GridSearchCV(model, {"classifier__max_leaf_nodes": [4, 8]}, scoring="roc_auc", cv=3)
    search.fit(X, y)
    means = search.cv_results_["mean_test_score"]
    assert np.isfinite(means).all()
    assert search.best_params_ == {"classifier__max_leaf_nodes": [4, 8][int(np.argmax(means))]}
    default_by_hand = np.mean(
        [roc_auc_score(y.iloc[test], proba[:, 1]) for test, proba, _ in held_out_folds]
    )
    np.testing.assert_allclose(means[1], default_by_hand, rtol=1e-12)  # max_leaf_nodes=8
    assert search.best_estimator_.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("estimator", [ChurnClassifier, ChurnSegmenter])
def test_nullable_boolean_labels_with_na_are_refused_naming_y(estimator):
    """A pd.NA in a nullable boolean y raises DataValidationError naming y, the row and the fix."""
    X, y = _small_table()
    labels = y.astype("boolean")
    labels.iloc[3] = pd.NA
    est = estimator(classifier=LogisticRegression(), feature_cols=("recency_days",))
    if estimator is ChurnSegmenter:
        est.set_params(method="supervised")
    with pytest.raises(DataValidationError, match=r"y \(dtype boolean\) has 1 missing") as err:
        est.fit(X, labels)
    assert "rows 103" in str(err.value)  # the customer id
    assert "drop those customers" in str(err.value)
    # without the NA, nullable booleans are read as booleans
    fitted = est.fit(X, y.astype("boolean"))
    assert fitted.classes_.tolist() == [False, True]
    assert fitted.classes_.dtype == bool


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_missing_float_labels_are_refused(bad):
    """NaN or inf in a float y is refused before the classifier sees it."""
    X, y = _small_table()
    labels = y.astype(float)
    labels.iloc[0] = bad
    with pytest.raises(DataValidationError, match=r"y .*1 missing or non-finite"):
        ChurnClassifier(LogisticRegression(), feature_cols=("recency_days",)).fit(X, labels)


def test_classifier_needs_exactly_two_classes():
    """One class, or three, is refused with a message naming the classes."""
    X, _ = _small_table()
    clf = ChurnClassifier(LogisticRegression(), feature_cols=("recency_days",))
    with pytest.raises(ValueError, match="one class only"):
        clf.fit(X, np.ones(len(X), dtype=bool))
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        clf.fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="requires y to be passed"):
        clf.fit(X, None)


def test_classifier_keeps_label_values_but_the_segmenter_wants_booleans():
    """The classifier predicts any two labels; the segmenter must know which means churned."""
    X, y = _small_table()
    words = np.where(y, "churned", "active")
    clf = ChurnClassifier(LogisticRegression(), feature_cols=("recency_days",)).fit(X, words)
    assert clf.classes_.tolist() == ["active", "churned"]
    assert set(clf.predict(X)) <= {"active", "churned"}
    seg = ChurnSegmenter(method="supervised", feature_cols=("recency_days",))
    with pytest.raises(TypeError, match="booleans or numbers"):
        seg.fit(X, words)


def test_classifier_reads_feature_columns_by_name():
    """Column order and extra columns (any dtype, even added after fit) do not matter."""
    X, y = _small_table()
    cols = ("recency_days", "frequency")
    clf = ChurnClassifier(LogisticRegression(), feature_cols=cols).fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X[X.columns[::-1]]), expected)
    with_extra = X.assign(tier="x")  # added after fit, and in another order
    np.testing.assert_array_equal(clf.predict_proba(with_extra[with_extra.columns[::-1]]), expected)
    on_features = clone(clf).fit(X[list(cols)].to_numpy(), y)  # an array: by position
    np.testing.assert_allclose(on_features.predict_proba(X[list(cols)].to_numpy()), expected)
    assert clf.feature_names_in_.tolist() == list(X.columns)
    with pytest.raises(KeyError, match="tenure_days"):
        ChurnClassifier().fit(X, y)  # the default features are rfm_table's


def test_segmenter_uses_the_churn_classifier_and_exposes_its_classes():
    """The supervised route's probabilities are its ChurnClassifier's; classes_ name the columns."""
    X, y = _small_table()
    seg = ChurnSegmenter(
        method="supervised", classifier=LogisticRegression(), feature_cols=("recency_days",)
    ).fit(X, y.astype(int))
    assert isinstance(seg.classifier_, ChurnClassifier)
    assert seg.classes_.tolist() == [False, True]  # labels are read as booleans
    clf = ChurnClassifier(LogisticRegression(), feature_cols=("recency_days",)).fit(X, y)
    np.testing.assert_allclose(seg.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_allclose(seg.transform(X)[:, 0], clf.predict_proba(X)[:, 1])


def test_probabilistic_segmenter_classes_are_not_churned_then_churned(simulated_summary):
    """Without labels, classes_ still says what the two predict_proba columns mean."""
    seg = ChurnSegmenter().fit(simulated_summary)
    assert seg.classes_.tolist() == [False, True]


def test_segmenter_fitted_with_labels_works_in_a_pipeline():
    """y reaches the segmenter as last or middle step of a Pipeline; pipelines are scored."""
    X, y = _small_table()
    seg = ChurnSegmenter(
        method="supervised", classifier=LogisticRegression(), feature_cols=("recency_days",)
    )
    alone = clone(seg).fit(X, y)
    last = Pipeline([("churn", clone(seg))]).fit(X, y)
    np.testing.assert_array_equal(last.predict(X), alone.predict(X))
    np.testing.assert_allclose(last.predict_proba(X), alone.predict_proba(X))
    stacked = make_pipeline(clone(seg), LogisticRegression()).fit(X, y)
    assert stacked.predict_proba(X).shape == (len(X), 2)
    scores = cross_val_score(
        make_pipeline(ChurnClassifier(LogisticRegression(), feature_cols=("recency_days",))),
        X,
        y,
        cv=3,
        scoring="roc_auc",
    )
    assert np.isfinite(scores).all()
