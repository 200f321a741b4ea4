"""Benchmark ClusterSegmenter: fit (k fixed) and predict on a million customers.

Prints, for each method, the time to fit with ``n_clusters`` fixed (the bootstrap
stability included, then without it) and to ``predict`` the whole table, as the
median of several runs after a warm-up. Targets (issue 13): fit <= 10 s and predict
<= 0.5 s for 1,000,000 customers x 5 features on two cores, k-means.

Run::

    python benchmarks/bench_cluster.py            # 1,000,000 customers
    python benchmarks/bench_cluster.py --quick    # 20,000 customers (a smoke run)
"""

from __future__ import annotations

import argparse
import time

from _timing import median_time
from sklearn.metrics import adjusted_rand_score

from behaviorseg import ClusterSegmenter
from behaviorseg.datasets import make_customers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--methods", default="kmeans,bisecting,ward,gmm", help="comma-separated")
    args = parser.parse_args()
    n = 20_000 if args.quick else 1_000_000
    repeats = 1 if args.quick else 3

    start = time.perf_counter()
    customers, truth = make_customers(n, n_segments=4, random_state=0)
    print(
        f"make_customers: {n:,} customers x {customers.shape[1]} features in "
        f"{time.perf_counter() - start:.1f} s (not timed below)"
    )
    for method in args.methods.split(","):
        seg = ClusterSegmenter(method=method, n_clusters=4, random_state=0)
        fit = median_time(lambda s=seg: s.fit(customers), repeats)
        bare = ClusterSegmenter(method=method, n_clusters=4, n_bootstrap=0, random_state=0)
        fit_bare = median_time(lambda s=bare: s.fit(customers), repeats)
        predict = median_time(lambda s=seg: s.predict(customers), repeats)
        transform = median_time(lambda s=seg: s.transform(customers), repeats)
        ari = adjusted_rand_score(truth["segment"], seg.predict(customers))
        print(
            f"{method:10s} fit {fit:7.2f} s (without stability {fit_bare:6.2f} s)  "
            f"predict {predict:6.3f} s  transform {transform:6.3f} s  "
            f"ARI {ari:.3f}  stability {seg.stability_:.3f}"
        )
    auto = ClusterSegmenter(random_state=0)
    start = time.perf_counter()
    auto.fit(customers)
    print(
        f"kmeans, n_clusters='auto' (k = 2..8): fit {time.perf_counter() - start:.2f} s, "
        f"chose k = {auto.n_clusters_}"
    )


if __name__ == "__main__":
    main()
