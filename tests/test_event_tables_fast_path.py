"""``engagement_table`` and ``category_table`` give exactly what the plain pandas way gives.

Both summaries code every distinct event or category name once and reduce over dense
customer codes. Each test below restates the documented rules the straightforward
way (``isin``, ``map``, ``value_counts``, ``groupby``) and requires bit-identical
tables, and the same counts in the warnings, on random logs: sorted and shuffled,
compact, sparse and string ids, missing ids, ties, repeated rows, missing names,
several time units and zones, and names as object strings, pandas strings (Python
and pyarrow) and Categorical. Sums are restated as sums in row order (one
``bincount`` per group), which is what the tables promise to stay identical to.
"""

from __future__ import annotations

import re
import warnings
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning
from behaviorseg.summaries import _categories, _engagement, category_table, engagement_table
from test_events_fast_path import NS_PER_DAY, _ns, _row_sum, logs

#: Interaction weights over the random logs' event names ("ad" and "newsletter" are
#: left out of some, so that rows are ignored): whole numbers, fractions, a mapping.
WEIGHTS: tuple[Any, ...] = (
    (("session", 0.0), ("view", 1.0), ("purchase", 3.0), ("cart", 5.0)),
    (("view", 0.1), ("session", 0.0), ("cart", 0.7), ("purchase", 2.5), ("ad", 1.3)),
    {"purchase": 4.0, "view": 1.0, "session": 0.5, "newsletter": 0.25, "ad": 2.0, "cart": 3.0},
)
RATE_EVENTS = ("session", "view", "purchase")  # delivered, open, click
DURATIONS = (("30D", 30.0), ("36h", 1.5), (7, 7.0), (pd.Timedelta(hours=12), 0.5))


def _with_missing_ids(log: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """The log with about ``fraction`` of its customer ids missing (never all of them)."""
    if not fraction:
        return log
    rng = np.random.default_rng(len(log))
    missing = rng.random(len(log)) < fraction
    missing[0] = False
    ids = log["customer_id"]
    ids = ids.astype(np.float64) if ids.dtype.kind in "iu" else ids.astype(object)
    return log.assign(customer_id=ids.mask(missing))


def _with_window_edges(log: pd.DataFrame, as_of: pd.Timestamp, days: float) -> pd.DataFrame:
    """The log and copies of its first rows exactly one and two windows before ``as_of``.

    Unchanged where those instants do not fit the column's unit (``as_of`` in between).
    """
    edges = log.iloc[:2]
    stamps = pd.Series(
        [as_of - pd.Timedelta(days=days * (i + 1)) for i in range(len(edges))], index=edges.index
    )
    fitted = stamps.astype(log["timestamp"].dtype)
    if not (fitted == stamps).all():
        return log
    return pd.concat([log, edges.assign(timestamp=fitted)], ignore_index=True)


def _run(fn: Any, *args: Any, **kwargs: Any) -> tuple[pd.DataFrame, dict[str, int]]:
    """The table and the count of each RowsExcludedWarning, keyed by its message's words."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out: pd.DataFrame = fn(*args, **kwargs)
    counts = {}
    for w in caught:
        assert issubclass(w.category, RowsExcludedWarning), w.message
        count, text = str(w.message).split(" ", 1)
        counts[re.sub(r" \(.*", "", text)[:40]] = int(count)
    return out, counts


def _warned(counts: dict[str, int], words: str) -> int:
    """The count of the warning whose message starts with ``words`` (0 if none)."""
    found = [count for text, count in counts.items() if text.startswith(words)]
    assert len(found) <= 1
    return found[0] if found else 0


def _sorted_ids(ids: pd.Series) -> pd.Index:
    """The distinct customer ids, sorted, in the column's dtype."""
    return pd.Index(sorted(ids.unique()), dtype=ids.dtype, name="customer_id")


def _age_days(as_of: pd.Timestamp, ns: np.ndarray) -> np.ndarray:
    """Days from ``ns`` to ``as_of``: the exact nanosecond difference, divided."""
    out: np.ndarray = (_ns(pd.Series([as_of]))[0] - ns) / NS_PER_DAY
    return out


def _last_days(rows: pd.DataFrame, everyone: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    """Days from each customer's last row to ``as_of`` (NaN without rows)."""
    last = rows.groupby("customer_id")["timestamp"].max().reindex(everyone)
    last_ns = _ns(last.fillna(as_of))
    out: np.ndarray = np.where(last.isna().to_numpy(), np.nan, _age_days(as_of, last_ns))
    return out


def _reference_engagement(
    log: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None,
    weights: Any,
    half_life_days: float,
    window_days: float,
    channel: str | None,
) -> tuple[pd.DataFrame, int]:
    """engagement_table's documented rules, the plain pandas way, and the ignored rows."""
    rows = log.loc[log["customer_id"].notna()]
    as_of = rows["timestamp"].max() if as_of is None else as_of
    rows = rows.loc[rows["timestamp"] <= as_of]
    everyone = _sorted_ids(rows["customer_id"])
    weight_of = dict(weights)
    names = list(weight_of)
    is_known = rows["event"].astype(object).isin(names).to_numpy()
    known = rows.loc[is_known]
    kind = known["event"].astype(object)
    ids = known["customer_id"]
    age = _age_days(as_of, _ns(known["timestamp"]))
    weight = kind.map(weight_of).to_numpy(dtype=np.float64)
    recent = age < window_days
    earlier = ~recent & (age < 2 * window_days)
    delivered, opened, clicked = RATE_EVENTS

    def per_customer(mask: Any) -> pd.Series:
        counted: pd.Series = ids[mask].value_counts().reindex(everyone, fill_value=0)
        return counted.astype(np.int64)

    count = {name: per_customer((kind == name).to_numpy()) for name in names}

    def summed(mask: Any, values: np.ndarray) -> np.ndarray:
        # float even where no row is summed (np.bincount of no rows gives ints)
        return _row_sum(ids[mask], values[mask], everyone).astype(np.float64)

    data: dict[str, Any] = {
        # 0.5 ** (age / half_life), written exp2(-age / half_life) as the table computes it
        "engagement_score": summed(slice(None), weight * np.exp2(-age / half_life_days)),
        "earlier_score": summed(earlier, weight),
        "recent_score": summed(recent, weight),
        "recent_delivered": per_customer(recent & (kind == delivered).to_numpy()).to_numpy(),
    }
    for name in names:
        data[f"n_{name}"] = count[name].to_numpy()
    for label, num, den in (
        ("open_rate", opened, delivered),
        ("click_rate", clicked, delivered),
        ("click_to_open_rate", clicked, opened),
    ):
        data[label] = (count[num] / count[den].where(count[den] > 0)).to_numpy()
    acted = known.loc[(kind != delivered).to_numpy()]
    data["days_since_last_interaction"] = _last_days(acted, everyone, as_of)
    if channel is not None:
        channels = acted[channel].astype(object)
        for name in sorted(set(channels.dropna())):
            on = (channels == name).to_numpy()
            data[f"days_since_last_{name}"] = _last_days(acted.loc[on], everyone, as_of)
    return pd.DataFrame(data, index=everyone), int((~is_known).sum())


@settings(max_examples=200, deadline=None)
@given(
    log=logs,
    missing_ids=st.sampled_from([0.0, 0.1]),
    cut=st.one_of(st.none(), st.floats(0.3, 1.0)),
    weights=st.sampled_from(WEIGHTS),
    half_life=st.sampled_from(DURATIONS),
    window=st.sampled_from(DURATIONS),
    channel=st.sampled_from([None, "feature", "brand"]),
    block_rows=st.sampled_from([_engagement._BLOCK_ROWS, 7]),
    fast_at=st.booleans(),
)
def test_engagement_table_is_bit_identical_to_the_pandas_restatement(
    log, missing_ids, cut, weights, half_life, window, channel, block_rows, fast_at
):
    """Scores, counts, rates and days since equal a map / value_counts / groupby exactly.

    Also when the rows are read in many small blocks (sums carry over in row order),
    and in the one block of ``np.bincount`` that numpy < 1.25 gets.
    """
    log = _with_missing_ids(log, missing_ids)
    times = log["timestamp"]
    as_of = None if cut is None else times.min() + (times.max() - times.min()) * cut
    log = _with_window_edges(log, times.max() if as_of is None else as_of, window[1])
    with (
        patch.object(_engagement, "_BLOCK_ROWS", block_rows),
        patch.object(_engagement, "_FAST_AT", fast_at),
    ):
        out, warned = _run(
            engagement_table,
            log,
            as_of=as_of,
            weights=weights,
            half_life=half_life[0],
            recent_window=window[0],
            rate_events=RATE_EVENTS,
            channel_col=channel,
        )
    ref, ignored = _reference_engagement(
        log,
        as_of=as_of,
        weights=weights,
        half_life_days=half_life[1],
        window_days=window[1],
        channel=channel,
    )
    pd.testing.assert_frame_equal(out, ref, check_exact=True)
    assert _warned(warned, "rows have event names not in weights") == ignored
    assert _warned(warned, "rows have no customer id") == int(log["customer_id"].isna().sum())


def _amounts(log: pd.DataFrame, kind: str) -> pd.Series:
    """Line amounts: whole tens with zeros, or fractions with zeros, -0.0 and returns."""
    if kind == "tens":
        return log["price"]
    out: pd.Series = (log["price"] / 7.0 - 1.0).where(log["value"] > 0, log["value"])
    return out


def _reference_categories(
    log: pd.DataFrame, *, category_col: str, amount_col: str | None, categories: Any
) -> tuple[pd.DataFrame | None, dict[str, int]]:
    """category_table's documented rules, the plain pandas way, and its warning counts.

    The table is None where there is nothing to share out (the function raises).
    """
    counts: dict[str, int] = {}
    rows = log.loc[log["customer_id"].notna()]
    counts["rows have no customer id"] = len(log) - len(rows)
    counts["rows have no category"] = int(rows[category_col].isna().sum())
    rows = rows.loc[rows[category_col].notna()]
    if amount_col is not None:
        counts["rows have a negative amount"] = int((rows[amount_col] < 0).sum())
        rows = rows.loc[rows[amount_col] >= 0]
    labels = rows[category_col]
    if categories is not None:
        kinds = list(categories)
        listed = labels.astype(object).isin(kinds).to_numpy()
        counts["rows have a category in column"] = int((~listed).sum())
        rows, labels = rows.loc[listed], labels.loc[listed]
    elif isinstance(labels.dtype, pd.CategoricalDtype):  # sorted = in category order
        kinds = [c for c in labels.cat.categories if c in set(labels)]
    else:
        kinds = sorted(set(labels.astype(object)))
    if rows.empty:
        return None, counts
    everyone = _sorted_ids(rows["customer_id"])
    values = np.ones(len(rows)) if amount_col is None else rows[amount_col].to_numpy()
    ids, named = rows["customer_id"], labels.astype(object)
    sums = np.column_stack(
        [_row_sum(ids[(named == c).to_numpy()], values[(named == c).to_numpy()], everyone)
         for c in kinds]
    )  # fmt: skip
    total = sums.sum(axis=1)
    positive = total > 0
    counts["customers have a total of 0"] = int((~positive).sum())
    if not positive.any():
        return None, counts
    shares = sums[positive] / total[positive, None]
    out = pd.DataFrame(
        {f"share_{c}": shares[:, j] for j, c in enumerate(kinds)}, index=everyone[positive]
    )
    # The categories of dominant_category: those of a Categorical column, unused ones
    # included; else the share columns' categories, in the column's string dtype.
    if categories is None and isinstance(labels.dtype, pd.CategoricalDtype):
        dtype = pd.CategoricalDtype(labels.cat.categories)
    else:
        same = categories is None and labels.dtype != object
        dtype = pd.CategoricalDtype(pd.Index(kinds, dtype=labels.dtype if same else None))
    out["dominant_category"] = pd.Categorical.from_codes(np.argmax(shares, axis=1), dtype=dtype)
    out["n_categories"] = (shares > 0).sum(axis=1).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(shares > 0, shares * np.log2(shares), 0.0)
    out["category_entropy"] = np.maximum(-plogp.sum(axis=1), 0.0)
    if amount_col is not None:
        out["total_spend"] = total[positive]
    else:
        out["n_lines"] = total[positive].astype(np.int64)
    return out, counts


@settings(max_examples=200, deadline=None)
@given(
    log=logs,
    missing_ids=st.sampled_from([0.0, 0.1]),
    category_col=st.sampled_from(["category", "feature", "brand"]),
    amounts=st.sampled_from([None, "tens", "fractions"]),
    categories=st.sampled_from([None, ("b", "a", "q"), ("z", "x"), ("food", "tv", "a")]),
    block_customers=st.sampled_from([_categories._BLOCK_CUSTOMERS, 3]),
)
def test_category_table_is_bit_identical_to_the_pandas_restatement(
    log, missing_ids, category_col, amounts, categories, block_customers
):
    """Shares, dominant category, breadth, entropy and warnings equal the groupby way.

    Also when the entropy is summed over many small blocks of customers.
    """
    log = _with_missing_ids(log, missing_ids)
    amount_col = None
    if amounts is not None:
        log, amount_col = log.assign(amount=_amounts(log, amounts)), "amount"
    options = {"category_col": category_col, "amount_col": amount_col, "categories": categories}
    ref, expected = _reference_categories(log, **options)
    if ref is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(DataValidationError):
                category_table(log, **options)
        return
    with patch.object(_categories, "_BLOCK_CUSTOMERS", block_customers):
        out, warned = _run(category_table, log, **options)
    pd.testing.assert_frame_equal(out, ref, check_exact=True)
    for words, count in expected.items():
        assert _warned(warned, words) == count, words


def test_category_table_numbers_unsortable_ids_by_their_first_kept_line():
    """Ids that do not sort keep the order of their first line that counts (not a return)."""
    day = pd.Timestamp("2024-01-01")
    lines = pd.DataFrame(
        {
            "customer_id": pd.Series([day, 7, day, (1, 2), 7], dtype=object),
            "category": ["a", "b", "a", "b", "a"],
            "amount": [-5.0, 10.0, 2.0, 4.0, 1.0],  # day's first line is a return
        }
    )
    out, warned = _run(category_table, lines, category_col="category", amount_col="amount")
    assert out.index.tolist() == [7, day, (1, 2)]
    assert out["share_a"].tolist() == [1.0 / 11.0, 1.0, 0.0]
    assert _warned(warned, "rows have a negative amount") == 1
