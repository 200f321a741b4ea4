"""scikit-learn conformance of every segmenter, plus the checks the generator does not yield."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.utils.estimator_checks import (
    check_get_feature_names_out_error,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

import behaviorseg.segmenters
from _estimators import CLASSIFIERS, EXPECTED_FAILED_CHECKS, INSTANCES, point_at_columns
from behaviorseg._base import BaseSegmenter


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def test_every_exported_segmenter_is_registered() -> None:
    """An estimator exported by behaviorseg.segmenters cannot escape the common checks."""
    exported = {
        obj
        for name in behaviorseg.segmenters.__all__
        if inspect.isclass(obj := getattr(behaviorseg.segmenters, name))
        and issubclass(obj, BaseEstimator)
    }
    segmenters = {cls for cls in exported if issubclass(cls, BaseSegmenter)}
    registered = {type(est) for est in INSTANCES}
    assert segmenters <= registered, (
        f"not registered in tests/_estimators.py: {segmenters - registered}"
    )
    others = exported - segmenters
    assert others <= {type(est) for est in CLASSIFIERS}, f"not registered: {others}"
    assert set(EXPECTED_FAILED_CHECKS) >= {cls.__name__ for cls in exported}


def test_every_expected_failure_has_a_reason() -> None:
    """Each expected check failure is justified in words."""
    for name, checks in EXPECTED_FAILED_CHECKS.items():
        for check, reason in checks.items():
            assert len(reason.split()) >= 4, f"{name}.{check}: give a reason"


@parametrize_with_checks(INSTANCES + CLASSIFIERS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    """Each segmenter passes scikit-learn's estimator checks (expected failures listed)."""
    check(estimator)


def _random_table(estimator: object, n: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.gamma(2.0, 10.0, size=(n, 3)).round(1)


def _labels(X: np.ndarray) -> np.ndarray:
    """Binary labels for the supervised segmenters (ignored by the others)."""
    column = np.asarray(X)[:, 0]
    return column > np.median(column)


@pytest.mark.parametrize("estimator", INSTANCES, ids=lambda e: type(e).__name__)
def test_predict_is_string_labels_from_segments(estimator):
    """predict returns one name from segments_ per row, as strings."""
    X = _random_table(estimator)
    est = clone(estimator).fit(X, _labels(X))
    labels = est.predict(X)
    assert labels.shape == (X.shape[0],)
    assert all(isinstance(label, str) for label in labels)
    assert set(labels) <= set(est.segments_)


@pytest.mark.parametrize("estimator", INSTANCES, ids=lambda e: type(e).__name__)
def test_predict_invariant_to_subsets_and_row_order(estimator):
    """Labels of a row do not depend on the batch it is predicted in, nor on row order."""
    X = _random_table(estimator)
    est = clone(estimator).fit(X, _labels(X))
    full = est.predict(X)
    np.testing.assert_array_equal(est.predict(X[:7]), full[:7])
    order = np.random.default_rng(1).permutation(len(X))
    np.testing.assert_array_equal(est.predict(X[order]), full[order])


@pytest.mark.parametrize("estimator", INSTANCES, ids=lambda e: type(e).__name__)
def test_fit_is_idempotent_and_deterministic(estimator):
    """Fitting twice, or fitting a clone, gives the same labels and scores."""
    X = _random_table(estimator)
    a = clone(estimator).fit(X, _labels(X))
    b = clone(estimator).fit(X, _labels(X)).fit(X, _labels(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("estimator", INSTANCES, ids=lambda e: type(e).__name__)
def test_pickle_round_trip_keeps_labels(estimator):
    """A pickled and restored segmenter labels and scores exactly as the original."""
    X = _random_table(estimator)
    est = clone(estimator).fit(X, _labels(X))
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    np.testing.assert_array_equal(restored.transform(X), est.transform(X))


@pytest.mark.parametrize("estimator", INSTANCES, ids=lambda e: type(e).__name__)
def test_extra_checks_not_yielded_by_parametrize(estimator):
    """set_output(pandas) and get_feature_names_out checks (frames named col0, col1, ...)."""
    name = type(estimator).__name__
    pointed = point_at_columns(estimator, [f"col{i}" for i in range(10)])
    check_set_output_transform_pandas(name, pointed)
    check_transformer_get_feature_names_out(name, clone(estimator))
    check_transformer_get_feature_names_out_pandas(name, pointed)
    check_get_feature_names_out_error(name, clone(estimator))


@pytest.mark.parametrize("estimator", INSTANCES + CLASSIFIERS, ids=lambda e: type(e).__name__)
def test_segmenter_column_names_consistency(estimator):
    """feature_names_in_ lists the frame's columns; unseen or missing names are refused.

    scikit-learn's ``check_dataframe_column_names_consistency`` also requires the
    same names *in another order* to be refused. Segmenters read a frame by name in
    any order (tests/test_base.py), so that case is left out on purpose and the
    check's other cases are restated here.
    """
    names = [f"col_{i}" for i in range(10)]
    est = point_at_columns(estimator, names)
    values = np.random.default_rng(0).gamma(2.0, 10.0, size=(60, 10)).round(1)
    X = pd.DataFrame(values, columns=names)
    est.fit(X, _labels(values))
    assert list(est.feature_names_in_) == names
    assert est.n_features_in_ == 10
    methods = ("predict", "predict_proba", "transform")  # the churn classifier has no transform
    for method in (getattr(est, name) for name in methods if hasattr(est, name)):
        with pytest.raises(ValueError, match="Feature names unseen at fit time"):
            method(X.set_axis([f"another_prefix_{i}" for i in range(10)], axis=1))
        with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
            method(X[names[:3]])


@pytest.mark.parametrize("estimator", INSTANCES, ids=lambda e: type(e).__name__)
def test_input_frame_is_not_mutated(estimator):
    """fit, predict and transform leave the caller's DataFrame untouched."""
    X = pd.DataFrame(_random_table(estimator), columns=["a", "b", "c"])
    est = point_at_columns(estimator, list(X.columns))
    before = X.copy(deep=True)
    est.fit(X, _labels(X))
    est.predict(X)
    est.transform(X)
    pd.testing.assert_frame_equal(X, before)
