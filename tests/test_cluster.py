"""ClusterSegmenter and make_customers: recovery of known segments, stable names, workflow."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import behaviorseg as bs
from behaviorseg import ClusterSegmenter
from behaviorseg.datasets import make_customers
from behaviorseg.exceptions import DataValidationError, ProtectedAttributeError

METHODS = ("kmeans", "gmm", "ward", "bisecting")


@pytest.fixture(scope="module")
def separated() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four well-separated segments (separation=2)."""
    return make_customers(2000, n_segments=4, separation=2.0, random_state=0)


@pytest.mark.parametrize("method", METHODS)
def test_well_separated_segments_are_found_with_their_number(method, separated):
    """On well-separated data every method finds k=4 by itself and matches the truth (ARI>=0.9)."""
    customers, truth = separated
    seg = ClusterSegmenter(method=method, random_state=0, n_bootstrap=3).fit(customers)
    assert seg.n_clusters_ == 4
    assert list(seg.scores_.index) == list(range(2, 9))
    assert adjusted_rand_score(truth["segment"], seg.predict(customers)) >= 0.9
    assert seg.stability_ >= 0.9


def test_scores_hold_bic_for_the_mixture_and_silhouette_for_the_others(separated):
    """scores_ has a row per k; the mixture takes the smallest BIC, k-means the best silhouette."""
    customers, _ = separated
    gmm = ClusterSegmenter(method="gmm", random_state=0, n_bootstrap=0).fit(customers)
    assert gmm.n_clusters_ == gmm.scores_["bic"].idxmin()
    km = ClusterSegmenter(random_state=0, n_bootstrap=0).fit(customers)
    assert list(km.scores_.columns) == ["silhouette", "inertia"]
    assert km.n_clusters_ == km.scores_["silhouette"].idxmax()
    assert ClusterSegmenter(n_clusters=3, n_bootstrap=0).fit(customers).scores_ is None


def test_fit_is_deterministic_with_random_state():
    """Two fits with the same seed give the same names, scores and stability."""
    customers, _ = make_customers(800, random_state=1)
    a = ClusterSegmenter(random_state=3).fit(customers)
    b = ClusterSegmenter(random_state=3).fit(customers)
    assert a.segments_ == b.segments_
    pd.testing.assert_frame_equal(a.scores_, b.scores_)
    assert a.stability_ == b.stability_
    np.testing.assert_array_equal(a.predict(customers), b.predict(customers))


@pytest.mark.parametrize("method", METHODS)
def test_names_per_customer_do_not_depend_on_row_order(method):
    """Shuffling the rows before fit gives every customer the same segment name."""
    customers, _ = make_customers(1500, n_segments=5, random_state=2)
    shuffled = customers.sample(frac=1.0, random_state=7)
    seg = ClusterSegmenter(method=method, n_clusters=5, random_state=0, n_bootstrap=0)
    first = pd.Series(seg.fit_predict(customers), index=customers.index)
    second = pd.Series(seg.fit_predict(shuffled), index=shuffled.index)
    pd.testing.assert_series_equal(first, second.loc[customers.index])


def test_log_transform_auto_takes_skewed_non_negative_columns():
    """log1p is chosen per column: skewed and non-negative yes, symmetric or negative no."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "spend": rng.lognormal(3.0, 1.0, 500),  # skewed, >= 0
            "score": rng.normal(0.0, 1.0, 500),  # symmetric, negative values
            "shifted": rng.lognormal(3.0, 1.0, 500) - 30.0,  # skewed, negative values
        }
    )
    seg = ClusterSegmenter(n_clusters=2, random_state=0, n_bootstrap=0).fit(X)
    assert seg.log_features_ == ["spend"]
    assert ClusterSegmenter(n_clusters=2, log_transform=False).fit(X).log_features_ == []
    with pytest.raises(DataValidationError, match=r"log_transform=True.*'score', 'shifted'"):
        ClusterSegmenter(n_clusters=2, log_transform=True).fit(X)
    with pytest.raises(DataValidationError, match=r"\['spend'\] have negative values"):
        seg.predict(X.assign(spend=-1.0))


def test_clusters_are_ordered_by_value_recency_reversed(separated):
    """value_col orders clusters highest first; a days-since column lowest first."""
    customers, _ = separated
    by_spend = ClusterSegmenter(n_clusters=4, value_col="monetary", random_state=0).fit(customers)
    assert by_spend.centers_["monetary"].is_monotonic_decreasing
    by_recency = ClusterSegmenter(n_clusters=4, random_state=0).fit(customers)  # first feature
    assert by_recency.centers_["recency_days"].is_monotonic_increasing
    assert by_spend.segments_[0] == "very frequent · high spend · recent"  # the champions


def test_names_are_generated_unique_and_overridable(separated):
    """Generated names are unique; names= replaces them in order or by mapping."""
    customers, _ = separated
    seg = ClusterSegmenter(n_clusters=4, value_col="monetary", random_state=0).fit(customers)
    assert len(set(seg.segments_)) == 4
    mine = ("best", "big tickets", "dormant", "starters")
    renamed = ClusterSegmenter(n_clusters=4, value_col="monetary", names=mine, random_state=0).fit(
        customers
    )
    assert renamed.segments_ == list(mine)
    np.testing.assert_array_equal(
        pd.Series(seg.predict(customers)).map(dict(zip(seg.segments_, mine, strict=True))),
        renamed.predict(customers),
    )
    partial = ClusterSegmenter(
        n_clusters=4, value_col="monetary", names={seg.segments_[0]: "best"}, random_state=0
    ).fit(customers)
    assert partial.segments_ == ["best", *seg.segments_[1:]]
    with pytest.raises(ValueError, match="names has 2 names for 4 clusters"):
        ClusterSegmenter(n_clusters=4, names=("a", "b")).fit(customers)


def test_transform_gives_distances_or_probabilities_consistent_with_predict(separated):
    """transform's columns follow segments_: nearest centre / most probable component = predict."""
    customers, _ = separated
    km = ClusterSegmenter(n_clusters=4, random_state=0, n_bootstrap=0).fit(customers)
    distances = km.transform(customers)
    assert list(km.get_feature_names_out()) == [f"distance_{i}" for i in range(4)]
    codes = np.asarray(km.segments_, dtype=object)[distances.argmin(axis=1)]
    np.testing.assert_array_equal(codes, km.predict(customers))
    gmm = ClusterSegmenter(method="gmm", n_clusters=4, random_state=0, n_bootstrap=0)
    proba = gmm.fit(customers).transform(customers)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert gmm.get_feature_names_out()[0] == "probability_0"
    best = np.asarray(gmm.segments_, dtype=object)[proba.argmax(axis=1)]
    np.testing.assert_array_equal(best, gmm.predict(customers))


def test_array_is_read_in_the_order_of_features(separated):
    """A plain array is read by position in the order of ``features``: same names as the frame."""
    customers, _ = separated
    features = ("frequency", "monetary", "recency_days")
    seg = ClusterSegmenter(features, n_clusters=4, random_state=0, n_bootstrap=0)
    from_frame = seg.fit(customers).predict(customers)
    names = list(seg.segments_)
    from_array = seg.fit(customers[list(features)].to_numpy()).predict(
        customers[list(features)].to_numpy()
    )
    assert seg.segments_ == names
    np.testing.assert_array_equal(from_frame, from_array)


def test_weights_zero_removes_a_feature_from_the_distances(separated):
    """A feature of weight 0 does not move the clusters (but still describes them)."""
    customers, _ = separated
    noisy = customers.assign(noise=np.random.default_rng(0).normal(size=len(customers)))
    without = ClusterSegmenter(
        tuple(customers.columns), n_clusters=4, random_state=0, n_bootstrap=0
    ).fit_predict(noisy)
    weighted = ClusterSegmenter(
        (*customers.columns, "noise"),
        n_clusters=4,
        weights={"noise": 0.0},
        random_state=0,
        n_bootstrap=0,
    ).fit_predict(noisy)
    np.testing.assert_array_equal(without, weighted)
    with pytest.raises(ValueError, match="weights names \\['tenure'\\]"):
        ClusterSegmenter(n_clusters=2, weights={"tenure": 2.0}).fit(customers)


def test_protected_attributes_are_refused_unless_allowed(separated):
    """A special-category column is not a clustering feature without allow_protected."""
    customers, _ = separated
    X = customers.assign(religion=np.arange(len(customers)) % 2)
    with pytest.raises(ProtectedAttributeError, match="'religion'"):
        ClusterSegmenter(n_clusters=2).fit(X)
    seg = ClusterSegmenter(n_clusters=2, allow_protected=("religion",), n_bootstrap=0).fit(X)
    assert seg.n_features_in_ == 6


def test_bad_parameters_are_refused_with_the_fix(separated):
    """k_range, value_col and too few customers are explained."""
    customers, _ = separated
    with pytest.raises(ValueError, match="k_range=\\(1, 3\\)"):
        ClusterSegmenter(k_range=(1, 3)).fit(customers)
    with pytest.raises(ValueError, match="value_col='spend' is not one of the features"):
        ClusterSegmenter(value_col="spend").fit(customers)
    with pytest.raises(ValueError, match="at least 5 distinct customers, got 3 sample"):
        ClusterSegmenter(n_clusters=5).fit(customers.head(3))


def test_pickled_segmenter_labels_identically(separated):
    """A pickled mixture segmenter keeps its component order."""
    customers, _ = separated
    seg = ClusterSegmenter(method="gmm", n_clusters=4, random_state=0, n_bootstrap=0)
    seg.fit(customers)
    restored = pickle.loads(pickle.dumps(seg))
    np.testing.assert_array_equal(restored.predict(customers), seg.predict(customers))


# --- make_customers -------------------------------------------------------------------


def test_make_customers_is_seeded_skewed_and_correlated():
    """Same seed, same table; measures are skewed and frequency goes with spend."""
    a, truth_a = make_customers(3000, random_state=5)
    b, truth_b = make_customers(3000, random_state=5)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(truth_a, truth_b)
    assert list(truth_a["segment"].cat.categories) == [
        "champions",
        "lapsed",
        "newcomers",
        "big spenders",
    ]
    assert (a[["frequency", "monetary", "avg_order_value"]].skew() > 1).all()
    assert a["frequency"].corr(a["monetary"], method="spearman") > 0.5
    assert (a["tenure_days"] >= a["recency_days"]).all()
    assert a["frequency"].min() >= 1


def test_make_customers_refuses_bad_arguments():
    """Counts and separation are checked with the allowed range."""
    with pytest.raises(ValueError, match="n_segments=7 must be an integer from 2 to 6"):
        make_customers(10, n_segments=7)
    with pytest.raises(ValueError, match="separation=0"):
        make_customers(10, separation=0)
    with pytest.raises(ValueError, match="segment_probs"):
        make_customers(10, n_segments=2, segment_probs=(0.2, 0.2))


# --- classifying new customers ----------------------------------------------------------


def test_segments_train_a_classifier_of_early_behaviour():
    """CDNOW: the first 30 days predict the discovered segment at 1997-09-30, above the baseline.

    The segmentation's labels are the target of an ordinary scikit-learn Pipeline;
    accuracy on a held-out 30 % is well above always guessing the largest segment.
    """
    tx = bs.datasets.load_cdnow()
    first = tx.groupby("customer_id")["timestamp"].transform("min")
    early = (
        tx[tx["timestamp"] < first + pd.Timedelta(days=30)]
        .groupby("customer_id")
        .agg(purchases_30d=("timestamp", "size"), spend_30d=("amount", "sum"))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bs.exceptions.RowsExcludedWarning)
        later = bs.rfm_table(tx, as_of="1997-09-30")
    seg = ClusterSegmenter(n_clusters=3, value_col="monetary", random_state=0).fit(later)
    segment = pd.Series(seg.predict(later), index=later.index).loc[early.index]
    X_train, X_test, y_train, y_test = train_test_split(
        early, segment, test_size=0.3, random_state=0, stratify=segment
    )
    model = make_pipeline(
        FunctionTransformer(np.log1p), HistGradientBoostingClassifier(random_state=0)
    )
    accuracy = model.fit(X_train, y_train).score(X_test, y_test)
    baseline = y_test.value_counts(normalize=True).max()
    assert set(model.predict(X_test)) <= set(seg.segments_)
    assert accuracy >= baseline + 0.2
