"""Persona cards: one card per segment, in words, with its recommended action."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    Interval,
    Options,
    check_columns,
    check_frame,
    validate_params,
)
from ..exceptions import DataValidationError, SchemaError
from ._actions import recommended_actions
from ._profile import segment_profile

__all__ = ["persona_cards", "render_persona_cards"]

#: How a behaviour is put in words: ``(as many times, more, less)`` templates per
#: column of the library's customer tables. ``{times}`` is "3.2×", ``{pct}`` "40 %".
_PHRASES: dict[str, tuple[str, str, str]] = {
    "frequency": (
        "buys {times} as often as the average customer",
        "buys {pct} more often than average",
        "buys {pct} less often than average",
    ),
    "monetary": (
        "spends {times} as much as the average customer",
        "spends {pct} more than average",
        "spends {pct} less than average",
    ),
    "avg_order_value": (
        "spends {times} as much per order as the average customer",
        "spends {pct} more per order than average",
        "spends {pct} less per order than average",
    ),
    "recency_days": (
        "last bought {times} as long ago as the average customer",
        "last bought {pct} longer ago than average",
        "bought more recently: {pct} fewer days since the last purchase than average",
    ),
    "tenure_days": (
        "has been a customer {times} as long as average",
        "has been a customer {pct} longer than average",
        "joined more recently: a tenure {pct} shorter than average",
    ),
    "usage_value": (
        "uses the product {times} as much as the average customer",
        "uses the product {pct} more than average",
        "uses the product {pct} less than average",
    ),
}
_GENERIC = (
    "{feature}: {times} the average",
    "{feature}: {pct} above average",
    "{feature}: {pct} below average",
)

#: Above this ratio to the average, a behaviour is said as "N× as ..."; below, in percent.
_TIMES_FROM = 1.5

#: Columns every card has; any other column of a cards frame is a descriptive one.
_CARD_COLUMNS = ("size", "share", "revenue_share", "traits", "action", "rationale")


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _phrase(feature: str, ratio: float, difference: float) -> str:
    """One behaviour in words: the segment's mean as a ratio to the base's, or in SDs."""
    times, more, less = _PHRASES.get(feature, _GENERIC)
    if np.isfinite(ratio) and ratio >= 0:
        if ratio >= _TIMES_FROM:
            return times.format(feature=feature, times=f"{ratio:.1f}×")
        if ratio >= 1:
            return more.format(feature=feature, pct=_percent(ratio - 1))
        return less.format(feature=feature, pct=_percent(1 - ratio))
    side = "above" if difference > 0 else "below"
    return f"{feature}: {abs(difference):.1f} standard deviations {side} the other customers"


def _columns_param(value: object, *, param: str) -> list[str]:
    """``features`` / ``describe`` as a list of column names, or raise naming ``param``."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(c, str) for c in value):
        raise TypeError(
            f"persona_cards: {param}={value!r} must be a column name or a sequence of column names"
        )
    return list(value)


def _traits(
    profile: pd.DataFrame, features: list[str], *, top: int, min_difference: float
) -> list[tuple[str, ...]]:
    """The ``top`` most distinguishing behaviours of each segment, in words.

    Ranked by the profile's standardised difference from the rest of the base
    (``std_diff``, Cohen's d); said as the ratio of the segment's mean to the
    base's (``index / 100``).
    """
    if not features:
        return [() for _ in range(len(profile))]
    difference = np.column_stack([profile[(f, "std_diff")].to_numpy(float) for f in features])
    ratio = np.column_stack([profile[(f, "index")].to_numpy(float) for f in features]) / 100.0
    strength = np.where(np.isfinite(difference), np.abs(difference), -np.inf)
    order = np.argsort(-strength, axis=1, kind="stable")[:, :top]
    cards: list[tuple[str, ...]] = []
    for segment in range(len(profile)):  # formatting: a loop over segments and a few traits
        words = [
            _phrase(features[j], float(ratio[segment, j]), float(difference[segment, j]))
            for j in order[segment]
            if strength[segment, j] >= min_difference
        ]
        cards.append(tuple(words))
    return cards


def _describe(profile: pd.DataFrame, column: str) -> list[str | None]:
    """The most common level of ``column`` in each segment, its share there and in the
    base; for a numeric column, the segment's mean and the base's."""
    if (column, "mean") in profile.columns:
        means = profile[(column, "mean")].to_numpy(float)
        base = means / (profile[(column, "index")].to_numpy(float) / 100.0)
        return [
            None
            if not np.isfinite(m)
            else f"mean {m:,.3g}" + (f" (base {b:,.3g})" if np.isfinite(b) else "")
            for m, b in zip(means, base, strict=True)
        ]
    prefix = f"{column}="
    levels = [c for c in profile.columns.get_level_values(0).unique() if str(c).startswith(prefix)]
    shares = np.column_stack([profile[(c, "share")].to_numpy(float) for c in levels])
    index = np.column_stack([profile[(c, "index")].to_numpy(float) for c in levels])
    out: list[str | None] = []
    for segment in range(len(profile)):  # formatting only: one string per segment
        row = np.nan_to_num(shares[segment], nan=-1.0)
        best = int(np.argmax(row))
        if row[best] <= 0:
            out.append(None)
            continue
        base = shares[segment, best] / (index[segment, best] / 100.0)
        name = str(levels[best])[len(prefix) :]
        out.append(f"{name} ({_percent(shares[segment, best])}; base {_percent(base)})")
    return out


def _best_model(table: pd.DataFrame, segments: pd.Index) -> pd.DataFrame:
    """The rows of the one model (first index level) whose names match the most segments."""
    models = table.index.get_level_values(0)
    names = table.index.get_level_values("segment")
    wanted = names.isin(segments)
    matches = pd.Series(wanted, index=models).groupby(level=0, sort=False).sum()
    best = int(matches.max()) if len(matches) else 0
    if best == 0:
        empty: pd.DataFrame = table.iloc[:0].droplevel(0)
        return empty
    winners = matches.index[matches == best].tolist()
    if len(winners) > 1:
        raise ValueError(
            f"persona_cards: the segment names match the actions of "
            f"{' and '.join(repr(m) for m in winners)} equally; pass "
            f"actions={winners[0]!r} (or another model name) to choose"
        )
    chosen: pd.DataFrame = table[models == winners[0]].droplevel(0)
    return chosen


def _action_table(actions: object, segments: pd.Index) -> pd.DataFrame:
    """The actions to look segments up in: a frame indexed by segment, ``action`` and
    ``rationale`` columns."""
    if actions is None:
        return _best_model(recommended_actions(), segments)
    if isinstance(actions, str):
        return recommended_actions(actions)
    if isinstance(actions, pd.DataFrame):
        if "action" not in actions.columns:
            raise SchemaError(
                "actions has no 'action' column; pass a frame indexed by segment with an "
                "'action' column (and optionally 'rationale'), e.g. an edited "
                "recommended_actions('rfm')"
            )
        frame: pd.DataFrame = actions
        if isinstance(frame.index, pd.MultiIndex):
            if frame.index.nlevels != 2 or frame.index.names[1] != "segment":
                raise SchemaError(
                    "actions has a MultiIndex other than (model, segment); index it by "
                    "segment, or by (model, segment) as recommended_actions() is"
                )
            frame = _best_model(frame, segments)
        if frame.index.has_duplicates:
            repeated = frame.index[frame.index.duplicated()].unique()
            raise DataValidationError(
                f"actions lists the segments {list(repeated)[:5]} more than once; keep one "
                f"action per segment, e.g. recommended_actions('<model>') for one model"
            )
        if "rationale" not in frame.columns:
            frame = frame.assign(rationale=None)
        result: pd.DataFrame = frame[["action", "rationale"]]
        return result
    if isinstance(actions, Mapping):
        given: pd.DataFrame = pd.DataFrame(
            {"action": pd.Series(dict(actions), dtype=object), "rationale": None}
        )
        return given
    raise TypeError(
        f"persona_cards: actions={actions!r} must be None (the built-in actions), a model "
        f"name such as 'rfm', a DataFrame indexed by segment with an 'action' column, or a "
        f"mapping segment -> action"
    )


@frame_boundary("data", index={"data": "customer_id"})
def persona_cards(
    data: pd.DataFrame,
    *,
    segment_col: str,
    value_col: str | None = None,
    features: Sequence[str] | None = None,
    actions: Any = None,
    describe: Sequence[str] = (),
    top: int = 4,
    min_difference: float = 0.2,
) -> pd.DataFrame:
    """Describe each segment as a persona: size, value, behaviours in words, action.

    The statistics come from :func:`segment_profile` (the segment's mean against
    the base's, and its standardised difference from the rest of the base); this
    function chooses the few that matter and puts them in words.

    Parameters
    ----------
    data : DataFrame
        One row per customer: the segment label, behavioural features (e.g. the
        columns of :func:`~behaviorseg.summaries.rfm_table`) and any descriptive
        columns. Not modified.
    segment_col : str
        Column with the segment labels. A Categorical keeps its categories in
        order, so an empty segment gets a card (size 0); other labels are sorted.
    value_col : str or None, default=None
        Revenue (or margin) per customer, e.g. ``"monetary"``; adds the
        column ``revenue_share``.
    features : sequence of str or None, default=None
        Numeric columns the behaviours are read from. ``None``: every numeric
        column (bool excluded) except ``segment_col`` and ``describe``. Missing
        values are left out of that feature's statistics, with a
        :class:`~behaviorseg.exceptions.RowsExcludedWarning` counting them.
    actions : None, str, DataFrame or mapping, default=None
        Where the recommended actions come from: ``None`` for the built-in
        table of the model whose segment names match the most segments (see
        :func:`recommended_actions`; none when no name matches); a model name
        (``"rfm"``, ``"churn"`` ...); a frame indexed by segment (or by
        ``(model, segment)`` like :func:`recommended_actions`, where the model
        matching the most segments is used) with an ``action`` and optionally a
        ``rationale`` column; or a mapping segment -> action. A segment with no
        action gets None.
    describe : sequence of str, default=()
        Descriptive columns (age band, city, channel ...): each card gives the
        segment's most common value, its share in the segment and in the base
        (for a numeric column, the segment's mean and the base's). They describe
        who is in the segment (an audit of its composition); they are not used
        as criteria.
    top : int, default=4
        Most behaviours per card.
    min_difference : float, default=0.2
        Smallest standardised difference from the rest of the base (the
        profile's ``std_diff``, Cohen's d, in absolute value) for a behaviour to
        be mentioned; 0.2 is a "small" effect in Cohen's terms. A segment that
        does not differ gets fewer traits rather than noise; a segment that is
        the whole base, or a feature constant within every segment, gets none.

    Returns
    -------
    DataFrame
        One card per segment, indexed by segment (index named ``segment_col``):

        - ``size`` (int) and ``share`` (float): customers, and share of all;
        - ``revenue_share`` (float, with ``value_col``): the profile's
          ``value_share``, NaN when the total is 0;
        - ``traits`` (tuple of str): up to ``top`` behaviours, the largest
          ``|std_diff|`` first, said as the ratio of the segment's mean to the
          average customer's: ``"buys 3.2× as often as the average customer"``
          from 1.5 times, ``"spends 40 % less than average"`` below; a feature
          whose base mean is not positive (no ratio) is said in standard
          deviations from the other customers. The wording knows the columns of
          the library's customer tables (``frequency``, ``monetary``,
          ``recency_days`` ...); other columns read ``"<column>: 2.1× the
          average"``;
        - ``action``, ``rationale`` (str or None);
        - one str column per ``describe`` column: ``"35-44 (41 %; base 28 %)"``
          (None for an empty segment).

        :func:`render_persona_cards` turns it into Markdown or HTML.

    Raises
    ------
    SchemaError
        A column is missing, a feature is not numeric, a ``describe`` column is
        neither numeric nor categorical, or ``actions`` has no ``action`` column.
    DataValidationError
        Missing segment labels, infinite feature values, or bad values in
        ``value_col`` (as :func:`segment_profile`).
    ValueError
        Bad ``top`` / ``min_difference``, a ``describe`` column named like a card
        column, or segment names that match two built-in models equally
        (pass ``actions``).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import persona_cards
    >>> customers = pd.DataFrame({
    ...     "segment": ["champions"] * 2 + ["hibernating"] * 6,
    ...     "frequency": [12, 10, 1, 2, 1, 1, 2, 1],
    ...     "monetary": [900.0, 700.0, 40.0, 80.0, 30.0, 50.0, 60.0, 40.0],
    ...     "city": ["Lyon", "Lyon", "Paris", "Paris", "Lyon", "Paris", "Paris", "Nice"],
    ... })
    >>> cards = persona_cards(customers, segment_col="segment", value_col="monetary",
    ...                       describe=("city",), top=2)
    >>> cards.loc["champions", "traits"]
    ('buys 2.9× as often as the average customer', 'spends 3.4× as much as the average customer')
    >>> int(cards.loc["hibernating", "size"]), cards.loc["hibernating", "city"]
    (6, 'Paris (67 %; base 50 %)')
    >>> cards.loc["hibernating", "action"][:24]
    'Run a low-cost win-back '
    """
    check_frame(data, name="data")
    validate_params(
        {"top": top, "min_difference": min_difference},
        {"top": [Interval(int, 1, None)], "min_difference": [Interval(float, 0.0, None)]},
        owner="persona_cards",
    )
    described = _columns_param(describe, param="describe")
    clashes = [c for c in described if c in _CARD_COLUMNS]
    if clashes:
        raise ValueError(
            f"persona_cards: describe column {clashes[0]!r} has the name of a card column "
            f"({', '.join(_CARD_COLUMNS)}); rename it first, e.g. "
            f"data.rename(columns={{{clashes[0]!r}: '{clashes[0]}_group'}})"
        )
    if features is None:
        skip = {segment_col, *described}
        chosen = [
            c
            for c in data.columns
            if c not in skip
            and isinstance(c, str)
            and pd.api.types.is_numeric_dtype(data[c].dtype)
            and not pd.api.types.is_bool_dtype(data[c].dtype)
        ]
    else:
        chosen = _columns_param(features, param="features")
        check_columns(data, {f"features[{i}]": c for i, c in enumerate(chosen)}, name="data")
        text = [
            c
            for c in chosen
            if pd.api.types.is_bool_dtype(data[c].dtype)
            or not pd.api.types.is_numeric_dtype(data[c].dtype)
        ]
        if text:
            raise SchemaError(
                f"features column {text[0]!r} has dtype {data[text[0]].dtype}, expected "
                f"numbers: behaviours are compared by their means. Pass it in describe= to "
                f"show its most common value instead"
            )
    check_columns(data, {f"describe[{i}]": c for i, c in enumerate(described)}, name="data")
    # The per-segment statistics are segment_profile's: one implementation of the means,
    # indexes and standardised differences.
    levels = [int(data[c].nunique()) for c in described]
    profile = segment_profile(
        data,
        segment_col=segment_col,
        features=[*chosen, *[c for c in described if c not in chosen]],
        value_col=value_col,
        max_levels=max([20, *levels]),
    )
    columns: dict[str, Any] = {
        "size": profile["size"].to_numpy(dtype=np.int64),
        "share": profile["share"].to_numpy(dtype=np.float64),
    }
    if value_col is not None:
        columns["revenue_share"] = profile["value_share"].to_numpy(dtype=np.float64)
    segments = profile.index
    text_columns: dict[str, list[Any]] = {
        "traits": _traits(profile, chosen, top=top, min_difference=float(min_difference))
    }
    looked_up = _action_table(actions, segments).reindex(pd.Index(segments, dtype=object))
    for field in ("action", "rationale"):  # None, not NaN, where a segment has no text
        text_columns[field] = [
            t if isinstance(t, str) else None for t in looked_up[field].to_numpy(dtype=object)
        ]
    for column in described:  # a loop over the few descriptive columns
        text_columns[column] = _describe(profile, column)
    # Text columns stay object dtype (None where missing) on every pandas version.
    columns.update(
        {
            name: pd.Series(values, index=segments, dtype=object)
            for name, values in text_columns.items()
        }
    )
    out: pd.DataFrame = pd.DataFrame(columns, index=segments)
    return out


def _markdown_text(text: object) -> str:
    """Escape the characters that Markdown would read as markup."""
    out = str(text)
    for char in "\\`*_[]<>|":
        out = out.replace(char, "\\" + char)
    return out


def _summary_line(card: pd.Series) -> str:
    size = int(card["size"])
    parts = [
        f"{size:,} customer{'' if size == 1 else 's'}",
        f"{card['share'] * 100:.1f} % of customers",
    ]
    if "revenue_share" in card.index and pd.notna(card["revenue_share"]):
        parts.append(f"{card['revenue_share'] * 100:.1f} % of revenue")
    return " · ".join(parts)


@frame_boundary("cards", index={"cards": 0})
def render_persona_cards(
    cards: pd.DataFrame, *, to: str = "markdown", layout: str = "cards"
) -> str:
    """Render persona cards as Markdown or HTML, to paste in a report or a wiki.

    No extra package is needed (pandas' own ``to_markdown`` needs ``tabulate``).

    Parameters
    ----------
    cards : DataFrame
        The output of :func:`persona_cards` (possibly edited, sorted or filtered;
        columns other than the card's own are shown as descriptive fields).
    to : {"markdown", "html"}, default="markdown"
        The output format. HTML is escaped and uses ``<section
        class="persona-card">`` per card for styling.
    layout : {"cards", "table"}, default="cards"
        ``"cards"``: one section per segment with a heading, a summary line, the
        behaviours as a list, the action and its rationale, then the descriptive
        fields. ``"table"``: one table row per segment.

    Returns
    -------
    str
        The rendered text, ending with a newline.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import persona_cards, render_persona_cards
    >>> customers = pd.DataFrame({"segment": ["heavy", "light", "light", "light"],
    ...                           "usage_value": [40.0, 2.0, 3.0, 1.0]})
    >>> cards = persona_cards(customers, segment_col="segment", actions="usage")
    >>> print(render_persona_cards(cards).splitlines()[0:4])
    ['### heavy', '', '*1 customer · 25.0 % of customers*', '']
    >>> render_persona_cards(cards, to="html").startswith('<section class="persona-card">')
    True
    """
    check_frame(cards, name="cards")
    validate_params(
        {"to": to, "layout": layout},
        {"to": [Options(("markdown", "html"))], "layout": [Options(("cards", "table"))]},
        owner="render_persona_cards",
    )
    lacking = [c for c in ("size", "share") if c not in cards.columns]
    if lacking:
        raise SchemaError(
            f"cards has no column {lacking[0]!r}; pass the output of persona_cards (edited, "
            f"sorted or filtered as you like, with its 'size' and 'share' columns)"
        )
    extra = [c for c in cards.columns if c not in _CARD_COLUMNS]
    markdown = to == "markdown"
    esc = _markdown_text if markdown else (lambda value: html.escape(str(value)))

    def traits_of(card: pd.Series) -> list[str]:
        found = card["traits"] if "traits" in card.index else ()
        return [esc(t) for t in found] if isinstance(found, (tuple, list)) else []

    def present(card: pd.Series, column: str) -> bool:
        return column in card.index and card[column] is not None and pd.notna(card[column])

    if layout == "table":
        header = ["segment", "customers", "share"]
        has_revenue = "revenue_share" in cards.columns
        header += ["revenue share"] if has_revenue else []
        header += ["behaviours", "action", *[str(c) for c in extra]]
        rows = []
        for name, card in cards.iterrows():  # one row per segment
            cells = [esc(name), f"{int(card['size']):,}", f"{card['share'] * 100:.1f} %"]
            if has_revenue:
                share = card["revenue_share"]
                cells.append(f"{share * 100:.1f} %" if pd.notna(share) else "")
            cells.append("<br>".join(traits_of(card)))
            cells.append(esc(card["action"]) if present(card, "action") else "")
            cells += [esc(card[c]) if present(card, c) else "" for c in extra]
            rows.append(cells)
        if markdown:
            lines = [
                "| " + " | ".join(esc(h) for h in header) + " |",
                "|" + "|".join("---" for _ in header) + "|",
            ]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            return "\n".join(lines) + "\n"
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
        )
        return (
            f'<table class="persona-cards"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>\n"
        )

    blocks = []
    for name, card in cards.iterrows():  # one card per segment
        traits = traits_of(card)
        if markdown:
            lines = [f"### {esc(name)}", "", f"*{_summary_line(card)}*", ""]
            lines += [f"- {t}" for t in traits] + ([""] if traits else [])
            if present(card, "action"):
                lines += [f"**Recommended action:** {esc(card['action'])}", ""]
            if present(card, "rationale"):
                lines += [f"*Why:* {esc(card['rationale'])}", ""]
            lines += [f"**{esc(c)}:** {esc(card[c])}  " for c in extra if present(card, c)]
            blocks.append("\n".join(lines).rstrip())
        else:
            parts = [
                f'<section class="persona-card"><h3>{esc(name)}</h3>',
                f"<p><em>{html.escape(_summary_line(card))}</em></p>",
            ]
            if traits:
                parts.append("<ul>" + "".join(f"<li>{t}</li>" for t in traits) + "</ul>")
            if present(card, "action"):
                parts.append(f"<p><strong>Recommended action:</strong> {esc(card['action'])}</p>")
            if present(card, "rationale"):
                parts.append(f"<p><em>Why:</em> {esc(card['rationale'])}</p>")
            if any(present(card, c) for c in extra):
                parts.append(
                    "<dl>"
                    + "".join(
                        f"<dt>{esc(c)}</dt><dd>{esc(card[c])}</dd>"
                        for c in extra
                        if present(card, c)
                    )
                    + "</dl>"
                )
            parts.append("</section>")
            blocks.append("".join(parts))
    return ("\n\n" if markdown else "\n").join(blocks) + "\n"
