"""Predictive churn: a tunable churn classifier, and a segmenter that names risk tiers.

:class:`ChurnClassifier` is a scikit-learn *classifier* (``predict`` returns the labels,
``predict_proba`` the class probabilities, ``score`` the accuracy): the estimator that
``cross_val_score``, ``GridSearchCV`` and ``cross_val_predict`` evaluate and tune.
:class:`ChurnSegmenter` is a *segmenter*: ``predict`` names risk tiers; its supervised
route fits a :class:`ChurnClassifier` and cuts its churn probability into tiers, its
probabilistic route asks a purchase model, its contractual route a retention model of
subscriptions (sBG).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from .._base import BaseSegmenter, read_columns
from .._frames import frame_kind, to_pandas_frame
from .._validation import (
    Constraint,
    InstanceOf,
    Interval,
    Options,
    _first_labels,
    validate_params,
)
from ..exceptions import DataValidationError
from ..models import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, ShiftedBetaGeoModel

__all__ = ["ChurnClassifier", "ChurnSegmenter"]

#: The purchase models the probabilistic route accepts (``model=``).
_PURCHASE_MODELS = (BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel)

#: The label of subscribers who have already churned (contractual route): the last
#: segment, after the risk tiers of the active subscribers.
_CHURNED_TIER = "churned"

#: Features read by the supervised method by default: the columns of ``rfm_table``
#: (and so of ``churn_labels``, less its label).
DEFAULT_CHURN_FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")


def _default_classifier(random_state: int | None) -> HistGradientBoostingClassifier:
    """The regularised gradient boosting used when no ``classifier`` is given."""
    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=50, random_state=random_state
    )


def _label_array(y: Any, n_rows: int, *, owner: str) -> np.ndarray:
    """Return the churn labels ``y`` as a 1-D array of ``n_rows``, or raise naming the problem.

    Missing labels (``None``, ``NaN``, ``pd.NA`` of a nullable dtype) are refused
    with their count and rows; nullable dtypes without missing values are read as
    their plain numpy dtype (``boolean`` as ``bool``).
    """
    if y is None:
        raise ValueError(
            f"{owner} requires y to be passed, but the target y is None; pass churn labels "
            f"(True = churned), e.g. from behaviorseg.summaries.churn_labels"
        )
    rows = y.index if isinstance(y, pd.Series) else pd.RangeIndex(len(np.asarray(y)))
    labels = np.asarray(y)
    missing = pd.isna(labels) | (np.isinf(labels) if labels.dtype.kind == "f" else False)
    bad_rows = np.flatnonzero(np.asarray(missing, dtype=bool).reshape(len(labels), -1).any(axis=1))
    if len(bad_rows):
        raise DataValidationError(
            f"y (dtype {getattr(y, 'dtype', labels.dtype)}) has {len(bad_rows)} missing or "
            f"non-finite churn labels (rows "
            f"{_first_labels(rows[bad_rows])}); every customer needs a label: drop those "
            f"customers first (keep = y.notna(); X, y = X[keep], y[keep]) or fill them"
        )
    if labels.dtype == object:  # e.g. a nullable boolean column: bools once NA is gone
        labels = pd.Series(labels.ravel()).infer_objects().to_numpy().reshape(labels.shape)
    labels = np.asarray(column_or_1d(labels, warn=True))
    check_consistent_length(labels, np.empty(n_rows))
    return labels


def _check_binary(labels: np.ndarray) -> None:
    """Raise unless ``labels`` hold exactly two classes."""
    check_classification_targets(labels)
    classes = np.unique(labels)
    if len(classes) == 1:
        raise ValueError(
            f"y holds one class only ({_first_labels(classes)}); the classifier needs both churned "
            f"and retained customers (check the cutoff and horizon of churn_labels)"
        )
    if type_of_target(labels) != "binary":
        raise ValueError(
            f"Only binary classification is supported: y holds {len(classes)} classes "
            f"({_first_labels(classes)}); pass True for churned and False for retained customers"
        )


class ChurnClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Binary churn classifier on a customer table: the model to cross-validate and tune.

    A thin scikit-learn classifier around any probabilistic classifier: it reads the
    feature columns of a customer table by name, refuses missing labels with a clear
    message, and defaults to a gradient boosting regularised for noisy churn labels.
    Use it wherever a churn *model* is evaluated or tuned (``cross_val_score``,
    ``GridSearchCV``, ``cross_val_predict(method="predict_proba")``); use
    :class:`ChurnSegmenter` to turn the probabilities into named risk tiers.

    Parameters
    ----------
    classifier : scikit-learn classifier or None, default=None
        Any classifier with ``predict_proba`` (cloned in ``fit``); its parameters
        are tunable as ``classifier__<name>``. Default: ``HistGradientBoostingClassifier(
        learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=50,
        random_state=random_state)`` — churn labels are noisy, and scikit-learn's
        defaults overfit customer bases of a few thousand. To tune the default, pass
        it explicitly (see Examples).
    feature_cols : tuple of str or None, default=None
        The feature columns read from a DataFrame by name, in any order (default:
        the ``rfm_table`` columns recency_days, frequency, monetary,
        avg_order_value, tenure_days); other columns are ignored, as by the
        segmenters. A plain array is read positionally and, as by any
        scikit-learn classifier, all its columns are features (the segmenters
        read only as many leading columns as they have roles).
    random_state : int or None, default=None
        Seed of the default classifier; ignored when ``classifier`` is given (set
        the seed on that classifier).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels seen in ``fit``, sorted: ``[False, True]`` for boolean
        labels. ``predict_proba[:, 1]`` is the probability of ``classes_[1]``, so
        with booleans or 0/1 labels it is the churn probability.
    classifier_ : classifier
        The fitted inner classifier.
    n_features_in_, feature_names_in_ :
        As in scikit-learn (``feature_names_in_`` lists every column of a fitted
        DataFrame, including the ignored ones).

    See Also
    --------
    ChurnSegmenter : Churn probability cut into named risk tiers.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> from behaviorseg.segmenters import ChurnClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"recency_days": rng.uniform(0, 300, 400)})
    >>> y = X["recency_days"] + rng.normal(0, 30, 400) > 150
    >>> clf = ChurnClassifier(feature_cols=("recency_days",)).fit(X, y)
    >>> clf.classes_.tolist()
    [False, True]
    >>> clf.predict(pd.DataFrame({"recency_days": [5.0, 295.0]})).tolist()
    [False, True]
    >>> model = ChurnClassifier(
    ...     HistGradientBoostingClassifier(min_samples_leaf=50, random_state=0),
    ...     feature_cols=("recency_days",),
    ... )
    >>> search = GridSearchCV(model, {"classifier__max_leaf_nodes": [4, 8]}, scoring="roc_auc")
    >>> bool(search.fit(X, y).best_score_ > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "feature_cols": [InstanceOf((tuple, list, type(None)))],
        "random_state": [InstanceOf((int, np.integer, type(None)))],
    }

    def __init__(
        self,
        classifier: Any = None,
        *,
        feature_cols: tuple[str, ...] | None = None,
        random_state: int | None = None,
    ) -> None:
        self.classifier = classifier
        self.feature_cols = feature_cols
        self.random_state = random_state

    def _feature_columns(self) -> list[str]:
        return list(self.feature_cols if self.feature_cols is not None else DEFAULT_CHURN_FEATURES)

    def _features(self, X: Any, *, reset: bool) -> np.ndarray:
        """Return the features of ``X`` as floats: a frame by column name, an array by position."""
        arr, _ = read_columns(
            self,
            X,
            reset=reset,
            columns=self._feature_columns,
            column_params=lambda cols: {f"feature_cols[{i}]": c for i, c in enumerate(cols)},
        )
        return arr  # an unnamed array: all its columns are features, as in scikit-learn

    def fit(self, X: Any, y: Any) -> ChurnClassifier:
        """Fit the classifier on customer features ``X`` and churn labels ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            The customer table, e.g. ``churn_labels(...).drop(columns="churned")``.
        y : array-like of shape (n_customers,)
            Two label values, typically booleans (True = churned); missing labels
            (``NaN``, ``pd.NA``) are refused.

        Returns
        -------
        self
            The fitted classifier.
        """
        validate_params(
            self.get_params(deep=False), self._parameter_constraints, owner=type(self).__name__
        )
        base = (
            self.classifier
            if self.classifier is not None
            else _default_classifier(self.random_state)
        )
        if not hasattr(base, "predict_proba"):
            raise TypeError(
                f"{type(self).__name__}: classifier {base!r} has no predict_proba; pass a "
                f"probabilistic classifier such as LogisticRegression()"
            )
        features = self._features(X, reset=True)
        labels = _label_array(y, features.shape[0], owner=type(self).__name__)
        _check_binary(labels)
        self.classifier_ = clone(base).fit(features, labels)
        self.classes_: np.ndarray = np.asarray(self.classifier_.classes_)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the probability of each class in ``classes_`` for every customer.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customers, with the columns used in ``fit``.

        Returns
        -------
        ndarray of shape (n_customers, 2)
            Column ``k`` is the probability of ``classes_[k]``; with boolean
            labels, column 1 is the churn probability.
        """
        return self._ask_classifier("predict_proba", X)

    def predict(self, X: Any) -> np.ndarray:
        """Return the predicted label (a value of ``classes_``) of every customer.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customers, with the columns used in ``fit``.

        Returns
        -------
        ndarray of shape (n_customers,)
            The more probable label of each customer. For risk tiers with your own
            cut points, see :class:`ChurnSegmenter`.
        """
        return self._ask_classifier("predict", X)

    def _ask_classifier(self, method: str, X: Any) -> np.ndarray:
        """Validate ``X`` and return the fitted inner classifier's ``method`` on its features."""
        check_is_fitted(self)
        out: np.ndarray = getattr(self.classifier_, method)(self._features(X, reset=False))
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


class ChurnSegmenter(BaseSegmenter):
    """Estimate each customer's churn probability and group customers into risk tiers.

    Three routes:

    - ``method="probabilistic"`` (no labels needed): fits a purchase model
      (``model``: BG/NBD by default, or MBG/NBD or Pareto/NBD from
      :mod:`behaviorseg.models`) on a :func:`~behaviorseg.summaries.clv_summary`
      table; churn probability = 1 - P(alive), or, with ``horizon``, the
      model's probability of no purchase in the next ``horizon`` periods.
    - ``method="supervised"``: fits a :class:`ChurnClassifier` on customer
      features and labels, typically from :func:`~behaviorseg.summaries.churn_labels`
      (``X = table.drop(columns="churned")``, ``y = table["churned"]``).
    - ``method="contractual"`` (subscriptions, no labels needed): fits a
      :class:`~behaviorseg.models.ShiftedBetaGeoModel` on a
      :func:`~behaviorseg.summaries.subscription_table` (every subscriber,
      churned or active: the churned carry the information); churn probability
      of an active subscriber = the model's probability that they cancel at
      their next renewal decision (within the next ``horizon`` decisions if
      given). Subscribers who have already churned are not scored: they get the
      tier ``"churned"``, after the risk tiers, and probability 1.

    ``predict`` names risk tiers, so this is a segmenter, not a classifier
    (``is_classifier`` is False, and scikit-learn's scorers refuse it). To
    cross-validate or tune the supervised model (``cross_val_score``,
    ``GridSearchCV``, ``cross_val_predict(method="predict_proba")``), use
    :class:`ChurnClassifier` with the same ``classifier`` and ``feature_cols``;
    then cut its probabilities into tiers here.

    Parameters
    ----------
    method : {"probabilistic", "supervised", "contractual"}, default="probabilistic"
        Which route to use.
    classifier : scikit-learn classifier or None, default=None
        For ``"supervised"``: any classifier with ``predict_proba``, passed to
        :class:`ChurnClassifier` (whose default, a regularised gradient boosting,
        is used when None).
    model : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, ShiftedBetaGeoModel or None
        For ``"probabilistic"``: the purchase model, unfitted or fitted (it is
        cloned in ``fit`` and fitted on ``X``; its own parameters such as
        ``penalizer_coef`` are kept and tunable as ``model__<name>``, while its
        column names are replaced by this segmenter's ``frequency_col``,
        ``recency_col`` and ``T_col``). None means ``BetaGeoModel()``. For
        ``"contractual"``: None or a ``ShiftedBetaGeoModel`` (cloned, its
        columns replaced by ``tenure_col`` and ``churned_col``). Default None.
    thresholds : tuple of float, default=(0.3, 0.7)
        Increasing churn-probability cut points in (0, 1): a customer whose
        probability is below ``thresholds[0]`` is in the first tier, at or above
        ``thresholds[-1]`` in the last. The contractual route's probability is
        per renewal decision, usually far below 0.3: choose cut points on its
        scale (e.g. ``(0.05, 0.15)`` for monthly renewals).
    tier_names : tuple of str, default=("low", "medium", "high")
        One name per tier (``len(thresholds) + 1``), lowest risk first. The
        contractual route adds ``"churned"`` after them, so it cannot be one
        of them.
    feature_cols : tuple of str or None, default=None
        For ``"supervised"``: the feature columns (default: the ``rfm_table``
        columns recency_days, frequency, monetary, avg_order_value, tenure_days).
    frequency_col, recency_col, T_col : str
        For ``"probabilistic"``: the ``clv_summary`` columns.
    tenure_col, churned_col : str
        For ``"contractual"``: the ``subscription_table`` columns (renewal
        decisions observed, whole numbers >= 0; churned flag, booleans or 0/1).
        A plain array is read by position: tenure, churned.
    horizon : float or None, default=None
        For ``"probabilistic"``: if given, churn probability is the model's
        probability of no purchase (``probability_no_purchase``) over the next
        ``horizon`` periods (in the summary's time unit) instead of 1 - P(alive).
        Use it when "churned" means "no purchase in the next period", and with
        BG/NBD whenever one-time buyers must be ranked: under BG/NBD their
        1 - P(alive) is 0 for all of them. For ``"contractual"``: a whole number
        of renewal decisions; churn probability = P(cancel within the next
        ``horizon`` decisions). None means the next decision only.
    random_state : int or None, default=None
        Seed of the default classifier (as in :class:`ChurnClassifier`).

    Attributes
    ----------
    model_ : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel or ShiftedBetaGeoModel
        The fitted purchase model (probabilistic route) or retention model
        (contractual route): a clone of ``model``. Use it for survival curves or
        contractual CLTV on the same fit (:func:`~behaviorseg.kpi.cltv`).
    classifier_ : ChurnClassifier
        The fitted churn classifier (supervised route), trained on the feature
        columns as an array in ``feature_cols`` order; its own ``classifier_`` is
        the fitted inner model.
    classes_ : ndarray of shape (2,)
        ``[False, True]``: what the ``predict_proba`` columns mean (not churned,
        churned), on both routes.
    segments_ : list of str
        The tier names, lowest risk first; ``"churned"`` last on the contractual
        route.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Notes
    -----
    Labels ``y`` are read as booleans: True (or any non-zero number) means
    churned; missing labels, including ``pd.NA`` in a nullable column, are
    refused. The probabilistic route ignores ``y``. One-time buyers depend on
    the model: BG/NBD lets customers drop out only right after a repeat
    purchase, so its P(alive) is 1 at frequency 0 and their churn probability
    is 0 (set ``horizon``, or pick another model, to rank them); MBG/NBD and
    Pareto/NBD let them be gone, with a churn probability that grows with the
    time since their first purchase.

    The contractual route fits one model on the whole table: the sBG's beta
    mixing already lets subscribers differ, and a plan with few cancellations
    cannot be fitted alone. For one model per plan or cohort, fit one segmenter
    on each part (plans billed over different periods need their own
    ``subscription_table`` anyway). A subscriber's risk depends only on their
    tenure: the sBG knows nothing else about them.

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

    The probabilistic route with Pareto/NBD, on the CDNOW ``clv_summary`` (weeks):
    unlike under BG/NBD, one-time buyers can be gone, the more likely the longer
    ago their first purchase.

    >>> import behaviorseg as bs
    >>> from behaviorseg.models import ParetoNBDModel
    >>> X = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
    >>> seg = ChurnSegmenter(model=ParetoNBDModel()).fit(X)
    >>> one_time = X[X["frequency"] == 0]
    >>> churn = one_time.assign(churn=seg.transform(one_time)[:, 0]).sort_values("T")["churn"]
    >>> bool(churn.min() > 0 and churn.is_monotonic_increasing)
    True

    The contractual route on a subscription table: the longer the tenure, the
    lower the risk; churned subscribers get their own tier.

    >>> table = pd.DataFrame({"tenure_periods": [1, 1, 2, 3, 0, 1, 4],
    ...                       "churned": [True, True, True, False, False, False, False]})
    >>> seg = ChurnSegmenter("contractual", thresholds=(0.1, 0.3)).fit(table)
    >>> seg.segments_
    ['low', 'medium', 'high', 'churned']
    >>> seg.transform(table)[:, 0].round(2).tolist()
    [1.0, 1.0, 1.0, 0.09, 0.35, 0.18, 0.08]
    >>> seg.predict(table).tolist()
    ['churned', 'churned', 'churned', 'low', 'high', 'medium', 'low']
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {
        "method": [Options(("probabilistic", "supervised", "contractual"))],
        "thresholds": [InstanceOf((tuple, list))],
        "tier_names": [InstanceOf((tuple, list))],
        "feature_cols": [InstanceOf((tuple, list, type(None)))],
        # two rules: the purchase models (probabilistic route), the retention model
        "model": [
            InstanceOf((*_PURCHASE_MODELS, type(None))),
            InstanceOf((ShiftedBetaGeoModel,)),
        ],
        "frequency_col": [InstanceOf((str,))],
        "recency_col": [InstanceOf((str,))],
        "T_col": [InstanceOf((str,))],
        "tenure_col": [InstanceOf((str,))],
        "churned_col": [InstanceOf((str,))],
        "horizon": [Interval(float, 0.0, None, closed="neither"), InstanceOf((type(None),))],
        "random_state": [InstanceOf((int, np.integer, type(None)))],
    }

    def __init__(
        self,
        method: str = "probabilistic",
        *,
        classifier: Any = None,
        model: Any = None,
        thresholds: tuple[float, ...] = (0.3, 0.7),
        tier_names: tuple[str, ...] = ("low", "medium", "high"),
        feature_cols: tuple[str, ...] | None = None,
        frequency_col: str = "frequency",
        recency_col: str = "recency",
        T_col: str = "T",
        tenure_col: str = "tenure_periods",
        churned_col: str = "churned",
        horizon: float | None = None,
        random_state: int | None = None,
    ) -> None:
        self.method = method
        self.classifier = classifier
        self.model = model
        self.thresholds = thresholds
        self.tier_names = tier_names
        self.feature_cols = feature_cols
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.T_col = T_col
        self.tenure_col = tenure_col
        self.churned_col = churned_col
        self.horizon = horizon
        self.random_state = random_state

    def _input_columns(self) -> list[str]:
        if self.method == "probabilistic":
            return [self.frequency_col, self.recency_col, self.T_col]
        if self.method == "contractual":
            return [self.tenure_col, self.churned_col]
        return list(self.feature_cols if self.feature_cols is not None else DEFAULT_CHURN_FEATURES)

    def _validate_input(self, X: Any, *, reset: bool) -> np.ndarray:
        """The base class's reading, after turning a boolean churned flag into 0.0 / 1.0.

        ``subscription_table`` writes ``churned`` as booleans, which the numeric
        column check refuses; a nullable boolean's missing values become NaN, refused
        with the column named. The caller's frame is not modified.
        """
        if self.method == "contractual":
            if frame_kind(X) not in (None, "pandas"):
                X, _ = to_pandas_frame(X, name="X")
            column = self.churned_col
            if (
                isinstance(X, pd.DataFrame)
                and X.columns.is_unique
                and column in X.columns
                and pd.api.types.is_bool_dtype(X[column].dtype)
            ):
                flags = X[column].to_numpy(dtype=np.float64, na_value=np.nan)
                X = X.assign(**{column: flags})
        return super()._validate_input(X, reset=reset)

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

    def _check_model(self) -> None:
        """Refuse a model of the other family (the parameter rule accepts both)."""
        contractual = self.method == "contractual"
        if (
            contractual
            and self.model is not None
            and not isinstance(self.model, ShiftedBetaGeoModel)
        ):
            raise TypeError(
                f"{type(self).__name__}(method='contractual') fits a ShiftedBetaGeoModel on "
                f"a subscription table; model={self.model!r} is a purchase model, for "
                f"method='probabilistic'. Pass model=None or ShiftedBetaGeoModel()"
            )
        if not contractual and isinstance(self.model, ShiftedBetaGeoModel):
            raise TypeError(
                f"{type(self).__name__}(method={self.method!r}) does not use "
                f"ShiftedBetaGeoModel, the retention model of subscriptions: pass "
                f"method='contractual' with a subscription table, or a purchase model "
                f"(BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel)"
            )
        if contractual:
            if _CHURNED_TIER in self.tier_names:
                raise ValueError(
                    f"tier_names={self.tier_names!r} must not contain {_CHURNED_TIER!r}: "
                    f"method='contractual' adds that tier for subscribers who have churned"
                )
            if self.horizon is not None and not float(self.horizon).is_integer():
                raise ValueError(
                    f"horizon={self.horizon!r} counts renewal decisions on the contractual "
                    f"route: pass a whole number such as {int(self.horizon) + 1}"
                )

    def _fit(self, X: np.ndarray, y: Any) -> None:
        self._cuts_ = self._check_tiers()
        self._check_model()
        self.segments_ = [str(name) for name in self.tier_names]
        if self.method == "contractual":
            self.segments_.append(_CHURNED_TIER)
            retention = clone(ShiftedBetaGeoModel() if self.model is None else self.model)
            retention.set_params(tenure_col=self.tenure_col, churned_col=self.churned_col)
            self.model_ = retention.fit(self._subscription_frame(X))
        elif self.method == "probabilistic":
            # `model` was type-checked with the other parameters; fit a clone on our columns
            model = clone(BetaGeoModel() if self.model is None else self.model)
            model.set_params(
                frequency_col=self.frequency_col, recency_col=self.recency_col, T_col=self.T_col
            )
            self.model_ = model.fit(self._summary_frame(X))
        else:
            self.classifier_ = ChurnClassifier(self.classifier, random_state=self.random_state)
            self.classifier_.fit(X, self._check_labels(y, X.shape[0]))
        self.classes_ = np.array([False, True])

    def _check_labels(self, y: Any, n_rows: int) -> np.ndarray:
        """Return ``y`` as booleans (True = churned): bools, or numbers where non-zero churned."""
        target = _label_array(y, n_rows, owner=f"{type(self).__name__}(method='supervised')")
        if not (target.dtype == bool or np.issubdtype(target.dtype, np.number)):
            raise TypeError(
                f"Unknown label type: y must be booleans or numbers (True / non-zero = "
                f"churned), got {target.dtype}; map other labels first, e.g. y == 'churned'"
            )
        churned: np.ndarray = target.astype(bool)
        return churned

    def _summary_frame(self, X: np.ndarray) -> pd.DataFrame:
        columns = [self.frequency_col, self.recency_col, self.T_col]
        frame: pd.DataFrame = pd.DataFrame(X, columns=columns)
        return frame

    def _subscription_frame(self, X: np.ndarray) -> pd.DataFrame:
        frame: pd.DataFrame = pd.DataFrame(X, columns=[self.tenure_col, self.churned_col])
        return frame

    def _churn_probability(self, X: np.ndarray) -> np.ndarray:
        if self.method == "contractual":
            decisions = 1 if self.horizon is None else int(self.horizon)
            risk = self.model_.churn_probability(self._subscription_frame(X), decisions)
            return np.asarray(risk, dtype=np.float64)
        if self.method == "probabilistic":
            summary = self._summary_frame(X)
            if self.horizon is not None:
                quiet = self.model_.probability_no_purchase(summary, float(self.horizon))
                return np.asarray(quiet, dtype=np.float64)
            alive = np.asarray(self.model_.probability_alive(summary))
            return np.clip(1.0 - alive, 0.0, 1.0)
        out: np.ndarray = np.asarray(self.classifier_.predict_proba(X)[:, 1], dtype=np.float64)
        return out

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self._churn_probability(X).reshape(-1, 1)

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        codes: np.ndarray = np.searchsorted(self._cuts_, self._churn_probability(X), side="right")
        if self.method == "contractual":  # churned subscribers: the last segment
            codes = np.where(X[:, 1] > 0, len(self._cuts_) + 1, codes)
        return codes

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.method == "supervised"
        return tags

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return ``[P(active), P(churn)]`` for every customer (columns as in ``classes_``).

        On the contractual route, ``[0, 1]`` for subscribers who have already
        churned.

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
