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
from behaviorseg.plotting import rfm_heatmap, segment_sizes  # noqa: E402


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
