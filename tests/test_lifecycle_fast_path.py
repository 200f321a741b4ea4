"""The fast ``lifecycle_table`` gives exactly what its documented rules give.

The test below restates the rules of ``lifecycle_table`` the plain pandas way: the
window and the purchase rows by boolean masks, purchases by ``drop_duplicates`` (or a
``groupby`` of orders taking their earliest purchase row), gaps by ``groupby().diff()``
in time order, and per-customer ``median``, ``max`` and last values. It then requires
bit-identical tables on random logs: sorted and shuffled rows, compact, sparse and
string ids (some missing), ties at one instant (within and across customers), several
purchases on one day, customers with 0, 1, 2 and more gaps, returns and customers with
only returns, orders spanning several instants, four time units, naive and aware times,
instants on whole days, whole seconds or finer, and spans from days to centuries, also
with each customer buying in a period of their own: packed int64 keys that fit in the
column's unit, that fit once times are counted in coarser units, and that would overflow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.summaries import lifecycle_table

DAY = pd.Timedelta(days=1)
NS_PER_DAY = 86_400 * 10**9
START = pd.Timestamp("1900-01-01").value  # spans of up to 300 years stay inside ns range


def _random_log(
    seed: int,
    *,
    n_rows: int,
    n_customers: int,
    id_kind: str,
    time_sorted: bool,
    unit: str,
    tz: str | None,
    n_days: int,
    span_days: int,
    resolution: str,
    eras: bool,
) -> pd.DataFrame:
    """A messy log: purchases bunched on a few days (several per day, ties at one instant),
    customers with few rows, returns, zero amounts and orders spanning instants.

    ``resolution``: instants on whole days, whole seconds, or half of them on whole
    seconds and half at the unit's precision. ``eras``: each customer buys in a period
    of their own within the span (short gaps, long span).
    """
    rng = np.random.default_rng(seed)
    # Skewed customers: some have one row, some many, so 0, 1, 2 and more gaps occur.
    customer = np.minimum(rng.geometric(2.0 / max(n_customers, 2), n_rows) - 1, n_customers - 1)
    ids: Any
    if id_kind == "compact":
        ids = customer + 1000
    elif id_kind == "sparse":  # a range far wider than the rows: the factorize path
        ids = customer.astype(np.int64) * 10**9 + 7
    else:
        ids = np.array([f"c{c:04d}" for c in customer], dtype=object)
        ids[rng.random(n_rows) < 0.03] = None  # dropped with a warning
    # A few days, a few instants on each, some at fractions of the time unit's precision.
    era = max(span_days // n_customers, 1) if eras else span_days
    days = START + rng.integers(0, era, n_days) * NS_PER_DAY
    instants = days[rng.integers(0, n_days, 2 * n_days)] + rng.integers(0, NS_PER_DAY, 2 * n_days)
    step = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    grain = {"day": NS_PER_DAY, "second": 10**9, "mixed": step}[resolution]
    whole = rng.random(2 * n_days) < 0.5  # at least half on a whole second
    instants[whole] -= instants[whole] % 10**9
    instants -= instants % max(grain, step)
    stamps = instants[rng.integers(0, 2 * n_days, n_rows)]
    if eras:  # customer c buys in days [c * era, (c + 1) * era) of the span
        stamps += customer * era * NS_PER_DAY
    times = pd.Series(stamps.view("datetime64[ns]")).astype(f"datetime64[{unit}]")
    cents = rng.integers(-3_000, 20_000, n_rows)
    cents[rng.random(n_rows) < 0.1] = 0
    orders = np.array([f"o{k}" for k in rng.integers(0, max(n_rows // 2, 1), n_rows)], dtype=object)
    log = pd.DataFrame(
        {"customer_id": ids, "timestamp": times, "amount": cents / 100, "order_id": orders}
    )
    repeat = rng.integers(0, n_rows, n_rows // 6)  # rows logged twice
    log = pd.concat([log, log.iloc[repeat]], ignore_index=True)
    if tz is not None:
        log["timestamp"] = log["timestamp"].dt.tz_localize("UTC").dt.tz_convert(tz)
    if time_sorted:
        log = log.sort_values("timestamp", kind="stable")
    else:
        log = log.sample(frac=1.0, random_state=seed % 1000)
    log.index = pd.RangeIndex(len(log)) * 3 + 11  # not the default index
    return log


def _reference(
    tx: pd.DataFrame, as_of: pd.Timestamp, amount_col: str | None, order_col: str | None
) -> pd.DataFrame:
    """The documented rules, the straightforward pandas way.

    Days are counted as rfm_table counts them: nanoseconds over nanoseconds per day
    (pandas' own arithmetic on a coarser unit rounds differently beyond about 100 days).
    """
    tx = tx.assign(timestamp=tx["timestamp"].dt.as_unit("ns"))
    as_of = as_of.as_unit("ns")
    window = tx.loc[tx["customer_id"].notna() & (tx["timestamp"] <= as_of)]
    buys = window.loc[window[amount_col] >= 0] if amount_col is not None else window
    # A purchase: a distinct order (at its earliest purchase row) or a distinct instant.
    if order_col is not None:
        purchases = buys.groupby(["customer_id", order_col])["timestamp"].min().reset_index()
    else:
        purchases = buys[["customer_id", "timestamp"]].drop_duplicates()
    purchases = purchases.sort_values(["customer_id", "timestamp"])
    purchases["gap"] = purchases.groupby("customer_id")["timestamp"].diff() / DAY
    gaps = purchases.dropna(subset=["gap"])
    last = ~gaps["customer_id"].duplicated(keep="last")  # the gap before the last purchase
    earlier = gaps.loc[~last].groupby("customer_id")["gap"]
    rows = buys.groupby("customer_id")["timestamp"]
    out = pd.DataFrame(
        {
            "purchases": purchases.groupby("customer_id").size().astype(np.int64),
            "tenure_days": (as_of - rows.min()) / DAY,
            "recency_days": (as_of - rows.max()) / DAY,
        }
    )
    out["median_gap_days"] = gaps.groupby("customer_id")["gap"].median()
    out["median_earlier_gap_days"] = earlier.median()
    out["last_gap_days"] = gaps.loc[last].set_index("customer_id")["gap"]
    out["longest_earlier_gap_days"] = earlier.max()
    return out.sort_index()


#: Rows without an id, after as_of, or customers with only returns are left out with a
#: warning that counts them (tested in test_lifecycle.py); here only the table matters.
quiet = pytest.mark.filterwarnings("ignore::behaviorseg.exceptions.RowsExcludedWarning")


logs = st.builds(
    _random_log,
    seed=st.integers(0, 2**31),
    n_rows=st.integers(1, 400),
    n_customers=st.integers(1, 60),
    id_kind=st.sampled_from(["compact", "sparse", "string"]),
    time_sorted=st.booleans(),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    tz=st.sampled_from([None, "UTC", "Europe/Paris"]),
    n_days=st.integers(1, 80),
    span_days=st.sampled_from([3, 60, 400, 40_000, 100_000]),
    resolution=st.sampled_from(["mixed", "second", "day"]),
    eras=st.booleans(),
)


@quiet
@settings(max_examples=200, deadline=None)
@given(
    tx=logs,
    cut=st.one_of(st.none(), st.floats(0.0, 1.0)),
    order_col=st.sampled_from([None, "order_id"]),
    amount_col=st.sampled_from(["amount", "amount", None]),
)
def test_lifecycle_table_is_bit_identical_to_the_groupby_restatement(
    tx, cut, order_col, amount_col
):
    """Every column equals the plain pandas restatement exactly (no tolerance)."""
    times = tx.loc[tx["customer_id"].notna(), "timestamp"]
    if times.empty:
        return  # no customer id at all: an error, tested elsewhere
    as_of = times.max() if cut is None else times.min() + (times.max() - times.min()) * cut
    kept = tx["customer_id"].notna() & (tx["timestamp"] <= as_of)
    if amount_col is not None:
        kept &= tx[amount_col] >= 0
    if not kept.any():
        return  # nobody bought in the window: an error, tested elsewhere
    before = tx.copy(deep=True)
    out = lifecycle_table(
        tx, as_of=None if cut is None else as_of, amount_col=amount_col, order_col=order_col
    )
    pd.testing.assert_frame_equal(tx, before)  # the caller's frame is untouched
    ref = _reference(tx, as_of, amount_col, order_col)
    pd.testing.assert_frame_equal(out, ref, check_exact=True, check_names=False)


@quiet
@settings(max_examples=60, deadline=None)
@given(tx=logs)
def test_row_order_never_changes_the_table(tx):
    """A time-ordered log and the same rows shuffled give the same table, bit for bit."""
    if not (tx["customer_id"].notna() & (tx["amount"] >= 0)).any():
        return
    ordered = lifecycle_table(tx.sort_values("timestamp", kind="stable"))
    shuffled = lifecycle_table(tx.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(ordered, shuffled, check_exact=True)


def _gap_log(histories: dict[int, list[float]], unit: str = "ns") -> pd.DataFrame:
    """One row per purchase: customer -> days after 2024-01-01 of each purchase."""
    rows = [(c, d) for c, days in histories.items() for d in days]
    customer, day = zip(*rows, strict=True)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.asarray(day), unit="D")
    return pd.DataFrame(
        {"customer_id": list(customer), "timestamp": stamps.as_unit(unit), "amount": 1.0}
    )


@pytest.mark.parametrize("unit", ["s", "ns"])
def test_earlier_gaps_leave_out_one_copy_of_the_last_gap(unit):
    """The last gap is removed once from the earlier gaps, also when it repeats or is
    the longest, the shortest or in the middle of them."""
    histories = {
        1: [0, 5, 10, 15],  # gaps 5 5 5: the last gap repeats
        2: [0, 1, 3, 13],  # gaps 1 2 10: the last gap is the longest
        3: [0, 10, 30, 31],  # gaps 10 20 1: the last gap is the shortest
        4: [0, 4, 14, 21, 22.5],  # gaps 4 10 7 1.5
        5: [0, 0.25, 0.5, 2],  # same-day purchases: fractions of a day
        6: [0, 7],  # one gap: no earlier gap
        7: [3],  # no gap
    }
    tx = _gap_log(histories, unit)
    out = lifecycle_table(tx)
    ref = _reference(tx, tx["timestamp"].max(), "amount", None)
    pd.testing.assert_frame_equal(out, ref, check_exact=True)
    assert out.loc[1, ["median_earlier_gap_days", "longest_earlier_gap_days"]].tolist() == [5, 5]
    assert out.loc[2, ["median_earlier_gap_days", "longest_earlier_gap_days"]].tolist() == [1.5, 2]
    assert out.loc[3, ["median_earlier_gap_days", "longest_earlier_gap_days"]].tolist() == [15, 20]
    assert out.loc[4, ["median_gap_days", "median_earlier_gap_days"]].tolist() == [5.5, 7]
    assert out.loc[5, "median_gap_days"] == 0.25


@quiet
@pytest.mark.parametrize("time_sorted", [True, False])
@pytest.mark.parametrize("whole_seconds", [True, False])
def test_wide_spans_in_nanoseconds_give_the_same_table(time_sorted, whole_seconds):
    """Nanosecond times over 250 years and many customers: keys per purchase and per gap
    overflow int64 at full precision, fit once the times are counted in seconds."""
    rng = np.random.default_rng(5)
    n = 4000
    ns = START + rng.integers(0, 250 * 365 * 86_400, n) * 10**9
    if not whole_seconds:
        ns += rng.integers(1, 999, n)
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 3000, n),
            "timestamp": pd.to_datetime(ns, unit="ns"),
            "amount": rng.integers(-500, 5_000, n) / 100,
        }
    )
    if time_sorted:
        tx = tx.sort_values("timestamp", kind="stable")
    out = lifecycle_table(tx)
    ref = _reference(tx, tx["timestamp"].max(), "amount", None)
    pd.testing.assert_frame_equal(out, ref, check_exact=True, check_names=False)


@quiet
def test_short_gaps_over_a_long_span_give_the_same_table():
    """Customers who each buy over a few years of a 250-year span, in nanoseconds at
    full precision: keys per purchase would overflow int64, keys per gap fit."""
    rng = np.random.default_rng(11)
    n_customers, n = 40, 3000
    customer = rng.integers(0, n_customers, n)
    era = 250 * 365 // n_customers * NS_PER_DAY
    ns = START + customer * era + rng.integers(0, era, n)
    tx = pd.DataFrame(
        {
            "customer_id": customer,
            "timestamp": pd.to_datetime(ns, unit="ns"),
            "amount": rng.integers(-500, 5_000, n) / 100,
        }
    )
    span = int(ns.max() - ns.min()) + 1
    assert n_customers * span > np.iinfo(np.int64).max > n_customers * era  # the case
    out = lifecycle_table(tx.sample(frac=1.0, random_state=2))
    ref = _reference(tx, tx["timestamp"].max(), "amount", None)
    pd.testing.assert_frame_equal(out, ref, check_exact=True, check_names=False)
