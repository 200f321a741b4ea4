"""Benchmark ``engagement_table`` and ``category_table`` next to DuckDB and polars.

Each summary is timed in-process for behaviorseg and, when they are installed
(``pip install ".[bench]"``), for the same summary written in DuckDB SQL (on the registered
pandas frame) and in polars (lazy, on a polars frame converted before timing), on the same
in-memory data in the same run. The script checks that every engine gives the same table
as behaviorseg before timing it. Names (event, channel, category) are timed in three
dtypes for behaviorseg: pandas' default strings (pyarrow-backed with pandas 3), object
strings and Categorical.

- ``engagement_table(events, channel_col="channel")`` on ``make_engagement_events``
  (about 40 rows per customer: deliveries, opens, clicks, likes, comments, shares and
  event participations over 180 days): default weights, 30-day half-life, 90-day recent
  window, one ``days_since_last_<channel>`` per channel. The other engines are given the
  weights and the channel names (the column list) as constants; polars codes event and
  channel names to small integers before its aggregations (faster than comparing
  strings in each one).
- ``category_table(lines, category_col="category", amount_col="amount")`` on the first
  ``--rows`` lines of the transaction log of ``bench_rfm.py`` (``make_transactions``,
  about 12 lines per customer) with a seeded ``category`` per line (no generator gives
  one): each customer has a favourite among ten categories of uneven popularity, bought
  on 40 % of their lines; 2 % of the lines are returns (negative amounts, excluded with
  a warning). The other engines are given the category names (the column list) as
  constants; both sum the lines of each category per customer in one grouping (wider
  and faster than grouping by customer and category, then pivoting), polars over Enum
  codes.

Run::

    python benchmarks/bench_event_tables.py                 # 10M rows per log
    python benchmarks/bench_event_tables.py --quick         # 200k rows, a smoke run
    python benchmarks/bench_event_tables.py --rows 1000000 --repeats 5

Reported: median wall time of ``--repeats`` runs after one warm-up; the ratio of each time
to the faster of DuckDB and polars; peak memory of one behaviorseg run (tracemalloc: numpy
and pandas allocations, not Arrow's) over the input frame's ``memory_usage(deep=True)``;
the load average of the machine when the size finished. Logs are cached as parquet under
``/tmp/behaviorseg-bench/`` (generation and the category column are not timed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _timing import median_time
from bench_events import CACHE, peak_memory
from bench_rfm import workload as transactions_workload

import behaviorseg as bs
from behaviorseg.summaries import DEFAULT_ENGAGEMENT_WEIGHTS

ENGAGEMENT_ROWS_PER_CUSTOMER = 40.0  # make_engagement_events: about 40 rows per customer
HALF_LIFE_DAYS, RECENT_DAYS = 30, 90  # engagement_table's defaults
#: Ten categories, most popular first (Zipf-like weights 1/rank).
CATEGORIES = (
    "grocery",
    "home",
    "fashion",
    "electronics",
    "beauty",
    "sports",
    "toys",
    "garden",
    "books",
    "music",
)

Job = Callable[[Any], pd.DataFrame]


def engagement_workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_rows`` simulated deliveries, opens, clicks and social interactions, cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"engagement_{n_rows}_{seed}_v1.parquet"
    if path.exists():
        return pd.read_parquet(path)
    n_customers = max(int(n_rows / ENGAGEMENT_ROWS_PER_CUSTOMER), 100)
    events, _ = bs.datasets.make_engagement_events(n_customers, random_state=seed)
    with contextlib.suppress(ImportError):  # no pyarrow: no cache
        events.to_parquet(path)
    return events


def category_workload(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """The first ``n_rows`` lines of ``bench_rfm.py``'s log, with categories and 2 % returns."""
    tx = transactions_workload(n_rows, seed).iloc[:n_rows]
    rng = np.random.default_rng(seed + 1)
    popularity = 1.0 / np.arange(1, len(CATEGORIES) + 1)
    popularity /= popularity.sum()
    ids = tx["customer_id"].to_numpy()
    favourite = rng.choice(len(CATEGORIES), int(ids.max()) + 1, p=popularity)
    other = rng.choice(len(CATEGORIES), len(tx), p=popularity)
    code = np.where(rng.random(len(tx)) < 0.4, favourite[ids], other)
    amount = tx["amount"].to_numpy()
    returned = rng.random(len(tx)) < 0.02
    return pd.DataFrame(
        {
            "customer_id": ids,
            "category": pd.Series(np.asarray(CATEGORIES, dtype=object)[code], dtype="str"),
            "amount": np.where(returned, -amount, amount),
        }
    )


def run_engagement(frame: pd.DataFrame) -> pd.DataFrame:
    return bs.engagement_table(frame, channel_col="channel")


def run_categories(frame: pd.DataFrame) -> pd.DataFrame:
    return bs.category_table(frame, category_col="category", amount_col="amount")


def _engagement_sql(channels: list[str]) -> str:
    weights = ", ".join(
        f"('{name}', {weight}::DOUBLE)" for name, weight in DEFAULT_ENGAGEMENT_WEIGHTS
    )
    counts = [
        f"count(*) FILTER (WHERE event = '{name}') AS n_{name}"
        for name, _ in DEFAULT_ENGAGEMENT_WEIGHTS
    ]
    last = ["min(age) FILTER (WHERE event <> 'delivered') AS days_since_last_interaction"]
    last += [
        f"min(age) FILTER (WHERE event <> 'delivered' AND channel = '{c}') AS days_since_last_{c}"
        for c in channels
    ]
    kept = [f"coalesce(n_{name}, 0) AS n_{name}" for name, _ in DEFAULT_ENGAGEMENT_WEIGHTS]
    return f"""
WITH w(event, weight) AS (VALUES {weights}),
stamp AS (SELECT max(timestamp) AS as_of FROM ev),
k AS (
    SELECT ev.customer_id, ev.event, ev.channel, w.weight,
           date_diff('microsecond', ev.timestamp, stamp.as_of) / 86400e6 AS age
    FROM ev JOIN w ON ev.event = w.event CROSS JOIN stamp
),
s AS (
    SELECT customer_id,
           sum(weight * pow(2.0, -age / {HALF_LIFE_DAYS})) AS engagement_score,
           coalesce(sum(weight) FILTER (WHERE age >= {RECENT_DAYS} AND age < {2 * RECENT_DAYS}),
                    0.0) AS earlier_score,
           coalesce(sum(weight) FILTER (WHERE age < {RECENT_DAYS}), 0.0) AS recent_score,
           count(*) FILTER (WHERE age < {RECENT_DAYS} AND event = 'delivered')
               AS recent_delivered,
           {", ".join(counts + last)}
    FROM k GROUP BY customer_id
)
SELECT ids.customer_id,
       coalesce(engagement_score, 0.0) AS engagement_score,
       coalesce(earlier_score, 0.0) AS earlier_score,
       coalesce(recent_score, 0.0) AS recent_score,
       coalesce(recent_delivered, 0) AS recent_delivered,
       {", ".join(kept)},
       n_open / nullif(n_delivered, 0) AS open_rate,
       n_click / nullif(n_delivered, 0) AS click_rate,
       n_click / nullif(n_open, 0) AS click_to_open_rate,
       {", ".join(c.rsplit(" AS ", 1)[1] for c in last)}
FROM (SELECT DISTINCT customer_id FROM ev) ids LEFT JOIN s USING (customer_id)
"""


def _categories_sql(categories: list[str]) -> str:
    """One pass of per-category sums per customer, then the row-wise measures."""
    sums = [
        f"coalesce(sum(amount) FILTER (WHERE category = '{c}'), 0.0) AS s_{c}" for c in categories
    ]
    total = " + ".join(f"s_{c}" for c in categories)
    shares = [f"s_{c} / total_spend AS share_{c}" for c in categories]
    top = "greatest(" + ", ".join(f"share_{c}" for c in categories) + ")"
    dominant = " ".join(f"WHEN share_{c} = top THEN '{c}'" for c in categories)  # first wins
    breadth = " + ".join(f"(share_{c} > 0)::INTEGER" for c in categories)
    plogp = " + ".join(
        f"CASE WHEN share_{c} > 0 THEN share_{c} * log2(share_{c}) ELSE 0 END" for c in categories
    )
    return f"""
WITH s AS (
    SELECT customer_id, {", ".join(sums)} FROM tx
    WHERE customer_id IS NOT NULL AND category IS NOT NULL AND amount >= 0
    GROUP BY customer_id
),
p AS (
    SELECT customer_id, total_spend, {", ".join(shares)}
    FROM (SELECT *, {total} AS total_spend FROM s) WHERE total_spend > 0
)
SELECT customer_id, {", ".join(f"share_{c}" for c in categories)},
       CASE {dominant} END AS dominant_category,
       {breadth} AS n_categories,
       greatest(-({plogp}), 0.0) AS category_entropy,
       total_spend
FROM (SELECT *, {top} AS top FROM p)
"""


def duckdb_jobs(channels: list[str], categories: list[str]) -> dict[str, Job]:
    try:
        import duckdb
    except ImportError:
        return {}

    def query(sql: str, table: str) -> Job:
        def run(frame: pd.DataFrame) -> pd.DataFrame:
            con = duckdb.connect()
            con.execute("SET threads TO 2")
            con.register(table, frame)
            out: pd.DataFrame = con.execute(sql).df()
            con.close()
            return out.set_index("customer_id").sort_index()

        return run

    return {
        "engagement_table": query(_engagement_sql(channels), "ev"),
        "category_table": query(_categories_sql(categories), "tx"),
    }


def polars_jobs(channels: list[str], categories: list[str]) -> dict[str, Job]:
    try:
        import polars as pl
    except ImportError:
        return {}
    weights = dict(DEFAULT_ENGAGEMENT_WEIGHTS)
    names = list(weights)
    codes = {name: j for j, name in enumerate(names)}
    by_code = {j: weights[name] for j, name in enumerate(names)}

    def engagement(frame: Any) -> pd.DataFrame:
        # Names coded to small integers first: the fastest way we found to write it.
        lazy = frame.lazy()
        as_of = frame["timestamp"].max()
        age, kind, slot, weight = pl.col("age"), pl.col("kind"), pl.col("slot"), pl.col("weight")
        delivered = names.index("delivered")
        acted = kind != delivered
        known = (
            lazy.with_columns(
                pl.col("event")
                .replace_strict(codes, default=-1, return_dtype=pl.Int8)
                .alias("kind"),
                pl.col("channel")
                .replace_strict(
                    {c: j for j, c in enumerate(channels)}, default=-1, return_dtype=pl.Int8
                )
                .alias("slot"),
            )
            .filter(kind >= 0)
            .with_columns(
                kind.replace_strict(by_code, return_dtype=pl.Float64).alias("weight"),
                ((as_of - pl.col("timestamp")).dt.total_microseconds() / 86_400e6).alias("age"),
            )
        )
        per_customer = known.group_by("customer_id").agg(
            (weight * (2.0 ** (-age / HALF_LIFE_DAYS))).sum().alias("engagement_score"),
            weight.filter((age >= RECENT_DAYS) & (age < 2 * RECENT_DAYS))
            .sum()
            .alias("earlier_score"),
            weight.filter(age < RECENT_DAYS).sum().alias("recent_score"),
            ((age < RECENT_DAYS) & (kind == delivered)).sum().alias("recent_delivered"),
            *[(kind == j).sum().alias(f"n_{name}") for name, j in codes.items()],
            age.filter(acted).min().alias("days_since_last_interaction"),
            *[
                age.filter(acted & (slot == j)).min().alias(f"days_since_last_{c}")
                for j, c in enumerate(channels)
            ],
        )

        def rate(num: str, den: str) -> Any:
            return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))

        counted = ["recent_delivered", *[f"n_{name}" for name in names]]
        out = (
            lazy.select("customer_id")
            .unique()
            .join(per_customer, on="customer_id", how="left")
            .with_columns(
                pl.col(counted).fill_null(0),
                pl.col("engagement_score", "earlier_score", "recent_score").fill_null(0.0),
            )
            .with_columns(
                rate("n_open", "n_delivered").alias("open_rate"),
                rate("n_click", "n_delivered").alias("click_rate"),
                rate("n_click", "n_open").alias("click_to_open_rate"),
            )
            .collect()
            .to_pandas()
        )
        return out.set_index("customer_id").sort_index()

    def category(frame: Any) -> pd.DataFrame:
        # Categories read as Enum codes: faster than comparing strings in each sum.
        line, code = pl.col("amount"), pl.col("category").cast(pl.Enum(categories)).to_physical()
        shares = [pl.col(f"share_{c}") for c in categories]
        plogp = [pl.when(x > 0).then(x * x.log(2)).otherwise(0.0) for x in shares]
        out = (
            frame.lazy()
            .filter(
                pl.col("customer_id").is_not_null() & pl.col("category").is_not_null() & (line >= 0)
            )
            .with_columns(code.alias("code"))
            .group_by("customer_id")
            .agg(
                line.filter(pl.col("code") == j).sum().alias(f"s_{c}")
                for j, c in enumerate(categories)
            )
            .with_columns(pl.sum_horizontal(f"s_{c}" for c in categories).alias("total_spend"))
            .filter(pl.col("total_spend") > 0)
            .select(
                "customer_id",
                *[
                    (pl.col(f"s_{c}") / pl.col("total_spend")).alias(f"share_{c}")
                    for c in categories
                ],
                "total_spend",
            )
            .with_columns(
                pl.concat_list(shares)  # arg_max: the first largest, in column order
                .list.arg_max()
                .replace_strict(dict(enumerate(categories)), return_dtype=pl.String)
                .alias("dominant_category"),
                pl.sum_horizontal(x > 0 for x in shares).alias("n_categories"),
                (-pl.sum_horizontal(plogp)).clip(lower_bound=0.0).alias("category_entropy"),
            )
            .collect()
            .to_pandas()
        )
        return out.set_index("customer_id").sort_index()

    return {"engagement_table": engagement, "category_table": category}


def check_same(engine: str, summary: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same customers and columns; counts and names exactly, floats to 1e-9 (other sums).

    A different dominant category is accepted only where the two categories' shares
    tie to 1e-12 (engines add floats in different orders).
    """
    if not ours.index.equals(theirs.index.astype(ours.index.dtype)):
        raise AssertionError(f"{engine} {summary}: not the same customers as behaviorseg")
    missing = set(ours.columns) - set(theirs.columns)
    if missing:
        raise AssertionError(f"{engine} {summary}: no column {sorted(missing)}")
    for column in ours.columns:
        a, b = ours[column], theirs[column]
        if column == "dominant_category":
            differ = a.astype(object).to_numpy() != b.astype(object).to_numpy()
            rows = np.flatnonzero(differ)
            mine = ours.iloc[rows]
            top = mine[[f"share_{c}" for c in a.cat.categories]].max(axis=1).to_numpy()
            theirs_share = np.array(
                [mine[f"share_{c}"].iloc[i] for i, c in enumerate(b.iloc[rows])], dtype=float
            )  # a loop over the few customers whose top categories tie
            same = bool(np.allclose(top, theirs_share, rtol=1e-12, atol=0))
        elif a.dtype.kind == "f":
            same = np.allclose(a.to_numpy(), b.to_numpy(dtype=float), rtol=1e-9, equal_nan=True)
        else:
            same = np.array_equal(a.to_numpy(), b.to_numpy())
        if not same:
            raise AssertionError(f"{engine} {summary}: column {column!r} differs from behaviorseg")
    print(f"  {engine:<8} {summary}: same table as behaviorseg")


def _name_kinds(frame: pd.DataFrame, columns: list[str]) -> dict[str, pd.DataFrame]:
    """The frame with its name columns as pandas' default strings, object and Categorical."""
    return {
        "str": frame,
        "object": frame.astype(dict.fromkeys(columns, object)),
        "category": frame.astype(dict.fromkeys(columns, "category")),
    }


def bench(n_rows: int, repeats: int, summaries: list[str]) -> None:
    logs: dict[str, tuple[pd.DataFrame, list[str], Job]] = {}
    if "engagement_table" in summaries:
        logs["engagement_table"] = (
            engagement_workload(n_rows),
            ["event", "channel"],
            run_engagement,
        )
    if "category_table" in summaries:
        logs["category_table"] = (category_workload(n_rows), ["category"], run_categories)
    rows: list[tuple[str, str, float, float]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rows excluded: returns, in the category log
        for name, (log, names, job) in logs.items():
            frames = _name_kinds(log, names)
            size = log.memory_usage(deep=True).sum()
            print(
                f"\n== {name}: {len(log):,} rows, {log['customer_id'].nunique():,} customers, "
                f"input frame {size / 1e6:,.0f} MB (names as {log[names[0]].dtype})"
            )
            ours = job(log)
            channels = sorted(log["channel"].unique()) if "channel" in log else []
            categories = sorted(log["category"].unique()) if "category" in log else []
            for engine, jobs in (
                ("duckdb", duckdb_jobs(channels, categories)),
                ("polars", polars_jobs(channels, categories)),
            ):
                if name not in jobs:
                    continue
                if engine == "polars":
                    import polars as pl

                    variants: dict[str, Any] = {"native": pl.from_pandas(log)}  # not timed
                else:
                    variants = {"str": log, "object": frames["object"]}
                for kind, frame in variants.items():
                    check_same(engine, name, ours, jobs[name](frame))
                    seconds = median_time(lambda f=frame, j=jobs[name]: j(f), repeats)
                    rows.append((name, f"{engine} ({kind})", seconds, float("nan")))
            for kind, frame in frames.items():
                seconds = median_time(lambda f=frame, j=job: j(f), repeats)
                peak = peak_memory(lambda f=frame, j=job: j(f))
                rows.append(
                    (
                        name,
                        f"behaviorseg ({kind})",
                        seconds,
                        peak / frame.memory_usage(deep=True).sum(),
                    )
                )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n  {'summary':<18} {'engine':<22} {'seconds':>8} {'/ fastest':>10} {'peak / input':>13}"
    )
    for name, engine, seconds, ratio in rows:
        others = [s for n, e, s, _ in rows if n == name and not e.startswith("behaviorseg")]
        fastest = f"{seconds / min(others):.2f}" if others else ""
        shown = "" if np.isnan(ratio) else f"{ratio:.2f}"
        print(f"  {name:<18} {engine:<22} {seconds:8.3f} {fastest:>10} {shown:>13}")
    print(f"  load average (1, 5, 15 min): {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size (a smoke run)")
    parser.add_argument("--rows", type=int, nargs="*", help="sizes in rows of each log")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only", choices=["engagement_table", "category_table"], help="time one summary"
    )
    args = parser.parse_args()
    sizes = args.rows or ([200_000] if args.quick else [10_000_000])
    summaries = [args.only] if args.only else ["engagement_table", "category_table"]
    for n_rows in sizes:
        bench(n_rows, 1 if args.quick else args.repeats, summaries)


if __name__ == "__main__":
    main()
