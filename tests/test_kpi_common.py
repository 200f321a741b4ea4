"""Private KPI helpers: Wilson interval, safe division, per-group medians, bootstrap.

References
----------
- R. G. Newcombe (1998), "Two-sided confidence intervals for the single proportion:
  comparison of seven methods", Statistics in Medicine 17: 857-872, Table I, method 3
  (Wilson score interval without continuity correction), four decimals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, SchemaError
from behaviorseg.kpi._common import (
    _bootstrap_mean_interval,
    _check_random_state,
    _group_median,
    _safe_divide,
    _segment_codes,
    _wilson_interval,
)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_interval_reproduces_newcombe_table_1(x, n, low, high):
    """Wilson 95 % limits equal Newcombe's (1998) published values to 4 decimals."""
    lo, hi = _wilson_interval(np.array([x]), np.array([n]), 0.95)
    assert lo[0] == pytest.approx(low, abs=5e-5)
    assert hi[0] == pytest.approx(high, abs=5e-5)


def test_wilson_interval_matches_the_formula_by_hand():
    """7/10 at 90 %: (p + z²/2n ± z sqrt(p q / n + z²/4n²)) / (1 + z²/n), z = 1.6449."""
    z = 1.6448536269514722
    p, n = 0.7, 10.0
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    lo, hi = _wilson_interval(np.array([7.0]), np.array([10.0]), 0.90)
    assert lo[0] == pytest.approx(centre - half, rel=1e-12)
    assert hi[0] == pytest.approx(centre + half, rel=1e-12)


def test_wilson_interval_is_nan_for_no_trials():
    """n = 0 has no proportion: both limits are NaN, without a numpy warning."""
    with np.errstate(all="raise"):
        lo, hi = _wilson_interval(np.array([0.0, 1.0]), np.array([0.0, 2.0]), 0.95)
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    assert np.isfinite(lo[1]) and np.isfinite(hi[1])


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_rate_and_stays_in_unit_interval(pair):
    """0 <= low <= x / n <= high <= 1 for any count (n >= 1)."""
    x, n = pair
    if n == 0:
        return
    lo, hi = _wilson_interval(np.array([x]), np.array([n]), 0.95)
    assert 0.0 <= lo[0] <= x / n <= hi[0] <= 1.0


def test_safe_divide_gives_nan_not_inf_for_zero_denominators():
    """Zero (or NaN) denominators give NaN, never inf or a warning."""
    with np.errstate(all="raise"):
        out = _safe_divide([1.0, 0.0, 3.0, 2.0], [0.0, 0.0, 2.0, np.nan])
    assert np.isnan(out[0]) and np.isnan(out[1]) and np.isnan(out[3])
    assert out[2] == 1.5


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(-1e6, 1e6)), min_size=1, max_size=40))
def test_group_median_equals_numpy_median_per_group(rows):
    """The loop-free median per group equals np.median of each group; empty groups NaN."""
    codes = np.array([c for c, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows])
    out = _group_median(values, codes, 5)
    for g in range(5):
        members = values[codes == g]
        if len(members):
            assert out[g] == pytest.approx(np.median(members), rel=1e-12, abs=1e-9)
        else:
            assert np.isnan(out[g])


def test_bootstrap_width_matches_normal_theory_for_a_large_sample():
    """For 400 normal draws the 95 % percentile interval is within 10 % of
    mean ± 1.96 s / sqrt(n) (the bootstrap's large-sample limit)."""
    rng = np.random.default_rng(1)
    values = rng.normal(100.0, 20.0, size=400)
    codes = np.zeros(400, dtype=np.int64)
    lo, hi = _bootstrap_mean_interval(
        values, codes, 1, confidence=0.95, n_resamples=2000, rng=np.random.default_rng(2)
    )
    expected = 2 * 1.959964 * values.std(ddof=0) / np.sqrt(400)
    assert hi[0] - lo[0] == pytest.approx(expected, rel=0.10)
    assert lo[0] < values.mean() < hi[0]


def test_bootstrap_resamples_within_groups_only():
    """Constant groups give zero-width intervals at their own value; empty groups NaN."""
    values = np.array([1.0, 1.0, 1.0, 5.0, 5.0])
    codes = np.array([0, 0, 0, 2, 2])
    lo, hi = _bootstrap_mean_interval(
        values, codes, 3, confidence=0.9, n_resamples=200, rng=np.random.default_rng(0)
    )
    np.testing.assert_array_equal(lo[[0, 2]], [1.0, 5.0])
    np.testing.assert_array_equal(hi[[0, 2]], [1.0, 5.0])
    assert np.isnan(lo[1]) and np.isnan(hi[1])


def test_bootstrap_chunks_give_the_same_kind_of_interval(monkeypatch):
    """Splitting the resamples into chunks (big data) keeps every resample: one draw per row."""
    import behaviorseg.kpi._common as common

    values = np.arange(50, dtype=np.float64)
    codes = np.repeat([0, 1], 25)
    full = _bootstrap_mean_interval(
        values, codes, 2, confidence=0.95, n_resamples=300, rng=np.random.default_rng(5)
    )
    monkeypatch.setattr(common, "_BOOTSTRAP_CHUNK", 120)  # 2 resamples per chunk
    chunked = _bootstrap_mean_interval(
        values, codes, 2, confidence=0.95, n_resamples=300, rng=np.random.default_rng(5)
    )
    # same generator stream, consumed in the same order: identical intervals
    np.testing.assert_allclose(chunked, full, rtol=0, atol=1e-12)


def test_random_state_accepts_seeds_and_generators_only():
    """None, ints and Generators are accepted; a bool or a string is a TypeError."""
    assert isinstance(_check_random_state(3, owner="f"), np.random.Generator)
    gen = np.random.default_rng(0)
    assert _check_random_state(gen, owner="f") is gen
    for bad in (True, "seed", 1.5):
        with pytest.raises(TypeError, match="random_state"):
            _check_random_state(bad, owner="f")


def test_segment_codes_keep_categories_and_refuse_missing_labels():
    """Categorical order and empty categories survive; a missing label is an error."""
    frame = pd.DataFrame({"seg": pd.Categorical(["b", "b"], categories=["c", "b", "a"])})
    codes, labels = _segment_codes(frame, "seg", name="data")
    assert list(labels) == ["c", "b", "a"] and labels.name == "seg"
    assert codes.tolist() == [1, 1]
    with pytest.raises(DataValidationError, match="1 missing segment labels"):
        _segment_codes(pd.DataFrame({"seg": ["a", None]}), "seg", name="data")
    with pytest.raises(SchemaError, match="segment_col"):
        _segment_codes(frame, "other", name="data")
