"""Browsing + purchase logs with brands → one row per buyer: ``brand_table``.

The table holds the behavioural proxies of Assael's buying-behaviour model: how much
research precedes a purchase (involvement) and how the buyer chooses among brands
(perceived brand differences). Every purchase has a *journey*: the views logged since
the customer's previous purchase (in the same category when ``category_col`` is
given), up to and including the purchase instant. All reductions are whole-column
numpy operations over dense codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import as_duration, check_numeric, warn_excluded
from ..exceptions import DataValidationError
from ._events import (
    _count_distinct_pairs,
    _name_index,
    _prepare_events,
    _unknown_rows,
    _value_codes,
)
from ._transactions import _NS_PER_DAY, _epoch_ticks, _instant_keys

__all__ = ["brand_table"]

#: Largest journey sort key; groups are renumbered densely when theirs would not fit.
_KEY_LIMIT = int(np.iinfo(np.int64).max)


def _names(value: str | Sequence[str], param: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{param}={value!r} must be one or more event names (str)")
    return names


def _brand_options(
    view_events: str | Sequence[str],
    purchase_events: str | Sequence[str],
    ignore_events: str | Sequence[str],
    journey_window: Any,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], int | None]:
    """Check the options of a brand table (pandas or Spark).

    Returns the view, purchase and ignored names, and the journey window in
    nanoseconds (None: no window).
    """
    window_ns = None
    if journey_window is not None:
        window_ns = int(as_duration(journey_window, "journey_window").as_unit("ns").value)
    views_names = _names(view_events, "view_events")
    buy_names = _names(purchase_events, "purchase_events")
    ignored = (ignore_events,) if isinstance(ignore_events, str) else tuple(ignore_events)
    clash = sorted(set(views_names) & set(buy_names))
    if clash:
        raise ValueError(f"view_events and purchase_events both list {clash}; list each once")
    clash = sorted(set(ignored) & (set(views_names) | set(buy_names)))
    if clash:
        raise ValueError(f"ignore_events lists {clash}, which are views or purchases")
    return views_names, buy_names, ignored, window_ns


def _first_seen_codes(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes 0, 1, ... in the order each first appears."""
    first = np.full(int(codes.max()) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    out: np.ndarray = rank[codes]
    return out


def _take(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """``values[rows]``, or ``values`` itself when ``rows`` is None (every row)."""
    return values if rows is None else values[rows]


def _small_codes(codes: np.ndarray) -> np.ndarray:
    """The codes (-1 for a missing value) in the smallest signed integer type that holds them."""
    top = int(codes.max()) if len(codes) else 0
    for dtype in (np.int8, np.int16, np.int32):
        if top <= np.iinfo(dtype).max:
            small: np.ndarray = codes.astype(dtype)
            return small
    return codes


def _time_order(ticks: np.ndarray) -> np.ndarray | None:
    """Positions of the rows in time order (stable), or None when they already are.

    ``ticks`` are the times as integers in one unit. Sorts one packed (instant, row)
    key per row (a plain sort, several times cheaper than a stable argsort) when it
    fits in int64.
    """
    n_rows = len(ticks)
    if n_rows < 2 or bool(np.all(ticks[1:] >= ticks[:-1])):
        return None
    dtype = np.int32 if n_rows < np.iinfo(np.int32).max else np.int64
    packed = _instant_keys(ticks, np.arange(n_rows, dtype=dtype), np.int64(n_rows))
    if packed is None:
        return np.argsort(ticks, kind="stable").astype(dtype)
    key = packed[0]
    del packed
    key.sort()
    key %= n_rows  # the row number, below the instant
    order: np.ndarray = key.astype(dtype)
    return order


def _late_views(ticks: np.ndarray, buy: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Where a time-ordered log logs a purchase before a view of the same instant.

    Journeys put the views of an instant before its purchases. Returns the rows of
    the instants concerned (``slots``, ascending) and the row that goes to each slot
    (the views, then the purchases, each in row order), or None if there are none.
    Only those instants are visited: their bounds are found by binary search.
    """
    late = buy[:-1] & ~buy[1:]  # a purchase followed by a view ...
    late &= ticks[1:] == ticks[:-1]  # ... of the same instant
    if not late.any():
        return None
    instants = ticks[:-1][late]  # ascending: keep each instant once
    instants = instants[np.r_[True, instants[1:] != instants[:-1]]]
    start = np.searchsorted(ticks, instants, side="left")
    length = np.searchsorted(ticks, instants, side="right") - start
    instant = np.repeat(np.arange(len(instants)), length)
    slots = np.arange(len(instant)) + np.repeat(start - (np.cumsum(length) - length), length)
    moved = slots[np.lexsort((buy[slots], instant))]
    return slots, moved


@frame_boundary("events")
def brand_table(
    events: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    event_col: str = "event",
    brand_col: str = "brand",
    price_col: str | None = "price",
    category_col: str | None = None,
    view_events: str | Sequence[str] = ("view",),
    purchase_events: str | Sequence[str] = ("purchase",),
    ignore_events: str | Sequence[str] = (),
    journey_window: Any = "30D",
    as_of: Any = None,
) -> pd.DataFrame:
    """Summarise a browsing + purchase log into pre-purchase research and brand choice per buyer.

    Parameters
    ----------
    events : DataFrame
        One row per event (a product view or a purchased item), with a customer
        id, a timestamp, an event name, the brand of the product and, optionally,
        its price and category. Not modified.
    customer_col, time_col, event_col, brand_col : str
        Column names.
    price_col : str or None, default="price"
        Price of the product viewed or bought (finite, >= 0 for purchases; may be
        missing on views). ``None`` leaves out ``avg_order_value`` and
        ``price_premium``.
    category_col : str or None, default=None
        Product category. With it, journeys and brand switching are measured
        within each category (switching from a TV brand to a toothpaste brand is
        not brand switching); without it the whole log is one category.
    view_events, purchase_events : str or sequence of str
        Event names of product views and of purchases.
    ignore_events : str or sequence of str, default=()
        Other event names known to play no role here (e.g. ``"add_to_cart"``):
        ignored silently. Other unknown names are ignored with a
        :class:`~behaviorseg.exceptions.RowsExcludedWarning` that counts them.
    journey_window : str, Timedelta, number of days or None, default="30D"
        A view belongs to a purchase's journey only if it falls within this
        lookback before the purchase (like an attribution window), so that a stray
        view months earlier does not count as research. ``None``: every view since
        the previous purchase.
    as_of : date-like or None
        End of the observation, inclusive; later rows are excluded with a
        warning. Default: the last timestamp in the log.

    Returns
    -------
    DataFrame
        One row per customer with at least one purchase (index named
        ``customer_col``, sorted), with:

        - ``n_purchases`` (int): purchased items.
        - ``views_per_purchase`` (float): views in the purchases' journeys per
          purchase (views after the last purchase belong to no journey yet).
        - ``consideration_days`` (float): mean over purchases of the days from the
          first view of the journey to the purchase (0 when nothing was viewed).
        - ``avg_order_value`` (float, with ``price_col``): mean price paid.
        - ``price_premium`` (float, with ``price_col``): mean over purchases of
          ``price paid / cheapest positive price seen in the journey - 1``: 0 when
          the buyer took the cheapest option they looked at (or looked at nothing
          else), 0.25 when they paid 25 % more than the cheapest option viewed.
        - ``brands_viewed_per_purchase`` (float): mean number of distinct brands
          viewed in a journey.
        - ``distinct_brands`` (int): distinct brands bought.
        - ``top_brand_share`` (float): share of the purchases that went to the
          customer's most-bought brand (per category, then pooled).
        - ``brand_switching_rate`` (float): share of consecutive purchases (in the
          same category) whose brand differs, shrunk toward the log-wide rate
          ``p`` with one pseudo-observation: ``(switches + p) / (pairs + 1)``.
          One-time buyers, who show no switching behaviour either way, get ``p``.

    Notes
    -----
    Views at the same instant as a purchase belong to its journey. Purchases
    without a brand and, with ``category_col``, rows without a category are
    excluded with a warning that counts them; views without a brand count as
    views but not as a brand viewed. Customers without a purchase (with a brand)
    are left out with a warning that counts them.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import brand_table
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2, 2],
    ...     "timestamp": pd.to_datetime([
    ...         "2024-03-01", "2024-03-04", "2024-03-05", "2024-03-20",
    ...         "2024-03-02", "2024-03-09", "2024-03-16",
    ...     ]),
    ...     "event": ["view", "view", "purchase", "purchase",
    ...               "purchase", "purchase", "purchase"],
    ...     "brand": ["A", "B", "B", "B", "A", "C", "A"],
    ...     "price": [400.0, 500.0, 500.0, 480.0, 3.0, 2.5, 3.0],
    ... })
    >>> brand_table(log).T
    customer_id                         1         2
    n_purchases                  2.000000  3.000000
    views_per_purchase           1.000000  0.000000
    consideration_days           2.000000  0.000000
    avg_order_value            490.000000  2.833333
    price_premium                0.125000  0.000000
    brands_viewed_per_purchase   1.000000  0.000000
    distinct_brands              1.000000  2.000000
    top_brand_share              1.000000  0.666667
    brand_switching_rate         0.333333  0.888889
    """
    views_names, buy_names, ignored, window_ns = _brand_options(
        view_events, purchase_events, ignore_events, journey_window
    )
    log = _prepare_events(
        events,
        customer_col=customer_col,
        time_col=time_col,
        other_cols={
            "event_col": event_col,
            "brand_col": brand_col,
            "price_col": price_col,
            "category_col": category_col,
        },
        as_of=as_of,
    )
    frame, customers = log.frame, log.customers
    # Only the listed names are looked up (Arrow index_in, Categorical codes): each row
    # reads its role from the position of its name in (views, purchases, ignored).
    listed = list(dict.fromkeys([*views_names, *buy_names, *ignored]))
    role = _name_index(frame[event_col], listed)
    n_view_names = len(set(views_names))
    is_view = (role >= 0) & (role < n_view_names)
    is_buy = (role >= n_view_names) & (role < n_view_names + len(set(buy_names)))
    n_unknown, shown = _unknown_rows(frame[event_col], role < 0)
    del role
    if n_unknown:
        warn_excluded(
            n_unknown,
            f"rows have event names that are neither views nor purchases (e.g. {shown}) "
            f"and were ignored; list them in ignore_events to silence this",
        )
    brand_codes = _small_codes(_value_codes(frame[brand_col])[0])  # -1 for a missing brand
    brand_known = brand_codes >= 0
    keep = is_view
    keep |= is_buy & brand_known
    warn_excluded(
        int((is_buy & ~brand_known).sum()),
        f"purchase rows have no brand in column {brand_col!r} and were excluded",
    )
    del brand_known
    if category_col is not None:
        has_category = frame[category_col].notna().to_numpy()
        warn_excluded(
            int((keep & ~has_category).sum()),
            f"view or purchase rows have no category in column {category_col!r} and were excluded",
        )
        keep &= has_category
        del has_category
    n_customers = len(customers)
    bought = np.bincount(log.codes[keep & is_buy], minlength=n_customers) > 0
    if not bought.any():
        raise DataValidationError(
            f"no row of column {event_col!r} is a purchase {list(buy_names)} with a brand; "
            f"check purchase_events and brand_col"
        )
    warn_excluded(
        int((~bought).sum()),
        "customers have no purchase with a brand in the window and were left out of the "
        "table (they have no purchase journey to describe)",
    )

    # --- rows kept, in time order: the key of each is (customer x category, position) ---
    # Positions and purchase numbers are int32 where they fit (half the memory).
    index_dtype = np.int32 if len(keep) < np.iinfo(np.int32).max else np.int64
    kept = None if bool(keep.all()) else np.flatnonzero(keep).astype(index_dtype)
    del keep, is_view
    # Times in the column's own unit (a view, no copy; ns only for the rows read below).
    ticks, step = _epoch_ticks(log.times)
    ticks, buy, group = _take(ticks, kept), _take(is_buy, kept), _take(log.codes, kept)
    del log, is_buy
    n_categories = 1
    if category_col is not None:
        category = _first_seen_codes(_take(_value_codes(frame[category_col])[0], kept))
        n_categories = int(category.max()) + 1
        group = group * np.int64(n_categories) + category
        del category
    order = _time_order(ticks)
    if order is not None:  # one array at a time: each replaces its unordered self
        kept = order if kept is None else kept[order]
        ticks = ticks[order]
        buy = buy[order]
        group = group[order]
        del order
    n_rows = len(ticks)
    group_ids = None  # group number -> group value, when the values had to be renumbered
    if (int(group.max()) + 1) * 2 * n_rows > _KEY_LIMIT:
        group_ids, group = np.unique(group, return_inverse=True)
    # Sorting (group, position, purchase flag) keys gives the journey order: by group,
    # time, views before purchases at an instant, then row. A row's position is its
    # place in (time, views first, row) order: its own row number but where a purchase
    # is logged before a view of its instant; ``kept`` maps positions back to rows.
    key = group * np.int64(2 * n_rows)
    del group
    key += np.arange(0, 2 * n_rows, 2)
    key += buy
    late = _late_views(ticks, buy)
    del buy
    if late is not None:
        slots, moved = late
        key[moved] += 2 * (slots - moved)
        if kept is None:
            kept = np.arange(n_rows, dtype=index_dtype)
        kept[slots] = kept[moved]  # our own array: rows of positions
        del late, slots, moved
    key.sort()
    is_buy_row = np.bitwise_and(key, 1, out=np.empty(n_rows, np.int8), casting="unsafe")
    is_buy_row = is_buy_row.view(bool)
    key >>= 1  # group * n_rows + position
    buy_key = key[is_buy_row]
    view_key = key[~is_buy_row]
    del key
    # Purchase k (in journey order) owns the views of its group after purchase k-1 and up
    # to it: a view's purchase is the number of purchases sorted before it.
    journey = np.cumsum(is_buy_row, dtype=index_dtype)[~is_buy_row]
    del is_buy_row
    n_buys = len(buy_key)
    buy_position = (buy_key % n_rows).astype(index_dtype)
    buy_group = buy_key // n_rows
    # The view's purchase is of its group if the view's key is not below the group's
    # first key (a view after the last purchase reads the sentinel).
    group_start = np.append(buy_key - buy_position, np.iinfo(np.int64).max)
    del buy_key
    in_journey = view_key >= group_start[journey]
    del group_start
    view_key %= n_rows
    view_position = view_key.astype(index_dtype)[in_journey]
    del view_key
    journey = journey[in_journey]
    del in_journey
    buy_ns = ticks[buy_position] * np.int64(step)
    view_ns = ticks[view_position] * np.int64(step)
    del ticks
    if window_ns is not None:
        within = view_ns >= (buy_ns - window_ns)[journey]
        journey = journey[within]
        view_position = view_position[within]
        view_ns = view_ns[within]
        del within
    view_rows = view_position if kept is None else kept[view_position]
    buy_rows = buy_position if kept is None else kept[buy_position]
    del view_position, buy_position, kept

    # Journeys are contiguous runs of views in time order: the first is the earliest.
    n_views = np.bincount(journey, minlength=n_buys).astype(np.float64)
    first = np.ones(len(journey), dtype=bool)
    np.not_equal(journey[1:], journey[:-1], out=first[1:])
    first_view = np.zeros(n_buys, dtype=np.int64)
    first_view[journey[first]] = view_ns[first]
    del first, view_ns
    consideration = np.where(n_views > 0, (buy_ns - first_view) / _NS_PER_DAY, 0.0)
    del first_view, buy_ns
    view_brand = brand_codes[view_rows]
    named = view_brand >= 0
    brands_viewed = _count_distinct_pairs(journey[named], view_brand[named], n_buys)
    del view_brand, named

    buyer = buy_group // np.int64(n_categories) if group_ids is None else None
    if buyer is None:
        assert group_ids is not None
        buyer = group_ids[buy_group] // np.int64(n_categories)
    n_purchases = np.bincount(buyer, minlength=n_customers)
    data: dict[str, np.ndarray] = {"n_purchases": n_purchases}

    def mean(values: np.ndarray) -> np.ndarray:
        total = np.bincount(buyer, weights=values, minlength=n_customers)
        out: np.ndarray = total / np.maximum(n_purchases, 1)
        return out

    data["views_per_purchase"] = mean(n_views)
    data["consideration_days"] = mean(consideration)
    del n_views, consideration
    if price_col is not None:
        prices = frame[price_col]
        paid = check_numeric(prices.iloc[buy_rows], column=price_col, min_value=0.0)
        if isinstance(prices.dtype, np.dtype) and prices.dtype == np.float64:
            viewed = prices.to_numpy()[view_rows]  # a view of the column, then a gather
        else:
            viewed = prices.iloc[view_rows].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isinf(viewed) | (viewed < 0)
        if bad.any():
            raise DataValidationError(
                f"column {price_col!r} has {int(bad.sum())} negative or infinite prices on "
                f"views; prices must be >= 0 (missing prices on views are allowed)"
            )
        positive = viewed > 0  # False for NaN
        priced = journey[positive]
        viewed = viewed[positive]
        del positive
        cheapest = np.full(n_buys, np.inf)
        if len(priced):
            runs = np.flatnonzero(np.r_[True, priced[1:] != priced[:-1]])
            cheapest[priced[runs]] = np.minimum.reduceat(viewed, runs)
        del viewed, priced
        cheapest = np.minimum(cheapest, np.where(paid > 0, paid, np.inf))
        with np.errstate(divide="ignore", invalid="ignore"):
            premium = np.where(paid > 0, paid / cheapest - 1.0, 0.0)
        data["avg_order_value"] = mean(paid)
        data["price_premium"] = mean(premium)
        del paid, cheapest, premium
    data["brands_viewed_per_purchase"] = mean(brands_viewed.astype(np.float64))
    del journey, view_rows, brands_viewed

    buy_brand = brand_codes[buy_rows]
    del brand_codes, buy_rows
    data["distinct_brands"] = _count_distinct_pairs(buyer, buy_brand, n_customers)
    # Purchases per (group, brand) from the sorted pair keys; the top brand's count per group.
    width = np.int64(int(buy_brand.max()) + 1)
    pairs_sorted = np.sort(buy_group * width + buy_brand)
    pair_starts = np.flatnonzero(np.r_[True, pairs_sorted[1:] != pairs_sorted[:-1]])
    pair_counts = np.diff(np.append(pair_starts, n_buys))
    pair_group = pairs_sorted[pair_starts] // width
    del pairs_sorted, pair_starts
    group_starts = np.flatnonzero(np.r_[True, pair_group[1:] != pair_group[:-1]])
    top = np.maximum.reduceat(pair_counts, group_starts)
    groups = pair_group[group_starts]
    del pair_counts, pair_group, group_starts
    group_customer = (groups if group_ids is None else group_ids[groups]) // n_categories
    top_total = np.bincount(group_customer, weights=top, minlength=n_customers)
    data["top_brand_share"] = top_total / np.maximum(n_purchases, 1)
    del groups, top, group_customer, top_total

    repeat = np.r_[False, buy_group[1:] == buy_group[:-1]]  # same group as the previous buy
    switch = repeat & np.r_[False, buy_brand[1:] != buy_brand[:-1]]
    pairs = np.bincount(buyer[repeat], minlength=n_customers).astype(np.float64)
    switches = np.bincount(buyer[switch], minlength=n_customers).astype(np.float64)
    del buy_group, buy_brand, repeat, switch
    pooled = switches.sum() / pairs.sum() if pairs.sum() > 0 else 0.0
    data["brand_switching_rate"] = (switches + pooled) / (pairs + 1.0)

    table: pd.DataFrame = pd.DataFrame({name: values[bought] for name, values in data.items()})
    table.index = customers[bought]
    return table
