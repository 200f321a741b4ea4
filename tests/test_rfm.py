"""RFMSegmenter: tie-aware cut points, reversed recency, the default map, custom maps."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from behaviorseg import RFMSegmenter, clv_summary, rfm_table
from behaviorseg.datasets import load_cdnow
from behaviorseg.exceptions import BehaviorsegWarning, DataValidationError, SchemaError
from behaviorseg.segmenters.rfm import DEFAULT_RFM_SEGMENTS


def _table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "recency_days": rng.integers(0, 365, n).astype(float),
            "frequency": rng.integers(1, 20, n),
            "monetary": rng.gamma(2.0, 50.0, n).round(2),
        }
    )


@pytest.fixture(scope="module")
def cdnow_customers() -> pd.DataFrame:
    return rfm_table(load_cdnow(), as_of="1998-06-30")


def test_default_map_is_a_full_partition_of_the_grid():
    """Each of the 25 recency x frequency cells gets exactly one of the 10 names."""
    hits = np.zeros((5, 5), dtype=int)
    for _, (r_lo, r_hi), (f_lo, f_hi) in DEFAULT_RFM_SEGMENTS:
        hits[r_lo - 1 : r_hi, f_lo - 1 : f_hi] += 1
    assert (hits == 1).all()
    r, f = np.indices((5, 5)).reshape(2, -1) + 1
    X = np.column_stack([-r, f])  # recency reversed: larger r_score = smaller recency
    names = (
        RFMSegmenter(bin_edges={"r": [-4.5, -3.5, -2.5, -1.5], "f": [1.5, 2.5, 3.5, 4.5]})
        .fit(X)
        .predict(X)
    )
    assert set(names) == {name for name, _, _ in DEFAULT_RFM_SEGMENTS}


def test_quintiles_without_ties_have_equal_sizes():
    """Without ties each of the five scores holds a fifth of the customers."""
    X = _table(500)
    X["frequency"] = np.arange(500) + 1
    X["recency_days"] = np.random.default_rng(3).permutation(500).astype(float)
    scores = RFMSegmenter().fit(X).transform(X)
    for j in range(2):
        assert np.bincount(scores[:, j], minlength=6)[1:].tolist() == [100] * 5


def test_recency_is_scored_reversed():
    """The most recent customers get recency score 5, the least recent score 1."""
    X = _table(500)
    scores = RFMSegmenter().fit(X).transform(X)
    assert scores[X["recency_days"].idxmin(), 0] == 5
    assert scores[X["recency_days"].idxmax(), 0] == 1


def test_heavy_ties_keep_one_time_buyers_in_the_lowest_score(cdnow_customers):
    """On CDNOW (52% buy once) one-time buyers share F=1; a warning names the empty scores."""
    with pytest.warns(BehaviorsegWarning, match=r"column 'frequency'.*empty"):
        seg = RFMSegmenter().fit(cdnow_customers)
    f = seg.transform(cdnow_customers)[:, 1]
    freq = cdnow_customers["frequency"].to_numpy()
    assert (f[freq == 1] == 1).all()
    for value in np.unique(freq):  # equal values, equal scores
        assert len(np.unique(f[freq == value])) == 1
    # The common rank(method="first") + qcut recipe splits the tied block instead:
    naive = pd.qcut(cdnow_customers["frequency"].rank(method="first"), 5, labels=False) + 1
    assert len(np.unique(naive[freq == 1])) > 1


def test_every_cdnow_customer_gets_exactly_one_name(cdnow_customers):
    """All 2,357 CDNOW customers are named, with names from segments_."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        seg = RFMSegmenter().fit(cdnow_customers)
    labels = seg.predict(cdnow_customers)
    assert len(labels) == 2357
    assert set(labels) <= set(seg.segments_)
    assert seg.segments_ == [name for name, _, _ in DEFAULT_RFM_SEGMENTS]


@settings(max_examples=60, deadline=None)
@given(
    recency=st.lists(st.integers(0, 30), min_size=5, max_size=60),
    n_bins=st.integers(2, 8),
)
def test_scores_are_in_range_monotone_and_tie_consistent(recency, n_bins):
    """Scores lie in 1..n_bins, equal values score equally, more recent never scores lower."""
    n = len(recency)
    X = np.column_stack([recency, np.arange(n) % 3 + 1, np.ones(n)]).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        scores = RFMSegmenter(n_bins=n_bins).fit(X).transform(X)
    assert scores.min() >= 1 and scores.max() <= n_bins
    r = scores[:, 0]
    rec = np.asarray(recency)
    for value in np.unique(rec):
        assert len(np.unique(r[rec == value])) == 1
    order = np.argsort(rec, kind="stable")
    assert (np.diff(r[order]) <= 0).all()  # larger recency_days -> lower or equal score


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_does_not_change_results(seed):
    """Shuffling the customers shuffles the labels and scores, nothing else."""
    X = _table(60, seed)
    perm = np.random.default_rng(seed).permutation(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        a = RFMSegmenter().fit(X)
        b = RFMSegmenter().fit(X.iloc[perm])
    np.testing.assert_array_equal(a.predict(X)[perm], b.predict(X.iloc[perm]))
    np.testing.assert_array_equal(a.transform(X)[perm], b.transform(X.iloc[perm]))


def test_fixed_bin_edges_follow_the_documented_rule():
    """Frequency scores 1 + #(edges <= x); recency scores 1 + #(edges >= x)."""
    X = pd.DataFrame({"recency_days": [0, 10, 30, 31], "frequency": [1, 2, 5, 9], "monetary": 1.0})
    seg = RFMSegmenter(n_bins=3, bin_edges={"r": [10, 30], "f": [2, 5]}).fit(X)
    scores = seg.transform(X)
    assert scores[:, 0].tolist() == [3, 3, 2, 1]  # "within 10 days" scores 3
    assert scores[:, 1].tolist() == [1, 2, 3, 3]
    np.testing.assert_array_equal(seg.bin_edges_["frequency"], [2, 5])
    np.testing.assert_array_equal(seg.bin_edges_["recency_days"], [10, 30])


@pytest.mark.parametrize(
    "edges", [{"f": [5, 2]}, {"f": [1, 2, 3]}, {"x": [1, 2]}], ids=["unsorted", "count", "key"]
)
def test_bad_bin_edges_are_refused(edges):
    """Unsorted edges, the wrong number of edges or an unknown role raise ValueError."""
    with pytest.raises(ValueError, match="bin_edges"):
        RFMSegmenter(n_bins=3, bin_edges=edges).fit(_table())


def test_custom_rule_map_first_match_wins_and_must_cover_the_grid():
    """Rules are read in order; an uncovered cell is an error naming the fix."""
    X = _table()
    rules = {"best": {"r": (5, 5), "f": (5, 5)}, "rest": {}}
    labels = RFMSegmenter(segment_map=rules).fit(X).predict(X)
    scores = RFMSegmenter().fit(X).transform(X)
    expected = np.where((scores[:, 0] == 5) & (scores[:, 1] == 5), "best", "rest")
    np.testing.assert_array_equal(labels, expected)
    with pytest.raises(ValueError, match="catch-all"):
        RFMSegmenter(segment_map={"best": {"r": (5, 5)}}).fit(X)


def test_custom_rule_map_can_use_monetary():
    """A rule may use the monetary score when a monetary column is scored."""
    X = _table()
    rules = {"big spenders": {"m": (5, 5)}, "others": {}}
    seg = RFMSegmenter(segment_map=rules).fit(X)
    m = seg.transform(X)[:, 2]
    np.testing.assert_array_equal(seg.predict(X) == "big spenders", m == 5)
    with pytest.raises(ValueError, match="does not score"):
        RFMSegmenter(segment_map=rules, monetary_col=None).fit(X)


def test_callable_map_names_every_cell():
    """A callable receives the r, f, m score grids and returns a name per cell."""
    X = _table()

    def by_total(r, f, m):
        return np.where(r + f + m >= 12, "high", "low")

    seg = RFMSegmenter(segment_map=by_total).fit(X)
    scores = seg.transform(X)
    np.testing.assert_array_equal(seg.predict(X), np.where(scores.sum(axis=1) >= 12, "high", "low"))
    assert seg.segments_ == ["high", "low"]


def test_other_n_bins_rescale_the_default_map():
    """With n_bins=10 the default map reads ceil(5 * score / 10) on the 1-5 grid."""
    X = _table(1000)
    seg10 = RFMSegmenter(n_bins=10).fit(X)
    seg5 = RFMSegmenter(n_bins=5).fit(X)
    s10 = seg10.transform(X)
    s5 = seg5.transform(X)
    np.testing.assert_array_equal(np.ceil(5 * s10[:, :2] / 10), s5[:, :2])
    np.testing.assert_array_equal(seg10.predict(X), seg5.predict(X))


def test_without_monetary_scores_two_columns():
    """monetary_col=None scores recency and frequency only."""
    X = _table()
    seg = RFMSegmenter(monetary_col=None).fit(X)
    assert seg.transform(X).shape == (len(X), 2)
    assert seg.get_feature_names_out().tolist() == ["r_score", "f_score"]


def test_set_output_pandas_keeps_the_customer_index():
    """transform returns a DataFrame indexed by customer with r/f/m score columns."""
    X = _table().set_index(pd.Index(np.arange(200) + 1000, name="customer_id"))
    out = RFMSegmenter().set_output(transform="pandas").fit(X).transform(X)
    assert list(out.columns) == ["r_score", "f_score", "m_score"]
    assert out.index.equals(X.index)


def test_composes_in_pipeline_and_column_transformer():
    """Scores feed a Pipeline step; a ColumnTransformer can pick the RFM columns."""
    X = _table()
    X["country"] = "UK"
    pipe = Pipeline([("rfm", RFMSegmenter()), ("scale", StandardScaler())]).fit(X)
    assert pipe.transform(X).shape == (len(X), 3)
    ct = ColumnTransformer(
        [("rfm", RFMSegmenter(), ["recency_days", "frequency", "monetary"])],
        remainder="drop",
    ).set_output(transform="pandas")
    out = ct.fit_transform(X)
    assert list(out.columns) == ["rfm__r_score", "rfm__f_score", "rfm__m_score"]


def test_extra_columns_of_any_dtype_are_ignored():
    """A customer table with a text column still segments by the RFM columns."""
    X = _table()
    X["country"] = "UK"
    a = RFMSegmenter().fit(X).predict(X)
    rfm_only = X[["recency_days", "frequency", "monetary"]]
    b = RFMSegmenter().fit(rfm_only).predict(rfm_only)
    np.testing.assert_array_equal(a, b)


def test_clv_summary_frame_is_refused_with_the_recency_explanation():
    """A buy-till-you-die summary is not an RFM table: the error explains the two recencies."""
    summary = clv_summary(load_cdnow(), as_of="1997-09-30", freq_multiplier=7)
    with pytest.raises(SchemaError, match="recency_days") as info:
        RFMSegmenter().fit(summary)
    assert "age" in str(info.value)


def test_nan_in_a_column_names_the_column():
    """NaN in the customer table raises DataValidationError naming the column and rows."""
    X = _table()
    X.loc[[3, 7], "monetary"] = np.nan
    with pytest.raises(DataValidationError, match=r"'monetary' has 2 missing"):
        RFMSegmenter().fit(X)


def test_predict_before_fit_raises_not_fitted():
    """predict and transform refuse to run before fit."""
    with pytest.raises(NotFittedError):
        RFMSegmenter().predict(_table())


def test_new_customers_outside_the_training_range_get_extreme_scores():
    """Values beyond the fitted range score 1 or n_bins, never fail."""
    seg = RFMSegmenter().fit(_table())
    X = pd.DataFrame({"recency_days": [-5.0, 10_000.0], "frequency": [10_000, 0], "monetary": 0.0})
    scores = seg.transform(X)
    assert scores[:, 0].tolist() == [5, 1]
    assert scores[:, 1].tolist() == [5, 1]


@pytest.mark.parametrize(
    ("param", "value"),
    [("n_bins", 1), ("n_bins", 2.5), ("n_bins", True), ("segment_map", 3), ("monetary_col", 1)],
)
def test_invalid_parameters_are_refused_in_fit(param, value):
    """Parameters are checked in fit (not __init__) with a message naming them."""
    seg = RFMSegmenter(**{param: value})
    with pytest.raises((ValueError, TypeError), match=param):
        seg.fit(_table())


def test_columns_added_after_fit_are_ignored():
    """The notebook pattern: add the segment column, then predict on the same frame."""
    customers = pd.DataFrame(
        {
            "recency_days": [1.0, 50.0, 200.0, 20.0, 90.0],
            "frequency": [9, 3, 1, 5, 2],
            "monetary": [900.0, 90.0, 10.0, 300.0, 40.0],
        }
    )
    seg = RFMSegmenter(n_bins=3)
    labels = seg.fit_predict(customers)
    customers["segment"] = labels
    np.testing.assert_array_equal(seg.predict(customers), labels)
    np.testing.assert_array_equal(seg.transform(customers), seg.transform(customers.iloc[:, :3]))
    # a fitted column missing is still an error
    with pytest.raises(ValueError, match="feature names"):
        seg.predict(customers.drop(columns="frequency").assign(other=1.0, more=2.0))
