"""From segments to actions: RFM x churn risk, persona cards, a migration and an A/B plan.

By default on the bundled CDNOW sample (2,357 customers of the 1997-Q1 cohort, purchases
until June 1998). Pass the path of the UCI "Online Retail" invoice table (columns
``customer_id``, ``invoice_no``, ``date``, ``amount``, one row per invoice, e.g.
``../shared/data/online_retail/online_retail_invoices.csv``) and its dates with
``--as-of`` to run the same steps on it.

Steps: ``rfm_table`` and ``clv_summary`` at one date → ``RFMSegmenter`` and
``ChurnSegmenter`` → ``segment_profile``, ``distinguishing_features``,
``cross_segments`` → ``persona_cards`` with the built-in actions → ``segment_history``
over two quarters → ``migration_matrix`` → ``ab_test_plan`` for one segment.

Run with ``python examples/segments_to_actions.py``; add ``--figures`` to write the
figures used in the docs (``docs/img/profiling_migration.png``,
``docs/img/profiling_flow.png``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import behaviorseg as bs
from behaviorseg import profiling
from behaviorseg.exceptions import BehaviorsegWarning, RowsExcludedWarning

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
FEATURES = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]


def load(path: str | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The order log and the column arguments of the summaries for it."""
    if path is None:
        return bs.datasets.load_cdnow(), {}
    invoices = pd.read_csv(path, dtype={"invoice_no": str})
    invoices["date"] = pd.to_datetime(invoices["date"], format="%Y-%m-%d %H:%M:%S")
    return invoices, {"time_col": "date"}


def main(path: str | None, dates: list[str], figures: bool) -> None:
    tx, columns = load(path)
    first, second = dates
    warnings.simplefilter("ignore", RowsExcludedWarning)  # purchases after as_of, by design

    # Two segmentations of the same customers at the first date.
    customers = bs.rfm_table(tx, as_of=first, **columns)
    summary = bs.clv_summary(tx, as_of=first, freq="D", freq_multiplier=7, **columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)  # ties in frequency
        rfm = bs.RFMSegmenter().fit(customers)
    churn = bs.ChurnSegmenter(horizon=13.0, thresholds=(0.75, 0.9)).fit(summary)
    customers["segment"] = pd.Categorical(rfm.predict(customers), categories=rfm.segments_)
    customers["churn_risk"] = pd.Categorical(
        churn.predict(summary.loc[customers.index]), categories=churn.segments_
    )
    print(f"{len(customers):,} customers as of {first}\n")

    profile = profiling.segment_profile(
        customers, segment_col="segment", features=FEATURES, value_col="monetary"
    )
    print("Profile: index against the average customer (100 = average)")
    print(profile.xs("index", axis=1, level="statistic").round(0).to_string(), "\n")
    criteria = profiling.distinguishing_features(
        customers, segment_col="segment", features=[*FEATURES, "churn_risk"]
    )
    print("What separates the segments")
    print(criteria[["kind", "effect_size", "p_adjusted"]].round(3).to_string(), "\n")
    crossing = profiling.cross_segments(
        customers["segment"], customers["churn_risk"], min_size=50, revenue=customers["monetary"]
    )
    print("RFM x churn risk (cells under 50 customers folded into 'other')")
    print(crossing.labels.value_counts().to_string(), "\n")

    cards = profiling.persona_cards(
        customers,
        segment_col="segment",
        value_col="monetary",
        features=FEATURES,
        describe=("churn_risk",),
    )
    print(profiling.render_persona_cards(cards.loc[["champions", "at risk"]]))

    # Migration over the next quarter, with the cut points of the first date.
    tables = {when: bs.rfm_table(tx, as_of=when, **columns) for when in dates}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        history = profiling.segment_history(bs.RFMSegmenter(), tables)
    customer_col = history.columns[0]
    before = history[history["as_of"] == first].set_index(customer_col)["segment"]
    after = history[history["as_of"] == second].set_index(customer_col)["segment"]
    matrix = profiling.migration_matrix(before, after)
    print(f"Migration {first} -> {second} (customers)")
    print(matrix.to_string(), "\n")

    # An offer test for one segment: the share who buy again within the next quarter.
    buyers = tx.loc[
        (tx[columns.get("time_col", "timestamp")] > pd.Timestamp(first))
        & (tx[columns.get("time_col", "timestamp")] <= pd.Timestamp(second)),
        "customer_id",
    ].unique()
    customers["bought_next_quarter"] = customers.index.isin(buyers)
    rates = bs.kpi.conversion_rate(
        customers, segment_col="segment", converted_col="bought_next_quarter"
    )
    plan = profiling.ab_test_plan(
        rates.loc[rates["n"] > 0], lift=0.3, segment_size="n", daily_traffic=None
    )
    print("A/B plan: +30 % repurchase within a quarter, alpha 0.05 two-sided, power 0.8")
    print(plan[["baseline_rate", "n_control", "n_total", "size", "share_of_segment"]].round(3))

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from behaviorseg.plotting import migration_heatmap, segment_flow

        IMG.mkdir(parents=True, exist_ok=True)
        ax = migration_heatmap(matrix)
        ax.set_title(f"RFM migration {first} to {second} (colour: share of the row)")
        ax.figure.savefig(IMG / "profiling_migration.png", dpi=110, bbox_inches="tight")
        ax = segment_flow(before, after)
        ax.set_title(f"RFM segments, {first} (left) to {second} (right)")
        ax.figure.savefig(IMG / "profiling_flow.png", dpi=110, bbox_inches="tight")
        print(f"\nwrote the migration heatmap and flow chart to {IMG}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("invoices", nargs="?", help="UCI Online Retail invoice table (CSV)")
    parser.add_argument(
        "--as-of",
        nargs=2,
        default=["1997-12-31", "1998-03-31"],
        metavar=("FIRST", "SECOND"),
        help="the two dates (default: the last two quarters of CDNOW's first year)",
    )
    parser.add_argument("--figures", action="store_true", help="write the docs figures")
    args = parser.parse_args()
    main(args.invoices, args.as_of, args.figures)
