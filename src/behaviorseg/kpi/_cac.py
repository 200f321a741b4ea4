"""Customer acquisition cost per group and period, with LTV:CAC and payback."""

from __future__ import annotations

import warnings

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
from ..exceptions import BehaviorsegWarning, DataValidationError, SchemaError
from ._common import _periods_at, _safe_divide

__all__ = ["cac"]


def _check_labels(frame: pd.DataFrame, column: str, *, name: str) -> None:
    """Refuse missing group labels."""
    missing = frame[column].isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"column {column!r} (by) of {name} has {int(missing.sum())} missing group labels; "
            f"fill them first, e.g. df[{column!r}].fillna('unknown')"
        )


@frame_boundary("spend", "acquisitions")
def cac(
    spend: pd.DataFrame,
    acquisitions: pd.DataFrame,
    *,
    by: str = "channel",
    period: str | None = "M",
    amount_col: str = "amount",
    spend_period_col: str = "period",
    customer_col: str = "customer_id",
    time_col: str = "acquired_at",
    cltv: pd.Series | None = None,
    group_cltv: pd.Series | None = None,
    cltv_periods: float | None = None,
) -> pd.DataFrame:
    """Customer acquisition cost per group (channel, campaign, segment) and period.

    CAC = acquisition spend / new customers acquired, per group and period. With
    a CLTV, also the LTV:CAC ratio and the payback period.

    Parameters
    ----------
    spend : DataFrame
        Acquisition spend: one row per group and period (several rows of one
        group and period are added up), with the group in ``by``, the period in
        ``spend_period_col`` and the amount (>= 0) in ``amount_col``. Not
        modified.
    acquisitions : DataFrame
        New customers: one row per customer with an id (``customer_col``), the
        acquisition date (``time_col``) and the group (``by``). Not modified.
    by : str, default="channel"
        Group column, in both tables.
    period : str or None, default="M"
        pandas period alias of the report (``"M"`` months, ``"Q"`` quarters,
        ``"W"`` weeks ...). ``None``: one row per group over the whole time.
    amount_col, spend_period_col : str
        Columns of ``spend``. The period column holds periods no coarser than
        ``period``: pandas Periods or strings read as Periods with their own
        span (``"2024Q1"`` a quarter, ``"2024-01"`` a month, ``"2024-01-15"`` a
        day), or datetimes (each amount counts in the period that contains
        it). A quarter's spend in a monthly report cannot be attributed to one
        month and is refused: pass ``period="Q"`` or split it per month.
    customer_col, time_col : str
        Columns of ``acquisitions``.
    cltv : Series or None
        CLTV per customer, indexed by customer id (e.g. ``cltv(...)["cltv"]``);
        each row gets the mean CLTV of the customers it acquired.
    group_cltv : Series or None
        CLTV per group, indexed by group label (instead of ``cltv``).
    cltv_periods : float or None
        Number of periods the CLTV covers (its horizon, e.g. 12 for a 12-month
        CLTV). Gives ``payback_periods`` in that unit.

    Returns
    -------
    DataFrame
        One row per (group, period) found in either table, sorted, indexed by
        ``(by, "period")`` (by ``by`` alone when ``period`` is None), with:

        - ``spend`` (float): NaN where the group had new customers but no spend
          row in that period (unknown spend, with a warning; add a row with
          amount 0 for an organic channel);
        - ``new_customers`` (int): 0 where there was spend but no acquisition;
        - ``cac`` (float): ``spend / new_customers``; NaN when no customer was
          acquired (spend without result: the cost per customer is undefined,
          not 0) or the spend is unknown;
        - with ``cltv`` or ``group_cltv``: ``cltv`` (mean CLTV of the new
          customers, or the group's), ``ltv_cac`` (``cltv / cac``; above about 3
          is the usual rule of thumb), and with ``cltv_periods`` also
          ``payback_periods`` = ``cac / (cltv / cltv_periods)``: the periods of
          margin needed to earn the CAC back, assuming the CLTV accrues evenly
          over its horizon (a value above ``cltv_periods`` means not paid back
          within the horizon). NaN where a term is missing or 0.

    Raises
    ------
    DataValidationError
        Negative or missing spend, missing group labels, a customer acquired
        twice, or periods coarser than ``period``.

    Warns
    -----
    RowsExcludedWarning
        Acquired customers missing from ``cltv`` (counted); they are left out
        of the mean CLTV but still count as new customers.
    BehaviorsegWarning
        Group-periods with new customers but no spend row (counted).

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.kpi import cac
    >>> spend = pd.DataFrame({"channel": ["ads", "ads", "mail"],
    ...                       "period": ["2024-01", "2024-02", "2024-01"],
    ...                       "amount": [500.0, 300.0, 0.0]})
    >>> new = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5],
    ...                     "acquired_at": pd.to_datetime(["2024-01-03", "2024-01-20",
    ...                         "2024-02-11", "2024-01-15", "2024-01-16"]),
    ...                     "channel": ["ads", "ads", "ads", "mail", "mail"]})
    >>> cac(spend, new)
                    spend  new_customers    cac
    channel period
    ads     2024-01  500.0              2  250.0
            2024-02  300.0              1  300.0
    mail    2024-01    0.0              2    0.0
    """
    check_frame(spend, name="spend")
    check_frame(acquisitions, name="acquisitions")
    check_columns(
        spend,
        {"by": by, "spend_period_col": spend_period_col, "amount_col": amount_col},
        name="spend",
    )
    check_columns(
        acquisitions,
        {"by": by, "customer_col": customer_col, "time_col": time_col},
        name="acquisitions",
    )
    if cltv is not None and group_cltv is not None:
        raise ValueError("pass cltv (per customer) or group_cltv (per group), not both")
    if cltv is not None and not isinstance(cltv, pd.Series):
        raise TypeError(
            "cltv must be a pandas Series indexed by customer id, e.g. cltv(...)['cltv']"
        )
    if group_cltv is not None and not isinstance(group_cltv, pd.Series):
        raise TypeError("group_cltv must be a pandas Series indexed by group label")
    if cltv_periods is not None:
        validate_params(
            {"cltv_periods": cltv_periods},
            {"cltv_periods": [Interval(float, 0.0, None, closed="neither")]},
            owner="cac",
        )
    if period is not None and not isinstance(period, str):
        raise TypeError(f"cac: parameter period={period!r} must be a pandas period alias or None")
    amounts = check_numeric(spend[amount_col], column=amount_col)
    negative = amounts < 0
    if negative.any():
        raise DataValidationError(
            f"column {amount_col!r} of spend has {int(negative.sum())} negative amounts; "
            f"spend must be >= 0 (record a refund as lower spend in its period)"
        )
    _check_labels(spend, by, name="spend")
    _check_labels(acquisitions, by, name="acquisitions")
    ids = acquisitions[customer_col]
    if ids.isna().any():
        raise DataValidationError(
            f"column {customer_col!r} of acquisitions has {int(ids.isna().sum())} missing ids; "
            f"drop or fill them first"
        )
    if ids.duplicated().any():
        raise DataValidationError(
            f"column {customer_col!r} of acquisitions has {int(ids.duplicated().sum())} "
            f"customers acquired more than once; keep one row per customer, e.g. "
            f"acquisitions.drop_duplicates({customer_col!r})"
        )

    keys = [by] if period is None else [by, "period"]
    spend_keys = pd.DataFrame({by: spend[by].to_numpy(), "amount": amounts})
    new_keys = pd.DataFrame({by: acquisitions[by].to_numpy()})
    if period is not None:
        try:
            spend_keys["period"] = _periods_at(
                spend[spend_period_col], freq=period, column=spend_period_col, name="spend"
            )
            new_keys["period"] = _periods_at(
                acquisitions[time_col],
                freq=period,
                column=time_col,
                name="acquisitions",
                instants=True,
            )
        except (ValueError, TypeError) as err:
            if isinstance(err, (SchemaError, DataValidationError)):
                raise
            raise ValueError(f"cac: period={period!r} is not a pandas period alias: {err}") from err
    spent = spend_keys.groupby(keys, sort=False, observed=True)["amount"].sum()
    acquired = new_keys.groupby(keys, sort=False, observed=True).size()
    table = pd.concat({"spend": spent, "new_customers": acquired}, axis=1, join="outer")
    table = table.sort_index()
    table["new_customers"] = table["new_customers"].fillna(0).astype(np.int64)
    unknown_spend = table["spend"].isna() & (table["new_customers"] > 0)
    if unknown_spend.any():
        warnings.warn(
            f"{int(unknown_spend.sum())} group-periods have new customers but no spend row; "
            f"their spend and cac are NaN. Add a row with amount 0 for organic channels",
            BehaviorsegWarning,
            stacklevel=2,
        )
    table["cac"] = _safe_divide(table["spend"], table["new_customers"])

    if cltv is not None:
        values = check_numeric(cltv, column="cltv")
        lookup = pd.Series(values, index=cltv.index)
        if lookup.index.has_duplicates:
            raise DataValidationError("cltv has duplicated customer ids in its index")
        matched = lookup.reindex(ids.to_numpy())
        missing = matched.isna().to_numpy()
        warn_excluded(
            int(missing.sum()),
            "acquired customers have no value in cltv; they are left out of the mean CLTV "
            "(they still count as new customers)",
            stacklevel=2,
        )
        with_value = new_keys.assign(cltv=matched.to_numpy())[~missing]
        mean_cltv = with_value.groupby(keys, sort=False, observed=True)["cltv"].mean()
        table["cltv"] = mean_cltv.reindex(table.index).to_numpy(dtype=np.float64)
    elif group_cltv is not None:
        check_numeric(group_cltv, column="group_cltv")
        groups = table.index.get_level_values(by) if period is not None else table.index
        table["cltv"] = group_cltv.reindex(groups).to_numpy(dtype=np.float64)
    if "cltv" in table.columns:
        table["ltv_cac"] = _safe_divide(table["cltv"], table["cac"])
        if cltv_periods is not None:
            per_period = table["cltv"].to_numpy() / float(cltv_periods)
            table["payback_periods"] = _safe_divide(table["cac"], per_period)
    table.index.names = keys
    out: pd.DataFrame = table
    return out
