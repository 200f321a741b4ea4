"""Discover segments in CDNOW: choose k, name and profile the clusters, compare with RFM.

Steps: ``rfm_table`` on the bundled CDNOW sample → ``ClusterSegmenter`` with
``n_clusters="auto"`` (silhouette per k) and the bootstrap stability per k → a fit
with the chosen k, renamed after reading the profiles → ``segment_profile`` →
a crosstab with the RFM segments → a classifier of the first 30 days of behaviour.

Run with ``python examples/discover_segments.py``; add ``--figures`` to write the
figures used in the docs (``docs/img/clustering_scores.png``,
``docs/img/clustering_profiles.png``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import behaviorseg as bs
from behaviorseg import profiling
from behaviorseg.exceptions import BehaviorsegWarning, RowsExcludedWarning

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value")
NAMES = {
    "very frequent · very high spend · recent": "VIPs",
    "recent · frequent": "regulars",
    "large baskets · lapsed · infrequent": "big-basket one-timers",
    "low spend · small baskets · lapsed": "small one-timers",
}


def choose_k(customers: pd.DataFrame) -> pd.DataFrame:
    """Silhouette and inertia per k (from the auto fit) with the stability of each k."""
    auto = bs.ClusterSegmenter(FEATURES, value_col="monetary", random_state=0).fit(customers)
    assert auto.scores_ is not None
    scores = auto.scores_.copy()
    scores["stability"] = [
        bs.ClusterSegmenter(FEATURES, n_clusters=k, value_col="monetary", random_state=0)
        .fit(customers)
        .stability_
        for k in scores.index
    ]
    print(f"n_clusters='auto' chose k = {auto.n_clusters_}: {auto.segments_}")
    return scores


def early_behaviour_classifier(tx: pd.DataFrame) -> None:
    """The first 30 days of each customer -> the cluster reached at 1997-09-30."""
    first = tx.groupby("customer_id")["timestamp"].transform("min")
    early = (
        tx[tx["timestamp"] < first + pd.Timedelta(days=30)]
        .groupby("customer_id")
        .agg(purchases_30d=("timestamp", "size"), spend_30d=("amount", "sum"))
    )
    later = bs.rfm_table(tx, as_of="1997-09-30")
    seg = bs.ClusterSegmenter(FEATURES, n_clusters=3, value_col="monetary", random_state=0)
    target = pd.Series(seg.fit(later).predict(later), index=later.index).loc[early.index]
    X_train, X_test, y_train, y_test = train_test_split(
        early, target, test_size=0.3, random_state=0, stratify=target
    )
    model = make_pipeline(
        FunctionTransformer(np.log1p), HistGradientBoostingClassifier(random_state=0)
    )
    accuracy = model.fit(X_train, y_train).score(X_test, y_test)
    baseline = y_test.value_counts(normalize=True).max()
    print(f"held-out accuracy {accuracy:.3f} (largest segment alone: {baseline:.3f})")


def main(figures: bool = False) -> None:
    tx = bs.datasets.load_cdnow()
    customers = bs.rfm_table(tx)
    scores = choose_k(customers)
    print(scores.round(3).to_string(), "\n")

    seg = bs.ClusterSegmenter(
        FEATURES, n_clusters=4, value_col="monetary", names=NAMES, random_state=0
    ).fit(customers)
    customers["cluster"] = pd.Categorical(seg.predict(customers), categories=seg.segments_)
    print(f"stability {seg.stability_:.3f}")
    profile = profiling.segment_profile(
        customers, segment_col="cluster", features=list(FEATURES), value_col="monetary"
    )
    print(profile.xs("mean", axis=1, level="statistic").round(1).to_string(), "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)  # ties in frequency
        rfm = bs.RFMSegmenter().fit(customers)
    customers["rfm"] = pd.Categorical(rfm.predict(customers), categories=rfm.segments_)
    print(pd.crosstab(customers["rfm"], customers["cluster"]).to_string(), "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)  # purchases after as_of
        early_behaviour_classifier(tx)

    if figures:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(scores.index, scores["silhouette"], marker="o", label="silhouette")
        ax.plot(scores.index, scores["stability"], marker="s", label="bootstrap stability (ARI)")
        ax.axvline(4, color="grey", linestyle=":", label="chosen k = 4")
        ax.set_xlabel("number of clusters k")
        ax.set_ylim(0, 1.05)
        ax.set_title("CDNOW: scores per k")
        ax.legend(loc="lower left")
        fig.savefig(IMG / "clustering_scores.png", dpi=110, bbox_inches="tight")

        z = seg.z_scores_
        fig, ax = plt.subplots(figsize=(6.5, 3))
        image = ax.imshow(z.to_numpy(), cmap="RdBu_r", vmin=-2.5, vmax=2.5, aspect="auto")
        ax.set_xticks(range(z.shape[1]), list(z.columns))
        ax.set_yticks(range(z.shape[0]), list(z.index))
        for (i, j), value in np.ndenumerate(z.to_numpy()):
            ax.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=9)
        fig.colorbar(image, ax=ax, label="standard deviations from the mean")
        ax.set_title("CDNOW clusters: profile (log scale for counts and amounts)")
        fig.savefig(IMG / "clustering_profiles.png", dpi=110, bbox_inches="tight")
        plt.close("all")
        print(f"wrote the clustering figures to {IMG}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", action="store_true", help="write the docs figures")
    main(parser.parse_args().figures)
