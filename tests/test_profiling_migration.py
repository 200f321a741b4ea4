"""Migration between segments: migration_matrix and segment_history."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import behaviorseg as bs
from behaviorseg.exceptions import DataValidationError, SchemaError
from behaviorseg.profiling import migration_matrix, segment_history
from behaviorseg.segmenters import UsageTierSegmenter

Q1 = pd.Series({"ann": "gold", "bob": "gold", "cy": "silver", "dee": "silver"})
Q2 = pd.Series({"ann": "gold", "bob": "silver", "cy": "silver", "eve": "gold"})


@st.composite
def two_dates(draw: st.DrawFn) -> tuple[pd.Series, pd.Series]:
    """Labels of overlapping customer sets at two dates, from a small segment pool."""
    segments = ["a", "b", "c"]
    customers = draw(st.lists(st.integers(0, 40), unique=True, max_size=30))
    first = draw(st.lists(st.booleans(), min_size=len(customers), max_size=len(customers)))
    second = draw(st.lists(st.booleans(), min_size=len(customers), max_size=len(customers)))
    label = st.sampled_from(segments)
    before = pd.Series(
        {c: draw(label) for c, keep in zip(customers, first, strict=True) if keep}, dtype=object
    )
    after = pd.Series(
        {c: draw(label) for c, keep in zip(customers, second, strict=True) if keep}, dtype=object
    )
    return before, after


def test_migration_matrix_counts_moves_with_new_and_lost_margins():
    """A hand-checked example: stays on the diagonal, new and lost customers in the margins."""
    matrix = migration_matrix(Q1, Q2)
    expected = pd.DataFrame(
        [[1, 1, 0], [0, 1, 1], [1, 0, 0]],
        index=pd.Index(["gold", "silver", "new"], name="before"),
        columns=pd.Index(["gold", "silver", "lost"], name="after"),
    )
    pd.testing.assert_frame_equal(matrix, expected, check_index_type=False, check_column_type=False)
    assert (matrix.dtypes == np.int64).all()


@settings(max_examples=80, deadline=None)
@given(two_dates())
def test_migration_rows_sum_to_the_customers_at_each_date(dates):
    """Segment rows sum to the customers at the first date, the new row to those only at the
    second; segment columns to the customers at the second date, the lost column to those
    only at the first."""
    before, after = dates
    matrix = migration_matrix(before, after)
    only_after = len(after.index.difference(before.index))
    only_before = len(before.index.difference(after.index))
    assert int(matrix.drop(index="new").to_numpy().sum()) == len(before)
    assert int(matrix.loc["new"].sum()) == only_after
    assert int(matrix.drop(columns="lost").to_numpy().sum()) == len(after)
    assert int(matrix["lost"].sum()) == only_before
    assert matrix.loc["new", "lost"] == 0
    # each segment row is that segment's size at the first date
    sizes = before.value_counts().reindex(matrix.index[:-1], fill_value=0)
    np.testing.assert_array_equal(matrix.drop(index="new").sum(axis=1).to_numpy(), sizes)


def test_categorical_labels_keep_their_order_and_empty_categories():
    """Categories come in their own order, an empty one keeps a row and a column of zeros."""
    order = pd.CategoricalDtype(["silver", "gold", "platinum"])
    matrix = migration_matrix(Q1.astype(order), Q2.astype(order))
    assert matrix.index.tolist() == ["silver", "gold", "platinum", "new"]
    assert matrix.columns.tolist() == ["silver", "gold", "platinum", "lost"]
    assert matrix.loc["platinum"].sum() == 0 and matrix["platinum"].sum() == 0


def test_plain_labels_are_sorted_and_both_axes_list_the_same_segments():
    """A segment present at one date only still gets a row and a column (a square core)."""
    before = pd.Series({1: "b", 2: "b"})
    after = pd.Series({1: "a", 2: "c"})
    matrix = migration_matrix(before, after)
    assert matrix.index.tolist() == ["a", "b", "c", "new"]
    assert matrix.columns.tolist() == ["a", "b", "c", "lost"]
    assert matrix.loc["b", "a"] == 1 and matrix.loc["b", "c"] == 1


def test_customers_are_matched_by_id_not_by_position():
    """Shuffling the rows of either date changes nothing."""
    shuffled = Q2.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(migration_matrix(Q1, Q2), migration_matrix(Q1[::-1], shuffled))


def test_normalize_gives_row_column_and_total_shares():
    """Row shares sum to 1 per non-empty row (NaN for an empty one); 'all' sums to 1."""
    order = pd.CategoricalDtype(["gold", "silver", "platinum"])
    rows = migration_matrix(Q1.astype(order), Q2, normalize="index")
    np.testing.assert_allclose(rows.loc[["gold", "silver", "new"]].sum(axis=1), 1.0)
    assert rows.loc["platinum"].isna().all()
    assert rows.loc["gold", "silver"] == pytest.approx(0.5)
    cols = migration_matrix(Q1, Q2, normalize="columns")
    np.testing.assert_allclose(cols.sum(axis=0), 1.0)
    share = migration_matrix(Q1, Q2, normalize="all")
    assert share.to_numpy().sum() == pytest.approx(1.0)
    assert share.loc["new", "gold"] == pytest.approx(1 / 5)  # 5 customers seen in all


def test_migration_matrix_does_not_modify_its_inputs():
    """The caller's Series are untouched."""
    before, after = Q1.copy(), Q2.copy()
    migration_matrix(before, after, normalize="index")
    pd.testing.assert_series_equal(before, Q1)
    pd.testing.assert_series_equal(after, Q2)


@pytest.mark.parametrize(
    ("before", "error", "match"),
    [
        (np.array(["a", "b"]), TypeError, "pd.Series"),
        (pd.DataFrame({"segment": ["a"]}), TypeError, "customers\\['segment'\\]"),
        (pd.Series(["a", "b"], index=[1, 1]), DataValidationError, "1 duplicated customer ids"),
        (pd.Series(["a", None], index=[1, 2]), DataValidationError, "1 missing segment labels"),
        (pd.Series(["new"], index=[1]), ValueError, "new_label='new' is also a segment"),
    ],
)
def test_migration_matrix_refuses_bad_labels_with_the_fix(before, error, match):
    """Each refusal names the input, the problem and the way out."""
    with pytest.raises(error, match=match):
        migration_matrix(before, Q2)


def test_margin_names_can_be_changed_and_must_differ():
    """new_label / lost_label rename the margins; the same name twice is refused."""
    matrix = migration_matrix(Q1, Q2, new_label="acquired", lost_label="churned")
    assert matrix.index[-1] == "acquired" and matrix.columns[-1] == "churned"
    with pytest.raises(ValueError, match="distinct names"):
        migration_matrix(Q1, Q2, new_label="x", lost_label="x")
    with pytest.raises(ValueError, match="normalize"):
        migration_matrix(Q1, Q2, normalize="rows")


# --- segment_history ------------------------------------------------------------------


def _usage(values: list[float], ids: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"usage_value": values}, index=pd.Index(ids, name="customer_id"))


TABLES = {
    "2024-01-31": _usage([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]),
    "2024-02-29": _usage([6, 5, 6, 4, 1, 2], [1, 2, 3, 4, 5, 7]),
}


def test_segment_history_uses_the_cut_points_of_the_reference_date():
    """Every date is labelled by one fit on the earliest table, so tier sizes can change."""
    seg = UsageTierSegmenter(zero_label=None)
    history = segment_history(seg, TABLES)
    assert history.columns.tolist() == ["customer_id", "as_of", "segment"]
    fitted = UsageTierSegmenter(zero_label=None).fit(TABLES["2024-01-31"])
    for date, table in TABLES.items():
        labels = history.loc[history["as_of"] == pd.Timestamp(date), "segment"]
        assert labels.astype(str).tolist() == fitted.predict(table).tolist()
    sizes = history.groupby("as_of")["segment"].apply(lambda s: (s == "heavy").sum())
    assert sizes.tolist() == [2, 3]  # refitting on February would keep a third (2) heavy
    assert list(history["segment"].cat.categories) == ["light", "medium", "heavy"]
    assert not hasattr(seg, "segments_")  # the caller's segmenter is cloned, not fitted


def test_segment_history_reference_can_be_a_date_or_a_table():
    """reference picks the snapshot (or a table of its own) the segmenter is fitted on."""
    seg = UsageTierSegmenter(zero_label=None)
    on_feb = segment_history(seg, TABLES, reference="2024-02-29")
    fitted = UsageTierSegmenter(zero_label=None).fit(TABLES["2024-02-29"])
    jan = on_feb[on_feb["as_of"] == pd.Timestamp("2024-01-31")]
    assert jan["segment"].astype(str).tolist() == fitted.predict(TABLES["2024-01-31"]).tolist()
    pooled = pd.concat(TABLES.values())
    on_pool = segment_history(seg, TABLES, reference=pooled)
    expected = UsageTierSegmenter(zero_label=None).fit(pooled).predict(pooled)
    assert on_pool["segment"].astype(str).tolist() == expected.tolist()
    with pytest.raises(DataValidationError, match="not one of the as_of dates"):
        segment_history(seg, TABLES, reference="2023-12-31")


def test_segment_history_sorts_dates_and_accepts_pairs():
    """A list of (as_of, table) pairs in any order gives the mapping's chronological table."""
    pairs = list(TABLES.items())[::-1]
    seg = UsageTierSegmenter(zero_label=None)
    pd.testing.assert_frame_equal(segment_history(seg, pairs), segment_history(seg, TABLES))
    history = segment_history(seg, pairs)
    assert history["as_of"].is_monotonic_increasing
    assert history["customer_id"].tolist() == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 7]


@pytest.mark.parametrize(
    ("tables", "error", "match"),
    [
        ({}, DataValidationError, "tables is empty"),
        ({"not a date": _usage([1.0], [1])}, DataValidationError, "not a date"),
        ([("2024-01-01", _usage([1.0], [1])), "oops"], TypeError, "tables\\[1\\]"),
        (
            {"2024-01-01": _usage([1.0], [1]), "2024-01-01 00:00": _usage([1.0], [1])},
            DataValidationError,
            "more than once",
        ),
        ({"2024-01-01": _usage([1.0], [1]).iloc[:0]}, DataValidationError, "empty"),
        ("2024-01-01", TypeError, "mapping"),
    ],
)
def test_segment_history_refuses_bad_tables(tables, error, match):
    """Bad snapshots are refused with the key named."""
    with pytest.raises(error, match=match):
        segment_history(UsageTierSegmenter(), tables)


def test_segment_history_on_cdnow_moves_the_cohort_towards_hibernating():
    """CDNOW's 1997-Q1 cohort ages: with fixed RFM cut points, hibernating grows."""
    tx = bs.datasets.load_cdnow()
    dates = ["1997-06-30", "1997-12-31", "1998-06-30"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = {d: bs.rfm_table(tx, as_of=d) for d in dates}
        history = segment_history(bs.RFMSegmenter(), tables)
    assert len(history) == sum(len(t) for t in tables.values())
    sizes = history.groupby(["as_of", "segment"], observed=False).size().unstack()
    assert sizes.loc["1998-06-30", "hibernating"] > sizes.loc["1997-06-30", "hibernating"]
    assert sizes.loc["1998-06-30", "champions"] < sizes.loc["1997-06-30", "champions"]
    first = history[history["as_of"] == "1997-06-30"].set_index("customer_id")["segment"]
    last = history[history["as_of"] == "1998-06-30"].set_index("customer_id")["segment"]
    matrix = migration_matrix(first, last)
    assert int(matrix.drop(index="new").to_numpy().sum()) == len(first)


def test_segment_history_matches_polars_tables_by_customer_id():
    """polars tables have no index: customers come from customer_col, not row positions."""
    pl = pytest.importorskip("polars")
    tx = bs.datasets.load_cdnow()
    dates = ("1997-06-30", "1997-12-31")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pandas_tables = {d: bs.rfm_table(tx, as_of=d) for d in dates}
        polars_tables = {d: pl.from_pandas(t.reset_index()) for d, t in pandas_tables.items()}
        expected = segment_history(bs.RFMSegmenter(), pandas_tables)
        got = segment_history(bs.RFMSegmenter(), polars_tables)
    assert isinstance(got, pl.DataFrame)
    pd.testing.assert_frame_equal(
        got.to_pandas(), expected, check_dtype=False, check_categorical=False
    )
    with pytest.raises(SchemaError, match="customer_col"):
        segment_history(
            bs.RFMSegmenter(), {d: t.drop("customer_id") for d, t in polars_tables.items()}
        )
