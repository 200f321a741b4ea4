"""The two 2×2 models on simulated data whose true quadrants are known.

1. Assael's buying behaviour: a view + purchase log with brands -> ``brand_table``
   -> ``AssaelSegmenter`` (involvement × perceived brand differences).
2. Walker's loyalty matrix: RFM columns + a sparse NPS survey ->
   ``WalkerLoyaltySegmenter`` (behaviour × attitude, "unknown attitude" for the
   customers who never answered).

Run with ``python examples/matrix_segments.py`` (a few seconds). Add ``--figures`` to
draw the two matrices into ``docs/img/`` (needs matplotlib).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from behaviorseg.datasets import make_brand_events, make_loyalty_customers
from behaviorseg.segmenters import AssaelSegmenter, WalkerLoyaltySegmenter
from behaviorseg.summaries import brand_table

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "img"


def assael() -> tuple[pd.DataFrame, AssaelSegmenter, pd.Series]:
    events, truth = make_brand_events(3000, random_state=0)
    buyers = brand_table(events)  # one row per buyer: research and brand-choice proxies
    segmenter = AssaelSegmenter().fit(buyers)
    labels = pd.Series(segmenter.predict(buyers), index=buyers.index, name="predicted")
    labels = labels.astype(pd.CategoricalDtype(segmenter.segments_))

    print("== Assael: buying behaviour ==")
    print(f"{len(events):,} events, {len(buyers):,} buyers\n")
    print("Median proxies per predicted segment:")
    print(buyers.groupby(labels, observed=False).median().round(2).T.to_string(), "\n")
    print("Thresholds (z-units):", {k: round(v, 3) for k, v in segmenter.thresholds_.items()})
    true = truth.loc[buyers.index, "buying_behavior"].rename("true")
    print("\nTrue (rows) vs predicted (columns):")
    print(pd.crosstab(true, labels).to_string())
    accuracy = float((labels.astype(str) == true.astype(str)).mean())
    print(f"\nAgreement with the simulated truth: {accuracy:.1%}\n")
    return buyers, segmenter, labels


def walker() -> tuple[pd.DataFrame, WalkerLoyaltySegmenter, pd.Series]:
    customers, truth = make_loyalty_customers(3000, random_state=0)
    segmenter = WalkerLoyaltySegmenter().fit(customers)  # NPS answer, promoters = high
    labels = pd.Series(segmenter.predict(customers), index=customers.index, name="predicted")
    labels = labels.astype(pd.CategoricalDtype(segmenter.segments_))

    print("== Walker: loyalty matrix ==")
    answered = customers["likelihood_to_recommend"].notna()
    print(f"{len(customers):,} customers, {answered.mean():.0%} answered the NPS survey\n")
    summary = customers.groupby(labels, observed=False).agg(
        customers=("frequency", "size"),
        recency_days=("recency_days", "median"),
        frequency=("frequency", "median"),
        monetary=("monetary", "median"),
        nps_answer=("likelihood_to_recommend", "median"),
    )
    summary.insert(1, "share", (summary["customers"] / len(customers)).round(3))
    print(summary.to_string(), "\n")
    print("Thresholds:", {k: round(v, 3) for k, v in segmenter.thresholds_.items()})
    true = truth["loyalty"].rename("true")
    print("\nRespondents, true (rows) vs predicted (columns):")
    print(pd.crosstab(true[answered], labels[answered]).to_string())
    accuracy = float((labels[answered].astype(str) == true[answered].astype(str)).mean())
    print(f"\nAgreement with the simulated truth (respondents): {accuracy:.1%}")
    unknown = labels == segmenter.unknown_label
    print(
        f"Unknown attitude: {int(unknown.sum()):,} customers, all of them non-respondents: "
        f"{bool((unknown == ~answered).all())}"
    )
    return customers, segmenter, labels


def draw_matrix(
    scores: np.ndarray,
    labels: pd.Series,
    *,
    axis_titles: tuple[str, str],
    corners: tuple[str, str, str, str],
    title: str,
    path: Path,
    jitter: float = 0.0,
) -> None:
    """Scatter the two axis scores (threshold at 0), one colour per segment, name the cells.

    ``corners`` are the segment names in reading order: top-left, top-right,
    bottom-left, bottom-right. ``jitter`` spreads discrete y values for visibility.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    known = ~np.isnan(scores).any(axis=1)
    points = scores[known].copy()
    points[:, 1] += np.random.default_rng(0).uniform(-jitter, jitter, len(points))
    names = labels.astype(str).to_numpy()[known]
    colours: dict[str, Any] = dict(zip(corners, plt.get_cmap("tab10").colors, strict=False))
    for name in corners:
        ax.scatter(*points[names == name].T, s=6, alpha=0.45, color=colours[name])
    ax.axhline(0.0, color="black", lw=1)
    ax.axvline(0.0, color="black", lw=1)
    low, high = np.percentile(points, [0.5, 99.5], axis=0)
    pad = 0.25 * (high - low)
    ax.set_xlim(min(low[0], 0) - pad[0], max(high[0], 0) + pad[0])
    ax.set_ylim(min(low[1], 0) - pad[1], max(high[1], 0) + pad[1])
    spots = (
        (0.03, 0.96, "left", "top"),
        (0.97, 0.96, "right", "top"),
        (0.03, 0.04, "left", "bottom"),
        (0.97, 0.04, "right", "bottom"),
    )
    for name, (x, y, ha, va) in zip(corners, spots, strict=True):
        ax.text(
            x,
            y,
            name,
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=11,
            weight="bold",
            color=colours[name],
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )
    ax.set_xlabel(axis_titles[0])
    ax.set_ylabel(axis_titles[1])
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", action="store_true", help="save the 2x2 figures")
    args = parser.parse_args()
    with pd.option_context("display.width", 120, "display.max_columns", 12):
        buyers, assael_seg, assael_labels = assael()
        customers, walker_seg, walker_labels = walker()
    if args.figures:
        draw_matrix(
            assael_seg.transform(buyers),
            assael_labels,
            axis_titles=("involvement score (0 = median)", "brand-differences score (0 = median)"),
            corners=("variety-seeking", "complex", "habitual", "dissonance-reducing"),
            title="Assael buying behaviour (simulated buyers)",
            path=FIGURES / "assael_matrix.png",
        )
        draw_matrix(
            walker_seg.transform(customers),
            walker_labels,
            axis_titles=(
                "behaviour score (0 = median)",
                "NPS answer - 8.5 (promoters > 0; jittered ±0.2)",
            ),
            corners=("accessible", "truly loyal", "high risk", "trapped"),
            jitter=0.2,
            title="Walker loyalty matrix (simulated respondents)",
            path=FIGURES / "walker_matrix.png",
        )


if __name__ == "__main__":
    main()
