"""Model diagnostic plots draw exactly the model's numbers (CDNOW, Fader, Hardie & Lee 2005)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

import behaviorseg as bs  # noqa: E402
from behaviorseg.exceptions import SchemaError  # noqa: E402
from behaviorseg.models import (  # noqa: E402
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    purchase_tracking,
    tracking_table,
)
from behaviorseg.plotting import (  # noqa: E402
    calibration_holdout_purchases,
    expected_purchases_heatmap,
    probability_alive_heatmap,
    repeat_purchase_distribution,
    tracking_curve,
)

WINDOWS = {"calibration_end": "1997-09-30", "as_of": "1998-06-30", "freq_multiplier": 7}
CAL = {"frequency_col": "frequency_cal", "recency_col": "recency_cal", "T_col": "T_cal"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cdnow():
    tx = bs.datasets.load_cdnow()
    split = bs.calibration_holdout_split(tx, **WINDOWS)
    model = BetaGeoModel(**CAL).fit(split)
    return split, model, purchase_tracking(tx, **WINDOWS)


def test_probability_alive_heatmap_shows_the_models_matrix(cdnow, tmp_path):
    """The image holds probability_alive_matrix, recency up and frequency across; the
    impossible histories are masked."""
    _, model, _ = cdnow
    ax = probability_alive_heatmap(model, 38.857, max_frequency=15)
    table = model.probability_alive_matrix(38.857, max_frequency=15)
    shown = ax.images[0].get_array()
    np.testing.assert_array_equal(shown.mask, table.isna().to_numpy())
    np.testing.assert_allclose(shown.filled(np.nan), table.to_numpy(), equal_nan=True)
    assert ax.images[0].origin == "lower"
    assert ax.get_xlabel().startswith("calibration frequency")
    ax.figure.savefig(tmp_path / "alive.png")
    assert (tmp_path / "alive.png").stat().st_size > 1000


def test_expected_purchases_heatmap_shows_the_models_matrix(cdnow):
    """The image holds expected_purchases_matrix, for the recency rows asked for."""
    _, model, _ = cdnow
    rows = [0.0, 10.0, 20.0, 30.0, 38.0]
    ax = expected_purchases_heatmap(model, 39, 38.857, max_frequency=10, recency=rows)
    table = model.expected_purchases_matrix(39, 38.857, max_frequency=10, recency=rows)
    shown = ax.images[0].get_array().filled(np.nan)
    np.testing.assert_allclose(shown, table.to_numpy(), equal_nan=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "10", "20", "30", "38"]


def test_repeat_purchase_distribution_bars_are_counted_and_expected_by_hand(cdnow):
    """Observed bars count the customers by calibration frequency (7+ last); expected bars
    are sum_i P(X(T_i) = n) of a new customer, customer by customer."""
    split, model, _ = cdnow
    ax = repeat_purchase_distribution(model, split)
    observed = [bar.get_height() for bar in ax.containers[0]]
    expected = [bar.get_height() for bar in ax.containers[1]]
    frequency = split["frequency_cal"].clip(upper=7)
    assert observed == frequency.value_counts().sort_index().tolist()
    new = np.zeros((len(split), 3))
    T = split["T_cal"].to_numpy()
    by_hand = [model.probability_of_n_purchases(new, T, n).sum() for n in range(7)]
    np.testing.assert_allclose(expected[:7], by_hand, rtol=1e-10)
    assert expected[7] == pytest.approx(len(split) - sum(by_hand))
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"
    # Fader, Hardie & Lee (2005, fig. 2): 1,411 customers make no repeat purchase.
    assert observed[0] == 1411


def test_calibration_holdout_purchases_lines_are_group_means(cdnow):
    """Each point is the mean holdout frequency (actual) and the mean
    expected_purchases(duration_holdout) (predicted) of one calibration-frequency group."""
    split, model, _ = cdnow
    ax = calibration_holdout_purchases(model, split, max_frequency=5)
    predicted = model.expected_purchases(split, split["duration_holdout"])
    groups = split["frequency_cal"].clip(upper=5)
    actual_means = split["frequency_holdout"].groupby(groups).mean()
    predicted_means = predicted.groupby(groups).mean()
    np.testing.assert_allclose(ax.lines[0].get_xdata(), actual_means.index)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), actual_means.to_numpy())
    np.testing.assert_allclose(ax.lines[1].get_ydata(), predicted_means.to_numpy(), rtol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3", "4", "5+"]


def test_tracking_curve_draws_the_tracking_table(cdnow, tmp_path):
    """Cumulative and per-period curves are the columns of tracking_table; the calibration
    end is marked at t = 0."""
    split, _, tracking = cdnow
    model = ParetoNBDModel(**CAL).fit(split)
    table = tracking_table(model, tracking)
    ax = tracking_curve(model, tracking)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), table.index)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["cumulative_actual"])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), table["cumulative_predicted"])
    assert ax.lines[0].get_ydata()[-1] == 4339  # repeat transactions in weeks 1-78
    assert list(ax.lines[2].get_xdata()) == [0.0, 0.0]
    ax.figure.savefig(tmp_path / "tracking.png")
    weekly = tracking_curve(model, tracking, cumulative=False, period=2.0)
    two_weeks = tracking_table(model, tracking, period=2.0)
    np.testing.assert_allclose(weekly.lines[1].get_ydata(), two_weeks["predicted"])


def test_model_plots_refuse_bad_input(cdnow):
    """Other models, unfitted models, tables without the columns and bad options."""
    split, model, tracking = cdnow
    with pytest.raises(TypeError, match="repeat-buying model"):
        probability_alive_heatmap(GammaGammaModel(), 39, max_frequency=5)
    with pytest.raises(NotFittedError):
        expected_purchases_heatmap(BetaGeoModel(), 10, 39, max_frequency=5)
    with pytest.raises(SchemaError, match="frequency_holdout"):
        calibration_holdout_purchases(model, split.drop(columns="frequency_holdout"))
    with pytest.raises(SchemaError, match="calibration_holdout_split"):
        repeat_purchase_distribution(model, pd.DataFrame({"x": [1.0]}))
    with pytest.raises(ValueError, match="max_frequency"):
        repeat_purchase_distribution(model, split, max_frequency=0)
    with pytest.raises(SchemaError, match="purchase_tracking"):
        tracking_curve(model, split)
    with pytest.raises(TypeError, match="cumulative"):
        tracking_curve(model, tracking, cumulative="yes")
    with pytest.raises(ValueError, match="max_frequency"):
        probability_alive_heatmap(model, 39, max_frequency=-1)
