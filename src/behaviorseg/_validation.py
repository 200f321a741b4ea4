"""Shared input checks: frames, columns, dtypes, NaN, time zones, parameters.

Every public function and every ``fit``/``predict`` validates its input here, once,
at the boundary; the code behind the boundary trusts the data. Messages name the
column (or parameter), the problem and the fix.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._frames import to_pandas_frame
from .exceptions import DataValidationError, RowsExcludedWarning, SchemaError

__all__: list[str] = []  # private module

# The field uses "recency" for two different things; these hints catch the mix-up.
_RECENCY_HINTS = {
    "recency_days": (
        "'recency_days' is rfm_table's days *since the last purchase* (small = recent); "
        "the buy-till-you-die models need clv_summary's 'recency' (age of the customer at "
        "the last repeat purchase, large = recent) together with 'T'. "
        "Build the frame with behaviorseg.summaries.clv_summary."
    ),
    "recency": (
        "'recency' here looks like clv_summary's age at the last repeat purchase "
        "(large = recent), not days since the last purchase. RFM segmentation needs "
        "rfm_table's 'recency_days'; build the frame with behaviorseg.summaries.rfm_table "
        "or pass recency_col='recency' only if that column really counts days since "
        "the last purchase."
    ),
}


def _first_labels(labels: Iterable[Any], limit: int = 3) -> str:
    """Return a short, readable list of the first few row labels."""
    shown = []
    for i, label in enumerate(labels):
        if i == limit:
            shown.append("...")
            break
        shown.append(repr(label) if isinstance(label, str) else str(label))
    return ", ".join(shown)


def check_frame(obj: object, *, name: str) -> pd.DataFrame:
    """Return ``obj`` as a non-empty pandas DataFrame with unique column names.

    A pandas DataFrame is returned as it is; a polars or pyarrow frame as a pandas
    DataFrame (see :func:`._frames.to_pandas_frame`; the public functions convert at
    their boundary already). Raises TypeError for anything else, naming what is
    accepted, DataValidationError for an empty frame and SchemaError (see
    :func:`check_unique_columns`) for duplicated names.
    """
    obj, _ = to_pandas_frame(obj, name=name)
    check_unique_columns(obj, name=name)
    if len(obj) == 0:
        raise DataValidationError(
            f"{name} is empty (0 rows); there is nothing to summarise or segment"
        )
    return obj


def check_unique_columns(
    frame: pd.DataFrame, *, name: str, columns: Iterable[Any] | None = None
) -> None:
    """Raise SchemaError naming every column name that appears more than once.

    Duplicated names (common after ``pd.concat(..., axis=1)`` or a merge) make
    ``frame[col]`` a DataFrame instead of a column, so no column can be read
    unambiguously. With ``columns``, only those names are checked.
    """
    labels = frame.columns
    if labels.is_unique:
        return
    repeated = labels[labels.duplicated()].unique()
    if columns is not None:
        wanted = pd.Index(list(columns))
        repeated = repeated[repeated.isin(wanted)]
        if len(repeated) == 0:
            return
    counts = labels.value_counts()
    shown = ", ".join(f"{col!r} ({int(counts[col])} times)" for col in repeated[:5])
    if len(repeated) > 5:
        shown += ", ..."
    raise SchemaError(
        f"{name} has duplicated column names: {shown}; a column must be named once to be "
        f"read unambiguously. Drop or rename the copies first, e.g. "
        f"df.loc[:, ~df.columns.duplicated()] to keep the first of each"
    )


def check_columns(frame: pd.DataFrame, columns: Mapping[str, str], *, name: str) -> None:
    """Raise SchemaError naming every missing column and the parameter that chose it.

    ``columns`` maps the parameter name (e.g. ``"amount_col"``) to the column name.
    A column named twice in ``frame`` is refused too (:func:`check_unique_columns`).
    """
    missing = {param: col for param, col in columns.items() if col not in frame.columns}
    if not missing:
        check_unique_columns(frame, name=name, columns=columns.values())
        return
    available = ", ".join(repr(c) for c in list(frame.columns)[:12])
    if frame.shape[1] > 12:
        available += ", ..."
    parts = [f"column {col!r} ({param}) not found in {name}" for param, col in missing.items()]
    message = "; ".join(parts) + f". Available columns: {available}. "
    message += "Pass " + ", ".join(f"{p}='<name>'" for p in missing) + " to use another column."
    for col in missing.values():
        hint_key = (
            "recency" if col == "recency_days" else "recency_days" if col == "recency" else None
        )
        if hint_key is not None and hint_key in frame.columns:
            message += " Note: " + _RECENCY_HINTS[hint_key]
    raise SchemaError(message)


def recency_hint(column: str) -> str:
    """Return the explanation of the two meanings of *recency* for ``column``."""
    return _RECENCY_HINTS.get(column, "")


#: The instants behaviorseg can count with: pandas' nanosecond range, which holds the
#: years 1677 to 2262. Day counts and periods are computed in nanoseconds, so a time
#: outside it (read by pandas >= 2 in a coarser unit) is refused, never wrapped around.
_FIRST_INSTANT = pd.Timestamp.min
_NS_PER_UNIT = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_LAST_INSTANT = pd.Timestamp.max
_RANGE_FIX = (
    "behaviorseg counts time in nanoseconds, which cannot hold it, and such a year is "
    "almost always a typo (2924 for 2024)"
)

# A UTC offset at the end of a timestamp string, after the time of day:
# "10:00+01:00", "10:00:00.5-0500", "10:00Z", "10:00 UTC".
_OFFSET_PATTERN = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)\s*$"
_MIXED_ZONES = (
    "column {column!r} mixes time-zone-aware and naive timestamps (or several time zones "
    "or UTC offsets, as a zone does across daylight saving time); make them consistent "
    "first, e.g. pd.to_datetime(df[{column!r}], utc=True), then .dt.tz_convert(<zone>) "
    "if you want local times"
)


def _is_datetime(dtype: Any) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype)


def _check_string_offsets(series: pd.Series, *, column: str) -> None:
    """Refuse strings that mix UTC offsets, or offsets and naive times.

    Decided here, before pandas parses the strings, because pandas has changed its
    mind: 2.0/2.1 return an object column (with a FutureWarning in 2.1), 3.x raise.
    """
    values = series
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = pd.Series(values.cat.categories)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "mixed", "mixed-integer"):
        return  # no strings: Timestamps and datetime objects are left to pandas
    found = values.str.extract(_OFFSET_PATTERN, expand=False)  # NaN for non-strings
    aware = found.notna().to_numpy()
    if not aware.any():
        return
    is_text = values.str.len().notna().to_numpy()
    offsets = found[aware].str.replace(":", "", regex=False)
    offsets = offsets.replace({"Z": "+0000", "UTC": "+0000", "GMT": "+0000"})
    offsets = offsets.where(offsets.str.len() != 3, offsets + "00")  # "+01" is "+0100"
    if (is_text & ~aware).any() or offsets.nunique() > 1:
        raise SchemaError(_MIXED_ZONES.format(column=column))


def _out_of_range(times: pd.Series) -> np.ndarray:
    """Mask of the timestamps (of any unit) outside the nanosecond range; NaT is not."""
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert(None)  # UTC wall time: the range is defined in UTC
    values = times.to_numpy()
    unit, count = np.datetime_data(values.dtype)
    ns_per_tick = count * _NS_PER_UNIT.get(unit, 0)
    if ns_per_tick == 1:
        return np.zeros(len(values), dtype=bool)
    if ns_per_tick == 0:  # days, months ...: compare as Timestamps (rare units)
        inside = pd.Series(values).between(_FIRST_INSTANT, _LAST_INSTANT).to_numpy(dtype=bool)
        outside: np.ndarray = ~np.isnat(values) & ~inside
        return outside
    # Compare the integer ticks in the column's own unit: nothing is cast to ns.
    ticks = values.view(np.int64)
    low = -(-int(_FIRST_INSTANT.value) // ns_per_tick)  # ceil: the first tick in range
    high = int(_LAST_INSTANT.value) // ns_per_tick
    if len(ticks) and int(ticks.min()) >= low and int(ticks.max()) <= high:
        return np.zeros(len(ticks), dtype=bool)  # the usual case, in two passes (NaT: min)
    bad: np.ndarray = ~np.isnat(values) & ((ticks < low) | (ticks > high))
    return bad


def to_datetime(series: pd.Series, *, column: str) -> pd.Series:
    """Return ``series`` as datetime64, refusing what behaviorseg cannot count with.

    Datetime columns are used as they are (any unit, naive or aware); strings and
    objects are parsed with :func:`pandas.to_datetime`. The caller's series is not
    modified.

    Raises
    ------
    SchemaError
        Numbers or booleans (epoch seconds must be converted explicitly), strings
        that cannot be parsed, and timestamps that mix time zones: aware and naive
        values, several zones, or strings with several UTC offsets (one zone
        across daylight saving time has two). The check of the offsets is done
        here, not left to pandas, so it is the same on every pandas version.
    DataValidationError
        Missing timestamps, and timestamps outside the years 1677-2262. The rule
        is the same for every function that reads times: time is counted in
        nanoseconds, whose range is 1677-09-21 to 2262-04-11, and a year outside
        it (2924 for 2024) is almost always a typo. pandas >= 2 can hold such a
        year in a coarser unit (``datetime64[us]``), but behaviorseg refuses it,
        naming the column and the rows, instead of overflowing.
    """
    if isinstance(series.dtype, pd.ArrowDtype) and series.dtype.kind == "M":
        # pyarrow-backed timestamps: the numpy datetime of the same unit and zone
        arrow_type = series.dtype.pyarrow_dtype
        zone = getattr(arrow_type, "tz", None)
        unit = str(arrow_type.unit)
        series = series.astype(pd.DatetimeTZDtype(unit, zone) if zone else np.dtype(f"M8[{unit}]"))
    if _is_datetime(series.dtype):
        out = series
    elif pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise SchemaError(
            f"column {column!r} has dtype {series.dtype}, expected datetimes; "
            f"convert it first, e.g. pd.to_datetime(df[{column!r}], unit='s') for epoch seconds"
        )
    else:
        _check_string_offsets(series, column=column)
        try:
            with warnings.catch_warnings():
                # pandas 2.1 warns before returning an object column for mixed zones;
                # the dtype check below turns that into a SchemaError.
                warnings.filterwarnings("ignore", ".*mixed time zones", FutureWarning)
                out = pd.to_datetime(series)
        except pd.errors.OutOfBoundsDatetime:
            # pandas < 3 parses strings to nanoseconds only: find the rows it cannot hold.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                coerced = pd.to_datetime(series, errors="coerce")
            lost = (coerced.isna() & series.notna()).to_numpy()
            raise DataValidationError(
                f"column {column!r} has {int(lost.sum())} timestamps outside the years "
                f"1677-2262 (rows {_first_labels(series.index[lost])}: "
                f"{_first_labels(series[lost])}); {_RANGE_FIX}: fix or drop those rows first"
            ) from None
        except (ValueError, TypeError) as err:
            text = str(err)
            if "zone" in text.lower() or "tz" in text.lower() or "offset" in text.lower():
                raise SchemaError(_MIXED_ZONES.format(column=column)) from err
            raise SchemaError(
                f"column {column!r} could not be parsed as datetimes ({text}); "
                f"convert it with pd.to_datetime first"
            ) from err
        if not _is_datetime(out.dtype):
            raise SchemaError(_MIXED_ZONES.format(column=column))
    missing = out.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"column {column!r} has {int(missing.sum())} missing timestamps (rows "
            f"{_first_labels(series.index[missing])}); drop or fill them first"
        )
    outside = _out_of_range(out)
    if outside.any():
        raise DataValidationError(
            f"column {column!r} has {int(outside.sum())} timestamps outside the years "
            f"1677-2262 (rows {_first_labels(series.index[outside])}: "
            f"{_first_labels(out[outside])}); {_RANGE_FIX}: fix or drop those rows first"
        )
    return out


def check_numeric(
    series: pd.Series,
    *,
    column: str,
    min_value: float | None = None,
    strict: bool = False,
    allow_nan: bool = False,
) -> np.ndarray:
    """Return the column as a finite float64 array, or raise naming the bad rows.

    With ``allow_nan``, missing values are kept (as NaN: "unknown") and only
    infinities are refused.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise SchemaError(
            f"column {column!r} has dtype {dtype}, expected numbers; "
            f"convert it with pd.to_numeric(df[{column!r}]) first"
        )
    values: np.ndarray
    if dtype == np.float64 and isinstance(dtype, np.dtype):
        values = series.to_numpy().view()  # no copy of a float column; read-only below
        values.flags.writeable = False
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
    if bad.any():
        if allow_nan:
            raise DataValidationError(
                f"column {column!r} has {int(bad.sum())} infinite values (rows "
                f"{_first_labels(series.index[bad])}); replace them with a finite number, or "
                f"with NaN where the value is unknown, e.g. "
                f"df[{column!r}].replace([np.inf, -np.inf], np.nan)"
            )
        raise DataValidationError(
            f"column {column!r} has {int(bad.sum())} missing or non-finite values (rows "
            f"{_first_labels(series.index[bad])}); drop or fill them first"
        )
    if min_value is not None:
        with np.errstate(invalid="ignore"):
            low = values <= min_value if strict else values < min_value
        if low.any():
            relation = "<=" if strict else "<"
            raise DataValidationError(
                f"column {column!r} has {int(low.sum())} values {relation} {min_value} (rows "
                f"{_first_labels(series.index[low])}); they make no sense here"
            )
    return values


def as_timestamp(value: object, *, reference: pd.Series, param: str = "as_of") -> pd.Timestamp:
    """Parse ``value`` as a Timestamp that matches the time zone of ``reference``."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except pd.errors.OutOfBoundsDatetime:  # pandas < 3 holds nanoseconds only
        raise DataValidationError(
            f"{param}={value!r} is outside the years 1677-2262; {_RANGE_FIX}: pass a date in range"
        ) from None
    except (ValueError, TypeError) as err:
        raise DataValidationError(f"{param}={value!r} is not a date or timestamp: {err}") from err
    if stamp is pd.NaT:
        raise DataValidationError(f"{param} must be a date or timestamp, got NaT")
    if not _FIRST_INSTANT <= stamp.tz_localize(None) <= _LAST_INSTANT:
        raise DataValidationError(
            f"{param}={value!r} is outside the years 1677-2262; {_RANGE_FIX}: pass a date in range"
        )
    data_tz = getattr(reference.dt, "tz", None)
    if data_tz is None and stamp.tz is not None:
        raise SchemaError(
            f"{param}={stamp} is time-zone-aware but the timestamps are naive; "
            f"pass a naive {param} or localise the timestamps first"
        )
    if data_tz is not None and stamp.tz is None:
        raise SchemaError(
            f"{param}={stamp} is naive but the timestamps are in {data_tz}; "
            f"pass a time-zone-aware {param}, e.g. pd.Timestamp('...', tz='{data_tz}')"
        )
    if data_tz is not None:
        stamp = stamp.tz_convert(data_tz)
    result: pd.Timestamp = stamp
    return result


def as_duration(value: Any, param: str) -> pd.Timedelta:
    """Parse a positive duration: a Timedelta, a string such as ``"90D"``, or a number of days.

    ``param`` names the parameter in the error message.
    """
    if isinstance(value, bool):
        raise ValueError(f"{param}={value!r} must be a duration such as '90D'")
    try:
        delta = (
            pd.Timedelta(days=float(value))
            if isinstance(value, (int, float, np.integer, np.floating))
            else pd.Timedelta(value)
        )
    except (ValueError, TypeError) as err:
        raise ValueError(f"{param}={value!r} is not a duration such as '90D'") from err
    if delta is pd.NaT or delta <= pd.Timedelta(0):
        raise ValueError(f"{param}={value!r} must be a positive duration such as '90D'")
    result: pd.Timedelta = delta
    return result


def warn_excluded(count: int, message: str, *, stacklevel: int = 3) -> None:
    """Warn that ``count`` rows or customers were excluded; ``message`` says which and why."""
    if count:
        warnings.warn(f"{count} {message}", RowsExcludedWarning, stacklevel=stacklevel + 1)


# --- parameter rules, declared as data on each estimator and checked in fit ---------


@dataclass(frozen=True)
class Interval:
    """A number in ``[low, high]`` (either end open with ``closed``)."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                return False
        elif not isinstance(value, numbers.Real):
            return False
        x = float(value)  # type: ignore[arg-type,unused-ignore]
        if not np.isfinite(x):
            return False
        left_ok = self.low is None or (
            x >= self.low if self.closed in ("both", "left") else x > self.low
        )
        right_ok = self.high is None or (
            x <= self.high if self.closed in ("both", "right") else x < self.high
        )
        return left_ok and right_ok

    def describe(self) -> str:
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"{'an int' if self.kind is int else 'a number'} in {left}{lo}, {hi}{right}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[object, ...]

    def accepts(self, value: object) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class InstanceOf:
    """An instance of one of the given types (``None`` allowed by passing ``type(None)``)."""

    types: tuple[type, ...]

    def accepts(self, value: object) -> bool:
        return isinstance(value, self.types)

    def describe(self) -> str:
        names = ["None" if t is type(None) else t.__name__ for t in self.types]
        return "an instance of " + " or ".join(names)


@dataclass(frozen=True)
class IsCallable:
    """Any callable."""

    def accepts(self, value: object) -> bool:
        return callable(value)

    def describe(self) -> str:
        return "a callable"


Constraint = Interval | Options | InstanceOf | IsCallable


def validate_params(
    params: Mapping[str, object],
    constraints: Mapping[str, Sequence[Constraint]],
    *,
    owner: str,
) -> None:
    """Raise ValueError (or TypeError) for the first parameter that breaks its rules."""
    for name, rules in constraints.items():
        value = params[name]
        if any(rule.accepts(value) for rule in rules):
            continue
        allowed = " or ".join(rule.describe() for rule in rules)
        err: type[Exception] = (
            TypeError if all(isinstance(rule, InstanceOf) for rule in rules) else ValueError
        )
        raise err(f"{owner}: parameter {name}={value!r} is invalid; it must be {allowed}")


def is_sequence_of_numbers(value: object) -> bool:
    """Return True for a list/tuple/array of finite real numbers."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        return False
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return arr.ndim == 1 and bool(np.isfinite(arr).all())
