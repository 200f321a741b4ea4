"""Funnel stages on a simulated event log: AIDA stage per customer and stage conversion.

Simulates a product's events with ``datasets.make_events`` (the true stage of every
customer is known), builds the per-customer funnel table, assigns each customer the
furthest AIDA stage reached, and prints the stage-to-stage
conversion overall and per usage tier.

Run with ``python examples/funnel_stages.py``; add ``--figures`` to write the funnel
chart used in the docs (``docs/img/funnel.png``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import behaviorseg as bs
from behaviorseg.exceptions import RowsExcludedWarning
from behaviorseg.kpi import funnel_conversion
from behaviorseg.summaries import AIDA_STAGES

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def main(figures: bool = False) -> None:
    events, truth = bs.datasets.make_events(3000, random_state=42)
    print(f"{len(events):,} events of {events['customer_id'].nunique():,} customers\n")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)  # usage sessions are not funnel events
        funnel = bs.funnel_table(events, stages=AIDA_STAGES)
    stage = bs.AIDAStageSegmenter()  # lookback=... would let old stages count only recently
    funnel["stage"] = pd.Categorical(stage.fit_predict(funnel), categories=stage.segments_)
    print("Customers per stage (furthest stage reached):")
    print(funnel["stage"].value_counts(sort=False).to_string(), "\n")

    agree = (funnel["stage"].astype(str) == truth.loc[funnel.index, "stage"]).mean()
    print(f"Agreement with the simulated truth: {agree:.1%}\n")

    overall = funnel_conversion(funnel)
    print("Stage-to-stage conversion, all customers:")
    print(overall.round(3).to_string(), "\n")

    usage = bs.usage_table(events, event_col="event", usage_events=("session",), value_col="value")
    tiers = bs.UsageTierSegmenter().fit(usage)
    tier = pd.Series(tiers.predict(usage), index=usage.index).reindex(funnel.index)
    tier = tier.fillna("non-user")
    by_tier = funnel_conversion(funnel, segments=tier)
    print("Conversion from desire to action, per usage tier:")
    print(by_tier.xs("action", level=1)[["customers", "reached", "conversion_rate"]].round(3))

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        from behaviorseg.plotting import funnel_chart

        ax = funnel_chart(overall)
        IMG.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(IMG / "funnel.png", dpi=110, bbox_inches="tight")
        print(f"\nwrote {IMG / 'funnel.png'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", action="store_true", help="write docs/img/funnel.png")
    main(parser.parse_args().figures)
