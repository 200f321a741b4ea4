"""segment_profile: sizes, means, medians, indexes, standardised differences, level shares."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.profiling import segment_profile


def _customers(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "segment": rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]),
            "frequency": rng.poisson(3, size=n) + 1,
            "monetary": rng.gamma(2.0, 50.0, size=n),
            "channel": rng.choice(["web", "store", "app"], size=n),
            "first_purchase": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 90, size=n), unit="D"),
        },
        index=pd.Index(rng.permutation(10 * n)[:n], name="customer_id"),
    )


def _cohens_d(inside: np.ndarray, outside: np.ndarray) -> float:
    """Cohen's d with the pooled sample standard deviation, written out (the oracle)."""
    n1, n2 = len(inside), len(outside)
    pooled = ((n1 - 1) * inside.var(ddof=1) + (n2 - 1) * outside.var(ddof=1)) / (n1 + n2 - 2)
    return float((inside.mean() - outside.mean()) / np.sqrt(pooled))


def test_numeric_statistics_equal_a_groupby_and_cohens_d_by_hand():
    """Mean, median, index and std_diff per segment equal pandas' groupby and Cohen's d."""
    data = _customers()
    profile = segment_profile(data, segment_col="segment", features=["frequency", "monetary"])
    for feature in ("frequency", "monetary"):
        grouped = data.groupby("segment")[feature]
        block = profile[feature]
        np.testing.assert_allclose(block["mean"], grouped.mean(), rtol=1e-12)
        np.testing.assert_allclose(block["median"], grouped.median(), rtol=1e-12)
        np.testing.assert_allclose(
            block["index"], 100 * grouped.mean() / data[feature].mean(), rtol=1e-12
        )
        for segment in ("a", "b", "c"):
            inside = data.loc[data["segment"] == segment, feature].to_numpy(dtype=float)
            outside = data.loc[data["segment"] != segment, feature].to_numpy(dtype=float)
            assert block.loc[segment, "std_diff"] == pytest.approx(
                _cohens_d(inside, outside), rel=1e-10
            )


def test_size_share_and_layout():
    """Rows are the sorted segments; columns are (feature, statistic) with size/share first."""
    data = _customers()
    profile = segment_profile(data, segment_col="segment", features=["frequency"])
    assert profile.index.name == "segment"
    assert profile.index.tolist() == ["a", "b", "c"]
    assert profile.columns.names == ["feature", "statistic"]
    assert profile.columns.tolist() == [
        ("size", ""),
        ("share", ""),
        ("frequency", "mean"),
        ("frequency", "median"),
        ("frequency", "index"),
        ("frequency", "std_diff"),
    ]
    assert isinstance(profile["size"], pd.Series)
    assert profile["size"].tolist() == data["segment"].value_counts().sort_index().tolist()
    assert profile["size"].dtype == np.int64
    assert profile["share"].sum() == pytest.approx(1.0)


def test_categorical_shares_and_indexes_equal_a_crosstab():
    """Level shares equal pd.crosstab(normalize='index'); index = 100 x share / base share."""
    data = _customers()
    profile = segment_profile(data, segment_col="segment", features=["channel"])
    expected = pd.crosstab(data["segment"], data["channel"], normalize="index")
    base = data["channel"].value_counts(normalize=True)
    for level in ("app", "store", "web"):
        block = profile[f"channel={level}"]
        np.testing.assert_allclose(block["share"], expected[level], rtol=1e-12)
        np.testing.assert_allclose(block["index"], 100 * expected[level] / base[level], rtol=1e-12)
    assert [c for c, _ in profile.columns[2:]][::2] == [
        "channel=app",
        "channel=store",
        "channel=web",
    ]


def test_categorical_feature_keeps_its_category_order_and_unused_levels():
    """A Categorical feature lists its categories in order, unused ones with share 0."""
    data = _customers()
    data["channel"] = pd.Categorical(data["channel"], categories=["web", "store", "app", "fax"])
    profile = segment_profile(data, segment_col="segment", features=["channel"])
    levels = [c for c, s in profile.columns if s == "share" and c.startswith("channel=")]
    assert levels == ["channel=web", "channel=store", "channel=app", "channel=fax"]
    assert (profile[("channel=fax", "share")] == 0).all()
    assert profile[("channel=fax", "index")].isna().all()


def test_bool_features_are_categorical():
    """A flag is described by the share of each value, not a mean and a median."""
    data = _customers()
    data["newsletter"] = data["frequency"] > 3
    profile = segment_profile(data, segment_col="segment", features=["newsletter"])
    assert ("newsletter=True", "share") in profile.columns
    expected = data.groupby("segment")["newsletter"].mean()
    np.testing.assert_allclose(profile[("newsletter=True", "share")], expected)


def test_features_none_takes_numeric_and_categorical_columns_in_frame_order():
    """Default features: every numeric and categorical column but the segment; no dates."""
    profile = segment_profile(_customers(), segment_col="segment")
    features = list(dict.fromkeys(c for c, _ in profile.columns))
    assert features == [
        "size",
        "share",
        "frequency",
        "monetary",
        "channel=app",
        "channel=store",
        "channel=web",
    ]


def test_empty_category_of_a_categorical_segment_keeps_its_row():
    """An unused category is a row with size 0 and NaN statistics, in category order."""
    data = _customers()
    data["segment"] = pd.Categorical(data["segment"], categories=["c", "empty", "b", "a"])
    profile = segment_profile(data, segment_col="segment", features=["monetary", "channel"])
    assert profile.index.tolist() == ["c", "empty", "b", "a"]
    assert profile.loc["empty", ("size", "")] == 0
    assert profile.loc["empty", ("share", "")] == 0
    row = profile.loc["empty"].drop([("size", ""), ("share", "")])
    assert row.isna().all()
    others = segment_profile(
        data.assign(segment=data["segment"].astype(str)),
        segment_col="segment",
        features=["monetary"],
    )
    pd.testing.assert_series_equal(
        profile.loc["a", "monetary"], others.loc["a", "monetary"], check_names=False
    )


def test_value_share_is_the_segment_share_of_total_value():
    """value_col adds the share of the base's total value; the shares add up to 1."""
    data = _customers()
    profile = segment_profile(data, segment_col="segment", features=[], value_col="monetary")
    expected = data.groupby("segment")["monetary"].sum() / data["monetary"].sum()
    np.testing.assert_allclose(profile["value_share"], expected, rtol=1e-12)
    assert profile.columns.tolist() == [("size", ""), ("share", ""), ("value_share", "")]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 50), min_size=2, max_size=30),
    levels=st.data(),
)
def test_a_single_segment_is_the_base(values, levels):
    """Profile of one segment: means and shares are the base's, index 100, std_diff NaN."""
    n = len(values)
    channel = levels.draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n))
    data = pd.DataFrame({"segment": "all", "spend": values, "channel": channel})
    profile = segment_profile(data, segment_col="segment")
    assert profile["size"].tolist() == [n]
    assert profile["share"].tolist() == [1.0]
    assert profile.loc["all", ("spend", "mean")] == pytest.approx(np.mean(values))
    assert profile.loc["all", ("spend", "median")] == pytest.approx(np.median(values))
    if np.mean(values) > 0:
        assert profile.loc["all", ("spend", "index")] == pytest.approx(100.0)
    else:
        assert np.isnan(profile.loc["all", ("spend", "index")])
    assert np.isnan(profile.loc["all", ("spend", "std_diff")])
    shares = profile.xs("share", axis=1, level="statistic")
    expected = pd.Series(channel).value_counts(normalize=True)
    for level, share in expected.items():
        assert shares.loc["all", f"channel={level}"] == pytest.approx(share)
    np.testing.assert_allclose(
        profile.xs("index", axis=1, level="statistic").filter(like="channel=").to_numpy(), 100.0
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(-20, 20)), min_size=1, max_size=40
    )
)
def test_size_weighted_means_give_back_the_base_mean(rows):
    """Sizes add up to n and the size-weighted segment means are the base mean."""
    data = pd.DataFrame(rows, columns=["segment", "x"])
    profile = segment_profile(data, segment_col="segment")
    assert profile["size"].sum() == len(data)
    weighted = (profile["size"] * profile[("x", "mean")]).sum() / len(data)
    assert weighted == pytest.approx(data["x"].mean(), abs=1e-9)


def test_missing_feature_values_are_left_out_of_that_feature_only_with_a_warning():
    """NaN in a feature: that feature's statistics use the known values; a warning counts them."""
    data = _customers()
    data.loc[data.index[:7], "monetary"] = np.nan
    data.loc[data.index[3:5], "channel"] = None
    with pytest.warns(RowsExcludedWarning) as caught:
        profile = segment_profile(data, segment_col="segment", features=["monetary", "channel"])
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("7 ") and "'monetary'" in m for m in messages)
    assert any(m.startswith("2 ") and "'channel'" in m for m in messages)
    assert profile["size"].sum() == len(data)
    known = data.dropna(subset=["monetary"])
    np.testing.assert_allclose(
        profile[("monetary", "mean")], known.groupby("segment")["monetary"].mean(), rtol=1e-12
    )
    shares = pd.crosstab(data["segment"], data["channel"], normalize="index")
    np.testing.assert_allclose(profile[("channel=web", "share")], shares["web"], rtol=1e-12)


def test_the_callers_frame_is_not_modified():
    """Pure function: the input frame is unchanged."""
    data = _customers()
    data.loc[data.index[0], "monetary"] = np.nan
    before = data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        segment_profile(data, segment_col="segment", value_col="frequency")
    pd.testing.assert_frame_equal(data, before)


def test_special_category_columns_can_be_described():
    """Composition by a special category is an audit: segment_profile allows it."""
    data = _customers()
    data["religion"] = np.where(data["frequency"] > 3, "x", "y")
    profile = segment_profile(data, segment_col="segment", features=["religion"])
    assert ("religion=x", "share") in profile.columns


def test_missing_segment_column_is_named():
    """A missing segment column raises SchemaError naming it and the parameter."""
    with pytest.raises(SchemaError, match="'segmnt' \\(segment_col\\) not found"):
        segment_profile(_customers(), segment_col="segmnt")


def test_missing_feature_column_is_named():
    """A missing feature column raises SchemaError naming it."""
    with pytest.raises(SchemaError, match="'recency' \\(features\\[1\\]\\) not found"):
        segment_profile(_customers(), segment_col="segment", features=["frequency", "recency"])


def test_missing_segment_labels_are_refused():
    """A customer without a segment belongs to no row: refused with the fix."""
    data = _customers()
    data.loc[data.index[:3], "segment"] = None
    with pytest.raises(DataValidationError, match="3 missing segment labels"):
        segment_profile(data, segment_col="segment")


def test_empty_frame_is_refused():
    """Nothing to profile in an empty frame."""
    with pytest.raises(DataValidationError, match="empty"):
        segment_profile(_customers().iloc[:0], segment_col="segment")


def test_dates_as_explicit_features_are_refused():
    """A datetime feature is neither numeric nor categorical: refused with a fix."""
    with pytest.raises(SchemaError, match=r"'first_purchase'.*neither numeric nor categorical"):
        segment_profile(_customers(), segment_col="segment", features=["first_purchase"])


def test_identifier_like_columns_are_refused():
    """A categorical feature with more levels than max_levels is refused, naming it."""
    data = _customers()
    data["email"] = [f"c{i}@example.com" for i in range(len(data))]
    with pytest.raises(DataValidationError, match="'email' has 300 distinct values"):
        segment_profile(data, segment_col="segment", features=["email"])
    with pytest.raises(ValueError, match="max_levels"):
        segment_profile(data, segment_col="segment", features=["channel"], max_levels=1)


def test_infinite_values_and_the_segment_column_as_feature_are_refused():
    """Infinite values and a segment describing itself are errors."""
    data = _customers()
    data.loc[data.index[2], "monetary"] = np.inf
    with pytest.raises(DataValidationError, match="'monetary' has 1 infinite"):
        segment_profile(data, segment_col="segment", features=["monetary"])
    with pytest.raises(DataValidationError, match="segment column 'segment'"):
        segment_profile(_customers(), segment_col="segment", features=["segment"])


def test_a_numeric_feature_named_like_a_segment_column_is_refused():
    """A numeric feature called 'size' would collide with the size column."""
    data = _customers().rename(columns={"frequency": "size"})
    with pytest.raises(SchemaError, match=r"'size'.*rename it"):
        segment_profile(data, segment_col="segment")
