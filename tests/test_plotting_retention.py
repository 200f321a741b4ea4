"""Retention plots: survival and retention curves, DERL by tenure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from behaviorseg.models import BetaGeoModel, ShiftedBetaGeoModel
from behaviorseg.plotting import derl_by_tenure, retention_curve, survival_curve
from behaviorseg.summaries import tenures_from_survivors

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


@pytest.fixture(scope="module")
def model() -> ShiftedBetaGeoModel:
    table = tenures_from_survivors(REGULAR[:8])
    return ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_survival_curve_draws_the_projection_and_the_actual_counts(model):
    """The model line is 1000 S(t); the dots are the survivors given."""
    ax = survival_curve(model, survivors=REGULAR, calibration_periods=7)
    np.testing.assert_allclose(
        ax.lines[0].get_ydata(), 1000 * model.survival_function(np.arange(13))
    )
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), REGULAR)
    assert ax.lines[2].get_xdata()[0] == 7


def test_survival_curve_without_counts_draws_shares(model):
    """Without survivors the y axis is the share still active, starting at 1."""
    ax = survival_curve(model, n_periods=5)
    assert ax.lines[0].get_ydata()[0] == 1.0
    assert len(ax.lines) == 1


def test_retention_curve_draws_model_and_actual_rates(model):
    """Model r(t) and the ratios of consecutive counts."""
    ax = retention_curve(model, survivors=REGULAR[:8], n_periods=7)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), model.retention_rate(np.arange(1, 8)))
    np.testing.assert_allclose(ax.lines[1].get_ydata(), np.array(REGULAR[1:8]) / REGULAR[:7])


def test_derl_by_tenure_bars_rise_with_tenure(model):
    """One bar per tenure, higher for longer tenure."""
    ax = derl_by_tenure(model, discount_rate=0.1, max_tenure=6)
    heights = [patch.get_height() for patch in ax.patches]
    assert len(heights) == 7 and np.all(np.diff(heights) > 0)


def test_plots_refuse_other_models_and_bad_options(model):
    """A repeat-buying model or n_periods=0 is refused with the reason."""
    with pytest.raises(TypeError, match="ShiftedBetaGeoModel"):
        survival_curve(BetaGeoModel())
    with pytest.raises(ValueError, match="n_periods"):
        retention_curve(model, n_periods=0)
