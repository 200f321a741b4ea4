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
    _per_code,
    _prepare_events,
    _unknown_names,
    _value_codes,
)
from ._transactions import _NS_PER_DAY

__all__ = ["brand_table"]


def _names(value: str | Sequence[str], param: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{param}={value!r} must be one or more event names (str)")
    return names


def _first_seen_codes(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes 0, 1, ... in the order each first appears."""
    first = np.full(int(codes.max()) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    out: np.ndarray = rank[codes]
    return out


def _journey_order(group: np.ndarray, ns: np.ndarray, buy: np.ndarray) -> np.ndarray:
    """The rows ordered by (group, time, views before purchases, row), as ``np.lexsort``.

    In a time-ordered log each row gets one int64 key — group, instant number,
    purchase flag and rank within its instant — and a plain sort of the keys (several
    times cheaper than a stable argsort) gives the order; other logs use ``lexsort``.
    """
    n_rows = len(ns)
    if n_rows > 1 and bool(np.all(ns[1:] >= ns[:-1])):
        new_instant = np.ones(n_rows, dtype=bool)
        np.not_equal(ns[1:], ns[:-1], out=new_instant[1:])
        instant = np.cumsum(new_instant) - 1
        instant_start = np.flatnonzero(new_instant)
        rank = np.arange(n_rows) - instant_start[instant]
        n_instants, width = len(instant_start), int(rank.max()) + 1
        n_groups = int(group.max()) + 1
        if n_groups * n_instants * 2 * width < np.iinfo(np.int64).max:
            key = group * np.int64(n_instants) + instant
            key *= 2
            key += buy
            key *= width
            key += rank
            key.sort()
            rank = key % width
            key //= 2 * width
            instant = key % n_instants
            order: np.ndarray = instant_start[instant] + rank
            return order
    order = np.lexsort((buy, ns, group))
    return order


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
    frame = log.frame
    # Each distinct event name is looked up once; rows read their role by code.
    event_codes, event_names = _value_codes(frame[event_col])
    view_table = np.asarray(event_names.isin(views_names))
    buy_table = np.asarray(event_names.isin(buy_names))
    is_view = _per_code(view_table, event_codes, False)
    is_buy = _per_code(buy_table, event_codes, False)
    known = view_table | buy_table | np.asarray(event_names.isin(ignored))
    n_unknown, shown = _unknown_names(event_codes, event_names, ~known)
    del event_codes
    if n_unknown:
        warn_excluded(
            n_unknown,
            f"rows have event names that are neither views nor purchases (e.g. {shown}) "
            f"and were ignored; list them in ignore_events to silence this",
        )
    brand_known = frame[brand_col].notna().to_numpy()
    keep = is_view | (is_buy & brand_known)
    warn_excluded(
        int((is_buy & ~brand_known).sum()),
        f"purchase rows have no brand in column {brand_col!r} and were excluded",
    )
    if category_col is not None:
        has_category = frame[category_col].notna().to_numpy()
        warn_excluded(
            int((keep & ~has_category).sum()),
            f"view or purchase rows have no category in column {category_col!r} and were excluded",
        )
        keep &= has_category
    n_customers = len(log.customers)
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

    # --- rows kept, ordered by (customer x category, time, views before purchases) ----
    rows = np.flatnonzero(keep)
    codes = log.codes[rows]
    buy = is_buy[rows]
    if category_col is not None:
        category = _first_seen_codes(_value_codes(frame[category_col])[0][rows])
        group = codes * np.int64(category.max() + 1) + category
    else:
        group = codes
    ns = log.ns[rows]
    order = _journey_order(group, ns, buy)
    rows, codes, buy, group, ns = rows[order], codes[order], buy[order], group[order], ns[order]
    del order
    brand = _value_codes(frame[brand_col])[0][rows]  # -1 for a missing brand

    # Purchase k of a group owns the views logged after purchase k-1 and up to it.
    before = np.cumsum(buy) - buy  # purchases strictly before the row (whole log)
    starts = np.ones(len(group), dtype=bool)  # rows that start a group (groups are sorted)
    np.not_equal(group[1:], group[:-1], out=starts[1:])
    group_index = np.cumsum(starts) - 1
    group_first = np.flatnonzero(starts)[group_index]
    within = before - before[group_first]  # purchases before the row in its group
    per_group = np.bincount(group_index, weights=buy)  # purchases per group
    in_journey = ~buy & (within < per_group[group_index])
    n_buys = int(buy.sum())
    if window_ns is not None:  # the journey's purchase: the next purchase row of the group
        next_buy = np.flatnonzero(buy)[np.minimum(before, n_buys - 1)]
        in_journey &= ns >= ns[next_buy] - window_ns
    journey = before[in_journey]  # index of the purchase whose journey it is
    view_ns = ns[in_journey]

    n_views = np.bincount(journey, minlength=n_buys).astype(np.float64)
    first_view = np.full(n_buys, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_view, journey, view_ns)
    buy_ns = ns[buy]
    consideration = np.where(n_views > 0, (buy_ns - first_view) / _NS_PER_DAY, 0.0)
    named = brand[in_journey] >= 0
    brands_viewed = _count_distinct_pairs(journey[named], brand[in_journey][named], n_buys)

    buyer = codes[buy]  # customer code of every purchase, in journey order
    n_purchases = np.bincount(buyer, minlength=n_customers)
    data: dict[str, np.ndarray] = {"n_purchases": n_purchases}

    def mean(values: np.ndarray) -> np.ndarray:
        total = np.bincount(buyer, weights=values, minlength=n_customers)
        out: np.ndarray = total / np.maximum(n_purchases, 1)
        return out

    data["views_per_purchase"] = mean(n_views)
    data["consideration_days"] = mean(consideration)
    if price_col is not None:
        price_rows = frame[price_col].iloc[rows]
        paid = check_numeric(price_rows.loc[buy], column=price_col, min_value=0.0)
        viewed = price_rows.to_numpy(dtype=np.float64, na_value=np.nan)[in_journey]
        bad = np.isinf(viewed) | (viewed < 0)
        if bad.any():
            raise DataValidationError(
                f"column {price_col!r} has {int(bad.sum())} negative or infinite prices on "
                f"views; prices must be >= 0 (missing prices on views are allowed)"
            )
        positive = viewed > 0  # False for NaN
        cheapest = np.full(n_buys, np.inf)
        np.minimum.at(cheapest, journey[positive], viewed[positive])
        cheapest = np.minimum(cheapest, np.where(paid > 0, paid, np.inf))
        with np.errstate(divide="ignore", invalid="ignore"):
            premium = np.where(paid > 0, paid / cheapest - 1.0, 0.0)
        data["avg_order_value"] = mean(paid)
        data["price_premium"] = mean(premium)
    data["brands_viewed_per_purchase"] = mean(brands_viewed.astype(np.float64))

    buy_brand = brand[buy]
    buy_group = group[buy]
    data["distinct_brands"] = _count_distinct_pairs(buyer, buy_brand, n_customers)
    pair_key = buy_group * np.int64(buy_brand.max() + 1) + buy_brand
    keys, counts = np.unique(pair_key, return_counts=True)
    key_group = keys // np.int64(buy_brand.max() + 1)
    groups, key_group_index = np.unique(key_group, return_inverse=True)
    top = np.zeros(len(groups), dtype=np.int64)
    np.maximum.at(top, key_group_index, counts)
    group_customer = codes[np.searchsorted(group, groups)]
    top_total = np.bincount(group_customer, weights=top, minlength=n_customers)
    data["top_brand_share"] = top_total / np.maximum(n_purchases, 1)

    repeat = np.r_[False, buy_group[1:] == buy_group[:-1]]  # same group as the previous buy
    switch = repeat & np.r_[False, buy_brand[1:] != buy_brand[:-1]]
    pairs = np.bincount(buyer[repeat], minlength=n_customers).astype(np.float64)
    switches = np.bincount(buyer[switch], minlength=n_customers).astype(np.float64)
    pooled = switches.sum() / pairs.sum() if pairs.sum() > 0 else 0.0
    data["brand_switching_rate"] = (switches + pooled) / (pairs + 1.0)

    out = pd.DataFrame(data, index=log.customers)
    result: pd.DataFrame = out.loc[bought]
    return result
