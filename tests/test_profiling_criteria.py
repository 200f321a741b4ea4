"""distinguishing_features: ANOVA, Kruskal-Wallis and chi² equal scipy; adjustments by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import association

import behaviorseg as bs
from behaviorseg.exceptions import (
    DataValidationError,
    ProtectedAttributeError,
    RowsExcludedWarning,
    SchemaError,
)
from behaviorseg.profiling import distinguishing_features
from behaviorseg.profiling._criteria import adjust_p_values


def _customers(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.choice(["a", "b", "c", "d"], size=n)
    shift = pd.Series(segment).map({"a": 0.0, "b": 0.5, "c": 1.0, "d": 3.0}).to_numpy()
    return pd.DataFrame(
        {
            "segment": segment,
            "frequency": rng.poisson(2 + shift),
            "monetary": rng.lognormal(3 + 0.1 * shift, 1.0),
            "noise": rng.normal(size=n),
            "channel": np.where(rng.random(n) < 0.2 + 0.15 * shift, "web", "store"),
            "region": rng.choice(["n", "s", "e", "w"], size=n),
        }
    )


def _groups(data: pd.DataFrame, feature: str) -> list[np.ndarray]:
    return [g[feature].to_numpy(dtype=float) for _, g in data.groupby("segment")]


def test_anova_and_kruskal_equal_scipy():
    """F, its p-value and H, its p-value equal scipy.stats.f_oneway and kruskal."""
    data = _customers()
    result = distinguishing_features(data, segment_col="segment", adjust="none")
    for feature in ("frequency", "monetary", "noise"):
        groups = _groups(data, feature)
        anova = stats.f_oneway(*groups)
        kruskal = stats.kruskal(*groups)
        row = result.loc[feature]
        assert row["f_statistic"] == pytest.approx(anova.statistic, rel=1e-10)
        assert row["p_value"] == pytest.approx(anova.pvalue, rel=1e-8, abs=1e-300)
        assert row["kruskal_h"] == pytest.approx(kruskal.statistic, rel=1e-10)
        assert row["kruskal_p"] == pytest.approx(kruskal.pvalue, rel=1e-8, abs=1e-300)
        assert row["dof"] == 3
        assert row["n_segments"] == 4


def test_eta_squared_is_the_between_share_of_the_total_sum_of_squares():
    """eta² = SSB / SST, written out, and is the ranking effect of a numeric feature."""
    data = _customers()
    result = distinguishing_features(data, segment_col="segment")
    x = data["frequency"].to_numpy(dtype=float)
    means = data.groupby("segment")["frequency"].transform("mean").to_numpy()
    ssb = ((means - x.mean()) ** 2).sum()
    sst = ((x - x.mean()) ** 2).sum()
    assert result.loc["frequency", "eta_squared"] == pytest.approx(ssb / sst, rel=1e-12)
    assert result.loc["frequency", "effect_size"] == result.loc["frequency", "eta_squared"]


def test_chi2_and_cramers_v_equal_scipy():
    """chi², p and dof equal chi2_contingency(correction=False); V equals scipy's association."""
    data = _customers()
    result = distinguishing_features(data, segment_col="segment")
    for feature in ("channel", "region"):
        table = pd.crosstab(data["segment"], data[feature]).to_numpy()
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        row = result.loc[feature]
        assert row["kind"] == "categorical"
        assert row["chi2"] == pytest.approx(chi2, rel=1e-10)
        assert row["p_value"] == pytest.approx(p, rel=1e-8)
        assert row["dof"] == dof
        assert row["cramers_v"] == pytest.approx(association(table, method="cramer"), rel=1e-10)
        assert row["effect_size"] == pytest.approx(row["cramers_v"] ** 2, rel=1e-12)
        assert np.isnan(row["f_statistic"])


def test_two_level_effect_equals_the_eta_squared_of_its_indicator():
    """The common scale: V² of a two-level feature is the eta² of its 0/1 indicator."""
    data = _customers()
    data["web"] = (data["channel"] == "web").astype(float)
    result = distinguishing_features(data, segment_col="segment", features=["channel", "web"])
    assert result.loc["channel", "effect_size"] == pytest.approx(
        result.loc["web", "effect_size"], rel=1e-10
    )


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(-5, 5)),
        min_size=4,
        max_size=40,
    )
)
def test_anova_equals_scipy_on_any_grouping(rows):
    """On arbitrary small integer data with spread within groups, F and p equal scipy's."""
    data = pd.DataFrame(rows, columns=["segment", "x"])
    groups = _groups(data, "x")
    assume(len(groups) >= 2)
    assume(len(data) > len(groups))
    assume(sum(((g - g.mean()) ** 2).sum() for g in groups) > 1e-9)
    result = distinguishing_features(data, segment_col="segment", adjust="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        anova = stats.f_oneway(*groups)
    assert result.loc["x", "f_statistic"] == pytest.approx(anova.statistic, rel=1e-9, abs=1e-12)
    assert result.loc["x", "p_value"] == pytest.approx(anova.pvalue, rel=1e-9, abs=1e-12)
    if len(np.unique(data["x"])) > 1:
        kruskal = stats.kruskal(*groups)
        assert result.loc["x", "kruskal_h"] == pytest.approx(kruskal.statistic, rel=1e-9)
        assert result.loc["x", "kruskal_p"] == pytest.approx(kruskal.pvalue, rel=1e-9, abs=1e-12)


def _holm_by_hand(p: list[float]) -> list[float]:
    """Holm (1979), step-down, written from the definition with explicit loops."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def _bh_by_hand(p: list[float]) -> list[float]:
    """Benjamini-Hochberg (1995), step-up, written from the definition with explicit loops."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    for rank, i in enumerate(order):
        out[i] = min(min(1.0, m * p[j] / (r + 1)) for r, j in enumerate(order) if r >= rank)
    return out


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12))
def test_holm_and_bh_equal_the_definitions(p):
    """The vectorised adjustments equal a loop over the definitions."""
    values = np.array(p)
    np.testing.assert_allclose(adjust_p_values(values, "holm"), _holm_by_hand(p), rtol=1e-12)
    np.testing.assert_allclose(adjust_p_values(values, "bh"), _bh_by_hand(p), rtol=1e-12)
    np.testing.assert_array_equal(adjust_p_values(values, "none"), values)


def test_adjustments_on_a_textbook_example():
    """Four p-values adjusted by hand: Holm multiplies by 4, 3, 2, 1 then takes running maxima."""
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjust_p_values(p, "holm"), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(adjust_p_values(p, "bh"), [0.02, 0.04, 0.04, 0.02])


def test_adjusted_p_values_in_the_output_and_the_method_stated():
    """p_adjusted is the adjustment of the p_value column over the features; the method is named."""
    data = _customers()
    for method in ("holm", "bh"):
        result = distinguishing_features(data, segment_col="segment", adjust=method)
        assert (result["adjust"] == method).all()
        np.testing.assert_allclose(
            result["p_adjusted"], adjust_p_values(result["p_value"].to_numpy(), method)
        )
        numeric = result[result["kind"] == "numeric"]
        np.testing.assert_allclose(
            numeric["kruskal_p_adjusted"],
            adjust_p_values(numeric["kruskal_p"].to_numpy(), method),
        )
        assert result.loc[result["kind"] == "categorical", "kruskal_p_adjusted"].isna().all()


def test_ranked_by_effect_size_one_row_per_feature():
    """One row per feature, largest effect first; the strong criterion tops the ranking."""
    result = distinguishing_features(_customers(), segment_col="segment")
    assert sorted(result.index) == sorted(["frequency", "monetary", "noise", "channel", "region"])
    assert result.index.name == "feature"
    assert result.index[0] == "frequency"
    effects = result["effect_size"].to_numpy()
    assert (np.diff(effects) <= 0).all()


def test_features_without_a_test_come_last_with_nan():
    """A constant feature has no test: NaN statistics, ranked last, not counted in adjustment."""
    data = _customers()
    data["constant"] = 1.0
    data["one_level"] = "x"
    result = distinguishing_features(data, segment_col="segment")
    assert set(result.index[-2:]) == {"constant", "one_level"}
    assert result.loc[["constant", "one_level"], ["p_value", "effect_size"]].isna().all().all()
    tested = result["p_value"].notna().to_numpy()
    np.testing.assert_allclose(
        result.loc[tested, "p_adjusted"],
        adjust_p_values(result.loc[tested, "p_value"].to_numpy(), "holm"),
    )


def test_perfect_separation_gives_infinite_f_as_scipy():
    """No spread within segments but different means: F = inf, p = 0."""
    data = pd.DataFrame({"segment": ["a", "a", "b", "b"], "x": [1.0, 1.0, 2.0, 2.0]})
    result = distinguishing_features(data, segment_col="segment")
    assert result.loc["x", "f_statistic"] == np.inf
    assert result.loc["x", "p_value"] == 0.0
    assert result.loc["x", "eta_squared"] == 1.0


def test_empty_categories_of_the_segment_take_no_part():
    """Unused categories of a Categorical segment column change nothing."""
    data = _customers()
    plain = distinguishing_features(data, segment_col="segment")
    data["segment"] = pd.Categorical(data["segment"], categories=["d", "empty", "c", "b", "a"])
    with_empty = distinguishing_features(data, segment_col="segment")
    pd.testing.assert_frame_equal(plain, with_empty)


def test_missing_values_are_left_out_of_their_feature_with_a_warning():
    """NaN in a feature: the tests use its known values; a warning counts the left out."""
    data = _customers()
    data.loc[:9, "monetary"] = np.nan
    with pytest.warns(RowsExcludedWarning, match="^10 customers with a missing 'monetary'"):
        result = distinguishing_features(data, segment_col="segment", features=["monetary"])
    known = data.dropna(subset=["monetary"])
    anova = stats.f_oneway(*_groups(known, "monetary"))
    assert result.loc["monetary", "n"] == len(known)
    assert result.loc["monetary", "f_statistic"] == pytest.approx(anova.statistic, rel=1e-10)


def test_the_callers_frame_is_not_modified():
    """Pure function: the input frame is unchanged."""
    data = _customers()
    before = data.copy()
    distinguishing_features(data, segment_col="segment")
    pd.testing.assert_frame_equal(data, before)


def test_protected_features_are_refused_unless_opted_in():
    """A special-category feature raises, naming it and its rule; allow_protected opts in."""
    data = _customers()
    data["religion"] = np.where(data["frequency"] > 2, "x", "y")
    with pytest.raises(ProtectedAttributeError, match=r"'religion'.*religious or philosophical"):
        distinguishing_features(data, segment_col="segment")
    with pytest.raises(ProtectedAttributeError, match="'religion'"):
        distinguishing_features(data, segment_col="segment", features=["religion", "frequency"])
    audit = distinguishing_features(data, segment_col="segment", allow_protected=True)
    assert "religion" in audit.index
    assert (
        "religion"
        in distinguishing_features(data, segment_col="segment", allow_protected=["religion"]).index
    )


def test_declared_protected_columns_and_a_protected_segment_column_are_refused():
    """Columns declared protected, and segments named like a special category, raise."""
    data = _customers()
    with pytest.raises(ProtectedAttributeError, match="'region' \\(declared"):
        distinguishing_features(data, segment_col="segment", protected=["region"])
    with pytest.raises(ProtectedAttributeError, match="'ethnicity'"):
        distinguishing_features(
            data.rename(columns={"segment": "ethnicity"}), segment_col="ethnicity"
        )


def test_a_single_segment_is_refused():
    """Features cannot distinguish one segment: refused with the fix."""
    data = _customers().assign(segment="all")
    with pytest.raises(DataValidationError, match=r"single segment.*segment_profile"):
        distinguishing_features(data, segment_col="segment")


def test_bad_input_is_refused_with_the_column_named():
    """Missing columns, missing labels, empty frames and unknown adjustments are errors."""
    data = _customers()
    with pytest.raises(SchemaError, match="'spend' \\(features\\[0\\]\\)"):
        distinguishing_features(data, segment_col="segment", features=["spend"])
    with pytest.raises(ValueError, match="adjust='fdr'"):
        distinguishing_features(data, segment_col="segment", adjust="fdr")
    with pytest.raises(DataValidationError, match="empty"):
        distinguishing_features(data.iloc[:0], segment_col="segment")
    data.loc[0, "segment"] = None
    with pytest.raises(DataValidationError, match="1 missing segment labels"):
        distinguishing_features(data, segment_col="segment")


def test_on_cdnow_rfm_segments_the_anova_equals_scipy():
    """On CDNOW with RFMSegmenter labels every F equals scipy's; recency separates most."""
    customers = bs.rfm_table(bs.datasets.load_cdnow())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bs.exceptions.BehaviorsegWarning)
        customers["segment"] = bs.RFMSegmenter().fit_predict(customers)
    result = distinguishing_features(customers, segment_col="segment")
    assert result.index[0] == "recency_days"
    for feature in result.index:
        anova = stats.f_oneway(*_groups(customers, feature))
        assert result.loc[feature, "f_statistic"] == pytest.approx(anova.statistic, rel=1e-10)
