"""Benchmark the event summaries (usage, funnel and brand tables) next to DuckDB and polars.

Each summary is timed in-process for behaviorseg and, when they are installed
(``pip install ".[bench]"``), for the same summary written in DuckDB SQL (on the registered
pandas frame) and in polars (lazy, on a polars frame converted before timing), on the same
in-memory data in the same run. The script checks that every engine gives the same table
as behaviorseg before timing it. Event names are timed in three dtypes: pandas' default
strings (pyarrow-backed with pandas 3), object strings and Categorical.

- ``usage_table(events, event_col="event", usage_events="session", value_col="value",
  feature_col="feature", window="30D")``: rows repeated in every column read count once,
  then per customer the sessions, distinct calendar days, summed minutes and distinct
  features over the last 30 days, and the days since the last session.
- ``funnel_table(events, stages=AIDA_STAGES, ignore_events="session")``: first and last
  time of each stage per customer; and the strict funnel (``order="strict",
  within="14D"``: each stage at its first event at or after the previous one, within 14
  days of it), in DuckDB and polars as one aggregate per stage over the stage rows joined
  to the previous stage's instant.
- ``brand_table(log)`` on a log of views and purchases with brands of the same size
  (``make_brand_events``, about 18.6 rows per customer), with its defaults: per buyer the
  views, days of consideration, distinct brands and cheapest price in each purchase's
  journey (the views since the previous purchase, within 30 days), the mean price paid,
  the top brand's share and the shrunk brand switching rate. The engines number each
  customer's purchases with a window function (``row_number`` / ``int_range().over``), give
  each view its purchase with an as-of join and find switches with ``lag`` / ``shift``.
  Event and brand names are timed as pandas strings, object strings and Categorical.

Run::

    python benchmarks/bench_events.py                 # 10M events (about 260k customers)
    python benchmarks/bench_events.py --quick         # 200k events, a smoke run
    python benchmarks/bench_events.py --rows 50000000 --repeats 3

Reported: median wall time of ``--repeats`` runs after one warm-up; peak memory of one
behaviorseg run (tracemalloc: numpy and pandas allocations) next to the input frame's
``memory_usage(deep=True)``; the load average of the machine when the size finished.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _timing import median_time

import behaviorseg as bs
from behaviorseg.summaries import AIDA_STAGES

CACHE = Path("/tmp/behaviorseg-bench")
EVENTS_PER_CUSTOMER = 38.6  # make_events(n, n_days=90) logs about 38.6 events per customer


def workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` simulated events (sessions and AIDA funnel events), cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"events_{n_rows}_{seed}_v1.parquet"
    if path.exists():
        return pd.read_parquet(path)
    events, _ = bs.datasets.make_events(
        max(int(n_rows / EVENTS_PER_CUSTOMER), 100), random_state=seed, n_days=90
    )
    with contextlib.suppress(ImportError):  # no pyarrow: no cache
        events.to_parquet(path)
    return events


def brand_workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` simulated views and purchases with brands (18.6 per customer), cached."""
    path = CACHE / f"brands_{n_rows}_{seed}_v1.parquet"
    if path.exists():
        return pd.read_parquet(path)
    events, _ = bs.datasets.make_brand_events(max(int(n_rows / 18.6), 100), random_state=seed)
    with contextlib.suppress(ImportError):
        events.to_parquet(path)
    return events


USAGE = {
    "event_col": "event",
    "usage_events": "session",
    "value_col": "value",
    "feature_col": "feature",
    "window": "30D",
}


def run_usage(events: pd.DataFrame) -> pd.DataFrame:
    return bs.usage_table(events, **USAGE)


#: Conversion window of the strict funnel timed here (each stage within 14 days of the last).
WITHIN_DAYS = 14


def run_funnel(events: pd.DataFrame, order: str = "any") -> pd.DataFrame:
    within = f"{WITHIN_DAYS}D" if order == "strict" else None
    return bs.funnel_table(
        events, stages=AIDA_STAGES, ignore_events="session", order=order, within=within
    )


_USAGE_SQL = """
WITH d AS (SELECT DISTINCT customer_id, timestamp, event, value, feature FROM ev),
u AS (SELECT * FROM d WHERE event = 'session'),
stamp AS (SELECT max(timestamp) AS as_of FROM ev),
w AS (
    SELECT customer_id, count(*) AS event_count,
           count(DISTINCT CAST(timestamp AS DATE)) AS active_days,
           sum(value) AS usage_value, count(DISTINCT feature) AS distinct_features
    FROM u WHERE timestamp >= (SELECT as_of FROM stamp) - INTERVAL 30 DAY
    GROUP BY customer_id
),
l AS (SELECT customer_id, max(timestamp) AS last_ts FROM u GROUP BY customer_id)
SELECT ids.customer_id,
       coalesce(w.event_count, 0) AS event_count,
       coalesce(w.active_days, 0) AS active_days,
       coalesce(w.usage_value, 0.0) AS usage_value,
       coalesce(w.distinct_features, 0) AS distinct_features,
       date_diff('microsecond', l.last_ts, (SELECT as_of FROM stamp)) / 86400e6
           AS days_since_last_activity
FROM (SELECT DISTINCT customer_id FROM ev) ids
LEFT JOIN w USING (customer_id) LEFT JOIN l USING (customer_id)
"""


def _funnel_sql() -> str:
    parts = []
    for stage, names in AIDA_STAGES:
        listed = ", ".join(f"'{name}'" for name in names)
        for kind, fn in (("first", "min"), ("last", "max")):
            parts.append(f"{fn}(timestamp) FILTER (WHERE event IN ({listed})) AS {kind}_{stage}")
    return f"SELECT customer_id, {', '.join(parts)} FROM ev GROUP BY customer_id"


def _strict_funnel_sql() -> str:
    """The time-ordered funnel: stage j at its first event at or after stage j - 1, within
    ``WITHIN_DAYS`` of it; one aggregate per stage over the stage rows joined to the last."""
    cases = " ".join(
        f"WHEN event IN ({', '.join(repr(n) for n in names)}) THEN {j}"
        for j, (_, names) in enumerate(AIDA_STAGES)
    )
    ctes = [
        f"s AS (SELECT customer_id, timestamp AS ts, CASE {cases} END AS stage FROM ev)",
        "t0 AS (SELECT customer_id, min(ts) AS t FROM s WHERE stage = 0 GROUP BY customer_id)",
    ]
    for j in range(1, len(AIDA_STAGES)):
        ctes.append(
            f"t{j} AS (SELECT s.customer_id, min(s.ts) AS t FROM s JOIN t{j - 1} p "
            f"ON s.customer_id = p.customer_id WHERE s.stage = {j} AND s.ts >= p.t "
            f"AND s.ts <= p.t + INTERVAL {WITHIN_DAYS} DAY GROUP BY s.customer_id)"
        )
    ctes.append(
        "l AS (SELECT customer_id, stage, max(ts) AS t FROM s WHERE stage IS NOT NULL GROUP BY ALL)"
    )
    columns, joins = [], []
    for j, (stage, _) in enumerate(AIDA_STAGES):
        columns += [
            f"t{j}.t AS first_{stage}",
            f"CASE WHEN t{j}.t IS NOT NULL THEN l{j}.t END AS last_{stage}",
        ]
        joins.append(
            f"LEFT JOIN t{j} USING (customer_id) LEFT JOIN (SELECT customer_id, t FROM l "
            f"WHERE stage = {j}) l{j} USING (customer_id)"
        )
    return (
        f"WITH {', '.join(ctes)} SELECT ids.customer_id, {', '.join(columns)} "
        f"FROM (SELECT DISTINCT customer_id FROM ev) ids {' '.join(joins)}"
    )


# brand_table(log) with its defaults: views and branded purchases; a view belongs to the
# customer's next purchase at or after it (an as-of join) if it is within 30 days before it.
# A pandas frame has no row number in DuckDB, so purchases of one customer at the same instant
# are taken in any order (the workload has none, and the cross-check would see it).
_BRAND_SQL = """
WITH k AS (
    SELECT customer_id, timestamp AS ts, brand, price, event = 'purchase' AS buy
    FROM ev WHERE event = 'view' OR (event = 'purchase' AND brand IS NOT NULL)
),
b AS (
    SELECT customer_id, ts AS buy_ts, brand AS buy_brand, price AS paid,
           row_number() OVER w AS journey,
           coalesce(brand <> lag(brand) OVER w, false)::INTEGER AS switch
    FROM k WHERE buy
    WINDOW w AS (PARTITION BY customer_id ORDER BY ts)
),
seen AS (
    SELECT v.customer_id, b.journey, count(*) AS n_views, min(v.ts) AS first_view,
           min(v.price) FILTER (WHERE v.price > 0) AS cheapest,
           count(DISTINCT v.brand) AS n_brands
    FROM (SELECT * FROM k WHERE NOT buy) v
    ASOF JOIN b ON v.customer_id = b.customer_id AND v.ts <= b.buy_ts
    WHERE v.ts >= b.buy_ts - INTERVAL 30 DAY
    GROUP BY v.customer_id, b.journey
),
per_buy AS (
    SELECT b.customer_id, b.paid, b.switch, b.buy_brand,
           coalesce(n_views, 0) AS n_views, coalesce(n_brands, 0) AS n_brands,
           CASE WHEN n_views > 0 THEN date_diff('microsecond', first_view, buy_ts) / 86400e6
                ELSE 0.0 END AS consideration,
           CASE WHEN paid > 0 THEN paid / least(coalesce(cheapest, 'inf'::DOUBLE), paid) - 1.0
                ELSE 0.0 END AS premium
    FROM b LEFT JOIN seen USING (customer_id, journey)
),
c AS (
    SELECT customer_id, count(*) AS n_purchases,
           sum(n_views) / count(*) AS views_per_purchase,
           sum(consideration) / count(*) AS consideration_days,
           sum(paid) / count(*) AS avg_order_value,
           sum(premium) / count(*) AS price_premium,
           sum(n_brands) / count(*) AS brands_viewed_per_purchase,
           count(DISTINCT buy_brand) AS distinct_brands,
           sum(switch) AS switches, count(*) - 1 AS pairs
    FROM per_buy GROUP BY customer_id
),
top AS (
    SELECT customer_id, max(n) AS top
    FROM (SELECT customer_id, buy_brand, count(*) AS n FROM b GROUP BY customer_id, buy_brand)
    GROUP BY customer_id
),
pooled AS (SELECT coalesce(sum(switches) / nullif(sum(pairs), 0), 0.0) AS p FROM c)
SELECT customer_id, n_purchases, views_per_purchase, consideration_days, avg_order_value,
       price_premium, brands_viewed_per_purchase, distinct_brands,
       top / n_purchases AS top_brand_share,
       (switches + (SELECT p FROM pooled)) / (pairs + 1.0) AS brand_switching_rate
FROM c JOIN top USING (customer_id)
"""


def duckdb_jobs() -> dict[str, Callable[[pd.DataFrame], pd.DataFrame]]:
    try:
        import duckdb
    except ImportError:
        return {}

    def query(sql: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
        def run(events: pd.DataFrame) -> pd.DataFrame:
            con = duckdb.connect()
            con.execute("SET threads TO 2")
            con.register("ev", events)
            out: pd.DataFrame = con.execute(sql).df()
            con.close()
            return out.set_index("customer_id").sort_index()

        return run

    return {
        "usage_table": query(_USAGE_SQL),
        "funnel_table": query(_funnel_sql()),
        "funnel_table strict": query(_strict_funnel_sql()),
        "brand_table": query(_BRAND_SQL),
    }


def polars_jobs() -> dict[str, Callable[[Any], pd.DataFrame]]:
    try:
        import polars as pl
    except ImportError:
        return {}
    from datetime import timedelta

    def usage(frame: Any) -> pd.DataFrame:
        lazy = frame.lazy()
        as_of = frame["timestamp"].max()
        used = (
            lazy.select("customer_id", "timestamp", "event", "value", "feature")
            .unique(maintain_order=False)
            .filter(pl.col("event") == "session")
        )
        window = (
            used.filter(pl.col("timestamp") >= as_of - timedelta(days=30))
            .group_by("customer_id")
            .agg(
                pl.len().alias("event_count"),
                pl.col("timestamp").dt.date().n_unique().alias("active_days"),
                pl.col("value").sum().alias("usage_value"),
                pl.col("feature").drop_nulls().n_unique().alias("distinct_features"),
            )
        )
        last = used.group_by("customer_id").agg(pl.col("timestamp").max().alias("last_ts"))
        out = (
            lazy.select("customer_id")
            .unique()
            .join(window, on="customer_id", how="left")
            .join(last, on="customer_id", how="left")
            .with_columns(
                pl.col("event_count", "active_days", "distinct_features").fill_null(0),
                pl.col("usage_value").fill_null(0.0),
                ((as_of - pl.col("last_ts")).dt.total_microseconds() / 86_400e6).alias(
                    "days_since_last_activity"
                ),
            )
            .drop("last_ts")
            .collect()
            .to_pandas()
        )
        return out.set_index("customer_id").sort_index()

    def funnel(frame: Any) -> pd.DataFrame:
        aggs = []
        for stage, names in AIDA_STAGES:
            ts = pl.col("timestamp").filter(pl.col("event").is_in(list(names)))
            aggs += [ts.min().alias(f"first_{stage}"), ts.max().alias(f"last_{stage}")]
        out = frame.lazy().group_by("customer_id").agg(aggs).collect().to_pandas()
        return out.set_index("customer_id").sort_index()

    def brands(frame: Any) -> pd.DataFrame:
        buy = pl.col("event") == "purchase"
        kept = (
            frame.lazy()
            .filter((pl.col("event") == "view") | (buy & pl.col("brand").is_not_null()))
            .select("customer_id", "timestamp", "brand", "price", buy.alias("buy"))
            .sort("timestamp", maintain_order=True)  # time order, then row order
        )
        bought = kept.filter("buy").select(
            "customer_id",
            pl.col("timestamp").alias("buy_ts"),
            pl.col("brand").alias("buy_brand"),
            pl.col("price").alias("paid"),
            journey=pl.int_range(pl.len(), dtype=pl.UInt32).over("customer_id"),
            switch=(pl.col("brand") != pl.col("brand").shift(1).over("customer_id"))
            .fill_null(False)
            .cast(pl.Float64),
        )
        seen = (
            kept.filter(~pl.col("buy"))
            .join_asof(
                bought.select("customer_id", "buy_ts", "journey"),
                left_on="timestamp",
                right_on="buy_ts",
                by="customer_id",
                strategy="forward",
            )
            .filter(pl.col("timestamp") >= pl.col("buy_ts") - timedelta(days=30))
            .group_by("customer_id", "journey")
            .agg(
                pl.len().alias("n_views"),
                pl.col("timestamp").min().alias("first_view"),
                pl.when(pl.col("price") > 0).then(pl.col("price")).min().alias("cheapest"),
                pl.col("brand").drop_nulls().n_unique().alias("n_brands"),
            )
        )
        paid = pl.col("paid")
        cheapest = pl.min_horizontal(pl.col("cheapest").fill_null(float("inf")), paid)
        per_buy = bought.join(seen, on=["customer_id", "journey"], how="left").with_columns(
            pl.col("n_views", "n_brands").fill_null(0),
            consideration=pl.when(pl.col("n_views") > 0)
            .then((pl.col("buy_ts") - pl.col("first_view")).dt.total_microseconds() / 86_400e6)
            .otherwise(0.0),
            premium=pl.when(paid > 0).then(paid / cheapest - 1.0).otherwise(0.0),
        )
        n = pl.len()
        per_customer = per_buy.group_by("customer_id").agg(
            n.alias("n_purchases"),
            (pl.col("n_views").sum() / n).alias("views_per_purchase"),
            (pl.col("consideration").sum() / n).alias("consideration_days"),
            (paid.sum() / n).alias("avg_order_value"),
            (pl.col("premium").sum() / n).alias("price_premium"),
            (pl.col("n_brands").sum() / n).alias("brands_viewed_per_purchase"),
            pl.col("buy_brand").n_unique().alias("distinct_brands"),
            pl.col("switch").sum().alias("switches"),
            (n - 1).cast(pl.Float64).alias("pairs"),
        )
        top = (
            bought.group_by("customer_id", "buy_brand")
            .len()
            .group_by("customer_id")
            .agg(pl.col("len").max().alias("top"))
        )
        pairs = pl.col("pairs").sum()
        pooled = pl.when(pairs > 0).then(pl.col("switches").sum() / pairs).otherwise(0.0)
        out = (
            per_customer.join(top, on="customer_id")
            .with_columns(
                top_brand_share=pl.col("top") / pl.col("n_purchases"),
                brand_switching_rate=(pl.col("switches") + pooled) / (pl.col("pairs") + 1.0),
            )
            .drop("top", "switches", "pairs")
            .collect()
            .to_pandas()
        )
        return out.set_index("customer_id").sort_index()

    def strict_funnel(frame: Any) -> pd.DataFrame:
        stage = pl.lit(None, dtype=pl.Int8)
        for j in reversed(range(len(AIDA_STAGES))):
            names = list(AIDA_STAGES[j][1])
            stage = pl.when(pl.col("event").is_in(names)).then(j).otherwise(stage)
        lazy = frame.lazy()
        rows = lazy.select("customer_id", "timestamp", stage.alias("stage")).filter(
            pl.col("stage").is_not_null()
        )
        last = rows.group_by("customer_id", "stage").agg(pl.col("timestamp").max().alias("last"))
        reached = (
            rows.filter(pl.col("stage") == 0)
            .group_by("customer_id")
            .agg(pl.col("timestamp").min().alias("t"))
        )
        out = lazy.select("customer_id").unique()
        window = timedelta(days=WITHIN_DAYS)
        for j, (name, _) in enumerate(AIDA_STAGES):
            if j:
                ts = pl.col("timestamp")
                reached = (
                    rows.filter(pl.col("stage") == j)
                    .join(reached, on="customer_id")
                    .filter((ts >= pl.col("t")) & (ts <= pl.col("t") + window))
                    .group_by("customer_id")
                    .agg(ts.min().alias("t"))
                )
            stage_last = last.filter(pl.col("stage") == j).select("customer_id", "last")
            out = (
                out.join(reached.rename({"t": f"first_{name}"}), on="customer_id", how="left")
                .join(stage_last, on="customer_id", how="left")
                .with_columns(
                    pl.when(pl.col(f"first_{name}").is_not_null())
                    .then(pl.col("last"))
                    .alias(f"last_{name}")
                )
                .drop("last")
            )
        return out.collect().to_pandas().set_index("customer_id").sort_index()

    return {
        "usage_table": usage,
        "funnel_table": funnel,
        "funnel_table strict": strict_funnel,
        "brand_table": brands,
    }


#: Columns that add floats (minutes, days, prices): engines add them in other orders.
_SUMMED = (
    "usage_value",
    "days_since_last_activity",
    "consideration_days",
    "avg_order_value",
    "price_premium",
)


def check_same(engine: str, summary: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Counts, times and ratios of counts exactly; sums of floats to 1e-9 (order of addition)."""
    if not ours.index.equals(theirs.index.astype(ours.index.dtype)):
        raise AssertionError(f"{engine} {summary}: not the same customers as behaviorseg")
    for column in theirs.columns:
        a, b = ours[column], theirs[column]
        if column.startswith(("first_", "last_")):
            same = np.array_equal(  # as integers: NaT equals NaT
                a.to_numpy(dtype="datetime64[us]").view(np.int64),
                b.to_numpy(dtype="datetime64[us]").view(np.int64),
            )
        elif column in _SUMMED:
            same = np.allclose(a.to_numpy(), b.to_numpy(dtype=float), rtol=1e-9, equal_nan=True)
        else:
            same = np.array_equal(a.to_numpy(), b.to_numpy())
        if not same:
            raise AssertionError(f"{engine} {summary}: column {column!r} differs from behaviorseg")
    print(f"  {engine:<8} {summary}: same table as behaviorseg")


def peak_memory(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def bench_brands(n_rows: int, repeats: int) -> list[tuple[str, str, float, float]]:
    """``brand_table`` with str / object / Categorical brand and event names, and the engines.

    One name dtype at a time (the object frame is three times the str one), each timed
    for behaviorseg and for DuckDB (str and object), then polars on its own frame.
    """
    log = brand_workload(n_rows)
    print(
        f"== brand log: {len(log):,} views and purchases, {log['customer_id'].nunique():,} "
        f"customers, input frame {log.memory_usage(deep=True).sum() / 1e6:,.0f} MB"
    )
    name = f"brand_table ({len(log) / 1e6:.1f}M rows)"
    engines = {"duckdb": duckdb_jobs(), "polars": polars_jobs()}
    rows = []

    def compare(engine: str, kind: str, frame: Any) -> None:
        job = engines[engine]["brand_table"]
        theirs = job(frame)
        if not theirs.columns.equals(ours.columns):
            raise AssertionError(f"{engine} brand_table: not the columns of behaviorseg")
        check_same(engine, "brand_table", ours, theirs)
        seconds = median_time(lambda: job(frame), repeats)
        rows.append((name, f"{engine} ({kind})", seconds, float("nan")))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = bs.brand_table(log)
        for kind in ("str", "object", "category"):
            frame = log if kind == "str" else log.astype({"event": kind, "brand": kind})
            seconds = median_time(lambda frame=frame: bs.brand_table(frame), repeats)
            peak = peak_memory(lambda frame=frame: bs.brand_table(frame))
            ratio = peak / frame.memory_usage(deep=True).sum()
            rows.append((name, f"behaviorseg ({kind})", seconds, ratio))
            if engines["duckdb"] and kind != "category":
                compare("duckdb", kind, frame)
        frame = None  # the last converted frame
        if engines["polars"]:
            import polars as pl

            compare("polars", "native", pl.from_pandas(log))  # conversion not timed
    return sorted(rows, key=lambda row: not row[1].startswith("behaviorseg"))  # stable


def bench(n_rows: int, repeats: int, brands: bool) -> None:
    events = workload(n_rows)
    frames = {
        "str": events,
        "object": events.astype({"event": object, "feature": object}),
        "category": events.astype({"event": "category", "feature": "category"}),
    }
    size = events.memory_usage(deep=True).sum()
    print(
        f"\n== {len(events):,} events, {events['customer_id'].nunique():,} customers, "
        f"input frame {size / 1e6:,.0f} MB (event names as {events['event'].dtype})"
    )
    jobs: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        "usage_table": run_usage,
        "funnel_table": run_funnel,
        "funnel_table strict": lambda frame: run_funnel(frame, order="strict"),
    }
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = {name: job(events) for name, job in jobs.items()}
        for name, job in jobs.items():
            for kind, frame in frames.items():
                seconds = median_time(lambda job=job, frame=frame: job(frame), repeats)
                peak = peak_memory(lambda job=job, frame=frame: job(frame))
                frame_size = frame.memory_usage(deep=True).sum()
                rows.append((name, f"behaviorseg ({kind})", seconds, peak / frame_size))
        native: Any = None
        for engine, engine_jobs in (("duckdb", duckdb_jobs()), ("polars", polars_jobs())):
            if not engine_jobs:
                continue
            if engine == "polars":
                import polars as pl

                native = pl.from_pandas(events)  # conversion not timed
            for name, job in engine_jobs.items():
                if name not in ours:  # brand_table runs on its own log, below
                    continue
                frames_for = (
                    {"native": native}
                    if engine == "polars"
                    else {"str": events, "object": frames["object"]}
                )
                for kind, frame in frames_for.items():
                    check_same(engine, name, ours[name], job(frame))
                    seconds = median_time(lambda job=job, frame=frame: job(frame), repeats)
                    rows.append((name, f"{engine} ({kind})", seconds, float("nan")))
    if brands:
        del events, frames, ours, native  # the brand log is the next big frame
        rows += bench_brands(n_rows, repeats)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  {'summary':<34} {'engine':<24} {'seconds':>8} {'peak / input':>13}")
    for name, engine, seconds, ratio in rows:
        shown = "" if np.isnan(ratio) else f"{ratio:.2f}"
        print(f"  {name:<34} {engine:<24} {seconds:8.3f} {shown:>13}")
    print(f"  load average (1, 5, 15 min): {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size (a smoke run)")
    parser.add_argument("--rows", type=int, nargs="*", help="sizes in events")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-brands", action="store_true", help="skip brand_table")
    args = parser.parse_args()
    sizes = args.rows or ([200_000] if args.quick else [10_000_000])
    for n_rows in sizes:
        bench(n_rows, 1 if args.quick else args.repeats, brands=not args.no_brands)


if __name__ == "__main__":
    main()
