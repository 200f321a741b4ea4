"""The one thin dataframe layer: pandas, polars and pyarrow in and out (narwhals).

Everything behind the public boundary works on pandas frames and numpy columns. This
module is the only place that knows about other dataframe libraries:

- :func:`to_pandas_frame` turns a polars ``DataFrame`` or ``LazyFrame`` (collected
  once) or a pyarrow ``Table`` into a pandas DataFrame, column by column, reading
  names as they are. Numeric, boolean and datetime columns without missing values
  reach numpy without a copy; strings become object columns, time zones are kept.
  A pandas DataFrame (numpy, nullable or pyarrow-backed dtypes) is returned as it is.
- :func:`from_pandas_frame` turns a result back into the caller's kind of frame. A
  polars or pyarrow frame has no index, so the index becomes the first column(s),
  named like the index (``customer_id`` for the summaries, the segment column for
  the KPIs).
- :func:`frame_boundary` is the decorator that does both at a public function's
  boundary.

Which library a frame belongs to is found with narwhals' lazy checks, which look at
``sys.modules`` only: polars and pyarrow are imported only when the caller passed one
of their objects.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from narwhals.dependencies import (
    is_polars_dataframe,
    is_polars_lazyframe,
    is_pyarrow_table,
)

__all__: list[str] = []  # private module

#: The kinds of frame behaviorseg reads and returns.
Kind = Literal["pandas", "polars", "pyarrow"]

#: What the public functions accept, for error messages.
ACCEPTED = (
    "a pandas DataFrame (numpy, nullable or pyarrow-backed dtypes), a polars DataFrame or "
    "LazyFrame, or a pyarrow Table"
)

_F = TypeVar("_F", bound=Callable[..., Any])


def frame_kind(obj: object) -> Kind | None:
    """Return the kind of frame ``obj`` is, or None for anything else (arrays, lists …).

    A polars LazyFrame is of kind ``"polars"``. Nothing is imported: an object can only
    be a polars or pyarrow frame if the caller has already imported that library.
    """
    if isinstance(obj, pd.DataFrame):
        return "pandas"
    if is_polars_dataframe(obj) or is_polars_lazyframe(obj):
        return "polars"
    if is_pyarrow_table(obj):
        return "pyarrow"
    return None


def to_pandas_frame(obj: object, *, name: str) -> tuple[pd.DataFrame, Kind]:
    """Return ``obj`` as a pandas DataFrame, and the kind of frame it was.

    Parameters
    ----------
    obj : object
        A pandas DataFrame (returned unchanged, not copied), a polars DataFrame or
        LazyFrame (a LazyFrame is collected once), or a pyarrow Table.
    name : str
        The parameter's name, for the error message.

    Returns
    -------
    frame : pandas.DataFrame
        The same columns, by name and in order. Columns of numbers, booleans and
        datetimes without missing values share the caller's memory (read-only).
    kind : {"pandas", "polars", "pyarrow"}
        What ``obj`` was, for :func:`from_pandas_frame`.

    Raises
    ------
    TypeError
        For any other object, naming what is accepted.
    """
    kind = frame_kind(obj)
    if kind == "pandas":
        assert isinstance(obj, pd.DataFrame)
        return obj, kind
    if kind is None:
        raise TypeError(
            f"{name} must be {ACCEPTED}, got {type(obj).__module__}.{type(obj).__qualname__}; "
            f"build one of those with named columns first"
        )
    frame: Any = nw.from_native(obj)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    columns = {column: _numpy_column(frame.get_column(column)) for column in frame.columns}
    for column, dtype in frame.schema.items():
        if isinstance(dtype, (nw.List, nw.Array)):  # lists as tuples, as pandas results hold
            columns[column] = _tuples(columns[column])
    out = pd.DataFrame(columns, copy=False)
    for column, dtype in frame.schema.items():
        zone = getattr(dtype, "time_zone", None) if isinstance(dtype, nw.Datetime) else None
        if zone is not None:  # the values are UTC instants: label them, then convert
            out[column] = out[column].dt.tz_localize("UTC").dt.tz_convert(zone)
    return out, kind


def _numpy_column(series: nw.Series[Any]) -> np.ndarray:
    """One column as numpy: no copy for numbers, booleans and datetimes without nulls."""
    values: np.ndarray = series.to_numpy()
    return values


def _tuples(values: np.ndarray) -> np.ndarray:
    """An object column of lists or arrays as one of tuples (None stays None)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # list columns are short: cards, traits
        out[i] = None if value is None else tuple(value)
    return out


def from_pandas_frame(frame: pd.DataFrame, kind: Kind) -> Any:
    """Return the result ``frame`` as a frame of the caller's ``kind``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A result built behind the boundary.
    kind : {"pandas", "polars", "pyarrow"}
        The kind of frame the caller passed (see :func:`to_pandas_frame`).

    Returns
    -------
    DataFrame or Table
        ``frame`` itself for pandas. For polars (an eager DataFrame, also for a
        LazyFrame input) and pyarrow (a Table), the index becomes the leading
        column(s), named like the index ("index" when it has no name), unless it is
        the default 0..n-1 range; column names become strings; categories become
        strings; time zones are kept.
    """
    if kind == "pandas":
        return frame
    if not _is_default_index(frame.index):
        names = [
            "index" if level is None and frame.index.nlevels == 1 else level
            for level in frame.index.names
        ]
        frame = frame.rename_axis(names).reset_index()
    if isinstance(frame.columns, pd.MultiIndex):  # ("recency_days", "mean") -> "recency_days_mean"
        labels = ["_".join(str(part) for part in label if part != "") for label in frame.columns]
    else:
        labels = [str(label) for label in frame.columns]
    data: dict[str, np.ndarray] = {}
    zones: dict[str, str] = {}
    for label, (_, column) in zip(labels, frame.items(), strict=True):
        data[label], zone = _native_values(column)
        if zone is not None:
            zones[label] = zone
    out = nw.from_dict(data, backend=kind)
    if zones:
        out = out.with_columns(
            nw.col(label).dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
            for label, zone in zones.items()
        )
    return out.to_native()


def _is_default_index(index: pd.Index) -> bool:
    return (
        isinstance(index, pd.RangeIndex)
        and index.name is None
        and index.start == 0
        and index.step == 1
    )


def _native_values(column: pd.Series) -> tuple[np.ndarray, str | None]:
    """A result column as numpy for polars/pyarrow, and its time zone if it has one."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(), str(dtype.tz)
    if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
        return column.to_numpy(), None
    if pd.api.types.is_bool_dtype(dtype) and not column.hasnans:
        return column.to_numpy(dtype=bool), None
    if pd.api.types.is_numeric_dtype(dtype):  # nullable or Arrow-backed numbers
        kind = "f" if pd.api.types.is_float_dtype(dtype) else "i"
        if not column.hasnans:
            return column.to_numpy(dtype=np.float64 if kind == "f" else np.int64), None
        return column.to_numpy(dtype=np.float64, na_value=np.nan), None
    if isinstance(dtype, pd.PeriodDtype):  # neither polars nor Arrow has periods
        column = column.astype(str).where(column.notna())
    # Strings, categories, objects: Python objects with None for missing values.
    values = np.array(column.astype(object), dtype=object)  # a copy: writable
    values[pd.isna(values)] = None
    return values, None


def _rewarn(caught: list[warnings.WarningMessage]) -> None:
    """Issue again the warnings caught in a decorated function, for its caller.

    A warning that a function aims at its caller (``stacklevel``) lands on the
    wrapper, one frame short: it is re-issued at the wrapper's caller, so that the
    warning names the user's line as without the decorator. Others keep their origin.
    The filters in force apply again, as they did when the warning was caught.
    """
    for item in caught:
        if item.filename == __file__:
            warnings.warn(item.message, item.category, stacklevel=3)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def frame_boundary(
    *params: str, index: Mapping[str, str | int] | None = None
) -> Callable[[_F], _F]:
    """Decorate a public function so that it takes and returns any kind of frame.

    Each parameter in ``params`` that holds a polars or pyarrow frame is passed to the
    function as a pandas DataFrame (:func:`to_pandas_frame`). A DataFrame result is
    returned in the kind of the first such frame (:func:`from_pandas_frame`); other
    results (numbers, strings, objects) are returned as they are. Anything that is not
    a frame is left for the function's own checks to refuse with its own message.

    Parameters
    ----------
    *params : str
        Names of the parameters that take frames.
    index : mapping of str to str, optional
        For a parameter whose pandas frame is read by its index (a customer table
        indexed by customer id, persona cards indexed by segment): the column that
        plays the index in a polars or pyarrow frame, the inverse of
        :func:`from_pandas_frame`. Either the name of another parameter of the
        function, whose value names the column (``"customer_col"``), or the column
        name itself, or ``0`` for the leading column (a table indexed by segment,
        whose segment column may have any name). A frame without that column keeps
        its 0..n-1 index.

    Returns
    -------
    callable
        The decorator.
    """
    index_of = dict(index or {})

    def decorate(func: _F) -> _F:
        signature = inspect.signature(func)
        names = list(signature.parameters)
        frames = {names.index(name) for name in params}

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kinds: list[Kind] = []

            def read(value: Any, name: str) -> Any:
                if frame_kind(value) in (None, "pandas"):
                    return value
                frame, kind = to_pandas_frame(value, name=name)
                kinds.append(kind)
                column: Any = index_of.get(name)
                if column is not None and column in signature.parameters:
                    bound = signature.bind_partial(*args, **kwargs)
                    bound.apply_defaults()
                    column = bound.arguments[column]
                if column == 0 and frame.shape[1] > 1:  # the leading column
                    column = frame.columns[0]
                if isinstance(column, str) and column in frame.columns:
                    frame = frame.set_index(column)
                return frame

            args = tuple(
                read(value, names[i]) if i in frames else value for i, value in enumerate(args)
            )
            kwargs = {
                key: read(value, key) if key in params else value for key, value in kwargs.items()
            }
            try:
                with warnings.catch_warnings(record=True) as caught:
                    result = func(*args, **kwargs)
            finally:  # warnings raised before an error reach the caller too
                _rewarn(caught)
            if kinds and isinstance(result, pd.DataFrame):
                return from_pandas_frame(result, kinds[0])
            return result

        return wrapper  # type: ignore[return-value]

    return decorate
