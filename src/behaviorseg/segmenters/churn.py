"""Predictive churn segmentation: probability of leaving, and risk tiers."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted

from .._base import BaseSegmenter
from .._validation import Constraint, InstanceOf, Interval, Options
from ..exceptions import DataValidationError

__all__ = ["ChurnSegmenter"]

#: Features read by the supervised method by default: the columns of ``rfm_table``
#: (and so of ``churn_labels``, less its label).
DEFAULT_CHURN_FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")


class ChurnSegmenter(BaseSegmenter):
    """Estimate each customer's churn probability and group customers into risk tiers.

    Two routes:

    - ``method="probabilistic"`` (no labels needed): fits a BG/NBD model
      (:class:`behaviorseg.models.BetaGeoModel`) on a :func:`~behaviorseg.summaries.clv_summary`
      table; churn probability = 1 - P(alive), or, with ``horizon``, the
      model's probability of no purchase in the next ``horizon`` periods.
    - ``method="supervised"``: trains a scikit-learn classifier on customer
      features and labels, typically from :func:`~behaviorseg.summaries.churn_labels`
      (``X = table.drop(columns="churned")``, ``y = table["churned"]``).

    Parameters
    ----------
    method : {"probabilistic", "supervised"}, default="probabilistic"
        Which route to use.
    classifier : scikit-learn classifier or None, default=None
        For ``"supervised"``: any classifier with ``predict_proba`` (cloned in
        ``fit``). Default: a regularised ``HistGradientBoostingClassifier(
        learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=50,
        random_state=random_state)`` — churn labels are noisy, and scikit-learn's
        defaults overfit customer bases of a few thousand.
    thresholds : tuple of float, default=(0.3, 0.7)
        Increasing churn-probability cut points in (0, 1): a customer whose
        probability is below ``thresholds[0]`` is in the first tier, at or above
        ``thresholds[-1]`` in the last.
    tier_names : tuple of str, default=("low", "medium", "high")
        One name per tier (``len(thresholds) + 1``), lowest risk first.
    feature_cols : tuple of str or None, default=None
        For ``"supervised"``: the feature columns (default: the ``rfm_table``
        columns recency_days, frequency, monetary, avg_order_value, tenure_days).
    frequency_col, recency_col, T_col : str
        For ``"probabilistic"``: the ``clv_summary`` columns.
    horizon : float or None, default=None
        For ``"probabilistic"``: if given, churn probability is the BG/NBD
        probability of no purchase (``BetaGeoModel.probability_no_purchase``)
        over the next ``horizon`` periods (in the summary's time unit) instead of
        1 - P(alive). Use it when "churned" means "no purchase in the next
        period", and whenever one-time buyers must be ranked: 1 - P(alive) is 0
        for all of them.
    random_state : int or None, default=None
        Seed of the default classifier.

    Attributes
    ----------
    model_ : BetaGeoModel
        The fitted BG/NBD model (probabilistic route).
    classifier_ : classifier
        The fitted classifier (supervised route).
    segments_ : list of str
        The tier names, lowest risk first.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    Labels ``y`` are read as booleans: True (or any non-zero number) means
    churned. The probabilistic route ignores ``y``; see
    :class:`~behaviorseg.models.BetaGeoModel` for how it treats one-time buyers
    (P(alive) = 1 for frequency 0, so their churn probability is 0 — a known
    property of BG/NBD; set ``horizon`` to rank them).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from behaviorseg.segmenters import ChurnSegmenter
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"recency_days": rng.uniform(0, 300, 200)})
    >>> y = X["recency_days"] + rng.normal(0, 30, 200) > 150
    >>> seg = ChurnSegmenter(
    ...     method="supervised", classifier=LogisticRegression(), feature_cols=("recency_days",)
    ... ).fit(X, y)
    >>> seg.predict(pd.DataFrame({"recency_days": [5.0, 295.0]})).tolist()
    ['low', 'high']
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "method": [Options(("probabilistic", "supervised"))],
        "thresholds": [InstanceOf((tuple, list))],
        "tier_names": [InstanceOf((tuple, list))],
        "feature_cols": [InstanceOf((tuple, list, type(None)))],
        "frequency_col": [InstanceOf((str,))],
        "recency_col": [InstanceOf((str,))],
        "T_col": [InstanceOf((str,))],
        "horizon": [Interval(float, 0.0, None, closed="neither"), InstanceOf((type(None),))],
        "random_state": [InstanceOf((int, np.integer, type(None)))],
    }

    def __init__(
        self,
        method: str = "probabilistic",
        *,
        classifier: Any = None,
        thresholds: tuple[float, ...] = (0.3, 0.7),
        tier_names: tuple[str, ...] = ("low", "medium", "high"),
        feature_cols: tuple[str, ...] | None = None,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
        horizon: float | None = None,
        random_state: int | None = None,
    ) -> None:
        self.method = method
        self.classifier = classifier
        self.thresholds = thresholds
        self.tier_names = tier_names
        self.feature_cols = feature_cols
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.T_col = T_col
        self.horizon = horizon
        self.random_state = random_state

    def _input_columns(self) -> list[str]:
        if self.method == "probabilistic":
            return [self.frequency_col, self.recency_col, self.T_col]
        return list(self.feature_cols if self.feature_cols is not None else DEFAULT_CHURN_FEATURES)

    def _output_names(self, n_columns: int) -> list[str]:
        return ["churn_probability"]

    def _n_scores(self) -> int:
        return 1

    def _check_tiers(self) -> np.ndarray:
        cuts = np.asarray(self.thresholds, dtype=np.float64)
        if cuts.ndim != 1 or len(cuts) == 0 or not np.all((cuts > 0) & (cuts < 1)):
            raise ValueError(
                f"thresholds={self.thresholds!r} must be one or more probabilities in (0, 1)"
            )
        if not np.all(np.diff(cuts) > 0):
            raise ValueError(f"thresholds={self.thresholds!r} must be strictly increasing")
        if len(self.tier_names) != len(cuts) + 1 or len(set(self.tier_names)) != len(cuts) + 1:
            raise ValueError(
                f"tier_names={self.tier_names!r} must hold {len(cuts) + 1} distinct names "
                f"(one more than thresholds)"
            )
        return cuts

    def _fit(self, X: np.ndarray, y: Any) -> None:
        self._cuts_ = self._check_tiers()
        self.segments_ = [str(name) for name in self.tier_names]
        if self.method == "probabilistic":
            from ..models import BetaGeoModel

            self.model_ = BetaGeoModel().fit(self._summary_frame(X))
            return
        target = self._check_labels(y, X.shape[0])
        base = (
            self.classifier
            if self.classifier is not None
            else HistGradientBoostingClassifier(
                learning_rate=0.05,
                max_leaf_nodes=8,
                min_samples_leaf=50,
                random_state=self.random_state,
            )
        )
        if not hasattr(base, "predict_proba"):
            raise TypeError(f"classifier {base!r} has no predict_proba")
        self.classifier_ = clone(base).fit(X, target)
        self._churn_column_ = int(np.flatnonzero(self.classifier_.classes_)[0])

    def _check_labels(self, y: Any, n_rows: int) -> np.ndarray:
        """Return ``y`` as booleans (True = churned): bools, or numbers where non-zero churned."""
        if y is None:
            raise ValueError(
                "ChurnSegmenter(method='supervised') requires y to be passed, but the target "
                "y is None; pass churn labels (True = churned), e.g. from "
                "behaviorseg.summaries.churn_labels"
            )
        target = np.asarray(y)
        if target.ndim != 1 or len(target) != n_rows:
            raise ValueError(f"y must be 1-D with {n_rows} labels, got shape {target.shape}")
        if target.dtype == object:
            with contextlib.suppress(TypeError, ValueError):
                target = target.astype(np.float64)
        if not (target.dtype == bool or np.issubdtype(target.dtype, np.number)):
            raise TypeError(
                f"Unknown label type: y must be booleans or numbers (True / non-zero = "
                f"churned), got {target.dtype}"
            )
        if pd.isna(target).any():
            raise DataValidationError("y has missing labels; drop those customers first")
        churned = target.astype(bool)
        if churned.all() or not churned.any():
            raise ValueError(
                "y holds one class only; the classifier needs both churned and retained "
                "customers (check the cutoff and horizon of churn_labels)"
            )
        return churned

    def _summary_frame(self, X: np.ndarray) -> pd.DataFrame:
        frame: pd.DataFrame = pd.DataFrame(X, columns=["frequency", "recency", "T"])
        return frame

    def _churn_probability(self, X: np.ndarray) -> np.ndarray:
        if self.method == "probabilistic":
            summary = self._summary_frame(X)
            if self.horizon is not None:
                quiet = self.model_.probability_no_purchase(summary, float(self.horizon))
                return np.asarray(quiet, dtype=np.float64)
            alive = np.asarray(self.model_.probability_alive(summary))
            return np.clip(1.0 - alive, 0.0, 1.0)
        proba = self.classifier_.predict_proba(X)
        out: np.ndarray = np.asarray(proba[:, self._churn_column_], dtype=np.float64)
        return out

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self._churn_probability(X).reshape(-1, 1)

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        codes: np.ndarray = np.searchsorted(self._cuts_, self._churn_probability(X), side="right")
        return codes

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.method == "supervised"
        return tags

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return ``[P(active), P(churn)]`` for every customer.

        Parameters
        ----------
        X : DataFrame or array-like
            Customers, with the columns used in ``fit``.

        Returns
        -------
        ndarray of shape (n_customers, 2)
            Column 0 the probability of staying active, column 1 of churning.
        """
        check_is_fitted(self)
        churn = self._churn_probability(self._validate_input(X, reset=False))
        return np.column_stack([1.0 - churn, churn])
