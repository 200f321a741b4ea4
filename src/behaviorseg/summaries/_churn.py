"""Leakage-safe churn labels: features before a cutoff, the label after it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._frames import frame_boundary
from .._validation import (
    as_duration,
    as_timestamp,
    check_columns,
    check_frame,
    check_numeric,
    to_datetime,
    warn_excluded,
)
from ..exceptions import DataValidationError
from ._transactions import rfm_table

__all__ = ["churn_labels"]


@frame_boundary("transactions")
def churn_labels(
    transactions: pd.DataFrame,
    *,
    cutoff: Any,
    horizon: Any,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str = "amount",
    order_col: str | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Build a churn training table: RFM features up to ``cutoff``, label after it.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line, as for :func:`rfm_table`. Not modified.
    cutoff : date-like
        The moment of prediction. Features use only rows at or before it.
    horizon : str, Timedelta or number of days
        Length of the label window ``(cutoff, cutoff + horizon]``.
    customer_col, time_col, amount_col, order_col : str
        Column names, as for :func:`rfm_table`.
    as_of : date-like or None
        Until when the log is complete (default: its last timestamp). The label
        window must end by then.

    Returns
    -------
    DataFrame
        One row per customer with a purchase at or before ``cutoff``, indexed by
        customer id: the :func:`rfm_table` columns computed with ``as_of=cutoff``
        from the rows up to the cutoff, and ``churned`` (bool): True when the
        customer made no purchase (row with amount >= 0) in the label window.

    Notes
    -----
    Leakage-safe by construction: the rows before and after the cutoff are
    split first, and the features are computed from the first part alone, so
    nothing after the cutoff can reach them. Customers whose first purchase is
    after the cutoff are not in the table (they were not customers yet); rows
    after ``cutoff + horizon`` are not used. A label window that runs past the
    last timestamp in the data would censor the labels and is refused. The
    label window is validated like the history: a missing or infinite amount
    in it is an error (it would otherwise read as "no purchase", i.e.
    churned), and its rows without a customer id are dropped with a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import churn_labels
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-15", "2024-03-20"]),
    ...     "amount": [10.0, 12.0, 8.0, 5.0],
    ... })
    >>> churn_labels(tx, cutoff="2024-01-31", horizon="45D")[["frequency", "churned"]]
                 frequency  churned
    customer_id
    1                    1    False
    2                    1     True
    """
    check_frame(transactions, name="transactions")
    check_columns(
        transactions,
        {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col},
        name="transactions",
    )
    delta = as_duration(horizon, "horizon")
    times = to_datetime(transactions[time_col], column=time_col)
    stamp = as_timestamp(cutoff, reference=times, param="cutoff")
    end = stamp + delta
    last = times.max() if as_of is None else as_timestamp(as_of, reference=times)
    if end > last:
        raise DataValidationError(
            f"the label window ends at cutoff + horizon = {end}, after the end of the log "
            f"({last}: as_of, or the last timestamp in column {time_col!r}); labels would "
            f"be censored. Use an earlier cutoff or a shorter horizon, or pass as_of if the "
            f"log is complete until later"
        )
    if not (times <= stamp).any():
        raise DataValidationError(
            f"no row of column {time_col!r} is at or before cutoff={stamp}; there is no "
            f"history to compute features from"
        )

    before = transactions.loc[(times <= stamp).to_numpy()]
    features = rfm_table(
        before,
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        order_col=order_col,
        as_of=stamp,
    )
    # The label window is validated as rfm_table validates the feature window: rows
    # without a customer id are dropped with a warning, amounts must be finite (a
    # missing amount would otherwise read as "no purchase", i.e. churned).
    in_window = ((times > stamp) & (times <= end)).to_numpy()
    ids = transactions[customer_col]
    no_id = in_window & ids.isna().to_numpy()
    warn_excluded(
        int(no_id.sum()),
        f"rows of the label window (cutoff, cutoff + horizon] have no customer id in "
        f"column {customer_col!r} and were dropped",
        stacklevel=2,
    )
    window = transactions.loc[in_window & ~no_id]
    amounts = check_numeric(window[amount_col], column=amount_col)
    bought = window[customer_col].to_numpy()[amounts >= 0]
    out: pd.DataFrame = features.assign(churned=~features.index.isin(pd.unique(bought)))
    return out
