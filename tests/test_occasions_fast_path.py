"""The fast ``occasion_table`` gives exactly what its documented rules give.

The test below restates the rules of ``occasion_table`` the plain pandas way: rows
grouped into purchases with ``groupby`` (first appearance first), local wall times
from ``Timestamp.tz_convert`` one row at a time, calendar features from the ``.dt``
accessors, occasion windows by comparing each purchase's date with every window,
anniversaries with :mod:`datetime`, and per-customer sums as running totals over the
purchases in the order of their first rows (gaps in time order). It then requires
bit-identical tables on random logs: sorted and shuffled rows, compact, sparse and
string ids (some missing), ties and repeated rows, orders spanning several instants,
returns, four time units, naive and aware times, instants around daylight saving
transitions, per-row time zones, built-in calendars of several countries (southern
seasons too) and custom overlapping calendars, personal dates on 29 February, custom
hour bands and weekends, and monthly shares.
"""

from __future__ import annotations

import calendar as cal
import datetime as dt
import re
import warnings
from collections.abc import Iterable
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError
from behaviorseg.summaries import (
    HOUR_BANDS,
    RETAIL_OCCASIONS,
    SEASONS,
    _engagement,
    _occasions,
    occasion_table,
)
from behaviorseg.summaries import retail_calendar as builtin_calendar

NS_PER_DAY = 86_400 * 10**9
NS_PER_HOUR = 3_600 * 10**9
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
#: Daylight saving transitions (UTC instants, then the same changes in wall time):
#: instants near them fall on both sides, and naive wall times near them are
#: ambiguous or do not exist in the zone that reads them.
TRANSITIONS = pd.to_datetime(
    [
        "2023-03-26 01:00", "2023-10-29 01:00", "2024-03-31 01:00", "2024-10-27 01:00",
        "2024-03-10 07:00", "2024-11-03 06:00", "2024-04-06 16:00", "2024-10-05 16:00",
        "2024-03-10 02:30", "2024-11-03 01:30", "2024-03-31 01:30", "2024-10-27 01:30",
        "2024-04-07 02:30", "2024-10-06 02:30", "2023-12-31 23:00", "2024-12-31 23:30",
    ]
).as_unit("ns").asi8  # fmt: skip
START = pd.Timestamp("2023-01-01").value
SPAN = (pd.Timestamp("2026-01-01").value - START) // NS_PER_DAY
FAR = (pd.Timestamp("1900-01-01").value, pd.Timestamp("2150-01-01").value)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SOUTHERN = {"AU", "NZ", "ZA", "BR"}


def _random_log(
    seed: int,
    *,
    n_rows: int,
    n_customers: int,
    id_kind: str,
    time_sorted: bool,
    unit: str,
    zone: str | None,
    n_instants: int,
    wide: bool = False,
) -> pd.DataFrame:
    """A messy transaction log over 2023-2025 with orders, zones and personal dates."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_rows)
    ids: Any
    if id_kind == "compact":
        ids = customer + 1000
    elif id_kind == "sparse":
        ids = customer.astype(np.int64) * 10**9 + 7
    else:
        ids = np.array([f"c{c:03d}" for c in customer], dtype=object)
        ids[rng.random(n_rows) < 0.05] = None  # dropped with a warning
    pool = START + rng.integers(0, SPAN * NS_PER_DAY, n_instants)
    near = rng.random(n_instants) < 0.3
    pool[near] = TRANSITIONS[rng.integers(0, len(TRANSITIONS), int(near.sum()))] + rng.integers(
        -3 * NS_PER_HOUR, 3 * NS_PER_HOUR, int(near.sum())
    )
    if wide:  # a few instants centuries apart: too wide to pack in ns, sparse in hours
        far = rng.random(n_instants) < 0.1
        far[0] = True
        pool[far] = rng.integers(FAR[0], FAR[1], int(far.sum()))
    step = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    pool -= pool % step
    edge = rng.random(n_instants) < 0.3  # on an hour (or a midnight), or one tick before
    pool[edge] -= pool[edge] % (NS_PER_HOUR * rng.choice([1, 24], int(edge.sum())))
    pool[edge] -= step * rng.integers(0, 2, int(edge.sum()))
    times = pd.Series(pool[rng.integers(0, n_instants, n_rows)].view("datetime64[ns]"))
    times = times.astype(f"datetime64[{unit}]")
    amounts = rng.integers(-3_000, 20_000, n_rows) / 100  # returns, zeros, cents
    amounts[rng.random(n_rows) < 0.1] = 0.0
    amounts[rng.random(n_rows) < 0.05] = -0.0
    amounts[0] = abs(amounts[0])  # at least one purchase
    # Order ids shared by a few rows of a customer (over several instants), and reused
    # by other customers: a purchase is a (customer, order) pair.
    orders = np.array([f"o{k}" for k in rng.integers(0, max(n_rows // 3, 1), n_rows)], dtype=object)
    births = pd.to_datetime(["1980-02-29", "2000-12-30", "1975-01-02", "1990-06-15", "1988-03-01"])
    birthday = pd.Series(births[customer % len(births)]).where(rng.random(n_rows) > 0.2)
    log = pd.DataFrame(
        {
            "customer_id": ids,
            "timestamp": times,
            "amount": amounts,
            "order_id": orders,
            "zone": np.array(ZONES, dtype=object)[(customer + seed) % len(ZONES)],
            "birthday": birthday,
        }
    )
    repeat = rng.integers(0, n_rows, n_rows // 5)  # rows logged twice
    log = pd.concat([log, log.iloc[repeat]], ignore_index=True)
    if zone is not None:
        log["timestamp"] = log["timestamp"].dt.tz_localize("UTC").dt.tz_convert(zone)
    if time_sorted:
        log = log.sort_values("timestamp", kind="stable")
    else:
        log = log.sample(frac=1.0, random_state=seed % 1000)
    log.index = pd.RangeIndex(len(log)) * 3 + 11  # not the default index
    return log


logs = st.builds(
    _random_log,
    seed=st.integers(0, 2**31),
    n_rows=st.integers(1, 160),
    n_customers=st.integers(1, 25),
    id_kind=st.sampled_from(["compact", "sparse", "string"]),
    time_sorted=st.booleans(),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    zone=st.sampled_from([None, None, "UTC", "Europe/London", "Australia/Sydney"]),
    n_instants=st.integers(1, 120),
    wide=st.booleans(),
)


def _wide_log(*, time_sorted: bool) -> pd.DataFrame:
    """A log of 120 rows in nanoseconds with instants far apart (a fixed seed)."""
    return _random_log(
        7, n_rows=120, n_customers=20, id_kind="compact", time_sorted=time_sorted, unit="ns",
        zone=None, n_instants=60, wide=True,
    )  # fmt: skip


@st.composite
def custom_calendars(draw: st.DrawFn) -> pd.DataFrame:
    """A few occasions with windows that may overlap and may not cover every year."""
    names = draw(st.lists(st.sampled_from(["Sale", "Eid", "Diwali", "Singles' Day"]), min_size=1))
    rows = []
    for name in names:
        first = draw(st.integers(0, SPAN + 400)) - 200
        length = draw(st.integers(0, 40))
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=first)
        rows.append((name, start, start + pd.Timedelta(days=length)))
    return pd.DataFrame(rows, columns=["occasion", "start", "end"])


def _running_sum(values: Iterable[float]) -> float:
    """A running total from 0.0, one value at a time, in the order given."""
    total = 0.0
    for value in values:
        total += value
    return total


def _slug(name: str) -> str:
    """The documented column-name form: lower case, apostrophes dropped, ``_`` between words."""
    text = name.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def _ns(times: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (UTC for aware times)."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _wall_times(rows: pd.DataFrame, tz: str | None, tz_col: bool) -> pd.Series:
    """Each row's local wall time, as the docstring defines it, one row at a time."""
    stamps = []
    for stamp, zone in zip(rows["timestamp"], rows["zone"], strict=True):
        if tz_col:
            if stamp.tz is None:
                stamp = stamp.tz_localize(tz or "UTC", ambiguous=False, nonexistent="shift_forward")
            stamp = stamp.tz_convert(zone)
        elif stamp.tz is not None and tz is not None:
            stamp = stamp.tz_convert(tz)
        stamps.append(stamp.tz_localize(None).as_unit("ns"))
    return pd.Series(pd.DatetimeIndex(stamps, dtype="datetime64[ns]"), index=rows.index)


def _anniversary_distance(day: dt.date, born: dt.date) -> int:
    """Days to the nearest anniversary (29 February on 28 February in other years)."""
    best = None
    for year in (day.year - 1, day.year, day.year + 1):
        last = cal.monthrange(year, born.month)[1]
        gap = abs((dt.date(year, born.month, min(born.day, last)) - day).days)
        best = gap if best is None else min(best, gap)
    assert best is not None
    return best


def _reference(
    log: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None,
    tz: str | None,
    tz_col: bool,
    amount: bool,
    order: bool,
    calendar: pd.DataFrame | None,
    country: str,
    birthday: bool,
    window: int,
    bands: tuple[tuple[str, int], ...],
    weekend: tuple[int, ...],
    months: bool,
) -> pd.DataFrame:
    """occasion_table's documented rules, the plain pandas way."""
    rows = log.loc[log["customer_id"].notna()]
    stamp = rows["timestamp"].max() if as_of is None else as_of
    rows = rows.loc[rows["timestamp"] <= stamp]
    rows = rows.assign(local=_wall_times(rows, tz, tz_col))
    rows = rows.loc[rows["amount"] >= 0] if amount else rows.assign(amount=0.0)
    # One purchase per (customer, order) or (customer, instant), first appearance first.
    grouped = rows.groupby(["customer_id", "order_id" if order else "timestamp"], sort=False)
    pid = grouped.ngroup().to_numpy()
    first = rows.assign(pid=pid).drop_duplicates("pid")  # the first row of each purchase
    p = pd.DataFrame(
        {
            "customer": first["customer_id"].to_numpy(),
            "time_ns": _ns(rows["timestamp"].groupby(pid).min()),
            "local": first["local"].to_numpy(),
            "amount": rows["amount"].groupby(pid).agg(_running_sum).to_numpy(),
            "birthday": first["birthday"].to_numpy(),
        }
    )
    by_customer = p.groupby("customer", sort=True)
    customers = pd.Index(by_customer.size().index, name="customer_id")
    count = by_customer.size().to_numpy()
    spend = by_customer["amount"].agg(_running_sum).to_numpy()

    def total(mask: pd.Series, values: str = "amount") -> np.ndarray:
        """Running total of ``values`` over the purchases in ``mask``, per customer."""
        sums = p.loc[mask].groupby("customer")[values].agg(_running_sum)
        return sums.reindex(customers, fill_value=0.0).to_numpy()

    def number(mask: pd.Series) -> np.ndarray:
        return mask.groupby(p["customer"]).sum().reindex(customers).to_numpy()

    local = p["local"]
    month = local.dt.month.to_numpy()
    season_of_month = {12: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 1, 6: 2, 7: 2, 8: 2, 9: 3, 10: 3, 11: 3}
    shift = 2 if country in SOUTHERN else 0
    season = (pd.Series(month).map(season_of_month).to_numpy() + shift) % 4

    # Gaps between consecutive purchases, in time order.
    ordered = p.sort_values(["customer", "time_ns"], kind="stable")
    instants = pd.Series(ordered["time_ns"].to_numpy().view("datetime64[ns]"), index=ordered.index)
    gap_ns = instants.groupby(ordered["customer"]).diff().dropna()  # timedelta64[ns], exact
    gaps = pd.Series(gap_ns.to_numpy().view(np.int64) / NS_PER_DAY, index=gap_ns.index)
    gap_owner = ordered.loc[gap_ns.index, "customer"]
    n_gaps = gaps.groupby(gap_owner).size().reindex(customers, fill_value=0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = gaps.groupby(gap_owner).agg(_running_sum).reindex(customers).to_numpy() / n_gaps
        deviation = gaps.to_numpy() - mean[customers.get_indexer(gap_owner)]
        squares = (
            pd.Series(deviation * deviation)
            .groupby(gap_owner.to_numpy())
            .agg(_running_sum)
            .reindex(customers)
            .to_numpy()
        )
        gap_cv = np.sqrt(squares / (n_gaps - 1)) / mean
    gap_cv = np.where((n_gaps >= 2) & (mean > 0), gap_cv, np.nan)

    # The day of the year on the annual circle.
    days_in_year = np.where(local.dt.is_leap_year.to_numpy(), 366, 365)
    angle = 2 * np.pi * (local.dt.day_of_year.to_numpy() - 0.5) / days_in_year
    p["cos"], p["sin"] = np.cos(angle), np.sin(angle)
    cos = by_customer["cos"].agg(_running_sum).to_numpy() / count
    sin = by_customer["sin"].agg(_running_sum).to_numpy() / count
    peak = np.mod(np.arctan2(sin, cos), 2 * np.pi) * 365.0 / (2 * np.pi) + 0.5
    peak_dates = pd.Timestamp("2001-01-01") + pd.to_timedelta(np.floor(peak - 1), unit="D")
    peak_season = (pd.Series(peak_dates.month).map(season_of_month).to_numpy() + shift) % 4
    as_of_ns = _ns(pd.Series([stamp]))[0]
    first_ns = by_customer["time_ns"].min().to_numpy()

    # Groups and flags of purchases, each a (column name, purchase mask).
    marks: list[tuple[str, pd.Series]] = [
        (f"share_{s}", pd.Series(season == i)) for i, s in enumerate(SEASONS)
    ]
    if months:
        marks += [(f"share_{m}", pd.Series(month == i + 1)) for i, m in enumerate(MONTHS)]
    hour = local.dt.hour.to_numpy()
    starts = [h for _, h in bands] + [24]
    for i, (name, _) in enumerate(bands):
        marks.append(
            (f"share_{_slug(name)}", pd.Series((hour >= starts[i]) & (hour < starts[i + 1])))
        )
    marks.append(("share_weekend", local.dt.day_of_week.isin(weekend)))
    date = local.dt.normalize().to_numpy()
    if calendar is None:
        years = local.dt.year
        windows = builtin_calendar(range(years.min(), years.max() + 1), country=country)
        names: list[str] = list(RETAIL_OCCASIONS)
    else:
        windows, names = calendar, list(pd.unique(calendar["occasion"]))
    occasions = []
    for name in names:
        mine = windows.loc[windows["occasion"] == name]
        lo = mine["start"].dt.normalize().to_numpy()
        hi = mine["end"].dt.normalize().to_numpy()
        inside = ((date[:, None] >= lo[None, :]) & (date[:, None] <= hi[None, :])).any(axis=1)
        occasions.append((f"share_{_slug(name)}", pd.Series(inside)))
    any_occasion = np.zeros(len(p), dtype=bool)
    for _, inside in occasions:
        any_occasion |= inside.to_numpy()
    marks.append(("share_occasion", pd.Series(any_occasion)))
    marks += occasions

    out: dict[str, Any] = {"n_purchases": count.astype(np.int64)}
    if amount:
        out["spend"] = spend
    out.update(
        {
            "observed_days": (as_of_ns - first_ns) / NS_PER_DAY,
            "gap_cv": gap_cv,
            "seasonal_concentration": np.minimum(np.hypot(cos, sin), 1.0),
            "peak_day_of_year": peak,
            "peak_season": pd.Categorical.from_codes(peak_season, categories=list(SEASONS)),
        }
    )
    spend_shares: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, mask in marks:
            out[name] = number(mask) / count
            spend_shares["spend_" + name] = total(mask) / spend
        if birthday:
            known = p["birthday"].notna()
            near = pd.Series(
                [
                    k and _anniversary_distance(d.date(), b.date()) <= window
                    for k, d, b in zip(known, local, p["birthday"], strict=True)
                ]
            )
            out["share_personal"] = number(near) / number(known)
            spend_shares["spend_share_personal"] = total(near) / total(known)
    if amount:
        out.update(spend_shares)
    return pd.DataFrame(out, index=customers)


@settings(max_examples=200, deadline=None)
@given(
    log=logs,
    cut=st.one_of(st.none(), st.floats(0.3, 1.0)),
    tz=st.sampled_from([None, "America/New_York", "Europe/London"]),
    tz_col=st.booleans(),
    amount=st.booleans(),
    order=st.booleans(),
    country=st.sampled_from(["GB", "US", "FR", "AU", "BR", "JP", "MX"]),
    custom=st.one_of(st.none(), custom_calendars()),
    birthday=st.booleans(),
    window=st.integers(0, 10),
    bands=st.sampled_from(
        [HOUR_BANDS, (("early", 0), ("late", 15)), (("a", 0), ("b", 1), ("c", 23))]
    ),
    weekend=st.sampled_from([(5, 6), (4, 5), (6,)]),
    months=st.booleans(),
    chunk=st.sampled_from([3, 64, 1 << 18]),
    fast_at=st.booleans(),
)
# Centuries of nanoseconds: too wide to pack with the customer code, so instants are
# numbered by their runs (a time-ordered log) or their ranks (out of order).
@example(
    log=_wide_log(time_sorted=True),
    cut=None,
    tz=None,
    tz_col=False,
    amount=True,
    order=False,
    country="GB",
    custom=None,
    birthday=True,
    window=3,
    bands=HOUR_BANDS,
    weekend=(5, 6),
    months=True,
    chunk=16,
    fast_at=True,
)
@example(
    log=_wide_log(time_sorted=False), cut=0.9, tz="Europe/London", tz_col=True, amount=True,
    order=False, country="AU", custom=None, birthday=False, window=3, bands=HOUR_BANDS,
    weekend=(5, 6), months=False, chunk=16, fast_at=True,
)  # fmt: skip
def test_occasion_table_is_bit_identical_to_the_pandas_restatement(
    log,
    cut,
    tz,
    tz_col,
    amount,
    order,
    country,
    custom,
    birthday,
    window,
    bands,
    weekend,
    months,
    chunk,
    fast_at,
):
    """Every column equals the groupby / accessor / running-total restatement exactly.

    Also when the log is read in many small chunks (sums carry over in purchase order,
    gaps are taken over whole customers), and in the one chunk of ``np.bincount`` that
    numpy < 1.25 gets instead of ``np.add.at``.
    """
    times = log["timestamp"]
    as_of = None if cut is None else times.min() + (times.max() - times.min()) * cut
    columns = {
        "amount_col": "amount" if amount else None,
        "order_col": "order_id" if order else None,
        "tz_col": "zone" if tz_col else None,
        "birthday_col": "birthday" if birthday else None,
    }
    options: dict[str, Any] = {"as_of": as_of, "tz": tz, "country": country, "months": months}
    eligible = log["customer_id"].notna() & (times <= (times.max() if as_of is None else as_of))
    if amount:
        eligible &= log["amount"] >= 0
    with (
        warnings.catch_warnings(),
        patch.object(_occasions, "_CHUNK", chunk),
        patch.object(_engagement, "_FAST_AT", fast_at),
    ):
        warnings.simplefilter("ignore")
        if not eligible.any():  # nothing to time: an error, whatever the path
            with pytest.raises(DataValidationError):
                occasion_table(log, **columns, **options)
            return
        out = occasion_table(
            log,
            **columns,
            **options,
            calendar=custom,
            personal_window_days=window,
            hour_bands=bands,
            weekend_days=weekend,
        )
    ref = _reference(
        log,
        tz_col=tz_col,
        amount=amount,
        order=order,
        calendar=custom,
        birthday=birthday,
        window=window,
        bands=bands,
        weekend=weekend,
        **options,
    )
    pd.testing.assert_frame_equal(out, ref, check_exact=True, check_index_type=False)
