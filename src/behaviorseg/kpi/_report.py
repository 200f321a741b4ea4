"""The per-segment report: size, revenue, order value and whichever KPIs the data allow."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import check_columns, check_frame, check_numeric
from ..exceptions import DataValidationError
from ._common import _check_flags, _group_size, _group_sum, _safe_divide, _segment_codes

__all__ = ["segment_report"]


def _probabilities(frame: pd.DataFrame, column: str, *, param: str) -> np.ndarray:
    """A bool flag or a probability in [0, 1] per customer, as floats."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        return _check_flags(series, column=column, param=param)
    values = check_numeric(series, column=column)
    bad = (values < 0) | (values > 1)
    if bad.any():
        raise DataValidationError(
            f"column {column!r} ({param}) has {int(bad.sum())} values outside [0, 1]; it must "
            f"hold flags (True/False, 0/1) or probabilities"
        )
    return values


@frame_boundary("customers")
def segment_report(
    customers: pd.DataFrame,
    *,
    segment_col: str,
    revenue_col: str | None = "monetary",
    orders_col: str | None = "frequency",
    converted_col: str | None = None,
    cltv_col: str | None = None,
    churn_col: str | None = None,
    cac_col: str | None = None,
) -> pd.DataFrame:
    """One table per segment: size, share, revenue, order value and the KPIs the data allow.

    Parameters
    ----------
    customers : DataFrame
        One row per customer with a segment label, e.g. an
        :func:`~behaviorseg.summaries.rfm_table` with a column of
        :class:`~behaviorseg.RFMSegmenter` predictions. Not modified.
    segment_col : str
        Column with the segment labels. A Categorical column keeps all its
        categories, in order (empty segments appear with ``customers`` = 0);
        other labels are sorted.
    revenue_col : str or None, default="monetary"
        Revenue of each customer over the window (rfm_table's ``monetary``);
        ``None`` leaves out the revenue columns.
    orders_col : str or None, default="frequency"
        Number of orders of each customer (rfm_table's ``frequency``); ``None``
        leaves out ``orders`` and ``avg_order_value``.
    converted_col : str or None
        Conversion flag (bool or 0/1) per customer: adds ``conversions`` and
        ``conversion_rate``.
    cltv_col : str or None
        CLTV per customer (e.g. from :func:`cltv`): adds ``cltv_mean`` and
        ``cltv_total``.
    churn_col : str or None
        Churn flag or churn probability per customer (e.g. column 1 of
        ChurnSegmenter's ``predict_proba``): adds ``churn_rate``, the
        (expected) share of the segment that churns.
    cac_col : str or None
        Acquisition cost per customer: adds ``cac`` (mean), and ``ltv_cac``
        with ``cltv_col``.

    Returns
    -------
    DataFrame
        One row per segment (index named ``segment_col``) with ``customers``,
        ``share`` (of all customers), and as the inputs allow: ``revenue``,
        ``revenue_share``, ``revenue_per_customer``, ``orders``,
        ``avg_order_value`` (``revenue / orders``: order-weighted, not the mean
        of the customers' averages), ``conversions``, ``conversion_rate``,
        ``cltv_mean``, ``cltv_total``, ``churn_rate``, ``cac``, ``ltv_cac``.
        Ratios with a zero denominator (an empty segment, no orders, no
        revenue in total, a zero CAC) are NaN: undefined, not zero.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import segment_report
    >>> customers = pd.DataFrame({
    ...     "segment": ["champions", "champions", "at risk", "at risk"],
    ...     "frequency": [10, 6, 2, 2],
    ...     "monetary": [500.0, 300.0, 80.0, 120.0],
    ... })
    >>> report = segment_report(customers, segment_col="segment")
    >>> report[["customers", "share", "revenue", "revenue_share", "avg_order_value"]]
               customers  share  revenue  revenue_share  avg_order_value
    segment
    at risk            2    0.5    200.0            0.2             50.0
    champions          2    0.5    800.0            0.8             50.0
    """
    check_frame(customers, name="customers")
    codes, segments = _segment_codes(customers, segment_col, name="customers")
    optional = {
        "revenue_col": revenue_col,
        "orders_col": orders_col,
        "converted_col": converted_col,
        "cltv_col": cltv_col,
        "churn_col": churn_col,
        "cac_col": cac_col,
    }
    check_columns(
        customers,
        {param: col for param, col in optional.items() if col is not None},
        name="customers",
    )
    k = len(segments)
    size = _group_size(codes, k)
    data: dict[str, np.ndarray] = {
        "customers": size,
        "share": _safe_divide(size, size.sum()),
    }
    revenue = None
    if revenue_col is not None:
        revenue = _group_sum(check_numeric(customers[revenue_col], column=revenue_col), codes, k)
        data["revenue"] = revenue
        data["revenue_share"] = _safe_divide(revenue, revenue.sum())
        data["revenue_per_customer"] = _safe_divide(revenue, size)
    if orders_col is not None:
        orders = _group_sum(
            check_numeric(customers[orders_col], column=orders_col, min_value=0.0), codes, k
        )
        data["orders"] = orders
        if revenue is not None:
            data["avg_order_value"] = _safe_divide(revenue, orders)
    if converted_col is not None:
        flags = _check_flags(customers[converted_col], column=converted_col, param="converted_col")
        conversions = _group_sum(flags, codes, k)
        data["conversions"] = conversions.astype(np.int64)
        data["conversion_rate"] = _safe_divide(conversions, size)
    cltv_mean = None
    if cltv_col is not None:
        total = _group_sum(check_numeric(customers[cltv_col], column=cltv_col), codes, k)
        cltv_mean = _safe_divide(total, size)
        data["cltv_mean"] = cltv_mean
        data["cltv_total"] = total
    if churn_col is not None:
        churn = _probabilities(customers, churn_col, param="churn_col")
        data["churn_rate"] = _safe_divide(_group_sum(churn, codes, k), size)
    if cac_col is not None:
        costs = check_numeric(customers[cac_col], column=cac_col, min_value=0.0)
        mean_cost = _safe_divide(_group_sum(costs, codes, k), size)
        data["cac"] = mean_cost
        if cltv_mean is not None:
            data["ltv_cac"] = _safe_divide(cltv_mean, mean_cost)
    out: pd.DataFrame = pd.DataFrame(data, index=segments)
    return out
