"""Planning an offer test per segment: sample size per arm and test duration.

The planning side of :func:`behaviorseg.kpi.compare_conversion`, which analyses the
test with the same two-proportion z statistic (pooled variance under H0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._frames import frame_boundary
from .._validation import (
    InstanceOf,
    Interval,
    _first_labels,
    check_columns,
    check_frame,
    check_numeric,
    validate_params,
)
from ..exceptions import DataValidationError

__all__ = ["ab_test_plan"]


def _per_segment(
    value: Any, *, param: str, frame: pd.DataFrame | None, index: pd.Index | None
) -> tuple[np.ndarray | float, pd.Index | None]:
    """A number, or one number per segment aligned on ``index``; the index it defines.

    ``value`` is a number, a Series indexed by segment, or (when the rates come in
    a frame) the name of one of its columns.
    """
    if isinstance(value, str):
        if frame is None:
            raise TypeError(
                f"ab_test_plan: {param}={value!r} names a column, which needs baseline_rate "
                f"to be a DataFrame; pass a number or a Series indexed by segment"
            )
        check_columns(frame, {param: value}, name="baseline_rate")
        value = frame[value]
    if isinstance(value, pd.DataFrame):
        raise TypeError(
            f"ab_test_plan: {param} is a DataFrame; pass a number, a Series indexed by "
            f"segment, or the name of a column of baseline_rate"
        )
    if isinstance(value, pd.Series):
        if value.index.has_duplicates:
            raise DataValidationError(
                f"{param} lists the segments {_first_labels(value.index[value.index.duplicated()])}"
                f" more than once; give one value per segment"
            )
        if index is not None:
            missing = index[~index.isin(value.index)]
            extra = value.index[~value.index.isin(index)]
            if len(missing) or len(extra):
                wrong = missing if len(missing) else extra
                raise DataValidationError(
                    f"{param} does not cover the same segments as the other inputs "
                    f"({'missing' if len(missing) else 'unexpected'}: {_first_labels(wrong)}); "
                    f"give one value for every segment of baseline_rate"
                )
            value = value.reindex(index)
        numbers = check_numeric(value, column=param)
        return np.asarray(numbers, dtype=np.float64), value.index if index is None else index
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"ab_test_plan: {param}={value!r} must be a number or a Series indexed by segment"
        )
    if not np.isfinite(float(value)):
        raise DataValidationError(f"ab_test_plan: {param}={value!r} must be a finite number")
    return float(value), index


def _sample_size(
    p1: np.ndarray,
    p2: np.ndarray,
    *,
    alpha: float,
    power: float,
    ratio: float,
    two_sided: bool,
    continuity_correction: bool,
) -> np.ndarray:
    """Control-arm size (unrounded) of the pooled two-proportion z-test (Fleiss 1981).

    ``n1 = [z_a sqrt(p̄q̄ (1 + 1/r)) + z_b sqrt(p1 q1 + p2 q2 / r)]² / (p2 - p1)²`` with
    ``p̄ = (p1 + r p2) / (1 + r)`` and ``r = n2 / n1``; with the continuity correction
    of Fleiss, Tytun & Ury (1980), ``n1' = n1 / 4 (1 + sqrt(1 + 2 (r + 1) / (r n1
    |p2 - p1|)))²``.
    """
    z_alpha = norm.ppf(1.0 - alpha / 2.0) if two_sided else norm.ppf(1.0 - alpha)
    z_beta = norm.ppf(power)
    pooled = (p1 + ratio * p2) / (1.0 + ratio)
    spread_null = np.sqrt(pooled * (1.0 - pooled) * (1.0 + 1.0 / ratio))
    spread_alt = np.sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2) / ratio)
    delta = np.abs(p2 - p1)
    n1: np.ndarray = (z_alpha * spread_null + z_beta * spread_alt) ** 2 / delta**2
    if continuity_correction:
        n1 = n1 / 4.0 * (1.0 + np.sqrt(1.0 + 2.0 * (ratio + 1.0) / (ratio * n1 * delta))) ** 2
    return n1


@frame_boundary("baseline_rate", index={"baseline_rate": 0})
def ab_test_plan(
    baseline_rate: float | pd.Series | pd.DataFrame,
    *,
    lift: float | pd.Series,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    two_sided: bool = True,
    daily_traffic: float | pd.Series | str | None = None,
    segment_size: float | pd.Series | str | None = None,
    continuity_correction: bool = False,
    rate_col: str = "rate",
) -> pd.DataFrame:
    """Plan an A/B test per segment: customers needed per arm, and days to collect them.

    The sample size of each arm to detect a *relative* lift of the conversion rate
    (from ``p1`` to ``p2 = p1 (1 + lift)``) with the two-proportion z-test at
    significance ``alpha`` and the given ``power``. The formula is the standard
    normal approximation with the **pooled variance under H0** and the unpooled
    variance under H1 (Fleiss, Levin & Paik 2003, ch. 4; R's ``power.prop.test``
    for equal arms): the test that :func:`behaviorseg.kpi.compare_conversion` runs
    on the results.

    Parameters
    ----------
    baseline_rate : float, Series or DataFrame
        The control conversion rate ``p1`` in (0, 1): one number, one per segment
        (a Series indexed by segment), or a frame indexed by segment with a
        ``rate_col`` column, e.g. the output of
        :func:`behaviorseg.kpi.conversion_rate`. Not modified.
    lift : float or Series
        The smallest relative lift worth detecting, e.g. 0.1 for +10 % (negative
        for a decrease), one number or one per segment.
    alpha : float, default=0.05
        Significance level (type I error), in (0, 1).
    power : float, default=0.8
        Probability of detecting the lift if it is real, in (0, 1).
    ratio : float, default=1.0
        Treatment-arm size / control-arm size (``2`` puts two thirds of the
        customers in the treatment).
    two_sided : bool, default=True
        Two-sided test (any difference) or one-sided (in the direction of ``lift``).
    daily_traffic : float, Series, str or None, default=None
        Customers (or visitors) per day who can enter the test: one number, one
        per segment, or a column of ``baseline_rate``. With ``segment_size``, a
        single number is the traffic of all segments together, shared in
        proportion to their sizes. Adds ``daily_traffic`` and ``days``.
    segment_size : float, Series, str or None, default=None
        Customers in each segment (e.g. the ``n`` column of ``conversion_rate``).
        Adds ``size`` and ``share_of_segment``: above 1, the segment is too small
        for a one-off campaign test (an e-mail to everyone in it).
    continuity_correction : bool, default=False
        Apply the continuity correction of Fleiss, Tytun & Ury (1980), which
        reproduces the tables of Fleiss' *Statistical Methods for Rates and
        Proportions* (about ``2 / |p2 - p1|`` more per arm); use it when the
        analysis uses Yates' corrected chi² test.
    rate_col : str, default="rate"
        The rate column when ``baseline_rate`` is a DataFrame.

    Returns
    -------
    DataFrame
        One row per segment, indexed by segment (a single row with index 0 for
        plain numbers):

        - ``baseline_rate``, ``target_rate`` (``p1 (1 + lift)``), ``lift``;
        - ``n_control``, ``n_treatment`` (int): customers per arm, rounded up;
          ``n_total`` their sum;
        - with ``segment_size``: ``size`` and ``share_of_segment`` (``n_total /
          size``);
        - with ``daily_traffic``: ``daily_traffic`` (of the segment) and ``days``
          (int): ``ceil(n_total / daily_traffic)``.

    Raises
    ------
    DataValidationError
        A baseline rate outside (0, 1), a lift of 0 or one that puts the target
        rate outside (0, 1), a non-positive traffic or size, or inputs that do
        not cover the same segments.

    Notes
    -----
    The plan assumes independent customers, a fixed sample size and one look at
    the result. Testing several segments (or variants) at once inflates false
    positives: divide ``alpha`` by the number of tests (Bonferroni) when each
    segment's result is read on its own. Run whole weeks, even if ``days`` is
    shorter, so that weekday and weekend customers are both in the test.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import ab_test_plan
    >>> ab_test_plan(0.10, lift=0.2)[["baseline_rate", "target_rate", "n_control", "n_total"]]
       baseline_rate  target_rate  n_control  n_total
    0            0.1         0.12       3841     7682
    >>> rates = pd.Series({"champions": 0.08, "at risk": 0.03})
    >>> plan = ab_test_plan(rates, lift=0.25, daily_traffic=pd.Series(
    ...     {"champions": 400, "at risk": 900}))
    >>> plan[["n_control", "days"]]
               n_control  days
    champions       3213    17
    at risk         9100    21
    """
    validate_params(
        {
            "alpha": alpha,
            "power": power,
            "ratio": ratio,
            "two_sided": two_sided,
            "continuity_correction": continuity_correction,
            "rate_col": rate_col,
        },
        {
            "alpha": [Interval(float, 0.0, 1.0, closed="neither")],
            "power": [Interval(float, 0.0, 1.0, closed="neither")],
            "ratio": [Interval(float, 0.0, None, closed="neither")],
            "two_sided": [InstanceOf((bool,))],
            "continuity_correction": [InstanceOf((bool,))],
            "rate_col": [InstanceOf((str,))],
        },
        owner="ab_test_plan",
    )
    frame: pd.DataFrame | None = None
    rates_in: Any = baseline_rate
    if isinstance(baseline_rate, pd.DataFrame):
        frame = check_frame(baseline_rate, name="baseline_rate")
        check_columns(frame, {"rate_col": rate_col}, name="baseline_rate")
        rates_in = frame[rate_col]
    index: pd.Index | None = None
    p1, index = _per_segment(rates_in, param="baseline_rate", frame=frame, index=index)
    lifts, index = _per_segment(lift, param="lift", frame=frame, index=index)
    traffic = sizes = None
    if daily_traffic is not None:
        traffic, index = _per_segment(
            daily_traffic, param="daily_traffic", frame=frame, index=index
        )
    if segment_size is not None:
        sizes, index = _per_segment(segment_size, param="segment_size", frame=frame, index=index)
    n_rows = 1 if index is None else len(index)
    labels = pd.RangeIndex(1) if index is None else index

    def spread(value: np.ndarray | float) -> np.ndarray:
        full: np.ndarray = np.broadcast_to(np.asarray(value, dtype=np.float64), (n_rows,)).copy()
        return full

    # The first Series sets the segments; every later one was aligned on them.
    p1_all = spread(p1)
    lift_all = spread(lifts)
    bad = ~((p1_all > 0) & (p1_all < 1))
    if bad.any():
        raise DataValidationError(
            f"baseline_rate is outside (0, 1) for {int(bad.sum())} segments "
            f"({_first_labels(labels[bad])}); a conversion rate of 0 or 1 leaves nothing to "
            f"detect: check the rates, or drop those segments"
        )
    if (lift_all == 0).any():
        raise DataValidationError(
            "lift is 0; pass the smallest relative lift worth detecting, e.g. lift=0.1 for +10 %"
        )
    p2 = p1_all * (1.0 + lift_all)
    bad = ~((p2 > 0) & (p2 < 1))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"lift={lift_all[first]:g} puts the target rate at {p2[first]:.4g} for "
            f"{_first_labels(labels[bad])} (baseline {p1_all[first]:g}); a rate must stay in "
            f"(0, 1): test a smaller lift"
        )
    n1 = _sample_size(
        p1_all,
        p2,
        alpha=float(alpha),
        power=float(power),
        ratio=float(ratio),
        two_sided=two_sided,
        continuity_correction=continuity_correction,
    )
    # Round up; the tiny tolerance keeps 3841.0000000001 (float noise) at 3841.
    n_control = np.ceil(n1 - 1e-9).astype(np.int64)
    n_treatment = np.ceil(float(ratio) * n1 - 1e-9).astype(np.int64)
    n_total = n_control + n_treatment
    columns: dict[str, Any] = {
        "baseline_rate": p1_all,
        "target_rate": p2,
        "lift": lift_all,
        "n_control": n_control,
        "n_treatment": n_treatment,
        "n_total": n_total,
    }
    if sizes is not None:
        size_all = spread(sizes)
        if (size_all <= 0).any():
            raise DataValidationError(
                "segment_size has values <= 0; give the number of customers of each segment"
            )
        columns["size"] = size_all
        columns["share_of_segment"] = n_total / size_all
    if traffic is not None:
        traffic_all = spread(traffic)
        if (traffic_all <= 0).any():
            raise DataValidationError(
                "daily_traffic has values <= 0; give the customers per day who can enter the "
                "test (drop segments without traffic)"
            )
        if sizes is not None and not isinstance(traffic, np.ndarray):
            traffic_all = traffic_all * columns["size"] / columns["size"].sum()
        columns["daily_traffic"] = traffic_all
        columns["days"] = np.ceil(n_total / traffic_all - 1e-9).astype(np.int64)
    out: pd.DataFrame = pd.DataFrame(columns, index=labels)
    return out
