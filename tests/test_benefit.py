"""category_table and BenefitSegmenter: hand-worked tables, ipsatising, margins, properties,
errors, and recovery of the survey generator's truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from behaviorseg.datasets import make_benefit_survey
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.segmenters import BenefitSegmenter
from behaviorseg.summaries import category_table

LINES = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 3],
        "category": [
            "home",
            "garden",
            "home",
            "garden",
            "garden",
            "home",
            "toys",
            "garden",
            "gift",
        ],
        "amount": [30.0, 20.0, 50.0, 5.0, 15.0, 10.0, 10.0, 10.0, 10.0],
    }
)


def test_hand_worked_category_table():
    """Shares of spend, dominant category, breadth and entropy of a small log."""
    t = category_table(LINES, category_col="category", amount_col="amount")
    shares = ["share_garden", "share_gift", "share_home", "share_toys"]
    assert list(t.columns) == [
        *shares,
        "dominant_category",
        "n_categories",
        "category_entropy",
        "total_spend",
    ]
    assert t.loc[1, shares].tolist() == [0.2, 0.0, 0.8, 0.0]
    assert t["dominant_category"].tolist() == ["home", "garden", "garden"]  # tie: first
    assert t["n_categories"].tolist() == [2, 1, 4]
    assert t.loc[1, "category_entropy"] == pytest.approx(-(0.2 * np.log2(0.2) + 0.8 * np.log2(0.8)))
    assert t.loc[3, "category_entropy"] == pytest.approx(2.0)  # even over four: log2(4)
    by_lines = category_table(LINES, category_col="category")
    assert by_lines.loc[1, "share_home"] == pytest.approx(2 / 3)
    assert by_lines["n_lines"].tolist() == [3, 2, 4]


def test_category_table_excludes_with_warnings():
    """Rows without id or category, returns and unlisted categories are counted in warnings."""
    lines = pd.concat(
        [
            LINES,
            pd.DataFrame(
                {
                    "customer_id": [None, 1, 1, 2],
                    "category": ["home", None, "home", "pets"],
                    "amount": [1.0, 1.0, -5.0, 3.0],
                }
            ),
        ],
        ignore_index=True,
    )
    with pytest.warns(RowsExcludedWarning) as caught:
        t = category_table(
            lines,
            category_col="category",
            amount_col="amount",
            categories=("home", "garden", "toys", "gift"),
        )
    text = " ".join(str(w.message) for w in caught)
    assert "1 rows have no customer id" in text
    assert "1 rows have no category" in text
    assert "1 rows have a negative amount" in text
    assert "1 rows have a category" in text and "not in categories=" in text
    assert list(t.columns[:4]) == ["share_home", "share_garden", "share_toys", "share_gift"]
    assert t.loc[1, "total_spend"] == 100.0


def test_category_table_errors_name_the_column():
    """Missing columns name their parameter; bad amounts name the column."""
    with pytest.raises(SchemaError, match=r"column 'kind' \(category_col\) not found"):
        category_table(LINES, category_col="kind")
    with pytest.raises(DataValidationError, match="column 'amount'"):
        category_table(
            LINES.assign(amount=[np.inf, 1, 1, 1, 1, 1, 1, 1, 1]),
            category_col="category",
            amount_col="amount",
        )
    with pytest.raises(ValueError, match="distinct"):
        category_table(LINES, category_col="category", categories=("home", "home"))


def test_category_table_does_not_mutate_its_input():
    """The caller's frame is left as it was."""
    before = LINES.copy(deep=True)
    category_table(LINES, category_col="category", amount_col="amount")
    pd.testing.assert_frame_equal(LINES, before)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.sampled_from("abcd"), st.integers(0, 50)),
        min_size=1,
        max_size=30,
    )
)
def test_category_shares_sum_to_one(rows):
    """Per customer the shares sum to 1 and the dominant category has the largest share."""
    lines = pd.DataFrame(rows, columns=["customer_id", "category", "amount"])
    lines["amount"] = lines["amount"].astype(float)
    if lines["amount"].sum() == 0:
        lines.loc[0, "amount"] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)  # customers who spent 0
        t = category_table(lines, category_col="category", amount_col="amount")
    shares = t.filter(like="share_")
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    top = shares.to_numpy()[np.arange(len(t)), t["dominant_category"].cat.codes.to_numpy()]
    np.testing.assert_allclose(top, shares.max(axis=1))
    assert (t["category_entropy"] >= 0).all()


def test_ipsatising_ignores_how_high_someone_rates():
    """Two respondents with the same profile at different levels seek the same benefit;
    rating everything at the top is no benefit at all."""
    survey = pd.DataFrame(
        {"comfort": [3, 9, 10, 6], "price": [6, 10, 10, 6], "style": [2, 8, 10, 6]}
    )
    seg = BenefitSegmenter().fit(survey)
    assert seg.predict(survey).tolist() == [
        "price",
        "price",
        "no clear benefit",
        "no clear benefit",
    ]
    assert seg.segments_ == ["comfort", "price", "style", "no clear benefit"]


def test_margin_between_the_top_two():
    """The top benefit must beat the second by the margin; center reads it in points."""
    survey = pd.DataFrame({"a": [9, 9], "b": [8, 6], "c": [2, 2]})
    seg = BenefitSegmenter(standardize="center", margin=2.0).fit(survey)
    assert seg.predict(survey).tolist() == ["no clear benefit", "a"]
    out = seg.set_output(transform="pandas").transform(survey)
    assert list(out.columns) == ["a_score", "b_score", "c_score", "benefit_margin", "segment_index"]
    assert out["benefit_margin"].tolist() == [1.0, 3.0]


def test_category_shares_through_the_prefix():
    """prefix='share_' reads category_table's shares and names segments by category."""
    t = category_table(LINES, category_col="category", amount_col="amount")
    seg = BenefitSegmenter(prefix="share_", standardize="none", margin=0.2).fit(t)
    assert seg.benefits_ == ["garden", "gift", "home", "toys"]
    assert seg.predict(t).tolist() == ["home", "garden", "no clear benefit"]
    named = BenefitSegmenter(benefits=("home", "garden"), prefix="share_").fit(t)
    assert named.segments_ == ["home", "garden", "no clear benefit"]


def test_benefit_errors_name_the_column():
    """NaN and missing columns are refused with the column named; one benefit is too few."""
    survey = pd.DataFrame({"comfort": [1.0, np.nan], "price": [3.0, 4.0]})
    with pytest.raises(DataValidationError, match="column 'comfort'"):
        BenefitSegmenter().fit(survey)
    with pytest.raises(SchemaError, match=r"column 'fit' \(benefits\[1\]\) not found"):
        BenefitSegmenter(benefits=("price", "fit")).fit(survey.fillna(1.0))
    with pytest.raises(ValueError, match="at least 2 feature"):
        BenefitSegmenter().fit(survey[["price"]])
    with pytest.raises(ValueError, match="distinct"):
        BenefitSegmenter(no_clear_label="price").fit(survey.fillna(1.0))


def test_benefit_segmenter_does_not_mutate_its_input():
    """fit, predict and transform leave the caller's frame untouched."""
    ratings, _ = make_benefit_survey(50, random_state=1)
    before = ratings.copy(deep=True)
    seg = BenefitSegmenter().fit(ratings)
    seg.predict(ratings)
    seg.transform(ratings)
    pd.testing.assert_frame_equal(ratings, before)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(1, 20), st.integers(2, 6)), elements=st.integers(0, 10))
)
def test_every_respondent_gets_exactly_one_segment(values):
    """One name per row, from segments_, whatever the ratings (ties and flat rows included)."""
    seg = BenefitSegmenter().fit(values)
    labels = seg.predict(values)
    assert len(labels) == len(values) and set(labels) <= set(seg.segments_)
    flat = (values == values[:, :1]).all(axis=1)
    assert (labels[flat] == "no clear benefit").all()


@pytest.mark.parametrize(
    ("scale", "expected", "no_clear"), [((0, 10), 0.9, 0.95), ((1, 5), 0.87, 0.8)]
)
def test_recovers_the_generators_truth(scale, expected, no_clear):
    """Agreement with the simulated sought benefit (3,000 respondents): >= 90 % on a 0-10
    scale, >= 87 % on a 1-5 Likert scale (ties at the top of the scale cost the rest), and
    the respondents who seek nothing in particular are mostly called so."""
    ratings, truth = make_benefit_survey(3000, random_state=0, scale=scale)
    predicted = pd.Series(BenefitSegmenter().fit_predict(ratings), index=ratings.index)
    true = truth["segment"].astype(str)
    assert (predicted == true).mean() >= expected
    assert (predicted[true == "no clear benefit"] == "no clear benefit").mean() >= no_clear
