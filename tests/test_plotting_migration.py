"""Migration plots: the transition heatmap and the flow (alluvial) chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import PathPatch, Rectangle  # noqa: E402

from behaviorseg.exceptions import DataValidationError, SchemaError  # noqa: E402
from behaviorseg.plotting import migration_heatmap, segment_flow  # noqa: E402
from behaviorseg.profiling import migration_matrix  # noqa: E402

BEFORE = pd.Series({1: "gold", 2: "gold", 3: "gold", 4: "silver", 5: "silver", 6: "bronze"})
AFTER = pd.Series({1: "gold", 2: "silver", 3: "gold", 4: "silver", 7: "gold", 8: "bronze"})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_migration_heatmap_colours_row_shares_and_writes_the_values(tmp_path):
    """Cell colours are the shares of each row; the texts are the matrix's own counts."""
    matrix = migration_matrix(BEFORE, AFTER)
    ax = migration_heatmap(matrix)
    shown = np.asarray(ax.images[0].get_array())
    counts = matrix.to_numpy(dtype=float)
    np.testing.assert_allclose(shown, counts / counts.sum(axis=1, keepdims=True))
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{c:.0f}" for c in counts.ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == [*matrix.columns]
    outlined = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(outlined) == 3  # one per segment present as both a row and a column
    ax.figure.savefig(tmp_path / "heatmap.png")
    assert (tmp_path / "heatmap.png").stat().st_size > 0


def test_migration_heatmap_writes_shares_in_percent():
    """A normalised matrix is annotated in percent; an empty row stays blank."""
    order = pd.CategoricalDtype(["gold", "silver", "bronze", "platinum"])
    ax = migration_heatmap(migration_matrix(BEFORE.astype(order), AFTER, normalize="index"))
    texts = [t.get_text() for t in ax.texts]
    assert "67%" in texts and "33%" in texts
    assert len(texts) == 5 * 5 - 5  # the platinum row is NaN: no text


def test_migration_heatmap_refuses_what_is_not_a_matrix_of_counts():
    """Negative numbers and text are refused with the way to build the matrix."""
    with pytest.raises(DataValidationError, match="migration_matrix"):
        migration_heatmap(pd.DataFrame([[1, -1]]))
    with pytest.raises(SchemaError, match="numbers"):
        migration_heatmap(pd.DataFrame([["a", "b"]]))


def test_segment_flow_draws_one_band_per_transition_as_wide_as_its_customers(tmp_path):
    """Bands join the non-empty cells; their heights on the left are proportional to counts."""
    matrix = migration_matrix(BEFORE, AFTER)
    ax = segment_flow(BEFORE, AFTER)
    bands = [p for p in ax.patches if isinstance(p, PathPatch)]
    counts = matrix.to_numpy()
    assert len(bands) == int((counts > 0).sum())
    heights = []
    for band in bands:
        vertices = band.get_path().vertices
        left = vertices[vertices[:, 0] == vertices[:, 0].min(), 1]
        heights.append(left.max() - left.min())
    nonzero = counts[counts > 0]
    np.testing.assert_allclose(np.array(heights) / nonzero, heights[0] / nonzero[0])
    blocks = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(blocks) == int((counts.sum(axis=1) > 0).sum() + (counts.sum(axis=0) > 0).sum())
    labels = {t.get_text() for t in ax.texts}
    assert {"gold (3)", "new (2)", "lost (2)", "silver (2)"} <= labels
    ax.figure.savefig(tmp_path / "flow.png")


def test_segment_flow_refuses_bad_gap_and_labels():
    """gap is bounded; labels go through migration_matrix's checks."""
    with pytest.raises(ValueError, match=r"gap=0\.5"):
        segment_flow(BEFORE, AFTER, gap=0.5)
    with pytest.raises(TypeError, match=r"pd\.Series"):
        segment_flow(["a"], AFTER)
