"""Shared hypothesis strategies: small, messy transaction logs.

The logs are deliberately awkward: a few customers, a small pool of instants (so rows
repeat the same instant and the same day), optional order ids shared by several rows,
zero amounts, negative amounts (returns), customers with only returns, and a
non-default row index. Every log has at least one row with amount >= 0, so at least
one customer has a purchase and the summaries have something to return.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

__all__ = ["BASE", "amounts", "transaction_logs"]

#: Origin of every generated log (a Monday, so weekly periods start cleanly a week later).
BASE = pd.Timestamp("2024-01-01")

#: Instants are whole minutes within this many days of ``BASE``.
SPAN_DAYS = 40


def amounts(*, negative: bool = True, zero: bool = True) -> st.SearchStrategy[float]:
    """Amounts in whole cents; zero and negative values (returns) on request."""
    low = -5_000 if negative else (0 if zero else 1)
    cents = st.integers(low, 20_000)
    if not zero:
        cents = cents.filter(lambda c: c != 0)
    values = cents.map(lambda c: c / 100)
    return st.one_of(st.just(0.0), values) if zero else values


@st.composite
def transaction_logs(
    draw: st.DrawFn,
    *,
    max_customers: int = 4,
    max_rows: int = 25,
    negative: bool = True,
    zero: bool = True,
    orders: bool = False,
    string_ids: bool = False,
    tz: str | None = None,
) -> pd.DataFrame:
    """A transaction log with columns ``customer_id``, ``timestamp``, ``amount`` (, ``order_id``).

    Parameters
    ----------
    draw : callable
        Supplied by hypothesis.
    max_customers, max_rows : int
        Upper bounds on the number of distinct customers and of rows.
    negative, zero : bool
        Whether negative amounts (returns) and zero amounts may appear.
    orders : bool
        Add an ``order_id`` column (strings); an order may span several rows and
        several instants of one customer.
    string_ids : bool
        Customer ids are strings instead of ints.
    tz : str or None
        Localise the timestamps to this time zone.
    """
    n_customers = draw(st.integers(1, max_customers))
    ids: list[Any] = (
        [f"c{i:02d}" for i in range(n_customers)]
        if string_ids
        else draw(
            st.lists(
                st.integers(1, 10_000), min_size=n_customers, max_size=n_customers, unique=True
            )
        )
    )
    # A small pool of instants (minutes after BASE) so that instants and days repeat.
    pool = draw(st.lists(st.integers(0, SPAN_DAYS * 24 * 60), min_size=1, max_size=8, unique=True))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.sampled_from(pool),
                amounts(negative=negative, zero=zero),
                st.integers(0, 2),
            ),
            min_size=1,
            max_size=max_rows,
        )
    )
    customer, minute, amount, slot = (list(col) for col in zip(*rows, strict=True))
    if all(a < 0 for a in amount):
        amount[0] = -amount[0]  # at least one purchase somewhere
    stamps = BASE + pd.to_timedelta(np.asarray(minute, dtype=np.int64), unit="min")
    if tz is not None:
        stamps = stamps.tz_localize(tz)
    index_kind = draw(st.sampled_from(["range", "reversed", "labels"]))
    n = len(rows)
    index: pd.Index
    if index_kind == "range":
        index = pd.RangeIndex(n)
    elif index_kind == "reversed":
        index = pd.Index(np.arange(n)[::-1] * 3 + 7)
    else:
        index = pd.Index([f"row{i}" for i in range(n)])
    data: dict[str, Any] = {
        "customer_id": customer,
        "timestamp": stamps,
        "amount": np.asarray(amount, dtype=np.float64),
    }
    if orders:
        data["order_id"] = [f"{c}-{s}" for c, s in zip(customer, slot, strict=True)]
    frame: pd.DataFrame = pd.DataFrame(data, index=index)
    return frame
