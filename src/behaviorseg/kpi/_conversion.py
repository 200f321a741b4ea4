"""Conversion KPIs: rates per segment with Wilson intervals, and two-proportion tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._frames import frame_boundary
from .._validation import Options, check_columns, check_frame, validate_params
from ..exceptions import DataValidationError
from ._common import (
    _check_confidence,
    _check_counts,
    _check_flags,
    _group_sum,
    _safe_divide,
    _segment_codes,
    _wilson_interval,
    _z_value,
)

__all__ = ["compare_conversion", "conversion_rate"]


def _trials(
    data: pd.DataFrame, *, converted_col: str, n_col: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Trials and successes of each row: one customer per row, or counts per row."""
    if n_col is None:
        check_columns(data, {"converted_col": converted_col}, name="data")
        successes = _check_flags(data[converted_col], column=converted_col, param="converted_col")
        return np.ones(len(data)), successes
    check_columns(data, {"converted_col": converted_col, "n_col": n_col}, name="data")
    trials = _check_counts(data[n_col], column=n_col)
    successes = _check_counts(data[converted_col], column=converted_col)
    over = successes > trials
    if over.any():
        raise DataValidationError(
            f"{int(over.sum())} rows have more conversions ({converted_col!r}) than trials "
            f"({n_col!r}); with n_col, {converted_col!r} must count the converted among "
            f"{n_col!r}"
        )
    return trials, successes


@frame_boundary("data")
def conversion_rate(
    data: pd.DataFrame,
    *,
    segment_col: str,
    converted_col: str = "converted",
    n_col: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Conversion rate per segment with a Wilson interval and the lift over the overall rate.

    Parameters
    ----------
    data : DataFrame
        Either one row per customer (or visitor) with a segment label and a
        bool / 0-1 conversion flag, or, with ``n_col``, rows of counts (several
        rows of one segment are added up). Not modified.
    segment_col : str
        Column with the segment labels. A Categorical column keeps all its
        categories, in order, so empty segments appear with ``n`` = 0.
    converted_col : str, default="converted"
        The conversion flag, or with ``n_col`` the number of conversions.
    n_col : str or None, default=None
        Column with the number of trials (customers, visitors) of each row of
        counts. ``None``: each row is one trial.
    confidence : float, default=0.95
        Confidence level of the Wilson interval, in (0, 1).

    Returns
    -------
    DataFrame
        One row per segment, indexed by segment (index named ``segment_col``):

        - ``n`` (int): trials; ``conversions`` (int): conversions;
        - ``rate`` (float): ``conversions / n``; NaN for an empty segment
          (no trial, so no rate: not zero);
        - ``ci_low``, ``ci_high`` (float): the Wilson score interval (Wilson,
          1927), which stays inside [0, 1] and behaves well for small ``n`` and
          rates near 0 or 1 (unlike the Wald interval); NaN when ``n`` = 0;
        - ``lift`` (float): ``rate / overall rate`` (1 = converts like the
          whole population, 1.25 = 25 % better); NaN when the overall rate is 0.

    Raises
    ------
    SchemaError
        A column is missing or not bool/numeric.
    DataValidationError
        Missing segment labels, flags other than 0/1, negative or fractional
        counts, or more conversions than trials.

    See Also
    --------
    compare_conversion : two-proportion tests between groups (A/B splits).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import conversion_rate
    >>> visits = pd.DataFrame({
    ...     "segment": ["a", "a", "a", "a", "b", "b"],
    ...     "converted": [True, True, False, False, True, True],
    ... })
    >>> conversion_rate(visits, segment_col="segment").round(3)
             n  conversions  rate  ci_low  ci_high  lift
    segment
    a        4            2   0.5   0.150     0.85  0.75
    b        2            2   1.0   0.342     1.00  1.50
    """
    check_frame(data, name="data")
    conf = _check_confidence(confidence, owner="conversion_rate")
    codes, segments = _segment_codes(data, segment_col, name="data")
    trials, successes = _trials(data, converted_col=converted_col, n_col=n_col)
    n = _group_sum(trials, codes, len(segments))
    conversions = _group_sum(successes, codes, len(segments))
    rate = _safe_divide(conversions, n)
    low, high = _wilson_interval(conversions, n, conf)
    overall = float(_safe_divide(conversions.sum(), n.sum()))
    out: pd.DataFrame = pd.DataFrame(
        {
            "n": n.astype(np.int64),
            "conversions": conversions.astype(np.int64),
            "rate": rate,
            "ci_low": low,
            "ci_high": high,
            "lift": _safe_divide(rate, np.full(len(rate), overall)),
        },
        index=segments,
    )
    return out


def _two_proportion(
    x1: np.ndarray,
    n1: np.ndarray,
    x2: np.ndarray,
    n2: np.ndarray,
    *,
    confidence: float,
    alternative: str,
    ci_method: str,
) -> dict[str, np.ndarray]:
    """Difference ``p1 - p2``, its interval, the pooled z statistic and the p-value."""
    p1 = _safe_divide(x1, n1)
    p2 = _safe_divide(x2, n2)
    difference = p1 - p2
    pooled = _safe_divide(x1 + x2, n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se0 = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = _safe_divide(difference, se0)
    if alternative == "two-sided":
        p_value = 2.0 * norm.sf(np.abs(z))
    elif alternative == "larger":
        p_value = norm.sf(z)
    else:
        p_value = norm.cdf(z)
    if ci_method == "wald":
        zc = _z_value(confidence)
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2)
        low = difference - zc * se
        high = difference + zc * se
    else:  # Newcombe (1998) hybrid score interval, from the two Wilson intervals
        l1, u1 = _wilson_interval(x1, n1, confidence)
        l2, u2 = _wilson_interval(x2, n2, confidence)
        low = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {
        "difference": difference,
        "ci_low": np.clip(low, -1.0, 1.0),
        "ci_high": np.clip(high, -1.0, 1.0),
        "z": z,
        "p_value": np.asarray(p_value, dtype=np.float64),
    }


@frame_boundary("data")
def compare_conversion(
    data: pd.DataFrame,
    *,
    group_col: str,
    control: Any,
    converted_col: str = "converted",
    n_col: str | None = None,
    segment_col: str | None = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    ci_method: str = "newcombe",
) -> pd.DataFrame:
    """Compare the conversion rate of each group with a control group (A/B test).

    A two-proportion z-test of each group against ``control``: the difference of
    the rates, its confidence interval, the z statistic and the p-value. With
    ``segment_col``, the test is run within each segment (is the treatment
    better *for this segment*?). To compare two segments, pass the segment column
    as ``group_col`` and one segment as ``control``.

    Parameters
    ----------
    data : DataFrame
        One row per customer with a group label and a conversion flag, or rows
        of counts with ``n_col`` (as in :func:`conversion_rate`). Not modified.
    group_col : str
        Column with the group (A/B variant, or segment) of each row.
    control : label
        The group every other group is compared with.
    converted_col : str, default="converted"
        The conversion flag, or with ``n_col`` the number of conversions.
    n_col : str or None, default=None
        Column with the number of trials of each row of counts.
    segment_col : str or None, default=None
        Run one comparison per segment (rows indexed by segment and group).
    confidence : float, default=0.95
        Confidence level of the interval of the difference, in (0, 1).
    alternative : {"two-sided", "larger", "smaller"}, default="two-sided"
        The alternative hypothesis about ``rate - control_rate``: different,
        larger or smaller than 0. The interval stays two-sided.
    ci_method : {"newcombe", "wald"}, default="newcombe"
        Interval of the difference: Newcombe's hybrid score interval (Newcombe,
        1998, method 10; statsmodels' default), good for small groups and rates
        near 0 or 1, or the Wald interval ``d ± z sqrt(p1 q1 / n1 + p2 q2 / n2)``.

    Returns
    -------
    DataFrame
        One row per group other than ``control`` (per segment with
        ``segment_col``), indexed by ``group_col`` (or ``(segment_col,
        group_col)``), with ``n``, ``conversions``, ``rate``, ``control_n``,
        ``control_conversions``, ``control_rate``, ``difference`` (``rate -
        control_rate``), ``ci_low``, ``ci_high``, ``z`` (pooled standard error
        under the null hypothesis of equal rates), ``p_value`` and ``lift``
        (``rate / control_rate``).

        Undefined values are NaN: every statistic when either group is empty
        in a segment; ``z`` and ``p_value`` when no one (or everyone) converted
        in both groups (the pooled variance is 0); ``lift`` when the control
        rate is 0.

    Raises
    ------
    DataValidationError
        ``control`` is not one of the groups, or bad flags / counts.

    Notes
    -----
    The z-test is the normal approximation; with fewer than about 5 conversions
    (or non-conversions) in a group, prefer Fisher's exact test
    (``scipy.stats.fisher_exact``). Testing many groups or segments at once
    inflates false positives: adjust the p-values (e.g. Bonferroni).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import compare_conversion
    >>> ab = pd.DataFrame({"variant": ["A", "B"], "visitors": [1000, 1000],
    ...                    "orders": [100, 130]})
    >>> result = compare_conversion(ab, group_col="variant", control="A",
    ...                             converted_col="orders", n_col="visitors")
    >>> result[["rate", "control_rate", "difference", "z", "p_value"]].round(4)
             rate  control_rate  difference       z  p_value
    variant
    B        0.13           0.1        0.03  2.1027   0.0355
    """
    check_frame(data, name="data")
    conf = _check_confidence(confidence, owner="compare_conversion")
    validate_params(
        {"alternative": alternative, "ci_method": ci_method},
        {
            "alternative": [Options(("two-sided", "larger", "smaller"))],
            "ci_method": [Options(("newcombe", "wald"))],
        },
        owner="compare_conversion",
    )
    group_codes, groups = _segment_codes(data, group_col, name="data", param="group_col")
    matches = np.flatnonzero(groups == control) if len(groups) else np.array([], dtype=int)
    if len(matches) == 0:
        shown = ", ".join(repr(g) for g in list(groups)[:10])
        raise DataValidationError(
            f"control={control!r} is not a group of column {group_col!r}; the groups are "
            f"{shown}. Pass one of them as control"
        )
    control_code = int(matches[0])
    if segment_col is None:
        segment_codes = np.zeros(len(data), dtype=np.int64)
        segments: pd.Index | None = None
        n_segments = 1
    else:
        segment_codes, segments = _segment_codes(data, segment_col, name="data")
        n_segments = len(segments)
    trials, successes = _trials(data, converted_col=converted_col, n_col=n_col)
    n_groups = len(groups)
    cell = segment_codes * n_groups + group_codes
    n = _group_sum(trials, cell, n_segments * n_groups).reshape(n_segments, n_groups)
    x = _group_sum(successes, cell, n_segments * n_groups).reshape(n_segments, n_groups)
    others = np.array([g for g in range(n_groups) if g != control_code], dtype=np.int64)
    n1, x1 = n[:, others].ravel(), x[:, others].ravel()
    n0 = np.repeat(n[:, control_code], len(others))
    x0 = np.repeat(x[:, control_code], len(others))
    stats = _two_proportion(
        x1, n1, x0, n0, confidence=conf, alternative=alternative, ci_method=ci_method
    )
    rate = _safe_divide(x1, n1)
    control_rate = _safe_divide(x0, n0)
    index: pd.Index
    if segments is None:
        index = pd.Index(groups[others], name=group_col)
    else:
        index = pd.MultiIndex.from_product(
            [segments, groups[others]], names=[segment_col, group_col]
        )
    out: pd.DataFrame = pd.DataFrame(
        {
            "n": n1.astype(np.int64),
            "conversions": x1.astype(np.int64),
            "rate": rate,
            "control_n": n0.astype(np.int64),
            "control_conversions": x0.astype(np.int64),
            "control_rate": control_rate,
            **stats,
            "lift": _safe_divide(rate, control_rate),
        },
        index=index,
    )
    return out
