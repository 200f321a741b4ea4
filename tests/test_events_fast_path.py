"""The fast event summaries give exactly what the straightforward implementation gives.

``usage_table``, ``funnel_table`` and ``brand_table`` code every distinct event name
once (Categorical codes, Arrow dictionary encoding), find duplicate rows among the
few rows that share a (customer, instant), count distinct days and features with a
bitmap or sorted packed keys, and order brand journeys by sorting packed keys. Each
test below restates the documented rules the plain pandas way (``duplicated``,
``isin``, ``groupby``, a loop over purchases) and requires bit-identical tables on
random logs: sorted and shuffled, compact, sparse and string ids, ties, same-instant
rows, repeated rows, missing names, several time units and zones, and event names as
object strings, pandas strings (Python and pyarrow) and Categorical.
"""

from __future__ import annotations

import warnings
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.summaries import _brands, brand_table, funnel_table, usage_table

NS_PER_DAY = 86_400 * 10**9
EVENTS = np.array(["session", "view", "purchase", "cart", "ad", "newsletter"], dtype=object)
STAGES = (
    ("seen", ("ad",)),
    ("interest", ("view",)),
    ("desire", ("cart",)),
    ("action", ("purchase",)),
)


def _as_kind(values: np.ndarray, kind: str) -> pd.Series:
    """String values (None = missing) in one of the dtypes users pass."""
    series = pd.Series(values, dtype=object)
    if kind == "object":
        return series
    if kind == "category":  # with an unused category, as Categoricals often have
        return series.astype(pd.CategoricalDtype([*sorted(set(values) - {None}), "unused"]))
    return series.astype(kind)


def _random_log(
    seed: int,
    *,
    n_rows: int,
    n_customers: int,
    id_kind: str,
    time_sorted: bool,
    unit: str,
    tz: str | None,
    n_instants: int,
    name_kind: str,
) -> pd.DataFrame:
    """A messy event log: few instants (ties), repeated rows, missing names and features."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_rows)
    if id_kind == "compact":
        ids: np.ndarray = customer + 1000
    elif id_kind == "sparse":
        ids = customer.astype(np.int64) * 10**9 + 7
    else:
        ids = np.array([f"c{c:04d}" for c in customer], dtype=object)
    instants = np.sort(rng.choice(120 * 86_400, size=n_instants, replace=False))
    seconds = instants[rng.integers(0, n_instants, n_rows)]
    times = pd.to_datetime(seconds, unit="s", origin="2024-01-01").as_unit(unit)
    events = EVENTS[rng.integers(0, len(EVENTS), n_rows)]
    events[rng.random(n_rows) < 0.05] = None
    features = np.array(["a", "b", "c", None], dtype=object)[rng.integers(0, 4, n_rows)]
    brands = np.array(["x", "y", "z", None], dtype=object)[rng.integers(0, 4, n_rows)]
    values = rng.integers(0, 4, n_rows).astype(float)
    values[rng.random(n_rows) < 0.1] = -0.0  # equal to 0.0 when looking for duplicates
    log = pd.DataFrame(
        {
            "customer_id": ids,
            "timestamp": times,
            "event": _as_kind(events, name_kind),
            "value": values,
            "feature": _as_kind(features, name_kind),
            "brand": _as_kind(brands, name_kind),
            "price": rng.integers(0, 5, n_rows) * 10.0,
            "category": _as_kind(
                np.array(["tv", "food"], dtype=object)[rng.integers(0, 2, n_rows)], name_kind
            ),
        }
    )
    repeat = rng.integers(0, n_rows, n_rows // 5)  # rows logged twice
    log = pd.concat([log, log.iloc[repeat]], ignore_index=True)
    if tz is not None:
        log["timestamp"] = log["timestamp"].dt.tz_localize("UTC").dt.tz_convert(tz)
    if time_sorted:
        log = log.sort_values("timestamp", kind="stable")
    else:
        log = log.sample(frac=1.0, random_state=seed % 1000)
    return log.reset_index(drop=True)


logs = st.builds(
    _random_log,
    seed=st.integers(0, 2**31),
    n_rows=st.integers(1, 300),
    n_customers=st.integers(1, 40),
    id_kind=st.sampled_from(["compact", "sparse", "string"]),
    time_sorted=st.booleans(),
    unit=st.sampled_from(["s", "us", "ns"]),
    tz=st.sampled_from([None, "UTC", "Europe/Paris"]),
    n_instants=st.integers(1, 200),
    name_kind=st.sampled_from(
        ["object", "string", "string[pyarrow]", "large_string[pyarrow]", "category"]
    ),
)


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out: pd.DataFrame = fn(*args, **kwargs)
    return out


def _ns(times: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (UTC for aware times)."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _days_before(as_of: pd.Timestamp, ns: np.ndarray) -> np.ndarray:
    """Days from ``ns`` to ``as_of``, in the documented arithmetic (times as float)."""
    as_of_ns = _ns(pd.Series([as_of]))[0]
    out: np.ndarray = (as_of_ns - ns.astype(np.float64)) / NS_PER_DAY
    return out


def _row_sum(ids: pd.Series, values: np.ndarray, index: pd.Index) -> np.ndarray:
    """Per-customer sums added in row order (as a plain numpy reduction does)."""
    out: np.ndarray = np.bincount(index.get_indexer(ids), weights=values, minlength=len(index))
    return out


def _reference_usage(
    log: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    usage_events: tuple[str, ...] | None,
    window_days: int | None,
    feature: bool,
    drop_duplicates: bool,
) -> pd.DataFrame:
    """usage_table's documented rules, the plain pandas way."""
    rows = log.loc[log["timestamp"] <= as_of]
    everyone = pd.Index(sorted(rows["customer_id"].unique()), name="customer_id")
    read = ["customer_id", "timestamp", "value"]
    read += ["event"] if usage_events is not None else []
    read += ["feature"] if feature else []
    if drop_duplicates:
        rows = rows.loc[~rows[read].duplicated()]
    used = rows if usage_events is None else rows.loc[rows["event"].isin(usage_events)]
    last = used.groupby("customer_id")["timestamp"].max().reindex(everyone)
    last_ns = np.where(last.isna(), 0, _ns(last.fillna(as_of)))
    inside = used
    if window_days is not None:
        inside = used.loc[used["timestamp"] >= as_of - pd.Timedelta(days=window_days)]
    grouped = inside.groupby("customer_id")
    local = inside["timestamp"]
    local = local.dt.tz_localize(None) if local.dt.tz is not None else local
    count = grouped.size().reindex(everyone, fill_value=0).to_numpy().astype(np.int64)
    days = (
        local.dt.floor("D").groupby(inside["customer_id"]).nunique()
        .reindex(everyone, fill_value=0).to_numpy().astype(np.int64)
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "event_count": count,
            "active_days": days,
            "usage_value": _row_sum(inside["customer_id"], inside["value"].to_numpy(), everyone),
            "events_per_active_day": count / np.maximum(days, 1),
        },
        index=everyone,
    )
    if feature:
        out["distinct_features"] = (
            grouped["feature"].nunique().reindex(everyone, fill_value=0).to_numpy().astype(np.int64)
        )
    out["days_since_last_activity"] = np.where(
        last.isna().to_numpy(), np.nan, _days_before(as_of, last_ns)
    )
    return out


@settings(max_examples=150, deadline=None)
@given(
    log=logs,
    cut=st.floats(0.3, 1.0),
    usage_events=st.sampled_from([None, ("session",), ("session", "view")]),
    window_days=st.sampled_from([None, 1, 30]),
    feature=st.booleans(),
    drop_duplicates=st.booleans(),
)
def test_usage_table_is_bit_identical_to_the_pandas_restatement(
    log, cut, usage_events, window_days, feature, drop_duplicates
):
    """Every column equals the plain duplicated / isin / groupby restatement exactly."""
    times = log["timestamp"]
    as_of = times.min() + (times.max() - times.min()) * cut
    out = _quiet(
        usage_table,
        log,
        event_col="event" if usage_events is not None else None,
        usage_events=usage_events,
        value_col="value",
        feature_col="feature" if feature else None,
        as_of=as_of,
        window=window_days,
        drop_duplicates=drop_duplicates,
    )
    ref = _reference_usage(
        log,
        as_of=as_of,
        usage_events=usage_events,
        window_days=window_days,
        feature=feature,
        drop_duplicates=drop_duplicates,
    )
    pd.testing.assert_frame_equal(out, ref, check_exact=True, check_index_type=False)


def _reference_funnel(log: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """funnel_table's documented rules (order="any"), the plain pandas way."""
    rows = log.loc[log["timestamp"] <= as_of]
    everyone = pd.Index(sorted(rows["customer_id"].unique()), name="customer_id")
    lookup = {event: stage for stage, names in STAGES for event in names}
    stage = rows["event"].astype(object).map(lookup)
    times = rows.loc[stage.notna(), "timestamp"].groupby(
        [rows.loc[stage.notna(), "customer_id"], stage[stage.notna()]]
    )
    first, last = times.min(), times.max()
    names = [s for s, _ in STAGES]
    nat = np.iinfo(np.int64).min
    first_ns, last_ns = {}, {}
    for s in names:
        for found, into in ((first, first_ns), (last, last_ns)):
            if s in set(stage.dropna()):
                stamps = found.xs(s, level=1).reindex(everyone)
                into[s] = np.where(stamps.isna(), nat, _ns(stamps.fillna(as_of)))
            else:
                into[s] = np.full(len(everyone), nat)
    data: dict[str, Any] = {}
    for s in names:
        data[f"days_since_{s}"] = np.where(
            last_ns[s] == nat, np.nan, _days_before(as_of, last_ns[s])
        )
    for s in names:
        data[f"reached_{s}"] = last_ns[s] != nat
    tz = log["timestamp"].dt.tz
    for kind, values in (("first", first_ns), ("last", last_ns)):
        for s in names:
            stamps = pd.DatetimeIndex(values[s].view("datetime64[ns]"))
            data[f"{kind}_{s}"] = stamps if tz is None else stamps.tz_localize("UTC").tz_convert(tz)
    return pd.DataFrame(data, index=everyone)


@settings(max_examples=150, deadline=None)
@given(log=logs, cut=st.floats(0.3, 1.0))
def test_funnel_table_is_bit_identical_to_the_groupby_restatement(log, cut):
    """Days, flags, first and last times equal a (customer, stage) groupby exactly."""
    times = log["timestamp"]
    as_of = times.min() + (times.max() - times.min()) * cut
    out = _quiet(funnel_table, log, stages=STAGES, as_of=as_of)
    pd.testing.assert_frame_equal(
        out, _reference_funnel(log, as_of), check_exact=True, check_index_type=False
    )


def _reference_brands(log: pd.DataFrame, window_days: int | None, category: bool) -> pd.DataFrame:
    """brand_table's documented rules, one purchase at a time (plain Python loops).

    Purchases of a customer are taken group by group (categories in order of first
    appearance among the kept rows), each in time order, as the table sums them.
    """
    event = log["event"].astype(object)
    is_view, is_buy = (event == "view").to_numpy(), (event == "purchase").to_numpy()
    keep = is_view | (is_buy & log["brand"].notna().to_numpy())
    if category:
        keep &= log["category"].notna().to_numpy()
    rows = log.loc[keep].assign(
        buy=is_buy[keep], ns=_ns(log["timestamp"])[keep], position=np.arange(int(keep.sum()))
    )
    rows["group"] = pd.factorize(rows["category"].astype(object))[0] if category else 0
    rows["brand"] = rows["brand"].astype(object)
    rows = rows.sort_values(["customer_id", "group", "ns", "buy", "position"])
    buyers = sorted(rows.loc[rows["buy"], "customer_id"].unique())
    all_buys = rows.loc[rows["buy"]]
    pairs = switches = 0
    per_customer = {}
    for customer in buyers:
        mine = rows.loc[rows["customer_id"] == customer]
        records = []
        stats = {"pairs": 0, "switches": 0, "top": 0}
        for _, group in mine.groupby("group", sort=True):
            views: list[Any] = []
            previous_brand = None
            counts: dict[Any, int] = {}
            for row in group.itertuples():
                if not row.buy:
                    views.append(row)
                    continue
                journey = [
                    v
                    for v in views
                    if window_days is None or v.ns >= row.ns - window_days * NS_PER_DAY
                ]
                views = []
                first_view = min((v.ns for v in journey), default=None)
                consideration = (
                    0.0 if first_view is None else (np.int64(row.ns - first_view) / NS_PER_DAY)
                )
                prices = [v.price for v in journey if v.price > 0]
                cheapest = min([*prices, row.price if row.price > 0 else np.inf])
                premium = row.price / cheapest - 1.0 if row.price > 0 else 0.0
                brands = {v.brand for v in journey if pd.notna(v.brand)}
                records.append((len(journey), consideration, row.price, premium, len(brands)))
                if previous_brand is not None:
                    stats["pairs"] += 1
                    stats["switches"] += row.brand != previous_brand
                previous_brand = row.brand
                counts[row.brand] = counts.get(row.brand, 0) + 1
            stats["top"] += max(counts.values(), default=0)
        pairs += stats["pairs"]
        switches += stats["switches"]
        per_customer[customer] = (records, stats, mine.loc[mine["buy"], "brand"].nunique())
    pooled = switches / pairs if pairs > 0 else 0.0
    table = {}
    for customer, (records, stats, distinct) in per_customer.items():
        n = len(records)
        sums = [0.0] * 5
        for record in records:  # added one purchase at a time, in order
            sums = [s + float(v) for s, v in zip(sums, record, strict=True)]
        table[customer] = {
            "n_purchases": n,
            "views_per_purchase": sums[0] / n,
            "consideration_days": sums[1] / n,
            "avg_order_value": sums[2] / n,
            "price_premium": sums[3] / n,
            "brands_viewed_per_purchase": sums[4] / n,
            "distinct_brands": distinct,
            "top_brand_share": stats["top"] / n,
            "brand_switching_rate": (stats["switches"] + pooled) / (stats["pairs"] + 1.0),
        }
    del all_buys
    out = pd.DataFrame.from_dict(table, orient="index")
    out.index.name = "customer_id"
    return out.astype({"n_purchases": np.int64, "distinct_brands": np.int64})


def _check_brands(log: pd.DataFrame, window_days: int | None, category: bool) -> None:
    """brand_table equals the loop over purchases, bit for bit (if anyone bought)."""
    has_buy = (log["event"].astype(object) == "purchase") & log["brand"].notna()
    if category:
        has_buy &= log["category"].notna()
    if not has_buy.any():
        return  # nobody bought: an error, tested elsewhere
    out = _quiet(
        brand_table,
        log,
        journey_window=window_days,
        category_col="category" if category else None,
        ignore_events=("session", "cart", "ad", "newsletter"),
    )
    ref = _reference_brands(log, window_days, category)
    pd.testing.assert_frame_equal(
        out, ref, check_exact=True, check_index_type=False, check_dtype=False
    )


@settings(max_examples=80, deadline=None)
@given(log=logs, window_days=st.sampled_from([None, 5]), category=st.booleans())
def test_brand_table_is_bit_identical_to_a_loop_over_purchases(log, window_days, category):
    """Journeys, prices, brand counts and switching equal a purchase-by-purchase loop."""
    _check_brands(log, window_days, category)


@settings(max_examples=40, deadline=None)
@given(log=logs, window_days=st.sampled_from([None, 5]), category=st.booleans())
def test_brand_table_fallbacks_for_keys_that_overflow_give_the_same_table(
    log, window_days, category
):
    """Where packed keys would overflow (argsort time order, dense groups): the loop's table."""
    with (
        mock.patch.object(_brands, "_instant_keys", lambda *args: None),
        mock.patch.object(_brands, "_KEY_LIMIT", 0),
    ):
        _check_brands(log, window_days, category)
