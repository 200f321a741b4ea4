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
from behaviorseg.exceptions import (  # noqa: E402
    BehaviorsegWarning,
    DataValidationError,
    SchemaError,
)
from behaviorseg.plotting import (  # noqa: E402
    churn_calibration,
    churn_distribution,
    churn_lift,
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
    """The plot extra stays optional: importing behaviorseg.plotting leaves matplotlib out."""
    code = "import sys, behaviorseg, behaviorseg.plotting; print('matplotlib' in sys.modules)"
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
    """One column, scores outside 1..n_bins, NaN, no rows or a bad n_bins raise clear errors."""
    with pytest.raises(DataValidationError, match="two columns"):
        rfm_heatmap(np.array([1, 2, 3]))
    with pytest.raises(DataValidationError, match=r"1\.\.5"):
        rfm_heatmap(np.array([[0, 1], [5, 5]]), n_bins=5)
    with pytest.raises(DataValidationError, match="whole, non-missing"):
        rfm_heatmap(np.array([[np.nan, 1.0], [5.0, 5.0]]))
    with pytest.raises(DataValidationError, match="empty"):
        rfm_heatmap(np.empty((0, 3)))
    with pytest.raises(ValueError, match="n_bins=0"):
        rfm_heatmap(np.array([[1, 1]]), n_bins=0)
    with pytest.raises(DataValidationError, match="monetary"):
        rfm_heatmap(np.array([[1, 1], [2, 2]]), monetary=[1.0])


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


def test_segment_sizes_refuses_unlabelled_or_unlisted_customers():
    """Empty or missing labels, labels outside order and misaligned revenue are refused."""
    with pytest.raises(DataValidationError, match="empty"):
        segment_sizes([])
    with pytest.raises(DataValidationError, match="1 missing"):
        segment_sizes(["a", None])
    with pytest.raises(DataValidationError, match=r"\['c'\].*not in order"):
        segment_sizes(["a", "c"], order=["a", "b"])
    with pytest.raises(DataValidationError, match="revenue"):
        segment_sizes(["a", "b"], revenue=[1.0, 2.0, 3.0])


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
    again = matrix_scatter(seg, X, max_points=500)  # seeded: the same subsample
    np.testing.assert_array_equal(
        ax.collections[0].get_offsets(), again.collections[0].get_offsets()
    )
    other = matrix_scatter(seg, X, max_points=500, random_state=1)
    assert not np.array_equal(ax.collections[0].get_offsets(), other.collections[0].get_offsets())


def test_matrix_scatter_puts_each_quadrant_on_its_side_of_the_lines():
    """Off-median thresholds: points are the scores, each segment on its side of both lines."""
    from behaviorseg.segmenters import MatrixSegmenter

    X = np.random.default_rng(4).normal(size=(300, 2))
    seg = MatrixSegmenter(x_threshold=("quantile", 0.8), y_threshold=("quantile", 0.3)).fit(X)
    ax = matrix_scatter(seg, X)
    x_cut, y_cut = ax.lines[0].get_xdata()[0], ax.lines[1].get_ydata()[0]
    assert (x_cut, y_cut) == pytest.approx((seg.thresholds_["x"], seg.thresholds_["y"]))
    # 80 % of the customers are left of the vertical line, 30 % below the horizontal one
    points = np.vstack([c.get_offsets() for c in ax.collections])
    assert (points[:, 0] <= x_cut).mean() == pytest.approx(0.8)
    assert (points[:, 1] <= y_cut).mean() == pytest.approx(0.3)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == seg.segments_
    for name, collection in zip(seg.segments_, ax.collections, strict=True):
        xy = collection.get_offsets()
        x_side, y_side = name.split(", ")  # e.g. "high x, low y"
        assert np.all((xy[:, 0] > x_cut) == (x_side == "high x"))
        assert np.all((xy[:, 1] > y_cut) == (y_side == "high y"))


def test_matrix_scatter_leaves_out_unknown_attitudes_and_counts_them():
    """Walker customers without an attitude are not drawn; the title says how many."""
    from behaviorseg import WalkerLoyaltySegmenter
    from behaviorseg.datasets import make_loyalty_customers

    customers, _ = make_loyalty_customers(400, random_state=0)
    seg = WalkerLoyaltySegmenter().fit(customers)
    unknown = int(np.isnan(seg.transform(customers)[:, 1]).sum())
    assert unknown > 0  # the simulated survey has non-respondents
    ax = matrix_scatter(seg, customers)
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(customers) - unknown
    assert f"{unknown:,} customers without both scores not drawn" in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [s for s in seg.segments_ if s != "unknown attitude"]


def test_matrix_scatter_refuses_other_or_unfitted_segmenters():
    """Non-2x2 segmenters → TypeError; unfitted → NotFittedError; bad max_points → ValueError."""
    from sklearn.exceptions import NotFittedError

    from behaviorseg.segmenters import MatrixSegmenter

    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(TypeError, match="2x2 segmenter"):
        matrix_scatter(RFMSegmenter(), X)
    with pytest.raises(NotFittedError):
        matrix_scatter(MatrixSegmenter(), X)
    with pytest.raises(ValueError, match="max_points=0"):
        matrix_scatter(MatrixSegmenter().fit(X), X, max_points=0)


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
    with pytest.raises(DataValidationError, match="needs segment="):
        funnel_chart(per_segment)
    with pytest.raises(DataValidationError, match="no segment 'nope'"):
        funnel_chart(per_segment, segment="nope")
    with pytest.raises(DataValidationError, match="one funnel only"):
        funnel_chart(table, segment="interest")
    name = per_segment.index.get_level_values(0)[0]
    ax = funnel_chart(per_segment, segment=name)
    assert [p.get_width() for p in ax.patches] == list(per_segment.loc[name, "reached"])
    assert ax.get_title() == f"Funnel: {name}"


def test_funnel_chart_refuses_other_tables():
    """A table without the funnel columns gets a SchemaError naming them; empty is refused."""
    import pandas as pd

    with pytest.raises(SchemaError, match="conversion_rate"):
        funnel_chart(pd.DataFrame({"reached": [1]}))
    with pytest.raises(DataValidationError, match="empty"):
        funnel_chart(pd.DataFrame({"reached": [], "conversion_rate": []}))


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
    assert ax.lines[-1].get_xdata()[0] == 0.5  # the reference line
    assert ax.get_xlabel() == "rate"


def test_kpi_intervals_takes_any_column_names():
    """Other KPIs (e.g. mean CLTV with bootstrap bounds) draw from their own columns."""
    import pandas as pd

    table = pd.DataFrame(
        {"mean": [120.0, 40.0, np.nan], "lo": [100.0, 35.0, np.nan], "hi": [150.0, np.nan, 1.0]},
        index=pd.Index(["loyal", "new", "empty"], name="segment"),
    )
    ax = kpi_intervals(table, "mean", "lo", "hi", xlabel="12-month CLTV")
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [120.0, 40.0])  # NaN value: not drawn
    bars = ax.collections[0].get_segments()
    assert [(b[0][0], b[1][0]) for b in bars] == [(100.0, 150.0), (35.0, 40.0)]  # hi missing
    assert [t.get_text() for t in ax.get_yticklabels()] == ["loyal", "new", "empty"]
    assert ax.get_xlabel() == "12-month CLTV"
    assert ax.get_title() == "12-month CLTV per segment"


def test_kpi_intervals_refuses_wrong_tables():
    """Missing columns → SchemaError naming the parameter; empty, inverted intervals → errors."""
    import pandas as pd

    table = pd.DataFrame({"rate": [0.5], "ci_low": [0.6], "ci_high": [0.9]}, index=["a"])
    with pytest.raises(SchemaError, match=r"'mean' \(value_col\) not found"):
        kpi_intervals(table, value_col="mean")
    with pytest.raises(DataValidationError, match="outside"):
        kpi_intervals(table)
    with pytest.raises(DataValidationError, match="empty"):
        kpi_intervals(table.iloc[:0])
    with pytest.raises(TypeError, match="DataFrame"):
        kpi_intervals(table.to_numpy())


@pytest.fixture(scope="module")
def churn_sample():
    """Probabilities and outcomes drawn from them: calibrated by construction."""
    rng = np.random.default_rng(3)
    proba = rng.uniform(size=1000)
    churned = rng.uniform(size=1000) < proba
    return proba, churned


def test_churn_distribution_draws_bins_and_thresholds(churn_sample, tmp_path):
    """Histogram has `bins` bars counting every customer, one line per threshold."""
    proba, _ = churn_sample
    ax = churn_distribution(proba, thresholds=(0.3, 0.7), bins=25)
    ax.figure.savefig(tmp_path / "dist.png")
    assert len(ax.patches) == 25
    assert sum(p.get_height() for p in ax.patches) == len(proba)
    assert [line.get_xdata()[0] for line in ax.lines] == [0.3, 0.7]
    assert ax.get_xlabel() == "churn probability"


def test_churn_distribution_reads_a_fitted_churn_segmenter():
    """segmenter= draws the ChurnSegmenter's own thresholds and names its tiers."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from behaviorseg.segmenters import ChurnSegmenter

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 300, 300)})
    y = X["recency_days"] + rng.normal(0, 30, 300) > 150
    seg = ChurnSegmenter(
        method="supervised",
        classifier=LogisticRegression(),
        feature_cols=("recency_days",),
        thresholds=(0.2, 0.5, 0.8),
        tier_names=("safe", "watch", "risk", "lost"),
    ).fit(X, y)
    ax = churn_distribution(seg.predict_proba(X)[:, 1], segmenter=seg)
    assert [line.get_xdata()[0] for line in ax.lines] == list(seg.thresholds)
    assert [t.get_text() for t in ax.texts] == seg.segments_
    with pytest.raises(ValueError, match="not both"):
        churn_distribution([0.5], thresholds=(0.5,), segmenter=seg)
    with pytest.raises(TypeError, match="ChurnSegmenter"):
        churn_distribution([0.5], segmenter=RFMSegmenter())
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        churn_distribution([0.5], segmenter=ChurnSegmenter())


def test_churn_calibration_points_are_bin_means(churn_sample, tmp_path):
    """Each point is (mean predicted, observed rate) of an equal-size bin of customers."""
    proba, churned = churn_sample
    ax = churn_calibration(churned, proba, n_bins=5)
    ax.figure.savefig(tmp_path / "calib.png")
    model = ax.lines[1]
    order = np.argsort(proba)
    bins = np.array_split(order, 5)  # 1000 / 5: equal bins, independent of the binning code
    np.testing.assert_allclose(model.get_xdata(), [proba[b].mean() for b in bins])
    np.testing.assert_allclose(model.get_ydata(), [churned[b].mean() for b in bins])
    # calibrated by design: 200 draws per bin, 0.1 is > 2.8 standard errors (max sd 0.035)
    assert np.all(np.abs(model.get_ydata() - model.get_xdata()) < 0.1)
    assert ax.get_ylabel() == "observed churn rate"


def test_churn_lift_gains_curve_on_a_known_ranking(tmp_path):
    """Perfect ranking of 20% churners: gains 0.5 at 10%, 1 from 20%; top-decile lift 5."""
    proba = np.linspace(0, 1, 1000)
    churned = proba >= proba[800]  # the 200 highest probabilities churn
    ax = churn_lift(churned, proba)
    ax.figure.savefig(tmp_path / "lift.png")
    curve = ax.lines[1]
    np.testing.assert_allclose(curve.get_xdata(), np.linspace(0, 1, 11))
    np.testing.assert_allclose(curve.get_ydata(), [0, 0.5] + [1.0] * 9)
    assert "lift 5.0" in ax.get_title()
    # a useless (constant) score follows the random diagonal: ties keep input order
    shuffled = np.random.default_rng(1).permutation(churned)
    flat = churn_lift(shuffled, np.full(1000, 0.3), n_bins=4).lines[1]
    expected = np.concatenate([[0], np.cumsum(shuffled)[[249, 499, 749, 999]] / 200])
    np.testing.assert_allclose(flat.get_ydata(), expected)


def test_churn_plots_refuse_bad_input():
    """Out-of-range or empty probabilities, length mismatch and no churner raise clearly."""
    with pytest.raises(DataValidationError, match="outside"):
        churn_distribution([1.5])
    with pytest.raises(DataValidationError, match="outside"):
        churn_calibration([True], [np.nan])
    with pytest.raises(DataValidationError, match="non-empty"):
        churn_distribution([])
    with pytest.raises(DataValidationError, match="same length"):
        churn_calibration([True], [0.1, 0.2])
    with pytest.raises(DataValidationError, match="no churner"):
        churn_lift([False, False], [0.1, 0.2])
    with pytest.raises(ValueError, match="increasing"):
        churn_distribution([0.5], thresholds=(0.7, 0.3))
    with pytest.raises(ValueError, match="bins=0"):
        churn_distribution([0.5], bins=0)
