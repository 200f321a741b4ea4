"""Plots render to PNG with the Agg backend and show what they claim."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from behaviorseg import RFMSegmenter, rfm_table  # noqa: E402
from behaviorseg.datasets import load_cdnow  # noqa: E402
from behaviorseg.exceptions import BehaviorsegWarning  # noqa: E402
from behaviorseg.plotting import (  # noqa: E402
    churn_calibration,
    churn_distribution,
    funnel_chart,
    kpi_intervals,
    matrix_scatter,
    rfm_heatmap,
    segment_sizes,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cdnow_scored():
    customers = rfm_table(load_cdnow())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        seg = RFMSegmenter().fit(customers)
    return customers, seg


def test_importing_behaviorseg_does_not_import_matplotlib():
    """The plot extra stays optional: import behaviorseg leaves matplotlib unloaded."""
    code = "import sys, behaviorseg; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rfm_heatmap_counts_every_customer_once(cdnow_scored, tmp_path):
    """The 5x5 grid's cell counts add up to the number of customers and match the scores."""
    customers, seg = cdnow_scored
    scores = seg.transform(customers)
    ax = rfm_heatmap(scores)
    grid = ax.images[0].get_array()
    assert grid.shape == (5, 5)
    assert grid.sum() == len(customers)
    champions_cell = ((scores[:, 0] == 5) & (scores[:, 1] == 5)).sum()
    assert grid[4, 4] == champions_cell
    assert ax.get_ylabel() == "frequency score"
    ax.figure.savefig(tmp_path / "heatmap.png")
    assert (tmp_path / "heatmap.png").stat().st_size > 1000


def test_rfm_heatmap_mean_monetary_per_cell(cdnow_scored):
    """With monetary values, a cell shows its customers' mean monetary value."""
    customers, seg = cdnow_scored
    scores = seg.transform(customers)
    ax = rfm_heatmap(scores, monetary=customers["monetary"])
    grid = ax.images[0].get_array()
    in_cell = (scores[:, 0] == 1) & (scores[:, 1] == 1)
    assert grid[0, 0] == pytest.approx(customers["monetary"].to_numpy()[in_cell].mean())


def test_rfm_heatmap_refuses_bad_scores():
    """Scores outside 1..n_bins or a single column raise ValueError."""
    with pytest.raises(ValueError, match="two columns"):
        rfm_heatmap(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"1\.\.5"):
        rfm_heatmap(np.array([[0, 1], [5, 5]]), n_bins=5)


def test_segment_sizes_draws_one_bar_per_segment_in_order(cdnow_scored, tmp_path):
    """Bars follow segments_ (empty segments included) and shares sum to 100%."""
    customers, seg = cdnow_scored
    labels = seg.predict(customers)
    ax = segment_sizes(labels, order=seg.segments_)
    bars = ax.patches
    assert len(bars) == len(seg.segments_)
    assert sum(b.get_width() for b in bars) == pytest.approx(100.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == seg.segments_
    ax.figure.savefig(tmp_path / "sizes.png")


def test_segment_sizes_with_revenue_adds_a_second_bar(cdnow_scored):
    """With revenue each segment has two bars and revenue shares also sum to 100%."""
    customers, seg = cdnow_scored
    labels = seg.predict(customers)
    ax = segment_sizes(labels, revenue=customers["monetary"], order=seg.segments_)
    assert len(ax.patches) == 2 * len(seg.segments_)
    revenue_bars = ax.patches[len(seg.segments_) :]
    assert sum(b.get_width() for b in revenue_bars) == pytest.approx(100.0)


# --- 2x2 matrices, funnels, KPI intervals, churn ------------------------------------------


def test_matrix_scatter_draws_the_learned_thresholds(tmp_path):
    """The threshold lines sit at thresholds_, one point collection per quadrant."""
    from behaviorseg import AssaelSegmenter, brand_table
    from behaviorseg.datasets import make_brand_events

    events, _ = make_brand_events(400, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = brand_table(events)
    seg = AssaelSegmenter().fit(table)
    ax = matrix_scatter(seg, table)
    ax.figure.savefig(tmp_path / "matrix.png")
    vertical, horizontal = ax.lines[0], ax.lines[1]
    assert vertical.get_xdata()[0] == pytest.approx(seg.thresholds_["involvement"])
    assert horizontal.get_ydata()[0] == pytest.approx(seg.thresholds_["brand_differences"])
    assert len(ax.collections) == 4
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == len(table)
    assert ax.get_xlabel() == "involvement_score"
    texts = {t.get_text().strip() for t in ax.texts}
    assert texts <= set(seg.segments_) and len(texts) >= 3


def test_matrix_scatter_subsamples_large_inputs():
    """Above max_points the plot draws a seeded subsample and says so."""
    from behaviorseg.segmenters import MatrixSegmenter

    X = np.random.default_rng(0).normal(size=(3000, 2))
    seg = MatrixSegmenter().fit(X)
    ax = matrix_scatter(seg, X, max_points=500)
    assert sum(len(c.get_offsets()) for c in ax.collections) == 500
    assert "500 of 3,000" in ax.get_title()


def test_funnel_chart_shows_counts_and_conversions(tmp_path):
    """One bar per stage with its count; conversion labels between the bars."""
    from behaviorseg import AIDAStageSegmenter, funnel_table
    from behaviorseg.datasets import make_events
    from behaviorseg.kpi import funnel_conversion
    from behaviorseg.summaries import AIDA_STAGES

    events, _ = make_events(500, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        funnel = funnel_table(events, stages=AIDA_STAGES)
    table = funnel_conversion(funnel)
    ax = funnel_chart(table)
    ax.figure.savefig(tmp_path / "funnel.png")
    assert len(ax.patches) == len(table)
    widths = [p.get_width() for p in ax.patches]
    assert widths == list(table["reached"].astype(float))
    labels = [t.get_text() for t in ax.texts]
    assert f"↓ {table['conversion_rate'].iloc[1]:.0%}" in labels
    # per segment: a segment must be chosen
    funnel["segment"] = AIDAStageSegmenter().fit_predict(funnel)
    per_segment = funnel_conversion(funnel, segments=funnel["segment"])
    with pytest.raises(ValueError, match="segment="):
        funnel_chart(per_segment)
    name = per_segment.index.get_level_values(0)[0]
    assert len(funnel_chart(per_segment, segment=name).patches) == len(table)


def test_funnel_chart_refuses_other_tables():
    """A table without the funnel columns gets an error naming them."""
    import pandas as pd

    with pytest.raises(ValueError, match="conversion_rate"):
        funnel_chart(pd.DataFrame({"reached": [1]}))


def test_kpi_intervals_draws_one_bar_per_segment(tmp_path):
    """Conversion rates with Wilson intervals: the error bars span ci_low..ci_high."""
    import pandas as pd

    from behaviorseg.kpi import conversion_rate

    data = pd.DataFrame({"segment": list("aabbbccc"), "converted": [1, 0, 1, 1, 0, 0, 0, 1]})
    table = conversion_rate(data, segment_col="segment")
    ax = kpi_intervals(table, reference=0.5)
    ax.figure.savefig(tmp_path / "kpi.png")
    points = ax.lines[0]
    np.testing.assert_allclose(points.get_xdata(), table["rate"])
    segments = ax.collections[0].get_segments()  # one horizontal error bar per segment
    np.testing.assert_allclose([s[0][0] for s in segments], table["ci_low"])
    np.testing.assert_allclose([s[1][0] for s in segments], table["ci_high"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="lacks columns"):
        kpi_intervals(table, value_col="mean")


def test_churn_plots_show_thresholds_and_calibration(tmp_path):
    """Histogram bins and threshold lines; the calibration points are bin means."""
    rng = np.random.default_rng(3)
    proba = rng.uniform(size=1000)
    churned = rng.uniform(size=1000) < proba
    ax = churn_distribution(proba, thresholds=(0.3, 0.7), bins=25)
    ax.figure.savefig(tmp_path / "dist.png")
    assert len(ax.patches) == 25
    assert [line.get_xdata()[0] for line in ax.lines] == [0.3, 0.7]
    ax = churn_calibration(churned, proba, n_bins=5)
    ax.figure.savefig(tmp_path / "calib.png")
    model = ax.lines[1]
    order = np.sort(proba)
    np.testing.assert_allclose(model.get_xdata(), [b.mean() for b in np.array_split(order, 5)])
    assert np.all(np.abs(model.get_ydata() - model.get_xdata()) < 0.1)  # calibrated by design
    with pytest.raises(ValueError, match="probabilities"):
        churn_distribution([1.5])
    with pytest.raises(ValueError, match="same length"):
        churn_calibration([True], [0.1, 0.2])
