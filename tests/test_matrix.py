"""The 2×2 matrix core and MatrixSegmenter: scores, thresholds, quadrants, bad input."""

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
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, RobustScaler, StandardScaler

from behaviorseg.exceptions import (
    BehaviorsegWarning,
    ColumnsByPositionWarning,
    DataValidationError,
    SchemaError,
)
from behaviorseg.segmenters import MatrixSegmenter

X_AXIS = (("a", 1.0),)
Y_AXIS = (("b", 1.0),)


def _frame(seed: int = 0, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.gamma(2.0, 10.0, n),
            "b": rng.normal(0.0, 3.0, n),
            "c": rng.uniform(0.0, 5.0, n),
        }
    )


distinct_values = st.lists(st.integers(-1000, 1000), min_size=4, max_size=40, unique=True).map(
    lambda v: np.asarray(v, dtype=float)
)


# --- scores ---------------------------------------------------------------------------
def test_standard_scaling_matches_sklearn_standard_scaler():
    """scaling='standard' z-scores equal StandardScaler's (reference: scikit-learn)."""
    X = _frame()
    seg = MatrixSegmenter(X_AXIS, Y_AXIS, scaling="standard").fit(X)
    z = StandardScaler().fit_transform(X[["a", "b"]])
    scores = seg.transform(X) + np.array(list(seg.thresholds_.values()))
    np.testing.assert_allclose(scores, z, rtol=1e-12, atol=1e-12)


def test_robust_scaling_matches_sklearn_robust_scaler_times_1_349_clipped_at_3():
    """scaling='robust' is RobustScaler's (x - median) / IQR times 1.349, clipped to +/-3."""
    X = _frame(1)
    X.loc[0, "a"] = 1e4  # an outlier, clipped
    seg = MatrixSegmenter(X_AXIS, Y_AXIS).fit(X)
    reference = RobustScaler().fit_transform(X[["a", "b"]]) * 1.3489795003921634
    reference = np.clip(reference, -3, 3)
    scores = seg.transform(X) + np.array(list(seg.thresholds_.values()))
    np.testing.assert_allclose(scores, reference, rtol=1e-12, atol=1e-12)
    assert scores[0, 0] == 3.0


def test_axis_score_is_weighted_mean_of_scaled_columns():
    """An axis of several columns scores sum(w * z) / sum(|w|), a negative weight flipping z."""
    X = _frame(2)
    seg = MatrixSegmenter((("a", 2.0), ("c", -1.0)), Y_AXIS, scaling="standard").fit(X)
    z = StandardScaler().fit_transform(X[["a", "c"]])
    expected = (2.0 * z[:, 0] - 1.0 * z[:, 1]) / 3.0
    np.testing.assert_allclose(seg.transform(X)[:, 0] + seg.thresholds_["x"], expected)


@settings(max_examples=30, deadline=None)
@given(factor=st.floats(0.01, 100.0), seed=st.integers(0, 50))
def test_only_relative_weights_matter(factor, seed):
    """Multiplying every weight of an axis by a positive factor changes no score or label."""
    X = _frame(seed)
    base = MatrixSegmenter((("a", 1.0), ("c", -2.0)), Y_AXIS).fit(X)
    scaled = MatrixSegmenter((("a", factor), ("c", -2.0 * factor)), Y_AXIS).fit(X)
    np.testing.assert_allclose(scaled.transform(X), base.transform(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(scaled.predict(X), base.predict(X))


@settings(max_examples=40, deadline=None)
@given(values=distinct_values)
def test_median_split_halves_distinct_scores(values):
    """Without ties the median puts floor(n/2) customers strictly above it (high)."""
    X = pd.DataFrame({"a": values, "b": values[::-1].copy()})
    seg = MatrixSegmenter(X_AXIS, Y_AXIS).fit(X)
    high = seg.transform(X) > 0
    assert (high.sum(axis=0) == len(values) // 2).all()


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(0, 3), min_size=3, max_size=30))
def test_equal_scores_always_fall_on_the_same_side(values):
    """Ties are never split by row order: equal values get equal labels."""
    values = np.asarray(values, dtype=float)
    if np.ptp(values) == 0:
        return
    X = pd.DataFrame({"a": values, "b": np.arange(len(values), dtype=float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        seg = MatrixSegmenter(X_AXIS, Y_AXIS).fit(X)
    high = seg.transform(X)[:, 0] > 0
    for value in np.unique(values):
        assert len(set(high[values == value])) == 1


def test_quantile_threshold_sets_the_low_share():
    """('quantile', 0.8): 80 % of customers are low, 20 % high (no ties)."""
    X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0)[::-1]})
    seg = MatrixSegmenter(X_AXIS, Y_AXIS, x_threshold=("quantile", 0.8)).fit(X)
    assert int((seg.transform(X)[:, 0] > 0).sum()) == 20


def test_fixed_threshold_without_scaling_is_in_the_columns_units():
    """With scaling=None and ('fixed', v), high means value > v in raw units."""
    X = pd.DataFrame({"a": [1.0, 5.0, 7.0, 9.0], "b": [3.0, 1.0, 3.0, 1.0]})
    seg = MatrixSegmenter(
        X_AXIS, Y_AXIS, scaling=None, x_threshold=("fixed", 5.0), y_threshold=("fixed", 2.0)
    ).fit(X)
    np.testing.assert_array_equal(seg.transform(X), [[-4, 1], [0, -1], [2, 1], [4, -1]])
    assert seg.predict(X).tolist() == [
        "low x, high y",
        "low x, low y",  # 5 is not above the threshold 5
        "high x, high y",
        "high x, low y",
    ]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000))
def test_transform_sign_matches_the_predicted_quadrant(seed):
    """A positive transform score is exactly the high side of predict, on both axes."""
    X = _frame(seed)
    seg = MatrixSegmenter(X_AXIS, (("b", 1.0), ("c", 1.0, -1.0))).fit(X)
    scores = seg.transform(X)
    names = np.array(seg.segments_, dtype=object)
    grid = {(False, True): 0, (True, True): 1, (False, False): 2, (True, False): 3}
    expected = [names[grid[(bool(x > 0), bool(y > 0))]] for x, y in scores]
    assert seg.predict(X).tolist() == expected


# --- quadrants ------------------------------------------------------------------------
def test_quadrant_names_follow_the_reading_order_of_the_figure():
    """quadrant_names are top-left, top-right, bottom-left, bottom-right."""
    X = pd.DataFrame({"a": [1.0, 9.0, 1.0, 9.0], "b": [9.0, 9.0, 1.0, 1.0]})
    names = ("TL", "TR", "BL", "BR")
    seg = MatrixSegmenter(X_AXIS, Y_AXIS, quadrant_names=names).fit(X)
    assert seg.predict(X).tolist() == ["TL", "TR", "BL", "BR"]
    assert seg.segments_ == list(names)


def test_default_quadrant_names_come_from_axis_names():
    """Without quadrant_names, segments are named 'high <x>, low <y>' and so on."""
    seg = MatrixSegmenter(X_AXIS, Y_AXIS, axis_names=("value", "engagement")).fit(_frame())
    assert seg.segments_ == [
        "low value, high engagement",
        "high value, high engagement",
        "low value, low engagement",
        "high value, low engagement",
    ]
    assert seg.get_feature_names_out().tolist() == ["value_score", "engagement_score"]


def test_conditional_weight_flips_the_y_column_for_high_x_customers():
    """(column, w_low, w_high): the y score uses w_high for customers high on x."""
    X = _frame(3)
    seg = MatrixSegmenter(X_AXIS, (("b", 1.0, -1.0),), scaling="standard").fit(X)
    plain = MatrixSegmenter(X_AXIS, Y_AXIS, scaling="standard").fit(X)
    high_x = seg.transform(X)[:, 0] > 0
    raw = seg.transform(X)[:, 1] + seg.thresholds_["y"]
    raw_plain = plain.transform(X)[:, 1] + plain.thresholds_["y"]
    np.testing.assert_allclose(raw[~high_x], raw_plain[~high_x])
    np.testing.assert_allclose(raw[high_x], -raw_plain[high_x])
    table = seg.axis_columns_
    assert table.loc["b", "weight"] == 1.0 and table.loc["b", "weight_if_x_high"] == -1.0


# --- arrays and frames ----------------------------------------------------------------
def test_array_in_role_order_gives_the_same_result_as_the_frame():
    """A plain array with the axis columns in order is read like the named frame."""
    X = _frame(4)
    axes = ((("a", 1.0), ("c", -1.0)), (("b", 1.0),))
    by_name = MatrixSegmenter(*axes).fit(X)
    by_position = MatrixSegmenter(*axes).fit(X[["a", "c", "b"]].to_numpy())
    np.testing.assert_array_equal(
        by_position.predict(X[["a", "c", "b"]].to_numpy()), by_name.predict(X)
    )
    np.testing.assert_allclose(
        by_position.transform(X[["a", "c", "b"]].to_numpy()), by_name.transform(X)
    )
    assert by_position.axis_columns_.index.tolist() == ["x0", "x1", "x2"]


def test_default_axes_read_first_column_as_x_and_the_rest_as_y():
    """MatrixSegmenter() scores column 0 on x and all other columns (weight +1) on y."""
    X = _frame(5)
    seg = MatrixSegmenter().fit(X)
    explicit = MatrixSegmenter(X_AXIS, (("b", 1.0), ("c", 1.0))).fit(X)
    np.testing.assert_allclose(seg.transform(X), explicit.transform(X))
    wide = MatrixSegmenter().fit(X.to_numpy())
    assert wide.axis_columns_["axis"].tolist() == ["x", "y", "y"]


def test_extra_array_columns_are_ignored_as_extra_frame_columns_are():
    """An array wider than the entries: the columns beyond them are ignored, with a warning."""
    X = _frame(6)
    with pytest.warns(ColumnsByPositionWarning, match=r"columns \[2\] are ignored"):
        seg = MatrixSegmenter((("a", 1.0),), (("b", -1.0),)).fit(X.to_numpy())
    assert seg.axis_columns_["weight"].tolist() == [1.0, -1.0]
    by_name = MatrixSegmenter((("a", 1.0),), (("b", -1.0),)).fit(X)
    np.testing.assert_array_equal(seg.predict(X.to_numpy()), by_name.predict(X))


def test_without_axes_every_array_column_is_read_with_weight_one():
    """The default MatrixSegmenter reads column 0 as x and every other column as y (+1)."""
    X = _frame(6).to_numpy()
    seg = MatrixSegmenter().fit(X)
    assert seg.axis_columns_["weight"].tolist() == [1.0] * X.shape[1]


def test_frame_columns_beyond_the_axes_are_ignored_and_not_mutated():
    """Extra columns of any dtype are ignored; the caller's frame is unchanged."""
    X = _frame(7).assign(note="text")
    before = X.copy()
    seg = MatrixSegmenter(X_AXIS, Y_AXIS).fit(X)
    seg.predict(X)
    pd.testing.assert_frame_equal(X, before)


def test_set_output_pandas_and_pipeline():
    """transform returns a named DataFrame after set_output and composes in a Pipeline."""
    X = _frame(8)
    seg = MatrixSegmenter(X_AXIS, Y_AXIS).set_output(transform="pandas").fit(X)
    out = seg.transform(X)
    assert list(out.columns) == ["x_score", "y_score"]
    pipe = make_pipeline(FunctionTransformer(lambda f: f.abs()), MatrixSegmenter(X_AXIS, Y_AXIS))
    pipe.set_output(transform="pandas")
    assert set(pipe.fit(X).predict(X)) <= set(pipe[-1].segments_)


def test_pickle_round_trip_keeps_labels_and_scores():
    """A pickled segmenter predicts and transforms exactly as the original."""
    X = _frame(9)
    seg = MatrixSegmenter(X_AXIS, (("b", 1.0, 0.5), ("c", -1.0))).fit(X)
    restored = pickle.loads(pickle.dumps(seg))
    np.testing.assert_array_equal(restored.predict(X), seg.predict(X))
    np.testing.assert_array_equal(restored.transform(X), seg.transform(X))


def test_learned_state_does_not_depend_on_later_set_params():
    """Changing parameters after fit does not change predictions until the next fit."""
    X = _frame(10)
    seg = MatrixSegmenter(X_AXIS, Y_AXIS).fit(X)
    before = seg.predict(X)
    seg.set_params(quadrant_names=("1", "2", "3", "4"), x_threshold=("quantile", 0.9))
    np.testing.assert_array_equal(seg.predict(X), before)
    assert set(clone(seg).fit(X).predict(X)) <= {"1", "2", "3", "4"}


# --- bad input ------------------------------------------------------------------------
def test_constant_column_is_left_out_of_its_axis_with_a_warning():
    """A constant column cannot be scaled: a warning names it, the axis uses the others."""
    X = _frame(11).assign(k=7.0)
    with pytest.warns(BehaviorsegWarning, match=r"\['k'\].*left out of the x axis"):
        seg = MatrixSegmenter((("a", 1.0), ("k", 1.0)), Y_AXIS).fit(X)
    without = MatrixSegmenter(X_AXIS, Y_AXIS).fit(X)
    np.testing.assert_allclose(seg.transform(X), without.transform(X))
    assert not seg.axis_columns_.loc["k", "used"]


def test_constant_axis_is_a_clear_error_not_nan():
    """An axis with no variation raises DataValidationError naming the axis and columns."""
    X = _frame(12).assign(k=7.0)
    with pytest.raises(DataValidationError, match=r"y axis is constant.*\['k'\].*y_threshold"):
        MatrixSegmenter(X_AXIS, (("k", 1.0),)).fit(X)
    with pytest.raises(DataValidationError, match="constant"):
        MatrixSegmenter(X_AXIS, (("k", 1.0),), scaling=None).fit(X)


def test_constant_axis_with_fixed_threshold_and_no_scaling_is_allowed():
    """Nothing is learned with a fixed threshold on raw values, so a constant axis is fine."""
    X = _frame(13).assign(k=7.0)
    with pytest.warns(BehaviorsegWarning, match="one side of the matrix is empty"):
        seg = MatrixSegmenter(X_AXIS, (("k", 1.0),), scaling=None, y_threshold=("fixed", 5.0)).fit(
            X
        )
    assert (seg.transform(X)[:, 1] == 2.0).all()


def test_ties_that_empty_a_side_warn():
    """If ties leave nobody above the median, a warning says one side is empty."""
    X = pd.DataFrame({"a": [0.0] * 8 + [1.0, 2.0], "b": np.arange(10.0)})
    with pytest.warns(BehaviorsegWarning, match="nobody scores above the x threshold"):
        MatrixSegmenter((("a", -1.0),), Y_AXIS).fit(X)


def test_missing_values_are_errors_naming_the_column():
    """NaN in an axis column raises, naming the column."""
    X = _frame(14)
    X.loc[3, "b"] = np.nan
    with pytest.raises(DataValidationError, match="'b'"):
        MatrixSegmenter(X_AXIS, Y_AXIS).fit(X)


def test_missing_column_is_a_schema_error_naming_the_parameter():
    """A column named in an axis but absent from X raises SchemaError naming the entry."""
    with pytest.raises(SchemaError, match=r"'zz' \(y_axis\[0\]\)"):
        MatrixSegmenter(X_AXIS, (("zz", 1.0),)).fit(_frame())


def test_one_customer_is_refused():
    """Scales and thresholds cannot be learned from 1 sample."""
    with pytest.raises(DataValidationError, match="1 sample"):
        MatrixSegmenter(X_AXIS, Y_AXIS).fit(_frame().iloc[:1])


def test_predict_before_fit_raises_not_fitted():
    """predict and transform refuse to run before fit."""
    with pytest.raises(NotFittedError):
        MatrixSegmenter().predict(_frame())


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"x_axis": "a", "y_axis": Y_AXIS}, "x_axis"),
        ({"x_axis": ("a",), "y_axis": Y_AXIS}, "not a"),
        ({"x_axis": (), "y_axis": Y_AXIS}, "empty"),
        ({"x_axis": (("a",),), "y_axis": Y_AXIS}, "not a"),
        ({"x_axis": (("a", 1.0, -1.0),), "y_axis": Y_AXIS}, "not a"),  # x cannot be conditional
        ({"x_axis": (("a", np.nan),), "y_axis": Y_AXIS}, "finite"),
        ({"x_axis": (("a", 0.0),), "y_axis": Y_AXIS}, "every weight"),
        ({"x_axis": (("a", 1.0), ("a", 2.0)), "y_axis": Y_AXIS}, "more than once"),
        ({"x_axis": X_AXIS, "y_axis": None}, "both"),
        ({"x_axis": X_AXIS, "y_axis": Y_AXIS, "x_threshold": "mean"}, "x_threshold"),
        ({"x_axis": X_AXIS, "y_axis": Y_AXIS, "y_threshold": ("quantile", 1.0)}, "between 0"),
        ({"x_axis": X_AXIS, "y_axis": Y_AXIS, "x_threshold": ("fixed", np.inf)}, "finite"),
        ({"x_axis": X_AXIS, "y_axis": Y_AXIS, "quadrant_names": ("a", "b")}, "four"),
        ({"x_axis": X_AXIS, "y_axis": Y_AXIS, "quadrant_names": ("a",) * 4}, "distinct"),
        ({"x_axis": X_AXIS, "y_axis": Y_AXIS, "axis_names": ("v", "v")}, "distinct"),
        ({"x_axis": X_AXIS, "y_axis": Y_AXIS, "scaling": "minmax"}, "scaling"),
    ],
)
def test_invalid_parameters_are_refused_at_fit(params, match):
    """Malformed axes, thresholds and names raise with a message naming the problem."""
    seg = MatrixSegmenter(**params)  # __init__ only stores
    with pytest.raises((ValueError, TypeError), match=match):
        seg.fit(_frame())
