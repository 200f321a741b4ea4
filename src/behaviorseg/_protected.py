"""Special categories of personal data: never a segmentation criterion unless opted in.

The GDPR, art. 9(1), restricts the processing of *special categories* of personal
data: racial or ethnic origin, political opinions, religious or philosophical
beliefs, trade-union membership, genetic data, biometric data, data concerning
health, and data concerning a person's sex life or sexual orientation. A
segmentation that separates customers by one of them is a decision the analyst
must take on purpose, not by accident of a ``features=None``.

:func:`check_criteria` is the one gate. Every place where a column becomes a
segmentation **criterion** calls it (``distinguishing_features``, ``cross_segments``,
the clustering segmenter): a column whose *name* looks like a special category, or
that the caller declared so, raises
:class:`~behaviorseg.exceptions.ProtectedAttributeError` naming the column and the
rule, unless the caller opts in with ``allow_protected``. Describing the
composition of segments by such a column (``segment_profile``) is an audit, not a
criterion, and is not checked.

How a name is matched
---------------------
The name is normalised (Unicode accents removed, case folded, camelCase split) and
cut into tokens at every character that is not a letter or a digit and at every
change between letters and digits: ``"Religion_FR"`` → ``religion``, ``fr``;
``"santé2024"`` → ``sante``, ``2024``; ``"ethnicGroup"`` → ``ethnic``, ``group``.
A rule matches a whole token (a plural ``s`` is allowed), or a run of consecutive
tokens (``trade union``, ``sex life``). Substrings never match, so ``"trace"``,
``"racecar"`` and ``"embrace"`` are not flagged by ``race``, nor ``"reunion"`` by
``union``. Words are English and French. The match is a
heuristic on names: a column called ``q7`` that holds religion is only caught when
declared (``declared=("q7",)``); a name caught by mistake (``race_entries`` for a
running club) is let through by naming it in ``allow_protected``.

Sex (gender) and age are not special categories under art. 9 (anti-discrimination
law may still protect them): they are not matched, and can be declared.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable

from .exceptions import ProtectedAttributeError

__all__: list[str] = []  # private module

_ARTICLE = "GDPR art. 9(1)"

#: The special categories of the GDPR, art. 9(1), each with the words (English and
#: French, accents removed, lower case) that flag a column name. A word with a space
#: is a run of consecutive tokens. Words are chosen to be specific: "union", "party",
#: "vote", "orientation", "origin", "belief", "treatment", "diagnostic", "dna"
#: ("brand DNA"), "fingerprint" (a device fingerprint), "retina" (a display) and
#: "enceinte" (a loudspeaker in French) mean other things in customer data and are
#: left out; they can be declared.
SPECIAL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "racial or ethnic origin": (
        "race",
        "racial",
        "raciale",
        "ethnic",
        "ethnicity",
        "ethnique",
        "ethnie",
        "ethnicite",
        "ethnical",
        "ethno",
        "caste",
    ),
    "political opinions": (
        "political",
        "politics",
        "politique",
        "politic",
        "partisan",
        "ideology",
        "ideologie",
        "ideological",
        "ideologique",
        "political party",
        "parti politique",
    ),
    "religious or philosophical beliefs": (
        "religion",
        "religious",
        "religieux",
        "religieuse",
        "religiosity",
        "religiosite",
        "confession",
        "confessional",
        "confessionnel",
        "confessionnelle",
        "faith",
        "philosophical",
        "philosophique",
        "atheist",
        "atheism",
        "athee",
        "atheisme",
    ),
    "trade-union membership": (
        "trade union",
        "labour union",
        "labor union",
        "union membership",
        "union member",
        "unionised",
        "unionized",
        "syndicat",
        "syndical",
        "syndicale",
        "syndicaux",
        "syndique",
        "syndiquee",
        "syndicalisme",
        "syndicaliste",
    ),
    "health": (
        "health",
        "sante",
        "medical",
        "medicale",
        "medicaux",
        "diagnosis",
        "diagnoses",
        "disease",
        "illness",
        "maladie",
        "pathology",
        "pathologie",
        "disability",
        "disabled",
        "handicap",
        "handicape",
        "pregnancy",
        "pregnant",
        "grossesse",
        "prescription",
        "ordonnance medicale",
        "medication",
        "medicament",
        "symptom",
        "symptome",
        "allergy",
        "allergie",
        "hiv",
        "vih",
        "bmi",
        "imc",
    ),
    "sex life or sexual orientation": (
        "sexual",
        "sexuality",
        "sexuel",
        "sexuelle",
        "sexualite",
        "sex life",
        "vie sexuelle",
        "lgbt",
        "lgbtq",
        "lgbtqi",
        "homosexual",
        "homosexuel",
        "homosexuelle",
        "heterosexual",
        "heterosexuel",
        "bisexual",
        "bisexuel",
        "gay",
        "lesbian",
        "lesbienne",
    ),
    "genetic data": (
        "genetic",
        "genetics",
        "genetique",
        "genome",
        "genomic",
        "genomique",
        "genotype",
    ),
    "biometric data": (
        "biometric",
        "biometrics",
        "biometrique",
        "biometrie",
        "faceprint",
        "voiceprint",
        "facial recognition",
        "reconnaissance faciale",
        "empreinte digitale",
    ),
}

# word (as a tuple of tokens) -> category
_RULES: dict[tuple[str, ...], str] = {
    tuple(word.split()): category
    for category, words in SPECIAL_CATEGORIES.items()
    for word in words
}
_LONGEST = max(len(key) for key in _RULES)

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_TOKEN = re.compile(r"[a-z]+|[0-9]+")


def name_tokens(name: Hashable) -> tuple[str, ...]:
    """The tokens of a column name: accents removed, camelCase split, lower case.

    >>> name_tokens("Santé_mentale")
    ('sante', 'mentale')
    >>> name_tokens("ethnicGroup2")
    ('ethnic', 'group', '2')
    """
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _CAMEL.sub(" ", text).casefold()
    return tuple(_TOKEN.findall(text))


def _singular(token: str) -> str:
    return token[:-1] if len(token) > 3 and token.endswith("s") else token


def protected_rule(name: Hashable) -> tuple[str, str] | None:
    """The special category a column name looks like and the word that matched, or None.

    >>> protected_rule("religion_fr")
    ('religious or philosophical beliefs', 'religion')
    >>> protected_rule("trace_id") is None
    True
    """
    tokens = name_tokens(name)
    for start in range(len(tokens)):
        for width in range(min(_LONGEST, len(tokens) - start), 0, -1):
            run = tokens[start : start + width]
            for key in (run, (*run[:-1], _singular(run[-1]))):
                category = _RULES.get(key)
                if category is not None:
                    return category, " ".join(run)
    return None


def _names(names: Iterable[Hashable] | Hashable) -> set[Hashable]:
    """A set of names; a single string is one name, not its characters."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        return {names}
    return set(names)


def check_criteria(
    columns: Iterable[Hashable],
    *,
    allow_protected: bool | Iterable[Hashable] = False,
    declared: Iterable[Hashable] = (),
    owner: str = "this segmentation",
    param: str = "features",
) -> None:
    """Refuse special categories of personal data as segmentation criteria.

    Parameters
    ----------
    columns : iterable of hashable
        The names of the columns (or Series) about to separate customers.
    allow_protected : bool or iterable of hashable, default=False
        ``True`` lets every column through (an explicit opt-in, e.g. for a
        fairness audit); a collection of names lets those columns through (a
        deliberate audit column, or a name caught by mistake); ``False`` checks
        every column.
    declared : iterable of hashable, default=()
        Names the caller declares special categories, whatever they are called.
    owner : str
        The public function, named in the message.
    param : str
        The parameter that chose the columns, named in the message.

    Raises
    ------
    ProtectedAttributeError
        Naming every offending column, the rule it matched and the way out.

    Examples
    --------
    >>> check_criteria(["recency_days", "frequency"])
    >>> check_criteria(["frequency", "Religion"], owner="f")
    Traceback (most recent call last):
    ...
    behaviorseg.exceptions.ProtectedAttributeError: f: column 'Religion' ...
    >>> check_criteria(["Religion"], allow_protected=True)
    """
    if allow_protected is True:
        return
    allowed = _names(allow_protected) if allow_protected is not False else set()
    declared_names = _names(declared)
    found: list[str] = []
    for column in columns:
        if column in allowed:
            continue
        if column in declared_names:
            found.append(f"column {column!r} (declared a special category by the caller)")
            continue
        rule = protected_rule(column)
        if rule is not None:
            category, word = rule
            found.append(
                f"column {column!r} looks like a special category of personal data "
                f"({category}, {_ARTICLE}: its name contains {word!r})"
            )
    if not found:
        return
    names = ", ".join(found)
    raise ProtectedAttributeError(
        f"{owner}: {names}; such data is not used as a segmentation criterion unless you "
        f"opt in. Leave it out of {param}, or pass allow_protected=True (or "
        f"allow_protected=[<names>] for these columns only) for a deliberate, documented "
        f"use such as a fairness audit. To describe the composition of segments by it, "
        f"use segment_profile, which allows it"
    )
