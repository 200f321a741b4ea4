"""Lifecycle statuses on CDNOW and engagement tiers on a simulated message log.

Lifecycle: summarises the CDNOW purchases at the end of the classic calibration
period (1997-09-30) with ``lifecycle_table``, names each customer's status against
their own rhythm with ``LifecycleSegmenter``, and prints the share of each status
that bought again in the holdout (to 1998-06-30), then the status flows month by
month. Engagement: simulates e-mail and social interactions with
``datasets.make_engagement_events`` (the true tier of every customer is known),
builds ``engagement_table`` and compares ``EngagementSegmenter``'s tiers with the
truth.

Run with ``python examples/engagement_lifecycle.py``; add ``--figures`` to write the
figures used in the docs (``docs/img/lifecycle_*.png`` and ``docs/img/engagement_*.png``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import behaviorseg as bs
from behaviorseg.exceptions import RowsExcludedWarning

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")


def lifecycle(figures: bool) -> None:
    """CDNOW statuses at the end of calibration, their holdout repurchase, monthly flows."""
    tx = bs.datasets.load_cdnow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)  # the holdout rows
        table = bs.lifecycle_table(tx, as_of=CALIBRATION_END)
    seg = bs.LifecycleSegmenter().fit(table)
    status = pd.Categorical(seg.predict(table), categories=seg.segments_)
    holdout = tx[(tx["timestamp"] > CALIBRATION_END) & (tx["timestamp"] <= HOLDOUT_END)]
    again = table.index.isin(holdout["customer_id"])
    result = (
        pd.DataFrame({"status": status, "bought_again": again})
        .groupby("status", observed=False)["bought_again"]
        .agg(customers="size", bought_again="mean")
    )
    print(f"Population rhythm (default_gap_): {seg.default_gap_:.1f} days\n")
    print("Status at 1997-09-30 and share that bought again by 1998-06-30:")
    print(result.round(3).to_string(), "\n")

    month_ends = pd.date_range(CALIBRATION_END, HOLDOUT_END, freq="ME" if _new_pandas() else "M")
    shares = {}
    for end in month_ends:  # a loop over ten month ends, not over customers
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RowsExcludedWarning)
            snapshot = bs.lifecycle_table(tx, as_of=end)
        labels = pd.Categorical(seg.predict(snapshot), categories=seg.segments_)
        shares[end.date()] = pd.Series(labels).value_counts(normalize=True, sort=False)
    flows = pd.DataFrame(shares).T
    print("Share of customers per status, month by month (rules fitted at 1997-09-30):")
    print(flows.round(3).to_string(), "\n")

    if figures:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.0, 3.8))
        shown = result[result["customers"] > 0]
        bars = ax.bar(shown.index.astype(str), shown["bought_again"], color="#4c72b0")
        for bar, n in zip(bars, shown["customers"], strict=True):
            ax.annotate(
                f"n={n:,}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax.set_ylabel("share that bought again in the holdout")
        ax.set_ylim(0, 1)
        ax.set_title("CDNOW: status at 1997-09-30 vs purchases to 1998-06-30")
        _save(fig, "lifecycle_holdout.png")

        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        ax.stackplot(range(len(flows)), flows.to_numpy().T, labels=list(flows.columns), alpha=0.85)
        ax.set_xticks(range(len(flows)))
        ax.set_xticklabels([str(d)[:7] for d in flows.index], rotation=45, ha="right")
        ax.set_ylabel("share of customers")
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.set_title("CDNOW: lifecycle statuses month by month")
        _save(fig, "lifecycle_flows.png")


def engagement(figures: bool) -> None:
    """Simulated messages and social interactions: tiers against the truth."""
    events, truth = bs.datasets.make_engagement_events(3000, random_state=0)
    table = bs.engagement_table(events, channel_col="channel", as_of="2024-12-31")
    seg = bs.EngagementSegmenter().fit(table)
    segment = pd.Categorical(seg.predict(table), categories=seg.segments_)
    print(f"Tier cut points on engagement_score: {seg.thresholds_.round(2)}\n")
    columns = ["engagement_score", "open_rate", "click_rate", "recent_score", "earlier_score"]
    print("Median measures per segment:")
    print(table.groupby(segment, observed=False)[columns].median().round(2).to_string(), "\n")
    found = pd.crosstab(truth["segment"], pd.Series(segment, index=table.index, name="found"))
    agree = (pd.Series(segment, index=table.index).astype(str) == truth["segment"]).mean()
    print(f"Agreement with the simulated truth: {agree:.1%}")
    print(found.to_string(), "\n")

    if figures:
        import matplotlib.pyplot as plt
        import numpy as np

        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        bins = np.linspace(0, np.log1p(table["engagement_score"].max()), 40)
        for name in seg.segments_[:4]:  # the four tiers: scores on a log scale
            chosen = table["engagement_score"].to_numpy()[segment == name]
            ax.hist(np.log1p(chosen), bins=bins, alpha=0.7, label=name)
        for cut in seg.thresholds_:
            ax.axvline(np.log1p(cut), color="black", linewidth=1, linestyle="--")
        ax.set_xlabel("log(1 + engagement score)")
        ax.set_ylabel("customers")
        ax.legend(frameon=False)
        ax.set_title("Engagement tiers and their learned cut points")
        _save(fig, "engagement_scores.png")

        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        counts = pd.Series(segment).value_counts(sort=False)
        ax.barh(counts.index.astype(str), counts.to_numpy(), color="#55a868")
        ax.invert_yaxis()
        ax.set_xlabel("customers")
        ax.set_title("Engagement segments (simulated log, 3,000 customers)")
        _save(fig, "engagement_tiers.png")


def _new_pandas() -> bool:
    """pandas >= 2.2 names month ends "ME" (and warns about "M")."""
    major, minor = (int(p) for p in pd.__version__.split(".")[:2])
    return (major, minor) >= (2, 2)


def _save(fig: object, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    fig.savefig(IMG / name, dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    print(f"wrote {IMG / name}")


def main(figures: bool = False) -> None:
    if figures:
        import matplotlib

        matplotlib.use("Agg")
    lifecycle(figures)
    engagement(figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", action="store_true", help="write the docs figures")
    main(parser.parse_args().figures)
