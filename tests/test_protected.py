"""Special categories of personal data (GDPR art. 9) are refused as segmentation criteria."""

from __future__ import annotations

import pytest

from behaviorseg._protected import (
    SPECIAL_CATEGORIES,
    check_criteria,
    name_tokens,
    protected_rule,
)
from behaviorseg.exceptions import BehaviorsegError, ProtectedAttributeError

FLAGGED = {
    "ethnicity": "racial or ethnic origin",
    "race": "racial or ethnic origin",
    "Ethnie": "racial or ethnic origin",
    "origine_ethnique": "racial or ethnic origin",
    "religion": "religious or philosophical beliefs",
    "religion_fr": "religious or philosophical beliefs",
    "Religion": "religious or philosophical beliefs",
    "confession": "religious or philosophical beliefs",
    "politique": "political opinions",
    "opinion_politique": "political opinions",
    "political_affiliation": "political opinions",
    "syndicat": "trade-union membership",
    "membre_syndique": "trade-union membership",
    "trade_union_member": "trade-union membership",
    "TradeUnion": "trade-union membership",
    "santé": "health",
    "sante": "health",
    "SANTÉ": "health",
    "health": "health",
    "health_status": "health",
    "diagnosis": "health",
    "HIVStatus": "health",
    "orientation_sexuelle": "sex life or sexual orientation",
    "sexual_orientation": "sex life or sexual orientation",
    "sexLife": "sex life or sexual orientation",
    "genetic": "genetic data",
    "genetic_markers": "genetic data",
    "biometric": "biometric data",
    "donnees_biometriques": "biometric data",
    "races": "racial or ethnic origin",
}

NOT_FLAGGED = [
    "trace",
    "racecar",
    "embrace",
    "grace_period_days",
    "reunion",
    "union_id",
    "european_union",
    "gender",
    "sexe",
    "age",
    "recency_days",
    "frequency",
    "monetary",
    "origin_country",
    "party_size",
    "brand_dna",
    "device_fingerprint",
    "retina_display",
    "enceinte_bluetooth",
    "orientation",
    7,
]


@pytest.mark.parametrize(("name", "category"), FLAGGED.items())
def test_names_of_special_categories_are_flagged(name, category):
    """English and French names, any case and accents, camelCase, are caught by their rule."""
    rule = protected_rule(name)
    assert rule is not None
    assert rule[0] == category


@pytest.mark.parametrize("name", NOT_FLAGGED)
def test_ordinary_names_are_not_flagged(name):
    """Matching is on whole tokens: substrings and everyday words are not flagged."""
    assert protected_rule(name) is None


@pytest.mark.parametrize(
    ("category", "word"),
    [(category, word) for category, words in SPECIAL_CATEGORIES.items() for word in words],
)
def test_every_listed_word_flags_its_category_alone_and_inside_a_name(category, word):
    """Each word of the list matches, alone, in snake_case or upper case, amid other tokens."""
    snake = word.replace(" ", "_")
    for name in (snake, snake.upper(), f"customer_{snake}_2024", f"{snake}-fr"):
        assert protected_rule(name) == (category, word), name


def test_tokens_remove_accents_split_camel_case_and_digits():
    """Normalisation: accents off, lower case, camelCase and letter/digit changes split."""
    assert name_tokens("Santé_Mentale") == ("sante", "mentale")
    assert name_tokens("ethnicGroup2") == ("ethnic", "group", "2")
    assert name_tokens("HIVStatus") == ("hiv", "status")


def test_check_criteria_names_the_column_the_rule_and_the_way_out():
    """The error names every offending column, its category, the article and the opt-in."""
    with pytest.raises(ProtectedAttributeError) as caught:
        check_criteria(["frequency", "religion_fr", "santé"], owner="distinguishing_features")
    message = str(caught.value)
    assert message.startswith("distinguishing_features: ")
    assert "'religion_fr'" in message
    assert "religious or philosophical beliefs" in message
    assert "'santé'" in message
    assert "health" in message
    assert "GDPR art. 9(1)" in message
    assert "allow_protected=True" in message
    assert "'frequency'" not in message
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, BehaviorsegError)


def test_ordinary_criteria_pass():
    """Behavioural columns are not touched."""
    check_criteria(["recency_days", "frequency", "monetary", "gender"])


def test_allow_protected_true_opts_in_for_every_column():
    """An explicit opt-in lets every column through (a fairness audit)."""
    check_criteria(["religion", "ethnicity"], allow_protected=True)


def test_allow_protected_names_let_only_those_columns_through():
    """A list of names opts in those columns only; a single string is one name."""
    check_criteria(["race_entries", "frequency"], allow_protected=["race_entries"])
    check_criteria(["race_entries"], allow_protected="race_entries")
    with pytest.raises(ProtectedAttributeError, match="'ethnicity'"):
        check_criteria(["race_entries", "ethnicity"], allow_protected=["race_entries"])


def test_declared_columns_are_refused_whatever_their_name():
    """A column the caller declares a special category is refused like a flagged name."""
    with pytest.raises(ProtectedAttributeError, match=r"'q7' \(declared"):
        check_criteria(["q7", "frequency"], declared=["q7"])
    with pytest.raises(ProtectedAttributeError, match="'gender'"):
        check_criteria(["gender"], declared="gender")
    check_criteria(["q7"], declared=["q7"], allow_protected=True)
