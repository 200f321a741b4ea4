"""Benchmark ``occasion_table`` next to the same summary in DuckDB SQL and in polars.

The log is ``make_occasion_transactions`` (about 13.8 purchases per customer over 2023
and 2024, time-ordered, second resolution, naive timestamps). Three configurations:

- ``default``: ``occasion_table(tx)``, the built-in GB calendar, wall times as logged.
- ``calendar``: ``occasion_table(tx, calendar=retail_calendar(..., country="AU"),
  country="AU", months=True)``: a calendar passed in, southern seasons, monthly shares.
- ``tz_col``: ``occasion_table(tx, tz_col="zone")``, each customer in one of four time
  zones (the naive times read as UTC, then shown in the customer's zone).

Every engine computes the whole table: purchases are the distinct (customer, instant)
pairs of the rows with an amount >= 0 (their amounts summed); the local date and hour of
each purchase give its season, month, hour band, weekend flag and occasion windows;
per customer the counts and spend, the shares of purchases and of spend, the days from
the first purchase to the last timestamp, the coefficient of variation of the gaps
between purchases (a window function in SQL, a shift in polars), and the mean resultant
length and circular mean of the day of the year (``atan2``). The occasion windows are
given to DuckDB and polars as the same small table (``retail_calendar`` of the years of
the data); both look them up once per distinct date and join the flags back, as a
careful query would. DuckDB runs on the registered pandas frame with 2 threads; polars
runs a lazy query on a polars frame converted before timing.

Before timing, the script checks that both engines give the same table as behaviorseg:
counts and count shares exactly, sums of amounts, gap CVs and the circular statistics to
a relative 1e-9 (engines add floats in different orders), and the peak season exactly
except where the peak day is within 1e-6 of a whole day: a customer with one purchase has
its peak on that day's number, and float noise puts the first of a month on either side.

Run::

    python benchmarks/bench_occasions.py                 # 10M rows (about 725k customers)
    python benchmarks/bench_occasions.py --quick         # 200k rows, a smoke run
    python benchmarks/bench_occasions.py --rows 1000000 10000000 --repeats 5

Reported per configuration: median wall time of ``--repeats`` runs after one warm-up for
behaviorseg, DuckDB and polars, behaviorseg's time over the faster engine's, and the peak
memory of one behaviorseg run (tracemalloc: numpy and pandas allocations) over the input
frame's ``memory_usage(deep=True)``; then the load average of the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _timing import median_time
from bench_events import peak_memory

import behaviorseg as bs
from behaviorseg.summaries import HOUR_BANDS, RETAIL_OCCASIONS, SEASONS, retail_calendar

CACHE = Path("/tmp/behaviorseg-bench")
ROWS_PER_CUSTOMER = 13.8  # make_occasion_transactions logs about 13.8 purchases per customer
ZONES = ("Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SOUTHERN = {"AU", "NZ", "ZA", "BR"}


def workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` simulated purchases with a time zone per customer (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"occasions_{n_rows}_{seed}_v1.parquet"  # bump when the workload changes
    if path.exists():
        return pd.read_parquet(path)
    n_customers = max(int(n_rows / ROWS_PER_CUSTOMER), 100)
    tx, _ = bs.datasets.make_occasion_transactions(n_customers, random_state=seed)
    tx["zone"] = np.array(ZONES, dtype=object)[tx["customer_id"].to_numpy() % len(ZONES)]
    with contextlib.suppress(ImportError):  # no pyarrow: no cache
        tx.to_parquet(path)
    return tx


@dataclass(frozen=True)
class Config:
    """One timed configuration: the options of ``occasion_table`` and what they imply."""

    name: str
    country: str = "GB"
    custom_calendar: bool = False
    months: bool = False
    zone_col: str | None = None

    def options(self, calendar: pd.DataFrame) -> dict[str, Any]:
        options: dict[str, Any] = {"country": self.country, "months": self.months}
        if self.custom_calendar:
            options["calendar"] = calendar
        if self.zone_col is not None:
            options["tz_col"] = self.zone_col
        return options


CONFIGS = (
    Config("default"),
    Config("calendar", country="AU", custom_calendar=True, months=True),
    Config("tz_col", zone_col="zone"),
)


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower().replace("'", "")).strip("_")


def _local_years(tx: pd.DataFrame) -> range:
    """The calendar years of the data, one year either side for zones ahead or behind UTC."""
    years = tx["timestamp"].dt.year
    return range(int(years.min()) - 1, int(years.max()) + 2)


def _columns(config: Config) -> tuple[list[str], list[str]]:
    """The share columns, in behaviorseg's order, and the occasion slugs."""
    occasions = [_slug(o) for o in RETAIL_OCCASIONS]
    shares = [f"share_{s}" for s in SEASONS]
    shares += [f"share_{m}" for m in MONTHS] if config.months else []
    shares += [f"share_{b}" for b, _ in HOUR_BANDS]
    shares += ["share_weekend", "share_occasion", *(f"share_{o}" for o in occasions)]
    return shares, occasions


# --- DuckDB -----------------------------------------------------------------------------


def _sql(config: Config, calendar: pd.DataFrame) -> str:
    """The whole table as one query over ``tx`` (the log) and ``cal`` (the windows)."""
    shares, occasions = _columns(config)
    shift = 2 if config.country in SOUTHERN else 0
    local = (
        "timestamp"
        if config.zone_col is None
        else f"timezone(any_value({config.zone_col}), timezone('UTC', timestamp))"
    )
    quoted = {_slug(o): o.replace("'", "''") for o in pd.unique(calendar["occasion"])}
    flags = ", ".join(
        f"coalesce(bool_or(c.occasion = '{quoted[o]}'), false) AS o_{o}" for o in occasions
    )
    bands = [h for _, h in HOUR_BANDS] + [24]
    conditions = {f"share_{s}": f"season = {i}" for i, s in enumerate(SEASONS)}
    conditions.update({f"share_{m}": f"mon = {i + 1}" for i, m in enumerate(MONTHS)})
    conditions.update(
        {
            f"share_{b}": f"hr >= {bands[i]} AND hr < {bands[i + 1]}"
            for i, (b, _) in enumerate(HOUR_BANDS)
        }
    )
    conditions["share_weekend"] = "dow IN (6, 7)"
    conditions["share_occasion"] = " OR ".join(f"o_{o}" for o in occasions)
    conditions.update({f"share_{o}": f"o_{o}" for o in occasions})
    counts = ",\n           ".join(f"count_if({conditions[c]}) / count(*) AS {c}" for c in shares)
    spends = ",\n           ".join(
        f"coalesce(sum(amount) FILTER (WHERE {conditions[c]}), 0) / sum(amount) AS spend_{c}"
        for c in shares
    )
    return f"""
WITH stamp AS (SELECT max(timestamp) AS as_of FROM tx),
p AS (
    SELECT customer_id, timestamp AS ts, {local} AS lt, sum(amount) AS amount
    FROM tx WHERE amount >= 0 GROUP BY customer_id, timestamp
),
f AS (
    SELECT customer_id, ts, amount, CAST(lt AS DATE) AS d, month(lt) AS mon, hour(lt) AS hr,
           isodow(lt) AS dow, ((month(lt) % 12) // 3 + {shift}) % 4 AS season,
           2 * pi() * (dayofyear(lt) - 0.5)
               / (CASE WHEN (year(lt) % 4 = 0 AND year(lt) % 100 <> 0) OR year(lt) % 400 = 0
                       THEN 366 ELSE 365 END) AS angle,
           (epoch_us(ts) - epoch_us(lag(ts) OVER (PARTITION BY customer_id ORDER BY ts)))
               / 86400e6 AS gap
    FROM p
),
days AS (
    SELECT dd.d, {flags}
    FROM (SELECT DISTINCT d FROM f) dd
    LEFT JOIN cal c ON dd.d BETWEEN CAST(c.start AS DATE) AND CAST(c."end" AS DATE)
    GROUP BY dd.d
),
per AS (
    SELECT customer_id, count(*) AS n_purchases, sum(amount) AS spend,
           date_diff('microsecond', min(ts), (SELECT as_of FROM stamp)) / 86400e6
               AS observed_days,
           CASE WHEN count(gap) >= 2 AND avg(gap) > 0 THEN stddev_samp(gap) / avg(gap) END
               AS gap_cv,
           sum(cos(angle)) / count(*) AS c, sum(sin(angle)) / count(*) AS s,
           {counts},
           {spends}
    FROM f JOIN days USING (d)
    GROUP BY customer_id
),
peak AS (
    SELECT *, least(sqrt(c * c + s * s), 1.0) AS seasonal_concentration,
           (CASE WHEN atan2(s, c) < 0 THEN atan2(s, c) + 2 * pi() ELSE atan2(s, c) END)
               * 365.0 / (2 * pi()) + 0.5 AS peak_day_of_year
    FROM per
)
SELECT * EXCLUDE (c, s),
       ((month(DATE '2001-01-01' + CAST(floor(peak_day_of_year - 1) AS INTEGER)) % 12) // 3
           + {shift}) % 4 AS peak_season
FROM peak
"""


def duckdb_job(config: Config, calendar: pd.DataFrame) -> Callable[[Any], pd.DataFrame] | None:
    try:
        import duckdb
    except ImportError:
        return None
    sql = _sql(config, calendar)

    def run(tx: pd.DataFrame) -> pd.DataFrame:
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.register("tx", tx)
        con.register("cal", calendar)
        out: pd.DataFrame = con.execute(sql).df()
        con.close()
        return _finish(out)

    return run


# --- polars -----------------------------------------------------------------------------


def polars_job(config: Config, calendar: pd.DataFrame) -> Callable[[Any], pd.DataFrame] | None:
    try:
        import polars as pl
    except ImportError:
        return None
    shares, occasions = _columns(config)
    shift = 2 if config.country in SOUTHERN else 0
    windows = {
        _slug(name): [
            (start.date(), end.date())
            for start, end in zip(group["start"], group["end"], strict=True)
        ]
        for name, group in calendar.groupby("occasion", sort=False)
    }
    bands = [h for _, h in HOUR_BANDS] + [24]

    def run(frame: Any) -> pd.DataFrame:
        as_of = frame["timestamp"].max()
        lazy = frame.lazy().filter(pl.col("amount") >= 0)
        if config.zone_col is None:
            purchases = lazy.group_by("customer_id", "timestamp").agg(pl.col("amount").sum())
            purchases = purchases.with_columns(lt=pl.col("timestamp"))
        else:
            zone = pl.col(config.zone_col)
            purchases = lazy.group_by("customer_id", "timestamp").agg(
                pl.col("amount").sum(), zone.first()
            )
            utc = pl.col("timestamp").dt.replace_time_zone("UTC")
            parts = [
                purchases.filter(zone == z).with_columns(
                    lt=utc.dt.convert_time_zone(z).dt.replace_time_zone(None)
                )
                for z in frame[config.zone_col].unique().to_list()
            ]
            purchases = pl.concat(parts).drop(config.zone_col)
        lt = pl.col("lt")
        days_in_year = pl.when(lt.dt.is_leap_year()).then(366).otherwise(365)
        same = pl.col("customer_id") == pl.col("customer_id").shift()
        step = pl.col("timestamp") - pl.col("timestamp").shift()
        f = (
            purchases.sort("customer_id", "timestamp")
            .with_columns(
                d=lt.dt.date(),
                mon=lt.dt.month(),
                hr=lt.dt.hour(),
                dow=lt.dt.weekday(),
                season=((lt.dt.month() % 12) // 3 + shift) % 4,
                angle=2 * np.pi * (lt.dt.ordinal_day() - 0.5) / days_in_year,
                gap=pl.when(same).then(step.dt.total_microseconds() / 86_400e6),
            )
            .drop("lt")
        )
        d = pl.col("d")
        flags = (
            f.select("d")
            .unique()
            .with_columns(
                pl.any_horizontal([d.is_between(s, e) for s, e in windows[o]]).alias(f"o_{o}")
                for o in occasions
            )
        )
        conditions = {f"share_{s}": pl.col("season") == i for i, s in enumerate(SEASONS)}
        conditions.update({f"share_{m}": pl.col("mon") == i + 1 for i, m in enumerate(MONTHS)})
        hour = pl.col("hr")
        conditions.update(
            {
                f"share_{b}": (hour >= bands[i]) & (hour < bands[i + 1])
                for i, (b, _) in enumerate(HOUR_BANDS)
            }
        )
        conditions["share_weekend"] = pl.col("dow").is_in([6, 7])
        conditions["share_occasion"] = pl.any_horizontal([pl.col(f"o_{o}") for o in occasions])
        conditions.update({f"share_{o}": pl.col(f"o_{o}") for o in occasions})
        n = pl.len()
        spend = pl.col("amount").sum()
        gap = pl.col("gap")
        aggs = [
            n.alias("n_purchases"),
            spend.alias("spend"),
            ((as_of - pl.col("timestamp").min()).dt.total_microseconds() / 86_400e6).alias(
                "observed_days"
            ),
            pl.when((gap.count() >= 2) & (gap.mean() > 0))
            .then(gap.std(ddof=1) / gap.mean())
            .alias("gap_cv"),
            (pl.col("angle").cos().sum() / n).alias("c"),
            (pl.col("angle").sin().sum() / n).alias("s"),
            *(((conditions[c]).sum() / n).alias(c) for c in shares),
            *(
                (pl.col("amount").filter(conditions[c]).sum() / spend).alias(f"spend_{c}")
                for c in shares
            ),
        ]
        c, s = pl.col("c"), pl.col("s")
        angle = pl.arctan2(s, c)
        peak = (
            pl.when(angle < 0).then(angle + 2 * np.pi).otherwise(angle) * 365.0 / (2 * np.pi) + 0.5
        )
        first_day = pl.date(2001, 1, 1)
        peak_month = (first_day + pl.duration(days=(peak - 1).floor().cast(pl.Int64))).dt.month()
        out = (
            f.join(flags, on="d")
            .group_by("customer_id")
            .agg(aggs)
            .with_columns(
                seasonal_concentration=pl.min_horizontal((c * c + s * s).sqrt(), pl.lit(1.0)),
                peak_day_of_year=peak,
                peak_season=((peak_month % 12) // 3 + shift) % 4,
            )
            .drop("c", "s")
            .collect()
            .to_pandas()
        )
        return _finish(out)

    return run


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    """Indexed by customer, sorted, the peak season as behaviorseg's categorical."""
    out = out.set_index("customer_id").sort_index()
    out["peak_season"] = pd.Categorical.from_codes(
        out["peak_season"].to_numpy(dtype=np.int64), categories=list(SEASONS)
    )
    return out


# --- checks and timing --------------------------------------------------------------------


def check_same(engine: str, config: Config, ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Counts and count shares exactly; sums and circular statistics to a relative 1e-9.

    The peak season exactly, but where the peak day is within 1e-6 of a whole day (the
    first day of a month may be the peak's day on either side of float noise).
    """
    if not ours.index.equals(theirs.index.astype(ours.index.dtype)):
        raise AssertionError(f"{engine} {config.name}: not the same customers as behaviorseg")
    missing = sorted(set(ours.columns) ^ set(theirs.columns))
    if missing:
        raise AssertionError(f"{engine} {config.name}: columns {missing} are not in both tables")
    for column in ours.columns:
        a, b = ours[column], theirs[column]
        if column == "n_purchases" or column.startswith("share_"):
            same = np.array_equal(a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True)
        elif column == "peak_season":
            # A peak within float noise of a month's first day may fall on either side.
            peak = ours["peak_day_of_year"].to_numpy()
            edge = np.abs(peak - np.round(peak)) < 1e-6
            same = bool(((a == b).to_numpy() | edge).all())
        else:
            same = np.allclose(a.to_numpy(), b.to_numpy(dtype=float), rtol=1e-9, equal_nan=True)
        if not same:
            raise AssertionError(
                f"{engine} {config.name}: column {column!r} differs from behaviorseg"
            )
    print(f"  {engine:<8} {config.name}: same table as behaviorseg ({len(ours.columns)} columns)")


def bench(n_rows: int, repeats: int, configs: list[Config]) -> None:
    tx = workload(n_rows)
    size = tx.memory_usage(deep=True).sum()
    plain = tx.drop(columns="zone")  # the configurations without zones read a frame without
    plain_size = plain.memory_usage(deep=True).sum()
    print(
        f"\n== {len(tx):,} rows, {tx['customer_id'].nunique():,} customers, input frame "
        f"{plain_size / 1e6:,.0f} MB ({size / 1e6:,.0f} MB with the zone column)"
    )
    try:
        import polars as pl

        native: dict[bool, Any] = {False: pl.from_pandas(plain), True: pl.from_pandas(tx)}
    except ImportError:
        native = {}
    rows = []
    for config in configs:
        frame = tx if config.zone_col is not None else plain
        calendar = retail_calendar(_local_years(tx), country=config.country)
        options = config.options(calendar)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")

            def ours_job(frame: pd.DataFrame = frame, options: dict[str, Any] = options) -> Any:
                return bs.occasion_table(frame, **options)

            ours = ours_job()
            seconds = {"behaviorseg": median_time(ours_job, repeats)}
            peak = peak_memory(ours_job) / frame.memory_usage(deep=True).sum()
            for engine, job, data in (
                ("duckdb", duckdb_job(config, calendar), frame),
                ("polars", polars_job(config, calendar), native.get(config.zone_col is not None)),
            ):
                if job is None or data is None:
                    continue
                check_same(engine, config, ours, job(data))
                seconds[engine] = median_time(lambda job=job, data=data: job(data), repeats)
        rows.append((config.name, seconds, peak))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"  {'configuration':<14} {'behaviorseg':>11} {'duckdb':>8} {'polars':>8} "
        f"{'/ fastest':>9} {'peak / input':>13}"
    )
    for name, seconds, peak in rows:
        engines = [seconds[e] for e in ("duckdb", "polars") if e in seconds]
        ratio = f"{seconds['behaviorseg'] / min(engines):.2f}" if engines else "-"
        shown = {e: f"{seconds[e]:.3f}" if e in seconds else "-" for e in ("duckdb", "polars")}
        print(
            f"  {name:<14} {seconds['behaviorseg']:11.3f} {shown['duckdb']:>8} "
            f"{shown['polars']:>8} {ratio:>9} {peak:13.2f}"
        )
    print(f"  load average (1, 5, 15 min): {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size (a smoke run)")
    parser.add_argument("--rows", type=int, nargs="*", help="sizes in rows")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--config", nargs="*", choices=[c.name for c in CONFIGS], help="configurations to time"
    )
    args = parser.parse_args()
    sizes = args.rows or ([200_000] if args.quick else [10_000_000])
    configs = [c for c in CONFIGS if args.config is None or c.name in args.config]
    for n_rows in sizes:
        bench(n_rows, 1 if args.quick else args.repeats, configs)


if __name__ == "__main__":
    main()
