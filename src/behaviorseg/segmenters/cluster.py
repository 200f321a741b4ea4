"""Discovered segments: k-means, Gaussian mixture, Ward and bisecting k-means, with names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import cut_tree, fcluster, linkage
from scipy.stats import skew
from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from .._base import BaseSegmenter
from .._protected import check_criteria
from .._validation import Constraint, InstanceOf, Interval, Options
from ..exceptions import DataValidationError

__all__ = ["ClusterSegmenter"]

#: k-means switches to mini-batch k-means above this many customers.
MINIBATCH_ABOVE = 100_000
#: Choosing k and the bootstrap use a seeded sample of at most this many customers.
SELECTION_ROWS = 20_000
#: Silhouettes are computed on a seeded sample of at most this many customers.
SILHOUETTE_ROWS = 5_000
#: Ward's method (memory and time O(n²)) runs on a seeded sample of at most this many.
WARD_ROWS = 3_000
#: ``log_transform="auto"`` takes log1p of a non-negative column with a larger skewness.
SKEW_THRESHOLD = 1.0
#: Variance added to the mixture's covariances (in scaled units): without it, components
#: collapse onto the many customers who share an integer count (one purchase), which
#: BIC rewards with spurious extra clusters.
MIXTURE_REG_COVAR = 0.1
#: A feature enters a cluster's name when the cluster mean is this many standard
#: deviations (of the preprocessed feature) from the overall mean.
NAME_THRESHOLD = 0.5
#: From this many standard deviations, the phrase reads "very ..." ("very frequent").
STRONG_THRESHOLD = 1.5

# Words for a high / low cluster mean, by column name; other columns get "high <name>".
_WORDS: dict[str, tuple[str, str]] = {
    "frequency": ("frequent", "infrequent"),
    "monetary": ("high spend", "low spend"),
    "avg_order_value": ("large baskets", "small baskets"),
    "tenure_days": ("long-standing", "new"),
}
_RECENCY_WORDS = ("lapsed", "recent")  # a high / low days-since value


def _recency_like(name: str) -> bool:
    """Days-since columns, where small is good: read reversed for names and order."""
    lowered = name.lower()
    return "recency" in lowered or "days_since" in lowered


def _words(name: str) -> tuple[str, str]:
    if _recency_like(name):
        return _RECENCY_WORDS
    return _WORDS.get(name, (f"high {name}", f"low {name}"))


@dataclass
class _Model:
    """One clustering: centroids in the preprocessed space, or a fitted mixture."""

    centers: np.ndarray
    mixture: GaussianMixture | None = None


def _sq_distances(Z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances of every row of ``Z`` to every centre, (n, k)."""
    d: np.ndarray = (
        np.einsum("ij,ij->i", Z, Z)[:, None]
        - 2.0 * (Z @ centers.T)
        + np.einsum("ij,ij->i", centers, centers)[None, :]
    )
    clipped: np.ndarray = np.maximum(d, 0.0)
    return clipped


def _assign(model: _Model, Z: np.ndarray) -> np.ndarray:
    """Cluster of every row: most probable component, or nearest centroid."""
    if model.mixture is not None:
        return np.asarray(model.mixture.predict(Z), dtype=np.int64)
    nearest: np.ndarray = np.argmin(_sq_distances(Z, model.centers), axis=1)
    return nearest.astype(np.int64)


def _group_means(Z: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster means of the columns of ``Z`` (NaN for an empty cluster) and sizes."""
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.stack([np.bincount(labels, weights=Z[:, j], minlength=k) for j in range(Z.shape[1])])
    with np.errstate(invalid="ignore", divide="ignore"):
        means: np.ndarray = (sums / counts).T
    return means, counts


def _unique_names(z: np.ndarray, labels: list[str]) -> list[str]:
    """A readable, unique name per cluster from its standardised means ``z`` (k, p).

    Each feature at least ``NAME_THRESHOLD`` from the mean gives a phrase ("frequent",
    "low spend", "recent" for a low days-since value; "very ..." from
    ``STRONG_THRESHOLD``); a name is the three strongest phrases joined by " · "
    ("average" if none). Clusters whose names hold the same phrases get more
    phrases, then a number.
    """
    k = z.shape[0]
    terms: list[list[str]] = []
    for c in range(k):  # a loop over a handful of clusters
        strength = np.abs(z[c])
        ranked = [j for j in np.argsort(-strength, kind="stable") if strength[j] >= NAME_THRESHOLD]
        terms.append(
            [
                ("very " if strength[j] >= STRONG_THRESHOLD else "")
                + _words(labels[j])[0 if z[c, j] > 0 else 1]
                for j in ranked
            ]
        )
    used = [min(3, len(t)) for t in terms]

    def key(c: int) -> frozenset[str]:
        return frozenset(terms[c][: used[c]])

    while True:
        keys = [key(c) for c in range(k)]
        grow = [c for c in range(k) if keys.count(keys[c]) > 1 and used[c] < len(terms[c])]
        if not grow:
            break
        for c in grow:
            used[c] += 1
    names = [" · ".join(terms[c][: used[c]]) or "average" for c in range(k)]
    keys = [key(c) for c in range(k)]
    for c in range(k):
        same = [d for d in range(k) if keys[d] == keys[c]]
        if len(same) > 1:
            names[c] = f"{names[c]} ({same.index(c) + 1})"
    return names


def _ward_models(Z: np.ndarray, ks: list[int], seed: int) -> dict[int, _Model]:
    """Ward's tree on (a seeded sample of) ``Z``, cut into each k; centres = group means."""
    if len(Z) > WARD_ROWS:
        Z = Z[np.sort(np.random.RandomState(seed).choice(len(Z), WARD_ROWS, replace=False))]
    tree = linkage(Z, method="ward")
    models = {}
    for k in ks:  # a loop over a handful of k
        groups = fcluster(tree, t=k, criterion="maxclust") - 1
        if groups.max() + 1 != k:  # equal merge heights: cut_tree always gives k groups
            groups = cut_tree(tree, n_clusters=k).ravel()
        models[k] = _Model(_group_means(Z, groups.astype(np.int64), k)[0])
    return models


class ClusterSegmenter(BaseSegmenter):
    """Discover segments by clustering a customer table, with stable, descriptive names.

    ``fit`` learns a preprocessing of the features (log1p for skewed counts and
    amounts, robust scaling, optional weights), chooses the number of clusters
    (``n_clusters="auto"``), clusters, orders the clusters by a value measure and
    names each one from its profile ("frequent · high spend · recent"); it also
    measures how reproducible the clusters are (``stability_``). ``predict``
    assigns new customers to the fitted clusters by name; ``transform`` returns
    the distances to the cluster centres (the membership probabilities for the
    Gaussian mixture).

    Parameters
    ----------
    features : tuple of str or None, default=None
        Columns to cluster on, read by name from a DataFrame (in any order, other
        columns ignored). ``None`` clusters on every column of the frame seen in
        ``fit`` (all must be numeric). A plain array is read by position: the
        first ``len(features)`` columns, or all of them.
    n_clusters : int or "auto", default="auto"
        Number of clusters (1 puts everybody in one segment, "average"), or
        ``"auto"`` to choose it in
        ``k_range``: the largest mean silhouette for the centroid methods, the
        smallest BIC for the mixture (see Notes).
    method : {"kmeans", "gmm", "ward", "bisecting"}, default="kmeans"
        ``"kmeans"``: k-means (mini-batch k-means above ``MINIBATCH_ABOVE`` =
        100,000 customers). ``"gmm"``: a Gaussian mixture with full covariances
        (each with ``MIXTURE_REG_COVAR`` = 0.1 added to its diagonal).
        ``"ward"``: Ward's agglomerative (hierarchical) clustering, on a seeded
        sample of at most ``WARD_ROWS`` = 3,000 customers, because it costs
        O(n²). ``"bisecting"``: bisecting (divisive) k-means.
    k_range : tuple of two int, default=(2, 8)
        Smallest and largest number of clusters tried by ``n_clusters="auto"``.
    scaling : {"robust", "standard"} or None, default="robust"
        After the log step, centre and scale every feature: by its median and
        interquartile range (``"robust"``), its mean and standard deviation
        (``"standard"``), or not at all (``None``). A feature with zero spread
        is only centred.
    log_transform : "auto", bool, default="auto"
        ``"auto"``: take ``log1p`` of every column whose values are all >= 0 and
        whose skewness exceeds ``SKEW_THRESHOLD`` = 1 (counts, amounts);
        ``True``: of every column (all must be >= 0); ``False``: of none. The
        columns chosen are in ``log_features_``.
    weights : mapping of str to float, sequence of float or None, default=None
        Weight of each feature in the distances: the scaled column is multiplied
        by it (0 drops the feature from the clustering but not from the names).
        A mapping by column name (missing columns weigh 1) or one number per
        feature in order.
    names : sequence of str, mapping of str to str, or None, default=None
        Segment names instead of the generated ones: one per cluster in
        ``segments_`` order, or a mapping from generated name to your name
        (names left out keep the generated one).
    value_col : str or None, default=None
        The feature that orders the clusters, highest mean first (lowest first
        for a days-since column, see Notes). ``None``: the first feature.
    n_init : int, default=4
        Runs of k-means (with different seeds, the best kept), of the mixture's
        EM, and of each bisection.
    n_bootstrap : int, default=10
        Bootstrap resamples behind ``stability_``; 0 skips it (``stability_`` is
        NaN).
    allow_protected : bool or tuple of str, default=False
        Let special categories of personal data (GDPR art. 9: health, religion
        ...) be clustering features: ``True`` for all, or the names allowed.
        Otherwise a feature whose name looks like one raises
        :class:`~behaviorseg.exceptions.ProtectedAttributeError`.
    random_state : int, RandomState or None, default=None
        Seed of every random step (samples, initialisations, bootstrap); an int
        makes ``fit`` deterministic.

    Attributes
    ----------
    segments_ : list of str
        Segment names in cluster order (highest value first).
    n_clusters_ : int
        Number of clusters fitted.
    scores_ : DataFrame or None
        With ``n_clusters="auto"``: one row per k tried (index ``n_clusters``),
        columns ``silhouette``, ``inertia`` (within-cluster sum of squares on the
        selection sample, for an elbow plot) and, for the mixture, ``bic``.
        ``None`` when ``n_clusters`` is given.
    stability_ : float
        Mean adjusted Rand index between the fitted clusters and clusters fitted
        on bootstrap resamples, on the selection sample (1 = perfectly
        reproducible; below about 0.6 the clusters are not to be trusted).
    log_features_ : list of str
        Features taken as ``log1p``.
    center_, scale_ : ndarray of shape (n_features,)
        The centring and scaling learned after the log step.
    weights_ : ndarray of shape (n_features,)
        The weight of each feature.
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres in the preprocessed (logged, scaled, weighted) space, in
        ``segments_`` order (the component means for the mixture).
    centers_ : DataFrame
        The centres back in the features' units (the preprocessing inverted:
        for a logged feature a geometric-style mean), indexed by segment.
    z_scores_ : DataFrame
        Each cluster's mean of every preprocessed feature in standard deviations
        from the overall mean: the basis of the names and the order.
    mixture_ : GaussianMixture or None
        The fitted mixture (``method="gmm"``), its components in fitting order.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    **Stable labels.** ``fit`` first sorts the rows by their values, so it does not
    depend on row order; with a fixed ``random_state`` it is deterministic. The
    clusters are then ordered by the standardised mean of ``value_col`` (read
    reversed for a column whose name contains ``recency`` or ``days_since``),
    ties broken by size, so the names come in the same order every time.

    **Names.** A feature enters a cluster's name when the cluster's mean is at
    least ``NAME_THRESHOLD`` = 0.5 standard deviation from the overall mean, in
    the preprocessed scale; the three strongest make the name, in that order:
    ``frequency`` high/low reads "frequent"/"infrequent", ``monetary`` "high
    spend"/"low spend", ``avg_order_value`` "large baskets"/"small baskets",
    ``tenure_days`` "long-standing"/"new", a days-since column "lapsed"/"recent",
    any other column "high <name>"/"low <name>"; from ``STRONG_THRESHOLD`` = 1.5
    standard deviations the phrase reads "very ..." ("very frequent"). Clusters
    whose names would hold the same phrases get more features in them, then a
    number.

    **Choosing k.** Each k of ``k_range`` is fitted on a seeded sample of at most
    ``SELECTION_ROWS`` = 20,000 customers; the silhouette is computed on at most
    ``SILHOUETTE_ROWS`` = 5,000 of them. The mixture is chosen by BIC on the
    same sample. The final model is then fitted on all customers.

    **Predict.** Every method but the mixture assigns a customer to the nearest
    centre in the preprocessed space, for new customers and for the customers
    of ``fit`` alike (for Ward and bisecting k-means the centres are the means of
    their clusters), so ``fit_predict(X)`` equals ``fit(X).predict(X)``. The
    mixture assigns the most probable component.

    **Stability.** ``n_bootstrap`` times, the method is refitted on a resample
    (with replacement) of the selection sample, and its clusters of that sample
    are compared with the fitted ones by the adjusted Rand index; ``stability_``
    is the mean. On large tables the resamples are therefore of 20,000 customers.
    These small fits (choosing k, the bootstrap) run on one thread: on a few
    thousand rows, threads cost more than they bring; the final fit uses them all.

    Examples
    --------
    >>> from behaviorseg import ClusterSegmenter
    >>> from behaviorseg.datasets import make_customers
    >>> customers, truth = make_customers(1000, n_segments=3, random_state=0)
    >>> seg = ClusterSegmenter(value_col="monetary", random_state=0).fit(customers)
    >>> seg.n_clusters_
    3
    >>> seg.segments_
    ['frequent · high spend · large baskets', 'new · infrequent · recent',
     'lapsed · small baskets · long-standing']
    >>> seg.predict(customers.head(2)).tolist()
    ['lapsed · small baskets · long-standing', 'frequent · high spend · large baskets']
    >>> round(seg.stability_, 2)
    1.0
    """

    scores_: pd.DataFrame | None

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "features": [InstanceOf((tuple, list, type(None)))],
        "n_clusters": [Interval(int, 1, None), Options(("auto",))],
        "method": [Options(("kmeans", "gmm", "ward", "bisecting"))],
        "k_range": [InstanceOf((tuple, list))],
        "scaling": [Options(("robust", "standard", None))],
        "log_transform": [Options(("auto", True, False))],
        "weights": [InstanceOf((Mapping, tuple, list, np.ndarray, type(None)))],
        "names": [InstanceOf((Mapping, tuple, list, type(None)))],
        "value_col": [InstanceOf((str, type(None)))],
        "n_init": [Interval(int, 1, None)],
        "n_bootstrap": [Interval(int, 0, None)],
        "allow_protected": [InstanceOf((bool, tuple, list))],
        "random_state": [
            InstanceOf((int, np.integer, np.random.RandomState, type(None))),
        ],
    }

    def __init__(
        self,
        features: Sequence[str] | None = None,
        *,
        n_clusters: int | str = "auto",
        method: str = "kmeans",
        k_range: tuple[int, int] = (2, 8),
        scaling: str | None = "robust",
        log_transform: str | bool = "auto",
        weights: Mapping[str, float] | Sequence[float] | None = None,
        names: Sequence[str] | Mapping[str, str] | None = None,
        value_col: str | None = None,
        n_init: int = 4,
        n_bootstrap: int = 10,
        allow_protected: bool | Sequence[str] = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.features = features
        self.n_clusters = n_clusters
        self.method = method
        self.k_range = k_range
        self.scaling = scaling
        self.log_transform = log_transform
        self.weights = weights
        self.names = names
        self.value_col = value_col
        self.n_init = n_init
        self.n_bootstrap = n_bootstrap
        self.allow_protected = allow_protected
        self.random_state = random_state

    # --- columns and names ----------------------------------------------------------
    def _input_columns(self) -> list[str]:
        if self.features is not None:
            return [str(c) for c in self.features]
        return [str(c) for c in getattr(self, "feature_names_in_", [])]

    def _output_names(self, n_columns: int) -> list[str]:
        prefix = "probability" if self.method == "gmm" else "distance"
        return [f"{prefix}_{i}" for i in range(n_columns)]

    def _n_scores(self) -> int:
        return int(self.n_clusters_)

    def _labels(self, n_columns: int) -> list[str]:
        """Names of the features: the columns read, or x0, x1 ... for an unnamed array."""
        columns = self._input_columns()
        return columns if len(columns) == n_columns else [f"x{j}" for j in range(n_columns)]

    # --- parameters -------------------------------------------------------------------
    def _check_params(self, labels: list[str]) -> tuple[np.ndarray, int, int]:
        """Validate the parameters that depend on the features; return weights and k_range."""
        owner = type(self).__name__
        if self.features is not None:
            if not self.features or not all(isinstance(c, str) for c in self.features):
                raise ValueError(f"{owner}: features={self.features!r} must be column names")
            if len(set(self.features)) != len(self.features):
                raise ValueError(f"{owner}: features={self.features!r} names a column twice")
        allowed = self.allow_protected
        check_criteria(
            labels,
            allow_protected=allowed if isinstance(allowed, bool) else tuple(allowed),
            owner=owner,
        )
        low_high = tuple(self.k_range)
        if (
            len(low_high) != 2
            or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in low_high
            )
            or not 2 <= low_high[0] <= low_high[1]
        ):
            raise ValueError(
                f"{owner}: k_range={self.k_range!r} must be two integers (low, high) with "
                f"2 <= low <= high, e.g. (2, 8)"
            )
        if self.value_col is not None and self.value_col not in labels:
            raise ValueError(
                f"{owner}: value_col={self.value_col!r} is not one of the features {labels}; "
                f"pass one of them (or None for the first)"
            )
        p = len(labels)
        if self.weights is None:
            weights = np.ones(p)
        elif isinstance(self.weights, Mapping):
            unknown = sorted(set(self.weights) - set(labels))
            if unknown:
                raise ValueError(
                    f"{owner}: weights names {unknown}, which are not features {labels}"
                )
            weights = np.array([float(self.weights.get(c, 1.0)) for c in labels])
        else:
            weights = np.asarray(self.weights, dtype=np.float64).ravel()
            if len(weights) != p:
                raise ValueError(
                    f"{owner}: weights has {len(weights)} numbers for {p} features {labels}; "
                    f"give one per feature, or a mapping by name"
                )
        if not (np.all(np.isfinite(weights)) and np.all(weights >= 0) and weights.sum() > 0):
            raise ValueError(
                f"{owner}: weights={self.weights!r} must be finite numbers >= 0, not all 0"
            )
        return weights, int(low_high[0]), int(low_high[1])

    # --- preprocessing ----------------------------------------------------------------
    def _learn_preprocessing(self, X: np.ndarray, labels: list[str]) -> None:
        owner = type(self).__name__
        non_negative = X.min(axis=0) >= 0
        if self.log_transform == "auto":
            with np.errstate(all="ignore"):
                skewness = np.nan_to_num(skew(X, axis=0), nan=0.0)
            log_mask = non_negative & (skewness > SKEW_THRESHOLD)
        elif self.log_transform is True:
            negative = [c for c, ok in zip(labels, non_negative, strict=True) if not ok]
            if negative:
                raise DataValidationError(
                    f"{owner}: log_transform=True needs values >= 0, but columns {negative} "
                    f"have negative values; use log_transform='auto' or False"
                )
            log_mask = np.ones(X.shape[1], dtype=bool)
        else:
            log_mask = np.zeros(X.shape[1], dtype=bool)
        self._log_mask = log_mask
        self.log_features_ = [c for c, m in zip(labels, log_mask, strict=True) if m]
        Z = np.where(log_mask, np.log1p(np.where(log_mask, X, 0.0)), X)
        if self.scaling == "robust":
            q25, center, q75 = np.percentile(Z, [25.0, 50.0, 75.0], axis=0)
            spread = q75 - q25
            fallback = Z.std(axis=0)
            spread = np.where(spread > 0, spread, fallback)
        elif self.scaling == "standard":
            center, spread = Z.mean(axis=0), Z.std(axis=0)
        else:
            center, spread = np.zeros(X.shape[1]), np.ones(X.shape[1])
        self.center_ = np.asarray(center, dtype=np.float64)
        self.scale_ = np.where(spread > 0, spread, 1.0).astype(np.float64)

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        """The features logged and scaled (not weighted)."""
        if self._log_mask.any():
            negative = np.asarray((X[:, self._log_mask] < 0).any(axis=0))
            if negative.any():
                cols = [c for c, bad in zip(self.log_features_, negative, strict=True) if bad]
                raise DataValidationError(
                    f"{type(self).__name__}: columns {cols} have negative values, but were "
                    f"taken as log1p in fit (all values were >= 0 there); fix or drop those "
                    f"customers"
                )
            X = np.where(self._log_mask, np.log1p(np.where(self._log_mask, X, 0.0)), X)
        scaled: np.ndarray = (X - self.center_) / self.scale_
        return scaled

    # --- clustering -------------------------------------------------------------------
    def _cluster(self, Z: np.ndarray, k: int, seed: int) -> _Model:
        """Fit the method with ``k`` clusters on the preprocessed rows ``Z``."""
        if self.method == "gmm":
            gmm = GaussianMixture(
                n_components=k,
                covariance_type="full",
                reg_covar=MIXTURE_REG_COVAR,
                n_init=self.n_init,
                random_state=seed,
            ).fit(Z)
            return _Model(np.asarray(gmm.means_), gmm)
        if self.method == "ward":
            return _ward_models(Z, [k], seed)[k]
        if self.method == "bisecting":
            model: Any = BisectingKMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
        elif len(Z) > MINIBATCH_ABOVE:
            model = MiniBatchKMeans(
                n_clusters=k, n_init=self.n_init, batch_size=4096, random_state=seed
            )
        else:
            model = KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
        return _Model(np.asarray(model.fit(Z).cluster_centers_, dtype=np.float64))

    def _choose_k(self, S: np.ndarray, low: int, high: int, n_distinct: int, seed: int) -> int:
        """Fit every k of the range on the selection sample; keep the scores; return the best."""
        top = min(high, n_distinct - 1)
        if top < low:
            raise ValueError(
                f"{type(self).__name__}: n_clusters='auto' tries k from {low}, which needs at "
                f"least {low + 1} distinct customers, got {len(S)} sample(s) with "
                f"{n_distinct} distinct rows; pass more customers or n_clusters=<int>"
            )
        ks = list(range(low, top + 1))
        wards = _ward_models(S, ks, seed) if self.method == "ward" else {}  # one tree
        rows = []
        for k in ks:  # a loop over a handful of k
            model = wards[k] if wards else self._cluster(S, k, seed)
            labels = _assign(model, S)
            inertia = float(_sq_distances(S, model.centers)[np.arange(len(S)), labels].sum())
            silhouette = np.nan
            if 2 <= len(np.unique(labels)) <= len(S) - 1:
                silhouette = float(
                    silhouette_score(
                        S,
                        labels,
                        sample_size=min(len(S), SILHOUETTE_ROWS),
                        random_state=seed,
                    )
                )
            row = {"n_clusters": k, "silhouette": silhouette, "inertia": inertia}
            if model.mixture is not None:
                row["bic"] = float(model.mixture.bic(S))
            rows.append(row)
        scores = pd.DataFrame(rows).set_index("n_clusters")
        self.scores_ = scores
        if self.method == "gmm":
            return int(scores["bic"].idxmin())
        if scores["silhouette"].isna().all():
            return low
        return int(scores["silhouette"].idxmax())

    # --- fit ------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: Any) -> None:
        owner = type(self).__name__
        labels = self._labels(X.shape[1])
        weights, low, high = self._check_params(labels)
        rs = check_random_state(self.random_state)
        seed_sample, seed_model, seed_boot = (int(s) for s in rs.randint(0, 2**31 - 1, 3))

        # Row order must not matter: cluster the rows sorted by their values.
        X = X[np.lexsort(X.T[::-1])]
        n = len(X)
        self._learn_preprocessing(X, labels)
        self.weights_ = weights
        Zs = self._scaled(X)
        Z = Zs * weights
        if n > SELECTION_ROWS:
            pick = np.sort(
                np.random.RandomState(seed_sample).choice(n, SELECTION_ROWS, replace=False)
            )
            S = Z[pick]
        else:
            S = Z
        n_distinct = len(np.unique(S, axis=0))
        self.scores_ = None
        if self.n_clusters == "auto":
            with threadpool_limits(limits=1):  # many small fits: threads only cost here
                k = self._choose_k(S, low, high, n_distinct, seed_model)
        else:
            k = int(self.n_clusters)
            if n_distinct < k:
                raise ValueError(
                    f"{owner}: n_clusters={k} needs at least {k} distinct customers, got "
                    f"{n} sample(s) with {n_distinct} distinct rows; lower n_clusters"
                )

        model = self._cluster(Z, k, seed_model)
        assigned = _assign(model, Z)
        order = self._order(Zs, assigned, model, k, labels)
        rank = np.empty(k, dtype=np.int64)
        rank[order] = np.arange(k)
        self._order_ = order
        self.n_clusters_ = k
        self.mixture_ = model.mixture
        self.cluster_centers_ = model.centers[order]

        means, _ = _group_means(Zs, assigned, k)
        means = self._fill_empty(means, model.centers)
        overall_mean, overall_sd = Zs.mean(axis=0), Zs.std(axis=0)
        z = (means[order] - overall_mean) / np.where(overall_sd > 0, overall_sd, 1.0)
        generated = _unique_names(z, labels)
        self.segments_ = self._final_names(generated)
        index = pd.Index(self.segments_, name="segment")
        self.z_scores_ = pd.DataFrame(z, index=index, columns=labels)
        back = means[order] * self.scale_ + self.center_
        back[:, self._log_mask] = np.expm1(back[:, self._log_mask])
        self.centers_ = pd.DataFrame(back, index=index, columns=labels)

        self.stability_ = np.nan
        if self.n_bootstrap > 0:
            with threadpool_limits(limits=1):
                self.stability_ = self._bootstrap(S, _assign(model, S), k, seed_boot)

    def _fill_empty(self, means: np.ndarray, centers: np.ndarray) -> np.ndarray:
        """Means of empty clusters (a Ward or mixture centre nobody is nearest to)."""
        empty = np.isnan(means).any(axis=1)
        if not empty.any():
            return means
        w = np.where(self.weights_ > 0, self.weights_, 1.0)
        filled: np.ndarray = np.where(empty[:, None], centers / w, means)
        return filled

    def _order(
        self, Zs: np.ndarray, assigned: np.ndarray, model: _Model, k: int, labels: list[str]
    ) -> np.ndarray:
        """Cluster positions sorted by value (high first), then size, then centre."""
        means, sizes = _group_means(Zs, assigned, k)
        means = self._fill_empty(means, model.centers)
        column = 0 if self.value_col is None else labels.index(self.value_col)
        value = means[:, column] * (-1.0 if _recency_like(labels[column]) else 1.0)
        keys = [means[:, j] for j in range(means.shape[1] - 1, -1, -1)] + [-sizes, -value]
        return np.lexsort(keys).astype(np.int64)

    def _final_names(self, generated: list[str]) -> list[str]:
        owner = type(self).__name__
        if self.names is None:
            return generated
        if isinstance(self.names, Mapping):
            unknown = sorted(set(self.names) - set(generated))
            if unknown:
                raise ValueError(
                    f"{owner}: names maps {unknown}, which are not generated names; the "
                    f"clusters are {generated}"
                )
            final = [str(self.names.get(g, g)) for g in generated]
        else:
            final = [str(name) for name in self.names]
            if len(final) != len(generated):
                raise ValueError(
                    f"{owner}: names has {len(final)} names for {len(generated)} clusters "
                    f"{generated}; give one per cluster in that order, or a mapping"
                )
        if len(set(final)) != len(final):
            raise ValueError(f"{owner}: names={self.names!r} gives two clusters one name")
        return final

    def _bootstrap(self, S: np.ndarray, reference: np.ndarray, k: int, seed: int) -> float:
        """Mean adjusted Rand index of clusterings of bootstrap resamples with ``reference``."""
        rs = np.random.RandomState(seed)
        scores = []
        for _ in range(self.n_bootstrap):  # a loop over a few resamples
            resample = S[np.sort(rs.randint(0, len(S), len(S)))]
            model = self._cluster(resample, k, int(rs.randint(0, 2**31 - 1)))
            scores.append(adjusted_rand_score(reference, _assign(model, S)))
        return float(np.mean(scores))

    # --- predict / transform --------------------------------------------------------
    def _preprocess(self, X: np.ndarray) -> np.ndarray:
        weighted: np.ndarray = self._scaled(X) * self.weights_
        return weighted

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        Z = self._preprocess(X)
        if self.mixture_ is not None:
            proba: np.ndarray = self.mixture_.predict_proba(Z)[:, self._order_]
            codes: np.ndarray = np.argmax(proba, axis=1)
        else:
            codes = np.argmin(_sq_distances(Z, self.cluster_centers_), axis=1)
        return codes.astype(np.int64)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        Z = self._preprocess(X)
        if self.mixture_ is not None:
            scores: np.ndarray = np.asarray(self.mixture_.predict_proba(Z))[:, self._order_]
        else:
            scores = np.sqrt(_sq_distances(Z, self.cluster_centers_))
        return scores
