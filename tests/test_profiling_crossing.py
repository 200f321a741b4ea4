"""cross_segments: one label per customer, the folding rule, the crosstab, alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, ProtectedAttributeError
from behaviorseg.profiling import SegmentCrossing, cross_segments


def _pair() -> tuple[pd.Series, pd.Series]:
    index = pd.Index([11, 12, 13, 14, 15, 16, 17, 18], name="customer_id")
    rfm = pd.Series(["champions"] * 5 + ["at risk"] * 3, index=index, name="rfm")
    walker = pd.Series(
        ["truly loyal"] * 3 + ["trapped"] * 2 + ["truly loyal", "switcher", "switcher"],
        index=index,
        name="walker",
    )
    return rfm, walker


def test_labels_join_the_labels_of_each_customer():
    """Without folding each customer's label is the segmentations' labels joined by sep."""
    rfm, walker = _pair()
    crossing = cross_segments(rfm, walker)
    assert isinstance(crossing, SegmentCrossing)
    expected = rfm + " | " + walker
    assert crossing.labels.astype(str).tolist() == expected.tolist()
    assert crossing.labels.index.equals(rfm.index)
    assert crossing.labels.name == "rfm | walker"
    assert isinstance(crossing.labels.dtype, pd.CategoricalDtype)


def test_table_is_the_crosstab_with_shares():
    """table['size'].unstack() is pd.crosstab; shares divide by the number of customers."""
    rfm, walker = _pair()
    table = cross_segments(rfm, walker).table
    expected = pd.crosstab(rfm, walker)
    pd.testing.assert_frame_equal(
        table["size"].unstack(), expected, check_names=False, check_dtype=False
    )
    assert table.index.names == ["rfm", "walker"]
    np.testing.assert_allclose(table["share"], table["size"] / 8)
    assert table.loc[("at risk", "trapped"), "size"] == 0
    assert pd.isna(table.loc[("at risk", "trapped"), "label"])


def test_small_cells_fold_into_first_label_other_then_other():
    """Cells below min_size pool by the first label if that pool is big enough, else 'other'."""
    rfm, walker = _pair()
    rfm = rfm.copy()
    rfm.iloc[7] = "new"  # one customer alone in the first segmentation
    crossing = cross_segments(rfm, walker, min_size=3)
    # champions | truly loyal (3) stays; champions | trapped (2) has no small champions cell
    # to pool with; at risk's two singletons pool to 2 < 3; new is alone: all "other".
    assert crossing.labels.astype(str).tolist() == ["champions | truly loyal"] * 3 + ["other"] * 5


def test_pooled_fallback_when_the_pool_reaches_min_size():
    """Small cells sharing the first label become 'first | other' when they add up."""
    rfm, walker = _pair()
    crossing = cross_segments(rfm, walker, min_size=2)
    labels = crossing.labels.astype(str)
    assert labels.value_counts().to_dict() == {
        "champions | truly loyal": 3,
        "champions | trapped": 2,
        "at risk | switcher": 2,
        "other": 1,
    }
    crossing = cross_segments(rfm, walker, min_size=3)
    assert crossing.labels.astype(str).value_counts().to_dict() == {
        "champions | truly loyal": 3,
        "at risk | other": 3,
        "other": 2,
    }


def test_three_segmentations_fold_level_by_level():
    """With three segmentations the intermediate level 'a | b | other' comes first."""
    a = pd.Series(["x"] * 6 + ["y"] * 2 + ["z"], name="a")
    b = pd.Series(["p"] * 4 + ["q", "r"] + ["p", "q"] + ["p"], name="b")
    c = pd.Series(["u", "u", "v", "w", "u", "v", "u", "v", "u"], name="c")
    crossing = cross_segments(a, b, c, min_size=2)
    assert crossing.labels.astype(str).tolist() == [
        "x | p | u",
        "x | p | u",
        "x | p | other",  # x | p | v and x | p | w pool to 2
        "x | p | other",
        "x | other",  # x | q and x | r: 1 each, pooled by x
        "x | other",
        "y | other",
        "y | other",
        "other",  # z alone
    ]
    assert crossing.labels.cat.categories.tolist() == [
        "x | p | u",
        "x | p | other",
        "x | other",
        "y | other",
        "other",
    ]


def test_min_size_as_a_share_of_customers():
    """A float min_size is a share of the customers, rounded up to a count."""
    rfm, walker = _pair()
    by_share = cross_segments(rfm, walker, min_size=0.25)  # 2 of 8 customers
    by_count = cross_segments(rfm, walker, min_size=2)
    pd.testing.assert_series_equal(by_share.labels, by_count.labels)


@st.composite
def _segmentations(draw: st.DrawFn) -> list[pd.Series]:
    n = draw(st.integers(1, 40))
    m = draw(st.integers(2, 3))
    index = pd.Index(draw(st.permutations(range(1000, 1000 + n))))
    out = []
    for j in range(m):
        alphabet = draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True))
        values = draw(st.lists(st.sampled_from(alphabet), min_size=n, max_size=n))
        series = pd.Series(values, index=index, name=f"s{j}")
        if draw(st.booleans()):
            series = series.sample(frac=1.0, random_state=j)  # same customers, other order
        out.append(series)
    return out


@settings(max_examples=120, deadline=None)
@given(_segmentations(), st.integers(1, 12), st.booleans())
def test_crossing_is_a_partition(segmentations, min_size, with_revenue):
    """Every customer gets exactly one label; sizes add up to n; kept labels are big enough."""
    revenue = None
    if with_revenue:
        revenue = pd.Series(np.arange(len(segmentations[0]), dtype=float), segmentations[0].index)
    crossing = cross_segments(*segmentations, min_size=min_size, revenue=revenue)
    labels = crossing.labels
    n = len(segmentations[0])
    assert len(labels) == n
    assert labels.notna().all()
    assert labels.index.equals(segmentations[0].index)
    assert labels.value_counts().sum() == n
    assert crossing.table["size"].sum() == n
    assert crossing.table["share"].sum() == pytest.approx(1.0)
    sizes = labels.astype(str).value_counts()
    small = sizes[sizes < min_size]
    assert set(small.index) <= {"other"}
    assert (labels.value_counts() > 0).all()  # no empty category
    # each customer's label is the label of their cell in the table
    keys = list(zip(*(s.reindex(labels.index) for s in segmentations), strict=True))
    cell_labels = crossing.table["label"].astype(object).reindex(keys).to_numpy()
    assert (cell_labels == labels.astype(object).to_numpy()).all()
    if min_size == 1:
        joined = segmentations[0].reindex(labels.index)
        for s in segmentations[1:]:
            joined = joined + " | " + s.reindex(labels.index)
        assert labels.astype(str).tolist() == joined.tolist()
    if revenue is not None:
        assert crossing.table["revenue"].sum() == pytest.approx(revenue.sum())


def test_revenue_per_cell_and_its_share():
    """revenue adds each cell's revenue and its share of the total."""
    rfm, walker = _pair()
    revenue = pd.Series([100.0, 50, 50, 20, 30, 10, 20, 20], index=rfm.index)
    table = cross_segments(rfm, walker, revenue=revenue).table
    assert table.loc[("champions", "truly loyal"), "revenue"] == 200.0
    assert table.loc[("champions", "truly loyal"), "revenue_share"] == pytest.approx(200 / 300)
    assert table["revenue_share"].sum() == pytest.approx(1.0)


def test_reordered_indexes_are_aligned_on_the_first():
    """The same customers in another order are aligned to the first segmentation's order."""
    rfm, walker = _pair()
    shuffled = walker.iloc[::-1]
    pd.testing.assert_series_equal(
        cross_segments(rfm, shuffled).labels, cross_segments(rfm, walker).labels
    )


def test_misaligned_indexes_are_refused_naming_the_problem():
    """Segmentations of different customers raise, saying which lacks or adds whom."""
    rfm, walker = _pair()
    with pytest.raises(DataValidationError, match=r"segmentation 2 \('walker'\) lacks 2"):
        cross_segments(rfm, walker.iloc[:6])
    other = walker.copy()
    other.index = [*rfm.index[:7], 99]
    with pytest.raises(DataValidationError, match=r"lacks 1 customers.*has 1 customers.*99"):
        cross_segments(rfm, other)
    revenue = pd.Series(1.0, index=rfm.index[:3])
    with pytest.raises(DataValidationError, match="revenue lacks 5"):
        cross_segments(rfm, walker, revenue=revenue)


def test_duplicated_customers_and_missing_labels_are_refused():
    """A customer twice, or without a label, is an error naming the segmentation."""
    rfm, walker = _pair()
    doubled = walker.copy()
    doubled.index = [11, 11, *rfm.index[2:]]
    with pytest.raises(DataValidationError, match="customer ids more than once"):
        cross_segments(rfm, doubled)
    gap = walker.copy()
    gap.iloc[2] = None
    with pytest.raises(DataValidationError, match=r"\('walker'\) has 1 missing labels"):
        cross_segments(rfm, gap)


def test_ambiguous_labels_are_refused():
    """A label containing sep, or a later label equal to the fallback, is refused."""
    rfm, walker = _pair()
    with pytest.raises(DataValidationError, match="contain sep"):
        cross_segments(rfm, walker.replace("trapped", "trapped | stuck"))
    with pytest.raises(DataValidationError, match="fallback"):
        cross_segments(rfm, walker.replace("switcher", "other"))
    crossing = cross_segments(rfm, walker.replace("switcher", "other"), fallback="rest")
    assert "at risk | other" in crossing.labels.cat.categories


def test_bad_arguments_are_refused():
    """One segmentation, a non-Series, or a bad min_size are errors."""
    rfm, walker = _pair()
    with pytest.raises(TypeError, match="two or more"):
        cross_segments(rfm)
    with pytest.raises(TypeError, match="segmentation 2 is a list"):
        cross_segments(rfm, walker.tolist())
    for bad in (0, -1, 1.0, 1.5, "3"):
        with pytest.raises((ValueError, TypeError), match="min_size"):
            cross_segments(rfm, walker, min_size=bad)


def test_categorical_segmentations_keep_their_order():
    """A Categorical keeps its category order in the labels and the table."""
    rfm, walker = _pair()
    rfm = rfm.astype(pd.CategoricalDtype(["champions", "at risk"]))
    crossing = cross_segments(rfm, walker)
    assert crossing.labels.cat.categories[0].startswith("champions")
    assert crossing.table.index.get_level_values("rfm")[0] == "champions"


def test_unnamed_segmentations_are_named_by_position():
    """Unnamed (or same-named) Series are called segmentation_1, segmentation_2 ..."""
    rfm, walker = _pair()
    crossing = cross_segments(rfm.rename(None), walker.rename("rfm"))
    assert crossing.table.index.names == ["segmentation_1", "segmentation_2"]
    assert crossing.labels.name == "segmentation_1 | segmentation_2"


def test_inputs_are_not_modified():
    """Pure function: the Series passed in are unchanged."""
    rfm, walker = _pair()
    before = (rfm.copy(), walker.copy())
    cross_segments(rfm, walker.iloc[::-1], min_size=3)
    pd.testing.assert_series_equal(rfm, before[0])
    pd.testing.assert_series_equal(walker, before[1])


def test_protected_segmentations_are_refused_unless_opted_in():
    """A segmentation named like a special category raises; allow_protected opts in."""
    rfm, walker = _pair()
    faith = walker.rename("religion")
    with pytest.raises(ProtectedAttributeError, match=r"'religion'.*religious"):
        cross_segments(rfm, faith)
    assert len(cross_segments(rfm, faith, allow_protected=True).labels) == 8
    with pytest.raises(ProtectedAttributeError, match="'walker' \\(declared"):
        cross_segments(rfm, walker, protected=["walker"])
