"""The small base class every segmenter shares.

Think twice before adding to it: it only does what *every* segmenter needs —
parameter checks, input validation (column selection by name, feature-name and
feature-count bookkeeping), the fit/predict/transform template, and feature names
for ``set_output``. Anything specific to one model belongs in that model's module.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._frames import frame_kind, to_pandas_frame
from ._validation import (
    Constraint,
    check_columns,
    check_numeric,
    check_unique_columns,
    validate_params,
)
from .exceptions import ColumnsByPositionWarning

__all__: list[str] = []  # private module


def _has_named_columns(X: object) -> bool:
    """True for a DataFrame whose column names are all strings (sklearn's rule)."""
    return isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns)


def read_columns(
    estimator: BaseEstimator,
    X: Any,
    *,
    reset: bool,
    columns: Callable[[], list[str]],
    column_params: Callable[[list[str]], Mapping[str, str]],
    allow_nan: bool = False,
) -> tuple[np.ndarray, bool]:
    """Read ``columns`` of ``X`` as floats by the one column rule of every estimator here.

    A frame with string column names is read by name, in any order, extra columns
    ignored (after fit: whenever it holds every fitted column); each column is
    checked with a message that names it. A frame after a fit on an unnamed array,
    and a plain array, are validated whole by scikit-learn; an array after a fit on
    a frame is read at the positions the columns had in that frame.

    ``columns`` and ``column_params`` are called after ``validate_data`` has set
    ``feature_names_in_`` (a segmenter may derive its columns from them).
    Returns the array and whether it was read by position from an unnamed array
    (all its columns, for the caller to select from).

    A polars DataFrame or LazyFrame, or a pyarrow Table, is read as the pandas frame
    with the same named columns (:func:`._frames.to_pandas_frame`), on every
    scikit-learn version: by name, never by position.
    """
    if frame_kind(X) not in (None, "pandas"):
        X, _ = to_pandas_frame(X, name="X")
    if isinstance(X, pd.DataFrame):
        check_unique_columns(X, name="X")
    # At fit, names from an earlier fit do not count (validate_data resets them).
    names_in = None if reset else getattr(estimator, "feature_names_in_", None)
    nan_rule: bool | str = "allow-nan" if allow_nan else True
    if _has_named_columns(X) and (reset or names_in is not None):
        if names_in is not None and list(X.columns) != list(names_in):
            # Columns in another order, or added after fit (a "segment" column, say).
            fitted = list(names_in)
            if set(fitted) <= set(X.columns):
                X = X[fitted]
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        names = columns()
        check_columns(X, column_params(names), name="X")
        selected = X[names]
        for column in names:  # a loop over a few columns, for messages that name them
            check_numeric(selected[column], column=column, allow_nan=allow_nan)
        arr = check_array(
            selected, dtype=np.float64, ensure_all_finite=nan_rule, estimator=estimator
        )
        return np.asarray(arr), False
    arr = validate_data(estimator, X, reset=reset, dtype=np.float64, ensure_all_finite=nan_rule)
    if names_in is not None:
        # Fitted on a named frame, now given an array of the same width.
        position = {name: i for i, name in enumerate(names_in)}
        return np.asarray(arr)[:, [position[c] for c in columns()]], False
    return np.asarray(arr), True


class BaseSegmenter(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Template for segmenters: validate, then delegate to private hooks.

    Subclasses declare ``_parameter_constraints`` and implement:

    - ``_input_columns()``: the column names read from a DataFrame, in role order
      (a plain array is read positionally in the same order);
    - ``_fit(X, y)``: learn cut points from a float array, set ``segments_``;
    - ``_predict_codes(X)``: integer positions into ``segments_``, one per row;
    - ``_transform(X)``: the numeric scores behind the labels;
    - ``_output_names(n_columns)``: names of the ``transform`` columns.

    A DataFrame with string column names is validated whole (so ``feature_names_in_``
    lists all its columns, as in scikit-learn), and then only the role columns are
    read; extra columns are ignored and may have any dtype.
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {}
    _min_features: ClassVar[int] = 1
    _allow_nan: ClassVar[bool] = False

    segments_: list[str]

    # --- hooks -------------------------------------------------------------------
    def _input_columns(self) -> list[str]:
        raise NotImplementedError

    def _fit(self, X: np.ndarray, y: Any) -> None:
        raise NotImplementedError

    def _predict_codes(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _output_names(self, n_columns: int) -> list[str]:
        raise NotImplementedError

    # --- template ----------------------------------------------------------------
    def _validate_input(self, X: Any, *, reset: bool) -> np.ndarray:
        """Return the role columns of ``X`` as a float array (see :func:`read_columns`).

        An unnamed array wider than the roles has its leading columns read and the
        rest ignored, with a :class:`~behaviorseg.exceptions.ColumnsByPositionWarning`
        at fit naming both.
        """
        arr, positional = read_columns(
            self,
            X,
            reset=reset,
            columns=self._input_columns,
            column_params=self._column_params,
            allow_nan=self._allow_nan,
        )
        if positional:
            arr = self._leading_role_columns(arr, warn=reset)
        if arr.shape[1] < self._min_features:
            raise ValueError(
                f"{type(self).__name__} needs at least {self._min_features} feature(s), "
                f"got {arr.shape[1]} feature(s); pass a customer table with the columns "
                f"{self._input_columns()}"
            )
        return np.asarray(arr)

    def fit(self, X: Any, y: Any = None) -> BaseSegmenter:
        """Learn the cut points from the customer table ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            The customer table. A DataFrame is read by column name (see the
            ``*_col`` parameters); an array positionally, in the same order.
        y : None
            Ignored; present for scikit-learn compatibility.

        Returns
        -------
        self
            The fitted segmenter.
        """
        validate_params(
            self.get_params(deep=False), self._parameter_constraints, owner=type(self).__name__
        )
        self._fit(self._validate_input(X, reset=True), y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Return the segment name of every row of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customers to label, with the columns used in ``fit``.

        Returns
        -------
        ndarray of str, shape (n_customers,)
            One name from ``segments_`` per row (dtype object).
        """
        check_is_fitted(self)
        codes = self._predict_codes(self._validate_input(X, reset=False))
        labels: np.ndarray = np.asarray(self.segments_, dtype=object)[codes]
        return labels

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit on ``X`` and return its segment names (same as ``fit(X).predict(X)``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            The customer table.
        y : None
            Ignored.

        Returns
        -------
        ndarray of str, shape (n_customers,)
            One segment name per row.
        """
        return self.fit(X, y).predict(X)

    def transform(self, X: Any) -> np.ndarray:
        """Return the numeric scores behind the segment labels.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customers to score.

        Returns
        -------
        ndarray of shape (n_customers, n_scores)
            The scores, named by ``get_feature_names_out()`` (a DataFrame after
            ``set_output(transform="pandas")``).
        """
        check_is_fitted(self)
        return self._transform(self._validate_input(X, reset=False))

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """Return the names of the ``transform`` columns.

        Parameters
        ----------
        input_features : sequence of str or None
            Ignored except for a length check against ``n_features_in_``; the
            output names are fixed by the segmenter.

        Returns
        -------
        ndarray of str
            The output column names.
        """
        check_is_fitted(self)
        if input_features is not None:
            expected = getattr(self, "feature_names_in_", None)
            if expected is not None and list(input_features) != list(expected):
                raise ValueError("input_features is not equal to feature_names_in_")
            if len(input_features) != self.n_features_in_:
                raise ValueError(
                    f"input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(input_features)}"
                )
        return np.asarray(self._output_names(self._n_scores()), dtype=object)

    def _leading_role_columns(self, arr: np.ndarray, *, warn: bool) -> np.ndarray:
        """Keep the leading columns of an unnamed array, one per role (see ``_validate_input``).

        A segmenter that declares no role columns (``MatrixSegmenter`` without axes)
        reads every column positionally, by design.
        """
        roles = self._input_columns()
        if not roles or arr.shape[1] <= len(roles):
            return arr
        if warn:
            read = ", ".join(f"{i} as {name!r}" for i, name in enumerate(roles))
            ignored = list(range(len(roles), arr.shape[1]))
            warnings.warn(
                f"{type(self).__name__} was given an unnamed array with {arr.shape[1]} "
                f"columns and reads them by position: column {read}; columns {ignored} "
                f"are ignored. Pass a DataFrame to read columns by name (in a Pipeline: "
                f"pipeline.set_output(transform='pandas')).",
                ColumnsByPositionWarning,
                stacklevel=4,
            )
        return arr[:, : len(roles)]

    def _column_params(self, columns: list[str]) -> dict[str, str]:
        """Map each input column to the ``*_col`` parameter that names it (for messages)."""
        by_value = {
            value: param
            for param, value in self.get_params(deep=False).items()
            if param.endswith("_col") and isinstance(value, str)
        }
        return {by_value.get(col, f"column {i}"): col for i, col in enumerate(columns)}

    def _n_scores(self) -> int:
        """Number of columns ``transform`` returns (subclasses may override)."""
        return len(self._input_columns())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan
        tags.transformer_tags.preserves_dtype = []
        tags.target_tags.required = False
        return tags
