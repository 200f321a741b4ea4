"""Segment profiles: what the customers of each segment look like against the whole base.

Also holds the feature reading shared with :mod:`._criteria`: which columns are
features, numeric or categorical, and the rule for missing values.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    Interval,
    check_columns,
    check_frame,
    check_numeric,
    validate_params,
    warn_excluded,
)
from ..exceptions import DataValidationError, SchemaError
from ..kpi._common import _group_median, _group_size, _group_sum, _safe_divide, _segment_codes

__all__ = ["segment_profile"]

#: Names of the columns that describe the segment itself (second level "").
_SEGMENT_COLUMNS = ("size", "share", "value_share")


@dataclass(frozen=True)
class _Feature:
    """One feature as the statistics read it: its known values and, if categorical, levels.

    ``present`` masks the rows with a known value. ``values`` holds the known values
    only: float64 for a numeric feature, int64 level codes (into ``levels``) for a
    categorical one.
    """

    name: Hashable
    kind: str  # "numeric" or "categorical"
    present: np.ndarray
    values: np.ndarray
    levels: pd.Index | None = None


def _kind(series: pd.Series) -> str | None:
    """``"numeric"``, ``"categorical"`` or None (dates, durations …: not a feature)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"  # a flag: the share of each value, tested with chi²
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    return None


def _feature_names(
    data: pd.DataFrame, *, segment_col: Hashable, features: object
) -> list[Hashable]:
    """The feature columns: the ones asked for (checked), or every usable column."""
    if features is None:
        return [c for c in data.columns if c != segment_col and _kind(data[c]) is not None]
    names: list[Hashable] = (
        [features] if isinstance(features, str) else list(features)  # type: ignore[call-overload]
    )
    asked = {f"features[{i}]": name for i, name in enumerate(names)}
    check_columns(data, cast("dict[str, str]", asked), name="data")
    repeated = pd.Index(names)[pd.Index(names).duplicated()].unique()
    if len(repeated):
        raise DataValidationError(
            f"features names {', '.join(repr(c) for c in repeated)} more than once; "
            f"list each column once"
        )
    if segment_col in names:
        raise DataValidationError(
            f"features includes the segment column {segment_col!r}; a segment cannot "
            f"describe itself. Leave it out of features"
        )
    for name in names:
        if _kind(data[name]) is None:
            raise SchemaError(
                f"column {name!r} in features has dtype {data[name].dtype}, which is neither "
                f"numeric nor categorical; convert it first (e.g. dates to days since an "
                f"event) or leave it out of features"
            )
    return names


def _read_features(
    data: pd.DataFrame,
    *,
    segment_col: Hashable,
    features: Sequence[Hashable] | Hashable | None,
    max_levels: int,
    owner: str,
) -> list[_Feature]:
    """Validate and read the features; warn once per feature with missing values.

    The rule for missing values: a customer whose value of a feature is missing is
    left out of that feature's statistics only (counted by a RowsExcludedWarning),
    and kept for every other feature and for ``size``. Infinite values are refused.
    A categorical feature with more than ``max_levels`` levels is refused: it is
    most likely an identifier.
    """
    validate_params(
        {"max_levels": max_levels}, {"max_levels": [Interval(int, 2, None)]}, owner=owner
    )
    out = []
    for name in _feature_names(data, segment_col=segment_col, features=features):
        series = data[name]
        kind = _kind(series)
        present = series.notna().to_numpy(dtype=bool)
        if not present.any():
            raise DataValidationError(
                f"column {name!r} has only missing values; fill it or leave it out of features"
            )
        if kind == "numeric":
            values = check_numeric(series, column=str(name), allow_nan=True)[present]
            feature = _Feature(name, "numeric", present, values)
        else:
            feature = _categorical(series, name=name, present=present, max_levels=max_levels)
        warn_excluded(
            int((~present).sum()),
            f"customers with a missing {name!r} are left out of that feature's statistics "
            f"(and only of those); fill the column to count them",
        )
        out.append(feature)
    return out


def _categorical(
    series: pd.Series, *, name: Hashable, present: np.ndarray, max_levels: int
) -> _Feature:
    """Level codes of the known values; a Categorical keeps all its categories, in order."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy(dtype=np.int64)
        levels = pd.Index(series.cat.categories)
    else:
        try:
            codes, levels = pd.factorize(series, sort=True)
        except TypeError:  # mixed labels that cannot be ordered: first-seen order
            codes, levels = pd.factorize(series, sort=False)
        codes = codes.astype(np.int64)
        levels = pd.Index(levels)
    if len(levels) > max_levels:
        raise DataValidationError(
            f"column {name!r} has {len(levels)} distinct values, more than "
            f"max_levels={max_levels}; it looks like an identifier or free text. Leave it "
            f"out of features, group its rare values first, or raise max_levels"
        )
    return _Feature(name, "categorical", present, codes[present], levels)


def _level_counts(feature: _Feature, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Contingency table (segments × levels) of a categorical feature's known values."""
    assert feature.levels is not None
    n_levels = len(feature.levels)
    cells = codes[feature.present] * n_levels + feature.values
    counts = np.bincount(cells, minlength=n_groups * n_levels)
    table: np.ndarray = counts.reshape(n_groups, n_levels).astype(np.float64)
    return table


def _numeric_stats(feature: _Feature, codes: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Mean, median, index and standardised difference of each segment."""
    x = feature.values
    group = codes[feature.present]
    n = _group_size(group, n_groups).astype(np.float64)
    total_n = float(len(x))
    mean = _safe_divide(_group_sum(x, group, n_groups), n)
    base = float(x.mean())
    centred = x - base
    # Squares about each segment's mean, and about the rest's (by the decomposition
    # sum_A (x - mean_A)^2 = sum_A (x - m)^2 - n_A (mean_A - m)^2, m the base mean).
    within = _group_sum((x - np.nan_to_num(mean)[group]) ** 2, group, n_groups)
    about_base = _group_sum(centred**2, group, n_groups)
    rest_n = total_n - n
    rest_mean = _safe_divide(centred.sum() - _group_sum(centred, group, n_groups), rest_n) + base
    rest_ss = float((centred**2).sum()) - about_base - rest_n * (rest_mean - base) ** 2
    pooled = _safe_divide(within + np.maximum(rest_ss, 0.0), total_n - 2.0)
    with np.errstate(invalid="ignore"):
        std_diff = _safe_divide(mean - rest_mean, np.sqrt(pooled))
    std_diff[(n == 0) | (rest_n == 0)] = np.nan
    index = 100.0 * mean / base if base > 0 else np.full(n_groups, np.nan)
    return {
        "mean": mean,
        "median": _group_median(x, group, n_groups),
        "index": index,
        "std_diff": std_diff,
    }


@frame_boundary("data", index={"data": "customer_id"})
def segment_profile(
    data: pd.DataFrame,
    *,
    segment_col: str,
    features: Sequence[Hashable] | None = None,
    value_col: str | None = None,
    max_levels: int = 20,
) -> pd.DataFrame:
    """One row per segment: its size and what its customers look like against the base.

    The table behind every persona: for each numeric feature the segment's mean,
    median, index against the whole base and standardised difference from the
    rest of the base; for each categorical feature the share of each level and its
    index.

    Parameters
    ----------
    data : DataFrame
        One row per customer with a segment label, e.g. an
        :func:`~behaviorseg.summaries.rfm_table` with a column of
        :class:`~behaviorseg.RFMSegmenter` predictions. Not modified.
    segment_col : str
        Column with the segment labels. A Categorical column keeps all its
        categories, in order: an empty segment keeps its row (``size`` 0, the
        statistics NaN). Other labels are sorted. Missing labels are refused.
    features : sequence of column names, optional
        The columns to describe, in this order. ``None`` (default): every numeric,
        bool, string and Categorical column but ``segment_col``, in frame order
        (dates and durations are left out). Numeric columns (bool excluded) are
        numeric features; bool, string, object and Categorical columns are
        categorical features.
    value_col : str, optional
        Revenue or value of each customer: adds ``value_share``, the segment's
        share of the base's total value (NaN when the total is 0).
    max_levels : int, default=20
        Largest number of levels a categorical feature may have; a column with
        more is refused (an identifier or free text would add one column per
        value).

    Returns
    -------
    DataFrame
        Indexed by segment (index named ``segment_col``), with two-level columns
        ``(feature, statistic)`` so that ``profile["monetary"]`` is that feature's
        block and ``profile.xs("index", axis=1, level="statistic")`` every index:

        - ``("size", "")``: number of customers; ``("share", "")``: share of all
          customers; ``("value_share", "")`` with ``value_col``. ``profile["size"]``
          is a Series.
        - numeric feature ``f``: ``(f, "mean")``, ``(f, "median")``,
          ``(f, "index")`` = 100 × segment mean / base mean (100 = the average
          customer; NaN when the base mean is not positive, where a ratio has no
          reading) and ``(f, "std_diff")``, Cohen's d against the rest of the base:
          (mean_segment − mean_rest) / s_pooled with
          s_pooled² = ((n_seg − 1) s²_seg + (n_rest − 1) s²_rest) / (n_seg + n_rest − 2),
          sample variances. NaN for an empty segment, for a segment that is the
          whole base (there is no rest) and when s_pooled is 0.
        - categorical feature ``f`` with level ``v``: ``(f"{f}={v}", "share")``,
          the share of the segment's customers with that level (levels of a
          Categorical in category order, others sorted), and
          ``(f"{f}={v}", "index")`` = 100 × segment share / base share.

        The base is every customer of ``data`` (every segment together). A single
        segment is the base: its means and shares are the base's, every index is
        100 and every ``std_diff`` NaN.

    Warns
    -----
    RowsExcludedWarning
        When a feature has missing values: those customers are left out of that
        feature's statistics only (still counted in ``size`` and the other
        features), and the warning counts them. Infinite values are refused.

    Raises
    ------
    SchemaError
        A column is missing, or a feature is neither numeric nor categorical, or
        a numeric feature is named like a segment column (``size``, ``share``,
        ``value_share``).
    DataValidationError
        Empty ``data``, missing segment labels, infinite values, a feature with no
        known value, a categorical feature with more than ``max_levels`` levels.

    Notes
    -----
    Describing the *composition* of segments by a special category of personal
    data (e.g. the share of each health status in each segment, in a fairness
    audit) is allowed here: a profile reads columns, it does not segment by them.
    Using such a column as a criterion that separates customers is refused by
    :func:`distinguishing_features` and :func:`cross_segments` unless opted in.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import segment_profile
    >>> customers = pd.DataFrame({
    ...     "segment": ["champions", "champions", "at risk", "at risk"],
    ...     "frequency": [10, 6, 2, 2],
    ...     "channel": ["web", "web", "web", "store"],
    ... })
    >>> profile = segment_profile(customers, segment_col="segment")
    >>> profile[["size", "share"]]
    feature   size share
    statistic
    segment
    at risk      2   0.5
    champions    2   0.5
    >>> profile["frequency"].round(2)
    statistic  mean  median  index  std_diff
    segment
    at risk     2.0     2.0   40.0      -3.0
    champions   8.0     8.0  160.0       3.0
    >>> profile["channel=web"]
    statistic  share  index
    segment
    at risk      0.5  66.666667
    champions    1.0  133.333333
    """
    check_frame(data, name="data")
    codes, segments = _segment_codes(data, segment_col, name="data")
    if value_col is not None:
        check_columns(data, {"value_col": value_col}, name="data")
    read = _read_features(
        data,
        segment_col=segment_col,
        features=features,
        max_levels=max_levels,
        owner="segment_profile",
    )
    k = len(segments)
    size = _group_size(codes, k)
    columns: dict[tuple[Hashable, str], np.ndarray] = {
        ("size", ""): size,
        ("share", ""): _safe_divide(size, size.sum()),
    }
    if value_col is not None:
        value = _group_sum(check_numeric(data[value_col], column=value_col), codes, k)
        columns[("value_share", "")] = _safe_divide(value, value.sum())
    for feature in read:
        if feature.kind == "numeric":
            if feature.name in _SEGMENT_COLUMNS:
                raise SchemaError(
                    f"feature {feature.name!r} has the name of a segment column of the "
                    f"profile ({', '.join(_SEGMENT_COLUMNS)}); rename it first, e.g. "
                    f"data.rename(columns={{{feature.name!r}: 'n_{feature.name}'}})"
                )
            for statistic, values in _numeric_stats(feature, codes, k).items():
                columns[(feature.name, statistic)] = values
            continue
        assert feature.levels is not None
        table = _level_counts(feature, codes, k)
        share = _safe_divide(table, table.sum(axis=1, keepdims=True))
        base_share = table.sum(axis=0) / table.sum()
        index = 100.0 * _safe_divide(share, base_share[np.newaxis, :])
        for j, level in enumerate(feature.levels):
            columns[(f"{feature.name}={level}", "share")] = share[:, j]
            columns[(f"{feature.name}={level}", "index")] = index[:, j]
    profile: pd.DataFrame = pd.DataFrame(columns, index=segments)
    profile.columns = pd.MultiIndex.from_tuples(list(columns), names=["feature", "statistic"])
    return profile
