"""rfm_table and RFMSegmenter on the real UCI Online Retail log (line items, cancellations).

Data: D. Chen, S. L. Sain and K. Guo (2012), UCI "Online Retail"; see
shared/data/online_retail/README.md for the files and their documented counts.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from behaviorseg import RFMSegmenter
from behaviorseg.exceptions import RowsExcludedWarning
from behaviorseg.summaries import rfm_table

pytestmark = pytest.mark.slow

# Documented in shared/data/online_retail/README.md.
N_LINES = 541_909
N_WITHOUT_CUSTOMER = 135_080
N_CUSTOMER_IDS = 4_372
N_INVOICES_DERIVED = 18_532
N_CUSTOMERS_DERIVED = 4_338

RFM_KWARGS = {
    "customer_col": "CustomerID",
    "time_col": "InvoiceDate",
    "amount_col": "amount",
    "order_col": "InvoiceNo",
}


@pytest.fixture(scope="module")
def lines(shared_data) -> pd.DataFrame:
    """The full line-item log, ids read as strings, amount = Quantity * UnitPrice."""
    raw = pd.read_csv(
        shared_data / "online_retail" / "online_retail.csv.gz",
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str},
        usecols=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    )
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    raw["amount"] = raw["Quantity"] * raw["UnitPrice"]
    return raw


@pytest.fixture(scope="module")
def lines_table(lines) -> tuple[pd.DataFrame, list[str]]:
    """rfm_table of the line-item log by invoice, with the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = rfm_table(lines, **RFM_KWARGS)
    messages = [str(w.message) for w in caught if issubclass(w.category, RowsExcludedWarning)]
    return table, messages


def test_the_line_log_has_the_documented_messiness(lines):
    """The log has the README's rows, missing ids, cancellations and negative quantities."""
    assert len(lines) == N_LINES
    assert int(lines["CustomerID"].isna().sum()) == N_WITHOUT_CUSTOMER
    assert lines["CustomerID"].nunique() == N_CUSTOMER_IDS
    assert lines["InvoiceNo"].str.startswith("C").any()
    assert (lines["Quantity"] < 0).any()


def test_rows_without_customer_id_are_dropped_with_the_exact_count(lines_table):
    """rfm_table warns that exactly 135,080 rows without CustomerID were dropped."""
    _, messages = lines_table
    dropped = [m for m in messages if "no customer id" in m]
    assert len(dropped) == 1
    assert dropped[0].startswith(f"{N_WITHOUT_CUSTOMER} rows ")
    assert "'CustomerID'" in dropped[0]


def test_customers_with_only_cancellations_are_left_out_with_a_count(lines, lines_table):
    """Of 4,372 ids, those whose every line is negative (33) are left out with a warning."""
    table, messages = lines_table
    known = lines.loc[lines["CustomerID"].notna()]
    only_returns = known.groupby("CustomerID")["amount"].max() < 0
    n_only_returns = int(only_returns.sum())
    assert n_only_returns == 33  # stated in the report; recomputed above from the raw lines
    left_out = [m for m in messages if "no purchase" in m]
    assert len(left_out) == 1
    assert left_out[0].startswith(f"{n_only_returns} customers ")
    assert len(table) == N_CUSTOMER_IDS - n_only_returns == 4_339
    assert set(table.index) == set(only_returns.index[~only_returns])


def test_line_log_table_agrees_with_a_groupby_of_the_raw_lines(lines, lines_table):
    """Frequency = invoices with a line >= 0, monetary = net sum, recency from the last purchase."""
    table, _ = lines_table
    known = lines.loc[lines["CustomerID"].notna()]
    buys = known.loc[known["amount"] >= 0]
    as_of = known["InvoiceDate"].max()
    invoices = buys.groupby("CustomerID")["InvoiceNo"].nunique()
    net = known.groupby("CustomerID")["amount"].sum()
    last = buys.groupby("CustomerID")["InvoiceDate"].max()
    np.testing.assert_array_equal(table["frequency"].to_numpy(), invoices.loc[table.index])
    np.testing.assert_allclose(table["monetary"], net.loc[table.index], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(
        table["recency_days"], (as_of - last.loc[table.index]) / pd.Timedelta(days=1), atol=1e-9
    )
    assert table.index.name == "CustomerID"
    assert table.index.is_monotonic_increasing
    assert (table["recency_days"] <= table["tenure_days"]).all()


def test_rfm_segmenter_names_every_real_customer(lines_table):
    """RFMSegmenter().fit_predict gives every customer one of the names in segments_."""
    table, _ = lines_table
    segmenter = RFMSegmenter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # heavy ties may leave some scores empty
        labels = segmenter.fit_predict(table)
    assert len(labels) == len(table)
    assert all(isinstance(label, str) for label in labels)
    assert set(labels) <= set(segmenter.segments_)


def test_derived_invoice_log_gives_4338_customers(shared_data):
    """On online_retail_invoices.csv rfm_table finds 4,338 customers and all 18,532 invoices."""
    invoices = pd.read_csv(
        shared_data / "online_retail" / "online_retail_invoices.csv",
        dtype={"invoice_no": str},
    )
    invoices["date"] = pd.to_datetime(invoices["date"], format="%Y-%m-%d %H:%M:%S")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RowsExcludedWarning)  # nothing to exclude here
        by_invoice = rfm_table(invoices, time_col="date", order_col="invoice_no")
    assert len(invoices) == N_INVOICES_DERIVED
    assert len(by_invoice) == N_CUSTOMERS_DERIVED
    assert int(by_invoice["frequency"].sum()) == N_INVOICES_DERIVED
    np.testing.assert_allclose(by_invoice["monetary"].sum(), invoices["amount"].sum(), rtol=1e-12)
    # Without order_col, invoices of one customer stamped in the same minute merge.
    by_instant = rfm_table(invoices, time_col="date")
    n_instants = len(invoices.drop_duplicates(["customer_id", "date"]))
    assert int(by_instant["frequency"].sum()) == n_instants < N_INVOICES_DERIVED
