"""conversion_rate and compare_conversion: hand computations, published intervals,
an independent chi-square check, bad input and invariants.

References
----------
- R. G. Newcombe (1998), "Interval estimation for the difference between independent
  proportions: comparison of eleven methods", Statistics in Medicine 17: 873-890,
  Table II, method 10 (hybrid score): 56/70 - 48/80 gives 0.0524 to 0.3339; 9/10 - 3/10
  gives 0.1705 to 0.8090.
- The pooled two-proportion z statistic squared equals Pearson's chi-square statistic of
  the 2x2 table without continuity correction (scipy.stats.chi2_contingency).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, norm

from behaviorseg.exceptions import DataValidationError, SchemaError
from behaviorseg.kpi import compare_conversion, conversion_rate

Z95 = 1.959963984540054


def _visits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["a", "b", "a", "c", "b", "a", "b", "a"],
            "converted": [1, 0, 1, 0, 1, 0, 0, 0],
        }
    )


def _wilson(x: float, n: float, z: float = Z95) -> tuple[float, float]:
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


# --- conversion_rate ---------------------------------------------------------------------


def test_conversion_rate_counts_rates_intervals_and_lift_by_hand():
    """a: 2/4, b: 1/3, c: 0/1; overall 3/8, so lift a = 0.5 / 0.375 = 4/3."""
    out = conversion_rate(_visits(), segment_col="segment")
    assert out.index.name == "segment" and list(out.index) == ["a", "b", "c"]
    assert out["n"].tolist() == [4, 3, 1]
    assert out["conversions"].tolist() == [2, 1, 0]
    np.testing.assert_allclose(out["rate"], [0.5, 1 / 3, 0.0], rtol=1e-12)
    np.testing.assert_allclose(out["lift"], [0.5 / 0.375, (1 / 3) / 0.375, 0.0], rtol=1e-12)
    for (x, n), (_, row) in zip([(2, 4), (1, 3), (0, 1)], out.iterrows(), strict=True):
        low, high = _wilson(x, n)
        assert row["ci_low"] == pytest.approx(low, rel=1e-12, abs=1e-15)
        assert row["ci_high"] == pytest.approx(high, rel=1e-12)


def test_confidence_level_changes_the_interval_width():
    """A 99 % interval is wider than a 95 % one and uses z = 2.5758."""
    visits = _visits()
    narrow = conversion_rate(visits, segment_col="segment")
    wide = conversion_rate(visits, segment_col="segment", confidence=0.99)
    assert ((wide["ci_high"] - wide["ci_low"]) > (narrow["ci_high"] - narrow["ci_low"])).all()
    low, high = _wilson(2, 4, z=2.5758293035489004)
    assert wide.loc["a", "ci_low"] == pytest.approx(low, rel=1e-12)
    assert wide.loc["a", "ci_high"] == pytest.approx(high, rel=1e-12)


def test_counts_per_segment_give_the_same_table_as_rows():
    """With n_col, rows of (trials, conversions) summed per segment equal the per-row input."""
    counts = pd.DataFrame(
        {"segment": ["a", "a", "b", "c"], "visitors": [3, 1, 3, 1], "converted": [2, 0, 1, 0]}
    )
    by_counts = conversion_rate(counts, segment_col="segment", n_col="visitors")
    by_rows = conversion_rate(_visits(), segment_col="segment")
    pd.testing.assert_frame_equal(by_counts, by_rows)


def test_categorical_segments_keep_empty_categories_in_order():
    """An unused category shows as a row with n = 0 and NaN rate, interval and lift."""
    visits = _visits().assign(
        segment=lambda d: pd.Categorical(d["segment"], categories=["c", "z", "b", "a"])
    )
    out = conversion_rate(visits, segment_col="segment")
    assert list(out.index) == ["c", "z", "b", "a"]
    empty = out.loc["z"]
    assert empty["n"] == 0 and empty["conversions"] == 0
    assert empty[["rate", "ci_low", "ci_high", "lift"]].isna().all()


def test_lift_is_nan_when_nobody_converts():
    """An overall rate of 0 makes lift undefined (NaN), not inf or 0/0 warnings."""
    visits = _visits().assign(converted=0)
    with np.errstate(all="raise"):
        out = conversion_rate(visits, segment_col="segment")
    assert out["lift"].isna().all()
    assert (out["rate"] == 0).all() and (out["ci_low"] == 0).all()


def test_boolean_flags_work_and_the_input_is_not_modified():
    """bool flags are read like 0/1, and the caller's frame is unchanged."""
    visits = _visits().assign(converted=lambda d: d["converted"].astype(bool))
    before = visits.copy()
    out = conversion_rate(visits, segment_col="segment")
    pd.testing.assert_frame_equal(visits, before)
    assert out["conversions"].sum() == 3


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (pd.DataFrame({"segment": ["a"]}), {}, SchemaError, "converted_col"),
        (
            pd.DataFrame({"segment": ["a"], "converted": ["yes"]}),
            {},
            SchemaError,
            "expected bool",
        ),
        (
            pd.DataFrame({"segment": ["a", "a"], "converted": [1, 2]}),
            {},
            DataValidationError,
            "1 values that are neither",
        ),
        (
            pd.DataFrame({"segment": ["a", "a"], "converted": [1.0, np.nan]}),
            {},
            DataValidationError,
            "neither",
        ),
        (
            pd.DataFrame({"segment": ["a", None], "converted": [1, 0]}),
            {},
            DataValidationError,
            "missing segment labels",
        ),
        (
            pd.DataFrame({"segment": ["a"], "n": [2], "converted": [3]}),
            {"n_col": "n"},
            DataValidationError,
            "more conversions",
        ),
        (
            pd.DataFrame({"segment": ["a"], "n": [2.5], "converted": [1]}),
            {"n_col": "n"},
            DataValidationError,
            "non-integer",
        ),
        (
            pd.DataFrame({"segment": ["a"], "n": [-2], "converted": [0]}),
            {"n_col": "n"},
            DataValidationError,
            "values < 0",
        ),
        (
            pd.DataFrame({"segment": ["a"], "converted": [1]}),
            {"confidence": 1.0},
            ValueError,
            "confidence",
        ),
        (pd.DataFrame({"segment": [], "converted": []}), {}, DataValidationError, "empty"),
    ],
)
def test_bad_input_is_refused_with_the_column_and_the_problem(frame, kwargs, error, match):
    """Missing/mistyped columns, bad flags or counts and bad parameters raise clearly."""
    with pytest.raises(error, match=match):
        conversion_rate(frame, segment_col="segment", **kwargs)


def test_a_non_frame_is_a_type_error():
    """A dict is not silently converted."""
    with pytest.raises(TypeError, match="DataFrame"):
        conversion_rate({"segment": ["a"]}, segment_col="segment")  # type: ignore[arg-type]


@st.composite
def _flag_tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 60))
    segments = draw(st.lists(st.sampled_from("abcd"), min_size=n, max_size=n))
    flags = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return pd.DataFrame({"segment": segments, "converted": flags})


@settings(max_examples=50, deadline=None)
@given(_flag_tables(), st.floats(0.5, 0.999))
def test_rates_and_intervals_are_proportions_that_contain_the_rate(visits, confidence):
    """0 <= ci_low <= rate <= ci_high <= 1; n and conversions add up to the input."""
    out = conversion_rate(visits, segment_col="segment", confidence=confidence)
    assert out["n"].sum() == len(visits)
    assert out["conversions"].sum() == visits["converted"].sum()
    assert ((out["ci_low"] >= 0) & (out["ci_low"] <= out["rate"])).all()
    assert ((out["rate"] <= out["ci_high"]) & (out["ci_high"] <= 1)).all()


# --- compare_conversion ------------------------------------------------------------------


def test_two_proportion_z_test_by_hand():
    """130/1000 vs 100/1000: pooled p = 0.115, z = 0.03 / sqrt(.115 .885 (2/1000)),
    p = 2 (1 - Phi(|z|)); Wald CI = 0.03 ± 1.96 sqrt(.13 .87/1000 + .1 .9/1000)."""
    ab = pd.DataFrame({"variant": ["A", "B"], "n": [1000, 1000], "orders": [100, 130]})
    out = compare_conversion(
        ab, group_col="variant", control="A", converted_col="orders", n_col="n", ci_method="wald"
    )
    row = out.loc["B"]
    z = 0.03 / np.sqrt(0.115 * 0.885 * 2 / 1000)
    se = np.sqrt(0.13 * 0.87 / 1000 + 0.1 * 0.9 / 1000)
    assert row["difference"] == pytest.approx(0.03, rel=1e-12)
    assert row["z"] == pytest.approx(z, rel=1e-12)
    assert row["p_value"] == pytest.approx(2 * norm.sf(z), rel=1e-10)
    assert row["ci_low"] == pytest.approx(0.03 - Z95 * se, rel=1e-10)
    assert row["ci_high"] == pytest.approx(0.03 + Z95 * se, rel=1e-10)
    assert row["lift"] == pytest.approx(1.3, rel=1e-12)
    assert (row["n"], row["conversions"], row["control_n"], row["control_conversions"]) == (
        1000,
        130,
        1000,
        100,
    )


@pytest.mark.parametrize(
    ("x1", "n1", "x0", "n0", "low", "high"),
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)],
)
def test_newcombe_interval_reproduces_the_published_values(x1, n1, x0, n0, low, high):
    """Newcombe (1998) Table II, method 10, to 4 decimals."""
    ab = pd.DataFrame({"g": ["t", "c"], "n": [n1, n0], "x": [x1, x0]})
    out = compare_conversion(ab, group_col="g", control="c", converted_col="x", n_col="n")
    assert out.loc["t", "ci_low"] == pytest.approx(low, abs=5e-5)
    assert out.loc["t", "ci_high"] == pytest.approx(high, abs=5e-5)


def test_z_squared_equals_the_chi_square_statistic_of_the_2x2_table():
    """An independent route: z² and the p-value equal scipy's uncorrected chi-square test."""
    ab = pd.DataFrame({"g": ["t", "c"], "n": [70, 80], "x": [56, 48]})
    out = compare_conversion(ab, group_col="g", control="c", converted_col="x", n_col="n")
    chi2, p, _, _ = chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert out.loc["t", "z"] ** 2 == pytest.approx(chi2, rel=1e-10)
    assert out.loc["t", "p_value"] == pytest.approx(p, rel=1e-8)


def test_one_sided_alternatives_split_the_two_sided_p_value():
    """'larger' is Phi(-z), 'smaller' Phi(z); they sum to 1 and the smaller is half the
    two-sided p-value."""
    ab = pd.DataFrame({"g": ["t", "c"], "n": [200, 200], "x": [30, 20]})
    kw = {"group_col": "g", "control": "c", "converted_col": "x", "n_col": "n"}
    two = compare_conversion(ab, **kw).loc["t", "p_value"]
    larger = compare_conversion(ab, alternative="larger", **kw).loc["t", "p_value"]
    smaller = compare_conversion(ab, alternative="smaller", **kw).loc["t", "p_value"]
    assert larger == pytest.approx(two / 2, rel=1e-10)
    assert larger + smaller == pytest.approx(1.0, rel=1e-12)


def test_per_segment_comparison_runs_one_test_per_segment():
    """With segment_col the rows are (segment, group) and each test uses its segment only."""
    rows = pd.DataFrame(
        {
            "segment": ["s1"] * 6 + ["s2"] * 4,
            "variant": ["A", "A", "A", "B", "B", "B", "A", "A", "B", "B"],
            "converted": [0, 0, 1, 1, 1, 0, 1, 1, 0, 0],
        }
    )
    out = compare_conversion(rows, group_col="variant", control="A", segment_col="segment")
    assert out.index.names == ["segment", "variant"]
    assert list(out.index) == [("s1", "B"), ("s2", "B")]
    np.testing.assert_allclose(out["rate"], [2 / 3, 0.0])
    np.testing.assert_allclose(out["control_rate"], [1 / 3, 1.0])
    alone = compare_conversion(rows[rows["segment"] == "s1"], group_col="variant", control="A").loc[
        "B"
    ]
    assert out.loc[("s1", "B"), "z"] == pytest.approx(alone["z"], rel=1e-12)


def test_several_groups_are_each_compared_with_the_control():
    """Three variants: two rows, each against the same control."""
    ab = pd.DataFrame({"g": ["a", "b", "c"], "n": [100, 100, 100], "x": [10, 20, 5]})
    out = compare_conversion(ab, group_col="g", control="a", converted_col="x", n_col="n")
    assert list(out.index) == ["b", "c"]
    np.testing.assert_allclose(out["difference"], [0.1, -0.05], rtol=1e-12)
    assert (out["control_rate"] == 0.1).all()


def test_degenerate_comparisons_give_nan_not_errors():
    """Nobody converts: z and p are NaN (zero pooled variance); an empty group (Categorical
    category) gives NaN statistics; lift is NaN when the control rate is 0."""
    ab = pd.DataFrame(
        {
            "g": pd.Categorical(["c", "t"], categories=["c", "t", "u"]),
            "n": [50, 50],
            "x": [0, 0],
        }
    )
    with np.errstate(all="raise"):
        out = compare_conversion(ab, group_col="g", control="c", converted_col="x", n_col="n")
    assert np.isnan(out.loc["t", "z"]) and np.isnan(out.loc["t", "p_value"])
    assert np.isnan(out.loc["t", "lift"])
    assert out.loc["t", "difference"] == 0.0
    assert out.loc["u", "n"] == 0
    assert out.loc["u", ["rate", "difference", "ci_low", "ci_high", "z"]].isna().all()


def test_unknown_control_and_bad_options_are_refused():
    """control must be a group; alternative and ci_method are checked."""
    ab = pd.DataFrame({"g": ["a", "b"], "converted": [1, 0]})
    with pytest.raises(DataValidationError, match=r"control='z' is not a group.*'a', 'b'"):
        compare_conversion(ab, group_col="g", control="z")
    with pytest.raises(ValueError, match="alternative"):
        compare_conversion(ab, group_col="g", control="a", alternative="greater")
    with pytest.raises(ValueError, match="ci_method"):
        compare_conversion(ab, group_col="g", control="a", ci_method="exact")
    with pytest.raises(SchemaError, match=r"'variant' \(group_col\)"):
        compare_conversion(ab, group_col="variant", control="a")


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from(["newcombe", "wald"]),
)
def test_difference_interval_contains_the_difference(treated, control, method):
    """ci_low <= difference <= ci_high, all within [-1, 1]; p-values within [0, 1]."""
    ab = pd.DataFrame(
        {"g": ["t", "c"], "n": [treated[1], control[1]], "x": [treated[0], control[0]]}
    )
    out = compare_conversion(
        ab, group_col="g", control="c", converted_col="x", n_col="n", ci_method=method
    ).loc["t"]
    assert -1 <= out["ci_low"] <= out["difference"] + 1e-12
    assert out["difference"] <= out["ci_high"] + 1e-12 and out["ci_high"] <= 1
    assert np.isnan(out["p_value"]) or 0 <= out["p_value"] <= 1
