"""A transaction log → a calibration summary plus what each customer did in a holdout."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    as_timestamp,
    check_columns,
    check_frame,
    check_numeric,
    to_datetime,
    warn_excluded,
)
from ..exceptions import DataValidationError
from ._transactions import _period_end, _period_groups, _period_ordinals, clv_summary

__all__ = ["calibration_holdout_split"]


@frame_boundary("transactions")
def calibration_holdout_split(
    transactions: pd.DataFrame,
    *,
    calibration_end: Any,
    as_of: Any,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str | None = None,
    freq: str = "D",
    freq_multiplier: float = 1.0,
) -> pd.DataFrame:
    """Split a transaction log into a calibration summary and holdout outcomes per customer.

    The layout of lifetimes' ``calibration_and_holdout_data``: the
    :func:`clv_summary` of the calibration window (up to ``calibration_end``) with
    a ``_cal`` suffix, then what each of those customers did in the holdout window
    (after ``calibration_end``, up to ``as_of``). Fit a model on the ``_cal``
    columns and compare its ``expected_purchases(..., duration_holdout)`` with
    ``frequency_holdout``.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line, with a customer id and a timestamp. Not modified.
    calibration_end : date-like
        Last instant of the calibration window; the whole period (``freq``) that
        contains it belongs to the calibration.
    as_of : date-like
        End of the holdout window, in a later period than ``calibration_end``.
        Rows after its period are excluded with a warning that counts them.
    customer_col, time_col : str
        Column names.
    amount_col : str or None
        Column with the purchase value; adds ``monetary_value_cal`` and
        ``monetary_value_holdout``.
    freq, freq_multiplier
        As in :func:`clv_summary`: purchases in one period merge into one, and
        times are counted in periods divided by ``freq_multiplier``.

    Returns
    -------
    DataFrame
        One row per customer with a purchase in the calibration window, indexed
        by customer id (sorted): ``frequency_cal``, ``recency_cal``, ``T_cal``,
        [``monetary_value_cal``], ``frequency_holdout`` (purchase periods in the
        holdout; the first purchase of the customer is in the calibration, so
        every holdout purchase counts), [``monetary_value_holdout``: mean value
        of those periods, 0 without any] and ``duration_holdout`` (the holdout's
        length in the same time unit as ``T_cal``).

    Raises
    ------
    DataValidationError
        When ``as_of`` is not in a later period than ``calibration_end``, or when
        no purchase falls in the calibration window.

    Notes
    -----
    - Holdout rows of customers first seen in the holdout are excluded, with a
      warning that counts them: the model has no history for them.
    - ``monetary_value_holdout`` is the mean value of the holdout *purchase
      periods* (rows of one period summed first), like ``monetary_value_cal`` and
      the spend the Gamma-Gamma model predicts. lifetimes averages the holdout
      *rows* instead; the two agree when no period holds two rows.
    - Returns (negative amounts) are netted into their period, as in
      :func:`clv_summary`; a holdout period with only returns is not a purchase.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import calibration_holdout_split
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-10", "2024-01-10"]),
    ... })
    >>> split = calibration_holdout_split(
    ...     tx, calibration_end="2024-01-31", as_of="2024-02-29", freq_multiplier=7
    ... )
    >>> split[["frequency_cal", "T_cal", "frequency_holdout", "duration_holdout"]].round(2)
                 frequency_cal  T_cal  frequency_holdout  duration_holdout
    customer_id
    1                        1   4.29                  1              4.14
    2                        0   3.00                  0              4.14
    """
    check_frame(transactions, name="transactions")
    columns = {"customer_col": customer_col, "time_col": time_col}
    if amount_col is not None:
        columns["amount_col"] = amount_col
    check_columns(transactions, columns, name="transactions")
    times = to_datetime(transactions[time_col], column=time_col)
    start = as_timestamp(calibration_end, reference=times, param="calibration_end")
    end = as_timestamp(as_of, reference=times, param="as_of")
    if end <= start:
        raise DataValidationError(
            f"as_of={end} must be after calibration_end={start}: the holdout window "
            f"(calibration_end, as_of] is empty"
        )
    try:
        start_cutoff, end_cutoff = _period_end(start, freq), _period_end(end, freq)
    except (ValueError, TypeError) as err:
        raise ValueError(f"freq={freq!r} is not a pandas period alias such as 'D' or 'W'") from err
    if end_cutoff <= start_cutoff:
        raise DataValidationError(
            f"as_of={end} falls in the same {freq!r} period as calibration_end={start}: the "
            f"holdout window holds no whole period; pass a later as_of"
        )
    calibration = (times <= start_cutoff).to_numpy()
    if not calibration.any():
        raise DataValidationError(
            f"no row of column {time_col!r} is on or before calibration_end={start}: the "
            f"calibration window is empty; pass a later calibration_end"
        )
    late = (times > end_cutoff).to_numpy()
    warn_excluded(int(late.sum()), f"rows are after as_of={end} and were excluded")
    summary = clv_summary(
        transactions.loc[calibration],
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        as_of=start,
        freq=freq,
        freq_multiplier=freq_multiplier,
    )

    holdout = ~calibration & ~late
    codes = summary.index.get_indexer(pd.Index(transactions[customer_col].to_numpy()[holdout]))
    known = codes >= 0
    warn_excluded(
        int((~known).sum()),
        "holdout rows belong to customers without a purchase in the calibration window "
        "(or have no customer id) and were excluded",
    )
    n = len(summary)
    count: np.ndarray = np.zeros(n, dtype=np.int64)
    value: np.ndarray = np.zeros(n)
    if known.any():
        rows = np.flatnonzero(holdout)[known]
        amounts = (
            check_numeric(transactions[amount_col].iloc[rows], column=amount_col)
            if amount_col is not None
            else np.zeros(len(rows))
        )
        periods = _period_ordinals(times.iloc[rows], freq)
        g_code, _, g_value, g_purchase = _period_groups(codes[known], periods, amounts, n)
        count = np.bincount(g_code[g_purchase], minlength=n)
        value = np.bincount(g_code[g_purchase], weights=g_value[g_purchase], minlength=n)

    out: pd.DataFrame = summary.add_suffix("_cal")
    out["frequency_holdout"] = count.astype(np.int64)
    if amount_col is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["monetary_value_holdout"] = np.where(count > 0, value / count, 0.0)
    naive = [s.tz_localize(None) if s.tz is not None else s for s in (start, end)]
    periods_between = (
        pd.Period(naive[1], freq=freq).ordinal - pd.Period(naive[0], freq=freq).ordinal
    )
    out["duration_holdout"] = periods_between / freq_multiplier
    return out
