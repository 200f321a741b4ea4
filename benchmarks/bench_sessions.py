"""Benchmark split_sessions, session_table and cohort_retention next to DuckDB and polars.

Each job is timed in-process for behaviorseg and, when they are installed
(``pip install ".[bench]"``), for the same job written in DuckDB SQL (on the registered
pandas frame, 2 threads) and in polars (lazy, on a polars frame converted before timing),
on the same in-memory data in the same run. The script checks that every engine gives the
same answer as behaviorseg before timing it.

- ``split_sessions(events, gap="30min")``: a session id per event. DuckDB: ``lag`` over
  (customer order by time) flags the events that open a session, a cumulative ``sum`` of
  the flags over the same window numbers each customer's sessions, and a running total
  of sessions over the customers (sorted by id) makes the ids unique, as behaviorseg
  numbers them. Timed twice: returning the caller's whole table plus the id
  (``SELECT *``, what behaviorseg returns) and returning the key columns and the id
  only (less work for DuckDB). polars: ``diff().over(customer, order_by=time)`` and
  ``cum_sum().over(...)``, which keep the caller's row order and every column, as
  behaviorseg does. Rows of one customer at one instant are always in one session, so
  the ids do not depend on how an engine orders ties.
- ``session_table(sessions)`` on the output of ``split_sessions``: one row per session
  (customer, start, end, duration in minutes, event count), sorted by session id;
  every engine checks, as behaviorseg does, that no session id has two customers.
- ``cohort_retention(transactions, period=...)``, monthly and weekly, on a transaction
  log (``bench_rfm.workload``): first-purchase cohorts, the share of each active in
  each later period, every (cohort, offset) cell up to the last period.

Run::

    python benchmarks/bench_sessions.py                 # 10M events, ~10M transactions
    python benchmarks/bench_sessions.py --quick         # 200k rows, a smoke run
    python benchmarks/bench_sessions.py --rows 2000000 --repeats 5 --gap 2h

Reported: median wall and CPU time (all threads of the process: DuckDB and polars run
on both cores) of ``--repeats`` runs after one warm-up, all engines in the same process
on the same data; behaviorseg's wall and CPU time over the fastest other engine's (on a
shared, loaded machine the CPU ratio is the steadier one); peak memory of one
behaviorseg run (tracemalloc: numpy and pandas allocations) next to the input frame's
``memory_usage(deep=True)``; the load average of the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from bench_events import peak_memory, workload
from bench_rfm import workload as transactions_workload

import behaviorseg as bs

#: DuckDB's date_trunc / polars' truncate unit of each benchmarked period.
PERIODS = {"M": ("month", "1mo"), "W": ("week", "1w")}


def _ns(values: Any) -> np.ndarray:
    """Nanoseconds since the epoch of datetime values (a Series, array or index)."""
    return np.asarray(pd.Series(values).to_numpy(dtype="datetime64[ns]")).view(np.int64)


# --- split_sessions ------------------------------------------------------------------


def _split_sql(gap: pd.Timedelta, select: str) -> str:
    micros = int(gap / pd.Timedelta(microseconds=1))
    return f"""
WITH flagged AS (
    SELECT {select},
           CASE WHEN lag(timestamp) OVER w IS NULL
                  OR date_diff('microsecond', lag(timestamp) OVER w, timestamp) > {micros}
                THEN 1 ELSE 0 END AS opens
    FROM ev WINDOW w AS (PARTITION BY customer_id ORDER BY timestamp)
), numbered AS (
    -- the default RANGE frame counts the rows at the same instant together
    SELECT *, sum(opens) OVER (PARTITION BY customer_id ORDER BY timestamp) AS number
    FROM flagged
), before AS (
    SELECT customer_id, sum(max(number)) OVER (ORDER BY customer_id) - max(number) AS before
    FROM numbered GROUP BY customer_id
)
SELECT * EXCLUDE (opens, number, before),
       (number + before - 1)::BIGINT AS session_id
FROM numbered JOIN before USING (customer_id)
"""


def duckdb_query(sql: str, table: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Run ``sql`` in DuckDB (2 threads) on a pandas frame registered as ``table``."""
    import duckdb

    def run(frame: pd.DataFrame) -> pd.DataFrame:
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.register(table, frame)
        out: pd.DataFrame = con.execute(sql).df()
        con.close()
        return out

    return run


def duckdb_split(gap: pd.Timedelta, whole_table: bool) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return duckdb_query(_split_sql(gap, "*" if whole_table else "customer_id, timestamp"), "ev")


def polars_split(gap: pd.Timedelta) -> Callable[[Any], pd.DataFrame]:
    import polars as pl

    delta = timedelta(microseconds=int(gap / pd.Timedelta(microseconds=1)))

    def run(frame: Any) -> Any:
        per_customer: dict[str, Any] = {"partition_by": "customer_id", "order_by": "timestamp"}
        opens = (pl.col("timestamp").diff().over(**per_customer) > delta).fill_null(True)
        number = pl.col("opens").cum_sum().over(**per_customer)
        lazy = frame.lazy().with_columns(opens.alias("opens")).with_columns(number.alias("number"))
        before = (
            lazy.group_by("customer_id")
            .agg(pl.col("number").max())
            .sort("customer_id")
            .select("customer_id", (pl.col("number").cum_sum() - pl.col("number")).alias("before"))
        )
        return (
            lazy.join(before, on="customer_id", how="left", maintain_order="left")
            .with_columns(
                (pl.col("number") + pl.col("before") - 1).cast(pl.Int64).alias("session_id")
            )
            .drop("opens", "number", "before")
            .collect()
        )

    return run


def check_split(engine: str, ours: pd.DataFrame, theirs: Any) -> None:
    """The same (customer, instant, session id) rows, as a multiset (engines may reorder)."""
    if not isinstance(theirs, pd.DataFrame):
        theirs = theirs.to_pandas()
    if len(theirs) != len(ours):
        raise AssertionError(f"{engine} split_sessions: {len(theirs)} rows, not {len(ours)}")

    def keys(frame: pd.DataFrame) -> list[np.ndarray]:
        columns = [
            frame["customer_id"].to_numpy(),
            _ns(frame["timestamp"]),
            frame["session_id"].to_numpy(),
        ]
        order = np.lexsort(columns[::-1])
        return [column[order] for column in columns]

    if not all(np.array_equal(a, b) for a, b in zip(keys(ours), keys(theirs), strict=True)):
        raise AssertionError(f"{engine} split_sessions: session ids differ from behaviorseg")
    print(f"  {engine:<24} split_sessions: same session of every event as behaviorseg")


# --- session_table -------------------------------------------------------------------

_TABLE_SQL = """
SELECT session_id, min(customer_id) AS customer_id, max(customer_id) AS other_customer,
       min(timestamp) AS start, max(timestamp) AS "end",
       date_diff('microsecond', min(timestamp), max(timestamp)) / 6e7 AS duration_minutes,
       count(*) AS event_count
FROM s GROUP BY session_id ORDER BY session_id
"""


def duckdb_table() -> Callable[[pd.DataFrame], pd.DataFrame]:
    query = duckdb_query(_TABLE_SQL, "s")

    def run(sessions: pd.DataFrame) -> pd.DataFrame:
        out = query(sessions)
        if (out["customer_id"] != out.pop("other_customer")).any():
            raise ValueError("a session id is shared by several customers")
        return out.set_index("session_id")

    return run


def polars_table() -> Callable[[Any], Any]:
    import polars as pl

    def run(frame: Any) -> Any:
        ts = pl.col("timestamp")
        out = (
            frame.lazy()
            .group_by("session_id")
            .agg(
                pl.col("customer_id").min(),
                pl.col("customer_id").max().alias("other_customer"),
                ts.min().alias("start"),
                ts.max().alias("end"),
                ((ts.max() - ts.min()).dt.total_microseconds() / 6e7).alias("duration_minutes"),
                pl.len().alias("event_count"),
            )
            .sort("session_id")
            .collect()
        )
        if (out["customer_id"] != out["other_customer"]).any():
            raise ValueError("a session id is shared by several customers")
        return out.drop("other_customer")

    return run


def check_table(engine: str, ours: pd.DataFrame, theirs: Any) -> None:
    """Session ids, customers, counts and times exactly equal; durations too, but for
    polars, which divides by a constant as a product with its reciprocal: there the
    minutes may differ in the last bit (counted and shown)."""
    if not isinstance(theirs, pd.DataFrame):
        theirs = theirs.to_pandas().set_index("session_id")
    same = np.array_equal(ours.index.to_numpy(), theirs.index.to_numpy()) and all(
        np.array_equal(a, b)
        for a, b in (
            (ours["customer_id"].to_numpy(), theirs["customer_id"].to_numpy()),
            (ours["event_count"].to_numpy(), theirs["event_count"].to_numpy()),
            (_ns(ours["start"]), _ns(theirs["start"])),
            (_ns(ours["end"]), _ns(theirs["end"])),
        )
    )
    minutes = ours["duration_minutes"].to_numpy()
    other = theirs["duration_minutes"].to_numpy() if same else minutes
    last_bit = int((minutes != other).sum())
    if not same or np.any(np.abs(minutes - other) > np.spacing(minutes)):
        raise AssertionError(f"{engine} session_table differs from behaviorseg")
    if last_bit and not engine.startswith("polars"):
        raise AssertionError(f"{engine} session_table: {last_bit} durations differ")
    note = f" (durations differ in the last bit for {last_bit})" if last_bit else ""
    print(f"  {engine:<24} session_table: same table as behaviorseg{note}")


# --- cohort_retention ----------------------------------------------------------------


def _cohort_sql(period: str) -> str:
    unit = PERIODS[period][0]
    return f"""
WITH active AS (
    SELECT DISTINCT customer_id, date_trunc('{unit}', timestamp) AS period FROM tx
), cohorts AS (
    SELECT customer_id, min(period) AS cohort FROM active GROUP BY customer_id
), sizes AS (
    SELECT cohort, count(*) AS cohort_size FROM cohorts GROUP BY cohort
), counts AS (
    SELECT cohort, period, count(*) AS active
    FROM active JOIN cohorts USING (customer_id) GROUP BY cohort, period
), bounds AS (
    SELECT min(cohort) AS first, max(cohort) AS final,
           (SELECT date_trunc('{unit}', max(timestamp)) FROM tx) AS last
    FROM cohorts
), grid AS (
    SELECT cohort, unnest(generate_series(cohort, last, INTERVAL 1 {unit})) AS period
    FROM (SELECT unnest(generate_series(first, final, INTERVAL 1 {unit})) AS cohort, last
          FROM bounds)
)
SELECT grid.cohort,
       (row_number() OVER (PARTITION BY grid.cohort ORDER BY grid.period) - 1) AS "offset",
       grid.period, coalesce(cohort_size, 0) AS cohort_size, coalesce(active, 0) AS active,
       coalesce(active, 0) / nullif(coalesce(cohort_size, 0), 0) AS share
FROM grid LEFT JOIN sizes USING (cohort) LEFT JOIN counts USING (cohort, period)
ORDER BY grid.cohort, "offset"
"""


def duckdb_cohorts(period: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return duckdb_query(_cohort_sql(period), "tx")


def polars_cohorts(period: str) -> Callable[[Any], Any]:
    import polars as pl

    every = PERIODS[period][1]

    def run(frame: Any) -> Any:
        lazy = frame.lazy()
        active = lazy.select(
            "customer_id", pl.col("timestamp").dt.truncate(every).alias("period")
        ).unique()
        cohorts = active.group_by("customer_id").agg(pl.col("period").min().alias("cohort"))
        sizes = cohorts.group_by("cohort").agg(pl.len().alias("cohort_size"))
        counts = (
            active.join(cohorts, on="customer_id")
            .group_by("cohort", "period")
            .agg(pl.len().alias("active"))
        )
        last = lazy.select(pl.col("timestamp").max().dt.truncate(every).alias("last"))
        grid = (
            cohorts.select(
                pl.datetime_ranges(pl.col("cohort").min(), pl.col("cohort").max(), every).alias(
                    "cohort"
                )
            )
            .explode("cohort")
            .join(last, how="cross")
            .with_columns(pl.datetime_ranges("cohort", "last", every).alias("period"))
            .explode("period")
            .with_columns(pl.int_range(pl.len()).over("cohort").alias("offset"))
        )
        return (
            grid.join(sizes, on="cohort", how="left")
            .join(counts, on=["cohort", "period"], how="left")
            .with_columns(pl.col("cohort_size", "active").fill_null(0))
            .with_columns(
                (pl.col("active") / pl.when(pl.col("cohort_size") > 0).then("cohort_size")).alias(
                    "share"
                )
            )
            .select("cohort", "offset", "period", "cohort_size", "active", "share")
            .sort("cohort", "offset")
            .collect()
        )

    return run


def check_cohorts(engine: str, name: str, ours: pd.DataFrame, theirs: Any) -> None:
    """Cohort and period starts, offsets, sizes, counts and shares: all exactly equal."""
    if not isinstance(theirs, pd.DataFrame):
        theirs = theirs.to_pandas()
    cohort = ours.index.get_level_values("cohort")
    same = len(ours) == len(theirs) and all(
        np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        for a, b in (
            (_ns(cohort.start_time), _ns(theirs["cohort"])),
            (_ns(pd.PeriodIndex(ours["period"]).start_time), _ns(theirs["period"])),
            (ours.index.get_level_values("offset").to_numpy(), theirs["offset"].to_numpy()),
            (ours["cohort_size"].to_numpy(), theirs["cohort_size"].to_numpy()),
            (ours["active"].to_numpy(), theirs["active"].to_numpy()),
            (ours["share"].to_numpy(), theirs["share"].to_numpy(dtype=np.float64)),
        )
    )
    if not same:
        raise AssertionError(f"{engine} {name} differs from behaviorseg")
    print(f"  {engine:<24} {name}: same table as behaviorseg")


# --- timing --------------------------------------------------------------------------


def _engines_available() -> tuple[bool, bool]:
    try:
        import duckdb  # noqa: F401

        has_duckdb = True
    except ImportError:
        has_duckdb = False
    try:
        import polars  # noqa: F401

        has_polars = True
    except ImportError:
        has_polars = False
    return has_duckdb, has_polars


def median_times(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds (all threads of the process) of ``repeats`` calls after
    one warm-up. On a shared, loaded machine the CPU time is the steadier of the two."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _report(rows: list[tuple[str, str, float, float, float]]) -> None:
    """One line per (job, engine), and behaviorseg's wall and CPU time over the fastest
    other engine's."""
    print(
        f"  {'job':<20} {'engine':<22} {'wall s':>7} {'cpu s':>7} "
        f"{'wall / fastest':>15} {'cpu / fastest':>14} {'peak/input':>11}"
    )
    for job in dict.fromkeys(row[0] for row in rows):
        mine = [row for row in rows if row[0] == job]
        ours = next(row for row in mine if row[1] == "behaviorseg")
        others = [row for row in mine if row[1] != "behaviorseg"]
        for _, engine, wall, cpu, memory in mine:
            versus = ["", ""]
            if engine == "behaviorseg" and others:
                versus = [
                    f"{ours[k] / min(row[k] for row in others):.2f}" for k in (2, 3)
                ]  # each against the engine fastest by that clock
            shown = "" if np.isnan(memory) else f"{memory:.2f}"
            print(
                f"  {job:<20} {engine:<22} {wall:7.3f} {cpu:7.3f} "
                f"{versus[0]:>15} {versus[1]:>14} {shown:>11}"
            )


def bench(n_rows: int, repeats: int, gap: pd.Timedelta) -> None:
    has_duckdb, has_polars = _engines_available()
    events = workload(n_rows)
    # about 12.3 transactions per customer: n_rows * 0.8 customers' worth is ~n_rows rows
    tx = transactions_workload(max(n_rows * 8 // 10, 1000))
    sizes = {
        "events": events.memory_usage(deep=True).sum(),
        "tx": tx.memory_usage(deep=True).sum(),
    }
    rows: list[tuple[str, str, float, float, float]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sessions = bs.split_sessions(events, gap=gap)
        n_sessions = int(sessions["session_id"].max()) + 1
        print(
            f"\n== {len(events):,} events of {events['customer_id'].nunique():,} customers "
            f"(input frame {sizes['events'] / 1e6:,.0f} MB): {n_sessions:,} sessions with "
            f"gap {gap}; {len(tx):,} transactions of {tx['customer_id'].nunique():,} "
            f"customers (input frame {sizes['tx'] / 1e6:,.0f} MB)"
        )
        sessions_size = sessions.memory_usage(deep=True).sum()
        pl_events = pl_sessions = pl_tx = None
        if has_polars:
            import polars as pl

            pl_events, pl_sessions, pl_tx = (  # conversions not timed
                pl.from_pandas(events),
                pl.from_pandas(sessions),
                pl.from_pandas(tx),
            )

        # job name -> (behaviorseg call, its input size, [(engine, call, check)])
        jobs: dict[str, tuple[Callable[[], Any], int, list[tuple[str, Callable[[], Any], Any]]]]
        jobs = {
            "split_sessions": (
                lambda: bs.split_sessions(events, gap=gap),
                sizes["events"],
                [],
            ),
            "session_table": (lambda: bs.session_table(sessions), sessions_size, []),
        }
        for period in PERIODS:
            jobs[f"cohort_retention {period}"] = (
                lambda period=period: bs.kpi.cohort_retention(tx, period=period),
                sizes["tx"],
                [],
            )
        if has_duckdb:
            whole, keys = duckdb_split(gap, whole_table=True), duckdb_split(gap, whole_table=False)
            jobs["split_sessions"][2].extend(
                [
                    ("duckdb (whole table)", lambda: whole(events), check_split),
                    ("duckdb (keys and id)", lambda: keys(events), check_split),
                ]
            )
            table = duckdb_table()
            jobs["session_table"][2].append(("duckdb", lambda: table(sessions), check_table))
            for period in PERIODS:
                run = duckdb_cohorts(period)
                jobs[f"cohort_retention {period}"][2].append(
                    ("duckdb", lambda run=run: run(tx), None)
                )
        if has_polars:
            split, table_pl = polars_split(gap), polars_table()
            jobs["split_sessions"][2].append(
                ("polars (whole table)", lambda: split(pl_events), check_split)
            )
            jobs["session_table"][2].append(("polars", lambda: table_pl(pl_sessions), check_table))
            for period in PERIODS:
                run_pl = polars_cohorts(period)
                jobs[f"cohort_retention {period}"][2].append(
                    ("polars", lambda run_pl=run_pl: run_pl(pl_tx), None)
                )

        for job, (ours_fn, input_size, engines) in jobs.items():
            ours = ours_fn()
            for engine, fn, check in engines:  # cross-check every engine before timing
                if check is None:
                    check_cohorts(engine, job, ours, fn())
                else:
                    check(engine, ours, fn())
            del ours
            wall, cpu = median_times(ours_fn, repeats)
            peak = peak_memory(ours_fn)
            rows.append((job, "behaviorseg", wall, cpu, peak / input_size))
            for engine, fn, _ in engines:
                rows.append((job, engine, *median_times(fn, repeats), float("nan")))
    _report(rows)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  load average (1, 5, 15 min): {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size (a smoke run)")
    parser.add_argument("--rows", type=int, nargs="*", help="sizes in events")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gap", default="30min", help="inactivity gap of the sessions")
    args = parser.parse_args()
    sizes = args.rows or ([200_000] if args.quick else [10_000_000])
    for n_rows in sizes:
        bench(n_rows, 1 if args.quick else args.repeats, pd.Timedelta(args.gap))


if __name__ == "__main__":
    main()
