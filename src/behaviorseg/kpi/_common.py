"""Private helpers shared by the KPI functions: segment codes, periods, safe division,
Wilson intervals, per-group sums and medians, and a vectorised bootstrap."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._validation import Interval, check_columns, check_numeric, to_datetime, validate_params
from ..exceptions import DataValidationError, SchemaError

__all__: list[str] = []  # private module

#: Largest number of random draws held in memory at once by the bootstrap.
_BOOTSTRAP_CHUNK = 4_000_000


def _check_confidence(confidence: object, *, owner: str) -> float:
    """Return ``confidence`` as a float in (0, 1), or raise naming the parameter."""
    validate_params(
        {"confidence": confidence},
        {"confidence": [Interval(float, 0.0, 1.0, closed="neither")]},
        owner=owner,
    )
    return float(confidence)  # type: ignore[arg-type]


def _z_value(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.95996... for 0.95."""
    return float(norm.ppf(0.5 + confidence / 2.0))


def _segment_codes(
    frame: pd.DataFrame, segment_col: str, *, name: str, param: str = "segment_col"
) -> tuple[np.ndarray, pd.Index]:
    """Dense segment code of each row and the segment labels, in report order.

    A Categorical column keeps all its categories in their order (empty segments
    become rows with size 0); other labels are sorted (first-seen order when they
    cannot be sorted). The returned Index is named ``segment_col``.
    """
    check_columns(frame, {param: segment_col}, name=name)
    values = frame[segment_col]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"column {segment_col!r} ({param}) of {name} has {int(missing.sum())} missing "
            f"segment labels; label every customer first (missing labels belong to no "
            f"segment), e.g. "
            f"df[{segment_col!r}].fillna('unknown') (add the category first if it is Categorical)"
        )
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        return codes, pd.Index(values.cat.categories, name=segment_col)
    try:
        codes, labels = pd.factorize(values, sort=True)
    except TypeError:  # labels that cannot be ordered: keep first-seen order
        codes, labels = pd.factorize(values, sort=False)
    return codes.astype(np.int64), pd.Index(labels, name=segment_col)


def _as_period(value: object, *, param: str, alternative: str = "") -> pd.Period:
    """``value`` as a pandas Period with its own span, or raise naming ``param``.

    The one rule for every period the KPI functions read: a Period is kept, and a
    string is read by :class:`pandas.Period`, whose span is the string's own
    resolution: ``"2024"`` a year, ``"2024Q1"`` a quarter, ``"2024-03"`` a month,
    ``"2024-03-05"`` a day. A period is never reduced to its first instant.
    ``alternative`` names another accepted form in the message (", or a (start,
    end) pair").
    """
    if isinstance(value, pd.Period):
        return value
    if isinstance(value, str):
        try:
            period = pd.Period(value)
        except (ValueError, TypeError, KeyError) as err:
            raise DataValidationError(
                f"{param}={value!r} is not a period such as '2024', '2024Q1', '2024-03' or "
                f"'2024-03-05' ({err}); pass a pandas Period or one of those strings{alternative}"
            ) from err
        if isinstance(period, pd.Period):  # not NaT (from "NaT" or "")
            return period
    raise DataValidationError(
        f"{param}={value!r} is not a period; pass a pandas Period or a string such as "
        f"'2024Q1' or '2024-03'{alternative}"
    )


def _periods_at(
    series: pd.Series, *, freq: str, column: str, name: str, instants: bool = False
) -> np.ndarray:
    """The period at ``freq`` of every row, as an array of ``pd.Period``.

    Rows hold Periods or period strings (read with :func:`_as_period`, keeping their
    span), or datetimes (a point in time: the period that contains it). A period
    longer than one ``freq`` period cannot be attributed to one of them and is
    refused, e.g. a quarter's spend in a monthly report. With ``instants`` the
    column holds points in time (an acquisition date): strings are read as
    timestamps, by :func:`~behaviorseg._validation.to_datetime`.
    """
    kind = pd.api.types.infer_dtype(series, skipna=True)
    spans = isinstance(series.dtype, pd.PeriodDtype) or kind in ("string", "period", "mixed")
    if instants or not spans:
        times = to_datetime(series, column=column)
        if getattr(times.dt, "tz", None) is not None:
            times = times.dt.tz_localize(None)  # periods follow the local calendar
        points: np.ndarray = times.dt.to_period(freq).to_numpy()
        return points
    codes, labels = pd.factorize(series)  # distinct periods: a handful per report
    if (codes < 0).any():
        missing = codes < 0
        raise DataValidationError(
            f"column {column!r} of {name} has {int(missing.sum())} missing periods; drop or "
            f"fill them first"
        )
    periods = [_as_period(label, param=f"column {column!r} of {name}: value") for label in labels]
    start = pd.DatetimeIndex([p.start_time for p in periods]).to_period(freq)
    end = pd.DatetimeIndex([p.end_time for p in periods]).to_period(freq)
    coarse = np.asarray(start != end)
    if coarse.any():
        rows = coarse[codes]
        shown = ", ".join(str(p) for p, wide in zip(periods, coarse, strict=True) if wide)
        raise DataValidationError(
            f"column {column!r} of {name} holds periods that span several {freq!r} periods "
            f"({int(rows.sum())} rows: {shown[:80]}); they cannot be attributed to one. "
            f"Report at a coarser period= (e.g. period='Q' for quarters) or split the "
            f"amounts per {freq!r} period first"
        )
    out: np.ndarray = np.asarray(start, dtype=object)[codes]
    return out


def _check_flags(series: pd.Series, *, column: str, param: str) -> np.ndarray:
    """Return a bool/0-1 column as a float array of 0s and 1s, or raise naming it."""
    dtype = series.dtype
    if not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
        raise SchemaError(
            f"column {column!r} ({param}) has dtype {dtype}, expected bool or 0/1 numbers; "
            f"convert it first, e.g. df[{column!r}] == 'yes'"
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise DataValidationError(
            f"column {column!r} ({param}) has {int(bad.sum())} values that are neither "
            f"True/False nor 0/1 (missing values included); fill or drop them first"
        )
    return values


def _check_counts(series: pd.Series, *, column: str) -> np.ndarray:
    """Return a column of non-negative whole numbers as float64, or raise naming it."""
    values = check_numeric(series, column=column, min_value=0.0)
    fractional = values != np.floor(values)
    if fractional.any():
        raise DataValidationError(
            f"column {column!r} has {int(fractional.sum())} non-integer values; it holds "
            f"counts, so it must hold whole numbers"
        )
    return values


def _group_sum(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``values`` per group code (0.0 for empty groups)."""
    out: np.ndarray = np.bincount(codes, weights=values, minlength=n_groups).astype(np.float64)
    return out


def _group_size(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Number of rows per group code."""
    out: np.ndarray = np.bincount(codes, minlength=n_groups).astype(np.int64)
    return out


def _safe_divide(numerator: Any, denominator: Any) -> np.ndarray:
    """``numerator / denominator`` elementwise, NaN where the denominator is 0 or NaN.

    Never raises ZeroDivisionError, never returns inf from a zero denominator, and
    silences numpy's warnings.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)
    result: np.ndarray = np.asarray(out, dtype=np.float64)
    return result


def _wilson_interval(
    successes: np.ndarray, n: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion; NaN where ``n`` is 0.

    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` (Wilson, 1927).
    """
    z = _z_value(confidence)
    successes = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    safe_n = np.where(n > 0, n, 1.0)
    p = successes / safe_n
    z2 = z * z
    centre = (p + z2 / (2.0 * safe_n)) / (1.0 + z2 / safe_n)
    half = z * np.sqrt(np.maximum(p * (1.0 - p) / safe_n + z2 / (4.0 * safe_n**2), 0.0))
    half = half / (1.0 + z2 / safe_n)
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # exact ends at 0 and 1 (the formula gives them up to rounding)
    low = np.where(successes == 0, 0.0, low)
    high = np.where(successes == n, 1.0, high)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high


def _group_median(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``values`` per group code (NaN for empty groups), without a loop."""
    order = np.lexsort((values, codes))
    sorted_values = values[order]
    size = np.bincount(codes, minlength=n_groups)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    nonempty = size > 0
    lower = start + (size - 1) // 2
    upper = start + size // 2
    out = np.full(n_groups, np.nan)
    out[nonempty] = (sorted_values[lower[nonempty]] + sorted_values[upper[nonempty]]) / 2.0
    return out


def _check_random_state(random_state: object, *, owner: str) -> np.random.Generator:
    """A numpy Generator from None, an int seed or a Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if not isinstance(random_state, bool) and (
        random_state is None or isinstance(random_state, numbers.Integral)
    ):
        return np.random.default_rng(int(random_state) if random_state is not None else None)
    raise TypeError(
        f"{owner}: parameter random_state={random_state!r} is invalid; pass None, an int "
        f"seed or a numpy.random.Generator"
    )


def _bootstrap_mean_interval(
    values: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    confidence: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of each group's mean, resampling within groups.

    Every resample redraws each group's rows with replacement (the group sizes stay
    fixed). The draws are one matrix of random positions per chunk of resamples, and
    the group sums come from ``np.add.reduceat`` on the rows sorted by group: there is
    no loop over customers or groups. Groups of size 0 get NaN; groups of size 1 a
    zero-width interval.
    """
    order = np.argsort(codes, kind="stable")
    sorted_values = values[order]
    sorted_codes = codes[order]
    size = np.bincount(codes, minlength=n_groups)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    n = len(values)
    low = np.full(n_groups, np.nan)
    high = np.full(n_groups, np.nan)
    nonempty = np.flatnonzero(size > 0)
    if n == 0 or len(nonempty) == 0:
        return low, high
    row_start = start[sorted_codes]
    row_size = size[sorted_codes]
    chunk = max(1, min(n_resamples, _BOOTSTRAP_CHUNK // max(n, 1)))
    means = np.empty((n_resamples, len(nonempty)))
    for first in range(0, n_resamples, chunk):  # a loop over chunks of resamples only
        rows = min(chunk, n_resamples - first)
        draws = rng.random((rows, n))
        offsets = np.minimum(np.floor(draws * row_size).astype(np.int64), row_size - 1)
        positions = row_start + offsets
        sums = np.add.reduceat(sorted_values[positions], start[nonempty], axis=1)
        means[first : first + rows] = sums / size[nonempty]
    tail = (1.0 - confidence) / 2.0
    bounds = np.quantile(means, [tail, 1.0 - tail], axis=0)
    low[nonempty] = bounds[0]
    high[nonempty] = bounds[1]
    return low, high
