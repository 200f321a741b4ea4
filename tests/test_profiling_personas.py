"""Recommended actions, persona cards and their Markdown / HTML rendering."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import behaviorseg as bs
from behaviorseg.datasets import (
    make_brand_events,
    make_events,
    make_loyalty_customers,
    make_transactions,
)
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.profiling import persona_cards, recommended_actions, render_persona_cards
from behaviorseg.segmenters.assael import ASSAEL_SEGMENTS
from behaviorseg.segmenters.rfm import DEFAULT_RFM_SEGMENTS
from behaviorseg.segmenters.walker import LOYALTY_SEGMENTS
from behaviorseg.summaries import brand_table, clv_summary, funnel_table, rfm_table, usage_table
from behaviorseg.summaries._events import AIDA_STAGES


def _fitted_segments() -> dict[str, list[str]]:
    """The segments_ of every built-in segmenter fitted on its seeded generator."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx, _ = make_transactions(400, random_state=0)
        events, _ = make_events(400, random_state=0)
        brands, _ = make_brand_events(300, random_state=0)
        loyalty, _ = make_loyalty_customers(300, random_state=0)
        usage = usage_table(events, event_col="event", value_col="value", usage_events="session")
        funnel = funnel_table(events, stages=AIDA_STAGES, ignore_events="session")
        return {
            "rfm": bs.RFMSegmenter().fit(rfm_table(tx)).segments_,
            "churn": bs.ChurnSegmenter().fit(clv_summary(tx)).segments_,
            "usage": bs.UsageTierSegmenter().fit(usage).segments_,
            "aida": bs.AIDAStageSegmenter().fit(funnel).segments_,
            "assael": bs.AssaelSegmenter().fit(brand_table(brands)).segments_,
            "walker": bs.WalkerLoyaltySegmenter().fit(loyalty).segments_,
        }


FITTED = _fitted_segments()


@pytest.mark.parametrize("model", sorted(FITTED))
def test_every_segment_a_built_in_segmenter_emits_has_an_action(model):
    """Each name in segments_ (fitted on the generators) has a non-empty action and rationale,
    listed in the segmenter's own order."""
    actions = recommended_actions(model)
    assert actions.index.tolist() == list(FITTED[model])
    assert (actions["action"].str.len() > 20).all()
    assert (actions["rationale"].str.len() > 20).all()


def test_the_segment_name_constants_are_covered_too():
    """The constants the segmenters read their names from are all in the table."""
    table = recommended_actions()
    expected = {
        "rfm": [name for name, _, _ in DEFAULT_RFM_SEGMENTS],
        "assael": list(ASSAEL_SEGMENTS),
        "walker": list(LOYALTY_SEGMENTS),
        "aida": [stage for stage, _ in AIDA_STAGES],
    }
    for model, names in expected.items():
        assert set(names) <= set(table.loc[model].index), model
    assert table.index.is_unique


def test_recommended_actions_returns_a_fresh_table_the_user_can_edit():
    """Editing the returned frame never changes the next call."""
    first = recommended_actions()
    first.loc[("rfm", "champions"), "action"] = "changed"
    assert recommended_actions().loc[("rfm", "champions"), "action"] != "changed"
    assert "early access" in recommended_actions("rfm").loc["champions", "action"]
    assert "win-back" in recommended_actions("rfm").loc["hibernating", "action"]
    assert "pain point" in recommended_actions("walker").loc["trapped", "action"]
    assert "comparisons" in recommended_actions("assael").loc["complex", "action"]
    with pytest.raises(ValueError, match="'rfm'"):
        recommended_actions("rmf")


# --- persona_cards --------------------------------------------------------------------

CUSTOMERS = pd.DataFrame(
    {
        "segment": ["champions"] * 2 + ["hibernating"] * 6,
        "frequency": [12, 10, 1, 2, 1, 1, 2, 1],
        "monetary": [900.0, 700.0, 40.0, 80.0, 30.0, 50.0, 60.0, 40.0],
        "city": ["Lyon", "Lyon", "Paris", "Paris", "Lyon", "Paris", "Paris", "Nice"],
    }
)


def test_cards_give_size_shares_and_revenue_of_each_segment():
    """Sizes and shares count customers; revenue shares add up to 1."""
    cards = persona_cards(CUSTOMERS, segment_col="segment", value_col="monetary")
    assert cards["size"].tolist() == [2, 6]
    np.testing.assert_allclose(cards["share"], [0.25, 0.75])
    np.testing.assert_allclose(cards["revenue_share"], [1600 / 1900, 300 / 1900])
    assert cards.index.name == "segment"


def test_traits_put_the_ratio_to_the_average_in_words():
    """'N× as often' from 1.5 times the average, 'N % less' below it, numbers from the means."""
    cards = persona_cards(CUSTOMERS, segment_col="segment", features=("frequency", "monetary"))
    mean_f = CUSTOMERS["frequency"].mean()  # 3.75
    champions = cards.loc["champions", "traits"]
    assert f"buys {11 / mean_f:.1f}× as often as the average customer" in champions
    assert f"spends {800 / CUSTOMERS['monetary'].mean():.1f}× as much" in champions[1]
    hibernating = cards.loc["hibernating", "traits"]
    less = round(100 * (1 - (8 / 6) / mean_f))
    assert f"buys {less} % less often than average" in hibernating


def test_traits_rank_by_standardised_difference_and_respect_top_and_the_threshold():
    """The feature that separates most comes first; top caps the list; no difference, no trait.

    Ranked by segment_profile's std_diff (Cohen's d against the rest of the base)."""
    wiggle = np.tile([-1.0, 1.0], 50)
    data = pd.DataFrame(
        {
            "segment": ["a"] * 50 + ["b"] * 50,
            "strong": np.r_[np.full(50, 10.0), np.full(50, 1.0)] + wiggle,  # d = 9
            "weak": np.r_[np.full(50, 5.2), np.full(50, 4.8)] + 3 * wiggle,  # d = 0.13
            "flat": 2.0 + wiggle,  # d = 0
        }
    )
    cards = persona_cards(data, segment_col="segment")
    assert cards.loc["a", "traits"][0] == f"strong: {10 / 5.5:.1f}× the average"
    assert len(cards.loc["a", "traits"]) == 1  # weak and flat are below min_difference
    every = persona_cards(data, segment_col="segment", min_difference=0.0, top=2)
    assert len(every.loc["a", "traits"]) == 2
    assert every.loc["a", "traits"][1].startswith("weak:")


def test_a_single_segment_has_no_distinguishing_trait():
    """Against itself the base differs in nothing."""
    one = CUSTOMERS.assign(segment="everyone")
    cards = persona_cards(one, segment_col="segment", value_col="monetary")
    assert cards.loc["everyone", "traits"] == ()
    assert cards.loc["everyone", "revenue_share"] == pytest.approx(1.0)


def test_a_feature_without_a_positive_average_is_said_in_standard_deviations():
    """Ratios make no sense around a negative mean; the card uses standard deviations."""
    data = pd.DataFrame({"segment": ["a", "a", "b", "b"], "score": [-3.0, -2.0, 2.0, 3.0]})
    cards = persona_cards(data, segment_col="segment")
    # Cohen's d: (-2.5 - 2.5) / sqrt(0.5) = -7.07
    assert cards.loc["a", "traits"] == ("score: 7.1 standard deviations below the other customers",)


def test_empty_categories_keep_a_card_and_missing_values_are_left_out():
    """An empty Categorical segment gets size 0 and no trait; NaN features do not count."""
    data = CUSTOMERS.assign(
        segment=pd.Categorical(
            CUSTOMERS["segment"], categories=["champions", "at risk", "hibernating"]
        ),
        frequency=CUSTOMERS["frequency"].astype(float).where(CUSTOMERS.index != 0),
    )
    with pytest.warns(RowsExcludedWarning, match="1"):
        cards = persona_cards(data, segment_col="segment")
    assert cards.index.tolist() == ["champions", "at risk", "hibernating"]
    assert cards.loc["at risk", "size"] == 0 and cards.loc["at risk", "traits"] == ()
    assert "Send personalised win-back" in cards.loc["at risk", "action"]
    mean_f = data["frequency"].mean()  # 7 known values
    assert f"buys {10 / mean_f:.1f}× as often" in cards.loc["champions", "traits"][0]


def test_describe_columns_give_the_most_common_value_and_its_share():
    """A descriptive column gives the segment's mode, its share there and in the base."""
    cards = persona_cards(CUSTOMERS, segment_col="segment", describe=("city",))
    assert cards.loc["champions", "city"] == "Lyon (100 %; base 38 %)"
    assert cards.loc["hibernating", "city"] == "Paris (67 %; base 50 %)"
    assert "city" not in " ".join(cards.loc["champions", "traits"])  # not a behaviour


def test_actions_come_from_the_matching_model_or_the_callers_table():
    """None picks the model whose names match; a str, frame or mapping overrides it."""
    auto = persona_cards(CUSTOMERS, segment_col="segment")
    table = recommended_actions("rfm")
    assert auto.loc["champions", "action"] == table.loc["champions", "action"]
    assert auto.loc["champions", "rationale"] == table.loc["champions", "rationale"]
    mine = table.copy()
    mine.loc["champions", "action"] = "Invite them to the VIP evening."
    custom = persona_cards(CUSTOMERS, segment_col="segment", actions=mine)
    assert custom.loc["champions", "action"] == "Invite them to the VIP evening."
    mapped = persona_cards(CUSTOMERS, segment_col="segment", actions={"champions": "Say thanks."})
    assert mapped.loc["champions", "action"] == "Say thanks."
    assert mapped.loc["hibernating", "action"] is None
    by_model = persona_cards(CUSTOMERS, segment_col="segment", actions=recommended_actions())
    assert by_model.loc["hibernating", "action"] == table.loc["hibernating", "action"]


def test_unknown_segments_get_no_action_and_ambiguous_names_must_be_chosen():
    """Custom names get None; 'medium' alone fits usage and churn, so the caller must say."""
    custom = persona_cards(
        pd.DataFrame({"segment": ["x", "y"], "v": [1.0, 2.0]}), segment_col="segment"
    )
    assert custom["action"].isna().all()
    medium = pd.DataFrame({"segment": ["medium", "medium"], "v": [1.0, 2.0]})
    with pytest.raises(ValueError, match="'usage' and 'churn'"):
        persona_cards(medium, segment_col="segment")
    chosen = persona_cards(medium, segment_col="segment", actions="churn")
    assert chosen.loc["medium", "action"] == recommended_actions("churn").loc["medium", "action"]


def test_persona_cards_does_not_modify_its_input():
    """The caller's frame is untouched."""
    data = CUSTOMERS.copy()
    persona_cards(data, segment_col="segment", value_col="monetary", describe=("city",))
    pd.testing.assert_frame_equal(data, CUSTOMERS)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"segment_col": "tier"}, SchemaError, "'tier' \\(segment_col\\) not found"),
        ({"segment_col": "segment", "value_col": "revenue"}, SchemaError, "value_col"),
        ({"segment_col": "segment", "features": ("city",)}, SchemaError, "'city' has dtype"),
        ({"segment_col": "segment", "describe": ("size",)}, ValueError, "card column"),
        ({"segment_col": "segment", "top": 0}, ValueError, "top=0"),
        ({"segment_col": "segment", "actions": 3}, TypeError, "mapping segment -> action"),
        (
            {"segment_col": "segment", "actions": pd.DataFrame({"what": ["x"]})},
            SchemaError,
            "no 'action' column",
        ),
    ],
)
def test_persona_cards_refuses_bad_input_naming_the_parameter(kwargs, error, match):
    """Each refusal names the column or parameter and the fix."""
    with pytest.raises(error, match=match):
        persona_cards(CUSTOMERS, **kwargs)


def test_missing_segment_labels_are_refused():
    """A customer without a segment cannot be on a card."""
    data = CUSTOMERS.assign(segment=CUSTOMERS["segment"].where(CUSTOMERS.index != 3))
    with pytest.raises(DataValidationError, match="1 missing segment labels"):
        persona_cards(data, segment_col="segment")


# --- rendering ------------------------------------------------------------------------


def test_markdown_cards_have_one_section_per_segment_with_every_field():
    """A heading, the summary, the behaviours as a list, the action, the descriptive fields."""
    cards = persona_cards(
        CUSTOMERS, segment_col="segment", value_col="monetary", describe=("city",)
    )
    text = render_persona_cards(cards)
    assert text.count("\n### ") + text.startswith("### ") == 2
    assert "*2 customers · 25.0 % of customers · 84.2 % of revenue*" in text
    assert "- buys 2.9× as often as the average customer" in text
    assert "**Recommended action:** Reward them" in text
    assert "**city:** Paris (67 %; base 50 %)" in text
    assert text.endswith("\n")


def test_rendering_escapes_markup_in_names():
    """Names with Markdown or HTML characters are shown, not interpreted."""
    data = pd.DataFrame({"segment": ["<b>vip</b>", "a|b"], "v": [1.0, 2.0]})
    cards = persona_cards(data, segment_col="segment")
    markdown = render_persona_cards(cards)
    assert "### \\<b\\>vip\\</b\\>" in markdown and "### a\\|b" in markdown
    html_text = render_persona_cards(cards, to="html")
    assert "<h3>&lt;b&gt;vip&lt;/b&gt;</h3>" in html_text
    assert html_text.count('<section class="persona-card">') == 2


def test_table_layout_has_a_header_and_one_row_per_segment():
    """The table layout is a valid Markdown (or HTML) table, without tabulate."""
    cards = persona_cards(CUSTOMERS, segment_col="segment", value_col="monetary")
    lines = render_persona_cards(cards, layout="table").splitlines()
    assert lines[0].startswith("| segment | customers | share | revenue share | behaviours")
    assert lines[1].startswith("|---|")
    assert len(lines) == 4
    assert {len(line.split(" | ")) for line in lines if not line.startswith("|---")} == {6}
    html_table = render_persona_cards(cards, to="html", layout="table")
    assert html_table.count("<tr>") == 3


def test_render_refuses_a_frame_that_is_not_cards():
    """A frame without size and share is not a cards frame; bad options are named."""
    with pytest.raises(SchemaError, match="'size'"):
        render_persona_cards(pd.DataFrame({"x": [1]}))
    cards = persona_cards(CUSTOMERS, segment_col="segment")
    with pytest.raises(ValueError, match="to='pdf'"):
        render_persona_cards(cards, to="pdf")


def test_cards_read_their_numbers_from_segment_profile():
    """One implementation of the statistics: the ratio in words is the profile's index / 100,
    and a numeric descriptive column shows the profile's mean."""
    from behaviorseg.profiling import segment_profile

    data = CUSTOMERS.assign(age=[30.0, 40.0, 50.0, 60.0, 20.0, 30.0, 40.0, 50.0])
    profile = segment_profile(data, segment_col="segment", features=["frequency", "age"])
    cards = persona_cards(data, segment_col="segment", features=("frequency",), describe=("age",))
    ratio = profile.loc["champions", ("frequency", "index")] / 100
    assert cards.loc["champions", "traits"][0].startswith(f"buys {ratio:.1f}×")
    assert cards.loc["champions", "age"] == "mean 35 (base 40)"
