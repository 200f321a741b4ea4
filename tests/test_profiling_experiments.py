"""ab_test_plan: sample sizes against published values and simulation, per-segment plans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from behaviorseg.exceptions import DataValidationError, SchemaError
from behaviorseg.kpi import compare_conversion, conversion_rate
from behaviorseg.profiling import ab_test_plan


def _n(p1: float, p2: float, **kwargs: object) -> int:
    plan = ab_test_plan(p1, lift=p2 / p1 - 1.0, **kwargs)
    return int(plan.loc[0, "n_control"])


def test_classic_example_needs_3841_per_arm():
    """p1 = 0.10 vs p2 = 0.12, alpha = 0.05 two-sided, power 0.8: 3,841 per arm.

    Reference: the pooled-variance normal approximation (Fleiss, Levin & Paik 2003,
    "Statistical Methods for Rates and Proportions", 3rd ed., ch. 4, without continuity
    correction), which R's ``power.prop.test(p1 = .10, p2 = .12, power = .8)`` solves
    for equal arms: n = 3840.85, rounded up to 3841. Checked here by hand as well.
    """
    z_a, z_b = 1.959963984540054, 0.8416212335729143
    by_hand = (z_a * np.sqrt(2 * 0.11 * 0.89) + z_b * np.sqrt(0.10 * 0.90 + 0.12 * 0.88)) ** 2
    by_hand /= 0.02**2
    assert by_hand == pytest.approx(3840.85, abs=0.01)
    assert _n(0.10, 0.12) == 3841


@pytest.mark.parametrize(
    ("p1", "p2", "expected"),
    [(0.05, 0.10, 474), (0.10, 0.20, 219), (0.20, 0.30, 313)],
)
def test_continuity_corrected_sizes_match_fleiss_table(p1, p2, expected):
    """With the continuity correction the sizes are those of Fleiss' table.

    Reference: Fleiss (1981), "Statistical Methods for Rates and Proportions", 2nd ed.,
    Table A.3 (alpha = 0.05 two-sided, power 0.80, equal groups), which the formula of
    Fleiss, Tytun & Ury (1980, Biometrics 36:343-346) reproduces exactly for equal
    groups: 474 (0.05 vs 0.10), 219 (0.10 vs 0.20), 313 (0.20 vs 0.30).
    """
    assert _n(p1, p2, continuity_correction=True) == expected
    # the correction adds about 2 / |p2 - p1| per arm
    assert _n(p1, p2, continuity_correction=True) - _n(p1, p2) == pytest.approx(
        2 / (p2 - p1), rel=0.1
    )


def _empirical_power(plan: pd.DataFrame, *, alternative: str, alpha: float, reps: int) -> float:
    """Share of simulated tests, analysed with kpi.compare_conversion, that reject H0."""
    rng = np.random.default_rng(20240611)
    row = plan.iloc[0]
    n0, n1 = int(row["n_control"]), int(row["n_treatment"])
    control = rng.binomial(n0, row["baseline_rate"], reps)
    treated = rng.binomial(n1, row["target_rate"], reps)
    counts = pd.DataFrame(
        {
            "rep": np.repeat(np.arange(reps), 2),
            "variant": np.tile(["A", "B"], reps),
            "n": np.tile([n0, n1], reps),
            "orders": np.column_stack([control, treated]).ravel(),
        }
    )
    result = compare_conversion(
        counts,
        group_col="variant",
        control="A",
        converted_col="orders",
        n_col="n",
        segment_col="rep",
        alternative=alternative,
    )
    return float((result["p_value"] < alpha).mean())


@pytest.mark.parametrize(
    ("p1", "lift", "kwargs", "alternative"),
    [
        (0.10, 0.20, {}, "two-sided"),
        (0.04, -0.30, {"power": 0.9, "ratio": 2.0}, "two-sided"),
        (0.25, 0.10, {"alpha": 0.10, "two_sided": False}, "larger"),
    ],
)
def test_simulated_power_of_the_plan_is_within_two_points_of_the_target(
    p1, lift, kwargs, alternative
):
    """Binomial draws at the planned sizes, tested with compare_conversion (the pooled z-test
    the plan assumes), reject H0 at the target rate +/- 2 points (10,000 tests, fixed seed)."""
    plan = ab_test_plan(p1, lift=lift, **kwargs)
    target = kwargs.get("power", 0.8)
    power = _empirical_power(
        plan, alternative=alternative, alpha=kwargs.get("alpha", 0.05), reps=10_000
    )
    assert abs(power - target) <= 0.02, (power, target)


def test_sizes_move_the_right_way_with_each_option():
    """More power, a smaller lift or a two-sided test cost customers; ratio shifts the arms."""
    base = _n(0.10, 0.12)
    assert _n(0.10, 0.12, power=0.9) > base
    assert _n(0.10, 0.11) > base
    assert _n(0.10, 0.12, two_sided=False) < base
    assert _n(0.10, 0.12, alpha=0.01) > base
    plan = ab_test_plan(0.10, lift=0.2, ratio=3.0)
    assert plan.loc[0, "n_treatment"] >= 3 * plan.loc[0, "n_control"] - 3
    assert plan.loc[0, "n_control"] < base < plan.loc[0, "n_treatment"]
    assert plan.loc[0, "n_total"] == plan.loc[0, "n_control"] + plan.loc[0, "n_treatment"]


def test_plan_per_segment_with_traffic_and_sizes():
    """Series per segment give one row each; days = ceil(n_total / daily traffic)."""
    rates = pd.Series({"champions": 0.08, "at risk": 0.03}, name="rate")
    traffic = pd.Series({"at risk": 900.0, "champions": 400.0})  # another order: aligned
    plan = ab_test_plan(rates, lift=0.25, daily_traffic=traffic)
    assert plan.index.tolist() == ["champions", "at risk"]
    assert plan["n_control"].tolist() == [_n(0.08, 0.10), _n(0.03, 0.0375)]
    expected = np.ceil(plan["n_total"] / np.array([400.0, 900.0])).astype(int)
    assert plan["days"].tolist() == expected.tolist()
    lifts = ab_test_plan(0.05, lift=pd.Series({"a": 0.1, "b": 0.5}))
    assert lifts.loc["a", "n_control"] > lifts.loc["b", "n_control"]


def test_a_single_traffic_number_is_shared_in_proportion_to_segment_sizes():
    """With segment_size, daily_traffic is the total, split by size; share_of_segment says
    whether the segment holds enough customers for a one-off campaign."""
    rates = pd.Series({"big": 0.05, "small": 0.05})
    sizes = pd.Series({"big": 90_000, "small": 10_000})
    plan = ab_test_plan(rates, lift=0.2, daily_traffic=1000.0, segment_size=sizes)
    np.testing.assert_allclose(plan["daily_traffic"], [900.0, 100.0])
    assert plan.loc["small", "days"] == int(np.ceil(plan.loc["small", "n_total"] / 100.0))
    assert plan.loc["small", "share_of_segment"] > 1  # 16,000+ needed, 10,000 there
    np.testing.assert_allclose(plan["share_of_segment"], plan["n_total"] / sizes)


def test_plan_reads_the_output_of_conversion_rate():
    """A frame of rates (kpi.conversion_rate) is read by column, sizes from its n column."""
    visits = pd.DataFrame(
        {
            "segment": ["a"] * 200 + ["b"] * 100,
            "converted": [1] * 20 + [0] * 180 + [1] * 30 + [0] * 70,
        }
    )
    rates = conversion_rate(visits, segment_col="segment")
    plan = ab_test_plan(rates, lift=0.2, segment_size="n", daily_traffic=50.0)
    assert plan["baseline_rate"].tolist() == pytest.approx([0.1, 0.3])
    assert plan["size"].tolist() == [200, 100]
    assert plan.index.name == "segment"
    np.testing.assert_allclose(plan["daily_traffic"], [50 * 2 / 3, 50 / 3])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0.0,), {"lift": 0.1}, DataValidationError, "outside \\(0, 1\\)"),
        ((pd.Series({"a": 0.1, "b": 1.0}),), {"lift": 0.1}, DataValidationError, "'b'"),
        ((0.1,), {"lift": 0.0}, DataValidationError, "lift is 0"),
        ((0.8,), {"lift": 0.5}, DataValidationError, "target rate at 1.2"),
        ((0.1,), {"lift": -1.0}, DataValidationError, "target rate at 0"),
        ((0.1,), {"lift": 0.1, "alpha": 1.5}, ValueError, "alpha=1.5"),
        ((0.1,), {"lift": 0.1, "power": 0}, ValueError, "power=0"),
        ((0.1,), {"lift": 0.1, "ratio": -1.0}, ValueError, "ratio=-1.0"),
        ((0.1,), {"lift": 0.1, "daily_traffic": "visits"}, TypeError, "names a column"),
        ((0.1,), {"lift": 0.1, "daily_traffic": 0.0}, DataValidationError, "daily_traffic"),
        (
            (pd.Series({"a": 0.1}),),
            {"lift": pd.Series({"b": 0.1})},
            DataValidationError,
            "missing: 'a'",
        ),
        ((pd.DataFrame({"p": [0.1]}),), {"lift": 0.1}, SchemaError, "rate_col"),
        (("0.1",), {"lift": 0.1}, TypeError, "baseline_rate"),
    ],
)
def test_ab_test_plan_refuses_bad_input_naming_the_parameter(args, kwargs, error, match):
    """Each refusal names the parameter (or segment), the problem and the fix."""
    with pytest.raises(error, match=match):
        ab_test_plan(*args, **kwargs)


def test_ab_test_plan_does_not_modify_its_inputs():
    """The caller's Series and frames are untouched."""
    rates = pd.Series({"b": 0.1, "a": 0.2})
    kept = rates.copy()
    ab_test_plan(rates, lift=0.1, daily_traffic=pd.Series({"a": 10.0, "b": 20.0}))
    pd.testing.assert_series_equal(rates, kept)
