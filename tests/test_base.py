"""One rule for columns, shared by every segmenter (behaviorseg._base).

A frame is read by name (any order, extra columns ignored); a plain array by
position in role order, its extra columns ignored with a warning at fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline

import behaviorseg as bs
from _estimators import INSTANCES, point_at_columns
from behaviorseg.exceptions import ColumnsByPositionWarning

IDS = [type(e).__name__ for e in INSTANCES]


def _table(n: int = 80, width: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 10.0, size=(n, width)).round(1)
    return pd.DataFrame(values, columns=[f"c{i}" for i in range(width)])


def _labels(X: pd.DataFrame) -> np.ndarray:
    column = X.iloc[:, 0].to_numpy()
    return column > np.median(column)


def _fitted(estimator, X):
    est = point_at_columns(estimator, list(X.columns))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bs.exceptions.BehaviorsegWarning)
        return est.fit(X, _labels(X))


@pytest.mark.parametrize("estimator", INSTANCES, ids=IDS)
def test_fitted_columns_in_another_order_are_read_by_name(estimator):
    """The same columns in another order give the same labels and scores."""
    X = _table()
    est = _fitted(estimator, X)
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_array_equal(est.predict(shuffled), est.predict(X))
    np.testing.assert_array_equal(est.transform(shuffled), est.transform(X))


@pytest.mark.parametrize("estimator", INSTANCES, ids=IDS)
def test_reordered_columns_plus_an_extra_one_are_read_by_name(estimator):
    """Reordered columns with one added after fit give the same labels."""
    X = _table()
    est = _fitted(estimator, X)
    wider = X[list(reversed(X.columns))].assign(segment="added later")
    np.testing.assert_array_equal(est.predict(wider), est.predict(X))


@pytest.mark.parametrize("estimator", INSTANCES, ids=IDS)
def test_a_missing_fitted_column_is_refused_by_name(estimator):
    """A frame without one of the fitted columns is refused, naming it."""
    X = _table()
    est = _fitted(estimator, X)
    with pytest.raises(ValueError, match="c5"):
        est.predict(X.drop(columns="c5"))


@pytest.mark.parametrize("estimator", INSTANCES, ids=IDS)
def test_an_unnamed_array_wider_than_the_roles_warns_once_at_fit(estimator):
    """Extra array columns are ignored, with one warning at fit naming the positions."""
    X = _table(width=12).to_numpy()
    est = clone(estimator)
    n_roles = len(est._input_columns())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, _labels(pd.DataFrame(X)))
    by_position = [w for w in caught if w.category is ColumnsByPositionWarning]
    if n_roles == 0 or n_roles >= X.shape[1]:  # reads every column, by design
        assert not by_position
        return
    assert len(by_position) == 1
    message = str(by_position[0].message)
    assert "column 0 as" in message and f"{list(range(n_roles, 12))}" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error", ColumnsByPositionWarning)
        labels = est.predict(X)  # no second warning
    # ... and the labels are those of the leading columns alone
    lead = clone(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bs.exceptions.BehaviorsegWarning)
        lead.fit(X[:, :n_roles], _labels(pd.DataFrame(X)))
    np.testing.assert_array_equal(labels, lead.predict(X[:, :n_roles]))


def test_rfm_scores_the_same_columns_from_an_array_and_a_frame(cdnow_rfm):
    """A 5-column array and the same DataFrame give the same three scores."""
    table = cdnow_rfm[["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]]
    by_name = bs.RFMSegmenter().fit(table)
    with pytest.warns(ColumnsByPositionWarning, match=r"columns \[3, 4\] are ignored"):
        by_position = bs.RFMSegmenter().fit(table.to_numpy())
    assert list(by_position.get_feature_names_out()) == list(by_name.get_feature_names_out())
    np.testing.assert_array_equal(by_position.transform(table.to_numpy()), by_name.transform(table))
    np.testing.assert_array_equal(by_position.predict(table.to_numpy()), by_name.predict(table))


@pytest.fixture(scope="module")
def cdnow_rfm() -> pd.DataFrame:
    return bs.rfm_table(bs.datasets.load_cdnow())


def test_pipeline_with_pandas_output_reads_columns_by_name(cdnow_rfm):
    """The documented recipe: set_output(transform="pandas") keeps names through the imputer."""
    table = cdnow_rfm[["tenure_days", "monetary", "avg_order_value", "frequency", "recency_days"]]
    expected = bs.RFMSegmenter().fit_predict(cdnow_rfm)
    pipe = make_pipeline(SimpleImputer(), bs.RFMSegmenter()).set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ColumnsByPositionWarning)
        got = pipe.fit(table).predict(table)
    np.testing.assert_array_equal(got, expected)


def test_pipeline_with_numpy_output_warns_that_columns_are_read_by_position(cdnow_rfm):
    """Without pandas output the segmenter cannot read names, and says so."""
    table = cdnow_rfm[["tenure_days", "monetary", "avg_order_value", "frequency", "recency_days"]]
    pipe = make_pipeline(SimpleImputer(), bs.RFMSegmenter())
    with pytest.warns(ColumnsByPositionWarning, match="0 as 'recency_days'"):
        pipe.fit(table)
