"""Loaders for the data sets bundled inside the package."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_cdnow"]


def load_cdnow() -> pd.DataFrame:
    """Load the CDNOW sample transactions (2,357 customers, 6,919 purchases).

    The customers of the 1/10 sample made their first purchase at the online
    music retailer CDNOW in the first quarter of 1997; their purchases are
    followed to 1998-06-30. The classic 39-week calibration period ends on
    1997-09-30 and is summarised in weeks (``freq="D", freq_multiplier=7``).

    Returns
    -------
    DataFrame
        One row per purchase, with columns:

        - ``customer_id`` (int): the sample id, 1–2357.
        - ``timestamp`` (datetime64): the purchase date (day resolution).
        - ``amount`` (float): value in US dollars (8 rows are 0.00).
        - ``n_cds`` (int): number of CDs bought.

    Notes
    -----
    Source: Bruce Hardie's CDNOW data, as distributed with the lifetimes
    package. Cite P. S. Fader, B. G. S. Hardie and K. L. Lee (2005), "Counting
    Your Customers the Easy Way: An Alternative to the Pareto/NBD Model",
    *Marketing Science* 24(2), 275–284.

    Examples
    --------
    >>> from behaviorseg.datasets import load_cdnow
    >>> tx = load_cdnow()
    >>> tx.shape
    (6919, 4)
    >>> tx["customer_id"].nunique()
    2357
    """
    source = resources.files("behaviorseg.datasets") / "data" / "cdnow_sample_transactions.csv.gz"
    with resources.as_file(source) as path:
        raw = pd.read_csv(
            path, compression="gzip", usecols=["customer_id", "date", "amount", "n_cds"]
        )
    out: pd.DataFrame = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("int64"),
            "timestamp": pd.to_datetime(raw["date"], format="%Y-%m-%d"),
            "amount": raw["amount"].astype("float64"),
            "n_cds": raw["n_cds"].astype("int64"),
        }
    )
    return out
