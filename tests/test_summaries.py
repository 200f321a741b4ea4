"""rfm_table and clv_summary: exact semantics, errors, references and invariants."""

from __future__ import annotations

import copy
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg import RFMSegmenter
from behaviorseg.datasets import load_cdnow
from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.summaries import clv_summary, rfm_table
from strategies import BASE, SPAN_DAYS, transaction_logs

with warnings.catch_warnings():  # lifetimes sets a pandas option that pandas 3 deprecates
    warnings.simplefilter("ignore")
    from lifetimes.utils import summary_data_from_transaction_data

# CDNOW calibration period of Fader, Hardie & Lee (2005): 39 weeks ending 1997-09-30,
# purchases merged by day, time in weeks (shared/data/cdnow/README.md).
CDNOW_AS_OF = "1997-09-30"
# The published summary is rounded to 2 decimals.
ROUNDING_TOL = 0.005 + 1e-9

RFM_COLUMNS = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
CLV_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
DAY = pd.Timedelta(days=1)


def _log(rows: list[tuple[Any, str, float]], **extra: list[Any]) -> pd.DataFrame:
    """Build a log from (customer, ISO timestamp, amount) rows."""
    customer, stamp, amount = zip(*rows, strict=True)
    data: dict[str, Any] = {
        "customer_id": list(customer),
        "timestamp": pd.to_datetime(list(stamp), format="ISO8601"),
        "amount": np.asarray(amount, dtype=np.float64),
    }
    data.update(extra)
    return pd.DataFrame(data)


def _quiet(func: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """Call ``func`` with RowsExcludedWarning silenced (hypothesis logs often trigger it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        out: pd.DataFrame = func(*args, **kwargs)
    return out


def _lifetimes(tx: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """The test-time oracle: lifetimes 0.11.3 ``summary_data_from_transaction_data``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = summary_data_from_transaction_data(
            tx, "customer_id", "timestamp", monetary_value_col="amount", **kwargs
        )
    return ref.sort_index()


def _assert_matches_lifetimes(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(ours.columns) == CLV_COLUMNS
    assert ours.index.tolist() == ref.index.tolist()
    for column in CLV_COLUMNS:
        np.testing.assert_allclose(
            ours[column].to_numpy(dtype=float),
            ref[column].to_numpy(dtype=float),
            rtol=0,
            atol=1e-9,
            err_msg=column,
        )


def _reference_rfm(tx: pd.DataFrame, *, as_of: pd.Timestamp, order_col: str | None) -> pd.DataFrame:
    """A plain pandas groupby restatement of the documented rfm_table rules."""
    tx = tx.loc[tx["timestamp"] <= as_of]
    buys = tx.loc[tx["amount"] >= 0]
    key = order_col if order_col is not None else "timestamp"
    grouped = buys.groupby("customer_id")
    out = pd.DataFrame(
        {
            "recency_days": (as_of - grouped["timestamp"].max()) / DAY,
            "frequency": grouped[key].nunique().astype(np.int64),
            "monetary": tx.groupby("customer_id")["amount"].sum(),
            "tenure_days": (as_of - grouped["timestamp"].min()) / DAY,
        }
    ).dropna(subset=["frequency"])
    out["frequency"] = out["frequency"].astype(np.int64)
    out["avg_order_value"] = out["monetary"] / out["frequency"]
    return out[RFM_COLUMNS].sort_index()


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


# --- rfm_table: semantics ------------------------------------------------------------


def test_recency_days_counts_from_as_of():
    """recency_days is the time from the last purchase to as_of, in (fractional) days."""
    tx = _log([(1, "2024-01-01 00:00", 5.0), (1, "2024-01-10 12:00", 5.0)])
    out = rfm_table(tx, as_of="2024-01-20")
    assert out.loc[1, "recency_days"] == (pd.Timestamp("2024-01-20") - tx["timestamp"].max()) / DAY
    assert out.loc[1, "recency_days"] == 9.5
    assert out.loc[1, "tenure_days"] == 19.0


def test_as_of_defaults_to_the_last_timestamp():
    """Without as_of the window ends at the last timestamp of the log."""
    tx = _log([(1, "2024-01-01", 5.0), (2, "2024-02-03 06:00", 7.0), (1, "2024-01-20", 1.0)])
    default = rfm_table(tx)
    explicit = rfm_table(tx, as_of=pd.Timestamp("2024-02-03 06:00"))
    pd.testing.assert_frame_equal(default, explicit)
    assert default.loc[2, "recency_days"] == 0.0
    assert default.loc[1, "recency_days"] == 14.25


def test_rows_after_as_of_are_excluded_with_a_counted_warning():
    """Rows after as_of are dropped, and the RowsExcludedWarning says how many."""
    tx = _log(
        [
            (1, "2024-01-01", 5.0),
            (1, "2024-01-31 00:00:01", 50.0),
            (2, "2024-01-15", 7.0),
            (2, "2024-02-15", 9.0),
            (3, "2024-03-01", 1.0),
        ]
    )
    with pytest.warns(RowsExcludedWarning, match=r"\b3 rows\b.*after as_of") as record:
        out = rfm_table(tx, as_of="2024-01-31")
    assert len(record) == 1
    inside = tx.loc[tx["timestamp"] <= "2024-01-31"]
    pd.testing.assert_frame_equal(out, rfm_table(inside, as_of="2024-01-31"))
    assert out.index.tolist() == [1, 2]
    assert out.loc[1, "monetary"] == 5.0


def test_as_of_is_inclusive():
    """A purchase exactly at as_of is inside the window, with recency_days 0."""
    tx = _log([(1, "2024-01-01", 5.0), (1, "2024-01-31", 5.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RowsExcludedWarning)
        out = rfm_table(tx, as_of="2024-01-31")
    assert out.loc[1, "frequency"] == 2
    assert out.loc[1, "recency_days"] == 0.0


def test_rows_of_one_order_count_once():
    """With order_col, the lines of one order are one purchase, even across instants."""
    tx = _log(
        [
            (1, "2024-01-01 10:00", 3.0),
            (1, "2024-01-01 10:00", 4.0),
            (1, "2024-01-01 10:01", 5.0),  # same invoice, stamped a minute later
            (1, "2024-01-05 09:00", 1.0),
        ],
        order_id=["A", "A", "A", "B"],
    )
    by_order = rfm_table(tx, order_col="order_id", as_of="2024-01-10")
    assert by_order.loc[1, "frequency"] == 2
    assert by_order.loc[1, "monetary"] == 13.0
    assert by_order.loc[1, "avg_order_value"] == 6.5
    by_instant = rfm_table(tx, as_of="2024-01-10")
    assert by_instant.loc[1, "frequency"] == 3


def test_same_instant_rows_count_once_without_order_col():
    """Without order_col, rows of one customer at one instant are one purchase."""
    tx = _log(
        [
            (1, "2024-01-01 10:00", 3.0),
            (1, "2024-01-01 10:00", 4.0),
            (1, "2024-01-01 18:00", 5.0),  # same day, other instant: another purchase
            (2, "2024-01-01 10:00", 1.0),  # same instant, other customer
        ]
    )
    out = rfm_table(tx)
    assert out.loc[1, "frequency"] == 2
    assert out.loc[1, "monetary"] == 12.0
    assert out.loc[2, "frequency"] == 1


def test_negative_amounts_net_into_monetary_but_are_not_purchases():
    """Returns reduce monetary but count as no purchase and move neither recency nor tenure."""
    tx = _log(
        [
            (1, "2023-12-20", -4.0),  # a return before the first purchase
            (1, "2024-01-01", 50.0),
            (1, "2024-01-15", -20.0),
            (1, "2024-01-20", -1.0),
        ]
    )
    out = rfm_table(tx, as_of="2024-01-31")
    assert out.loc[1, "frequency"] == 1
    assert out.loc[1, "monetary"] == 25.0
    assert out.loc[1, "avg_order_value"] == 25.0
    assert out.loc[1, "recency_days"] == 30.0
    assert out.loc[1, "tenure_days"] == 30.0


def test_an_order_with_a_purchase_line_and_a_return_line_is_one_purchase():
    """An order counts as a purchase when at least one of its lines has amount >= 0."""
    tx = _log(
        [(1, "2024-01-01", 10.0), (1, "2024-01-01", -3.0), (1, "2024-01-02", -2.0)],
        order_id=["A", "A", "C1"],
    )
    out = rfm_table(tx, order_col="order_id", as_of="2024-01-03")
    assert out.loc[1, "frequency"] == 1
    assert out.loc[1, "monetary"] == 5.0
    assert out.loc[1, "recency_days"] == 2.0


def test_zero_amount_rows_are_purchases():
    """A $0 row is a purchase: it counts in frequency and moves recency."""
    tx = _log([(1, "2024-01-01", 10.0), (1, "2024-01-21", 0.0), (2, "2024-01-11", 0.0)])
    out = rfm_table(tx, as_of="2024-01-31")
    assert out.loc[1, "frequency"] == 2
    assert out.loc[1, "recency_days"] == 10.0
    assert out.loc[2].tolist() == [20.0, 1, 0.0, 0.0, 20.0]


def test_customers_with_only_returns_are_left_out_with_a_counted_warning():
    """Customers whose window holds only negative rows are dropped, and the warning counts them."""
    tx = _log(
        [
            (1, "2024-01-01", 10.0),
            (2, "2024-01-02", -5.0),
            (3, "2024-01-03", -1.0),
            (3, "2024-01-04", -2.0),
        ]
    )
    with pytest.warns(RowsExcludedWarning, match=r"\b2 customers\b") as record:
        out = rfm_table(tx)
    assert len(record) == 1
    assert out.index.tolist() == [1]


@pytest.mark.parametrize(
    "ids",
    [
        [1.0, np.nan, 2.0, np.nan, 1.0],
        ["a", None, "b", np.nan, "a"],
        pd.array(["a", pd.NA, "b", pd.NA, "a"], dtype="string"),
        pd.array([1, None, 2, None, 1], dtype="Int64"),
    ],
    ids=["float-nan", "object-none", "string-na", "Int64-na"],
)
def test_rows_without_customer_id_are_dropped_with_a_counted_warning(ids):
    """Rows with a missing customer id are dropped; the warning gives their exact count."""
    tx = _log([(0, f"2024-01-0{i + 1}", float(i + 1)) for i in range(5)])
    tx["customer_id"] = ids
    with pytest.warns(RowsExcludedWarning, match=r"\b2 rows\b.*'customer_id'"):
        out = rfm_table(tx, as_of="2024-01-10")
    expected = rfm_table(tx.loc[tx["customer_id"].notna()], as_of="2024-01-10")
    pd.testing.assert_frame_equal(out, expected)
    assert len(out) == 2
    assert out["frequency"].sum() == 3


def test_every_customer_id_missing_is_an_error():
    """A log whose customer ids are all missing raises DataValidationError naming the column."""
    tx = _log([(0, "2024-01-01", 1.0), (0, "2024-01-02", 2.0)])
    tx["customer_id"] = [None, None]
    with (
        pytest.warns(RowsExcludedWarning),
        pytest.raises(DataValidationError, match="'customer_id'"),
    ):
        rfm_table(tx)


def test_excluded_rows_warnings_point_at_the_caller():
    """Every RowsExcludedWarning of the summaries is attributed to the caller's line."""
    tx = _log(
        [
            (None, "2024-01-01", 1.0),
            (1, "2024-01-02", 2.0),
            (2, "2024-01-03", -1.0),
            (1, "2024-03-01", 1.0),
        ]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rfm_table(tx, as_of="2024-02-01")
        clv_summary(tx, as_of="2024-02-01")
    assert len(caught) == 6  # missing id, after as_of, only returns; for each function
    assert all(issubclass(w.category, RowsExcludedWarning) for w in caught)
    misplaced = sorted(
        {f"{Path(w.filename).name}:{w.lineno}: {w.message}" for w in caught}
        - {f"{Path(__file__).name}:{w.lineno}: {w.message}" for w in caught}
    )
    assert not misplaced, misplaced


# --- rfm_table: bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    "stamps",
    [
        pd.Series([pd.Timestamp("2024-01-01 10:00"), pd.Timestamp("2024-01-02 10:00", tz="UTC")]),
        pd.Series(["2024-01-01 10:00:00+01:00", "2024-01-02 10:00:00+02:00"]),
        pd.Series(["2024-01-01 10:00:00", "2024-01-02 10:00:00+02:00"]),
    ],
    ids=["object-timestamps", "strings-two-offsets", "strings-naive-and-offset"],
)
def test_mixed_time_zones_raise_schema_error_naming_the_column(stamps):
    """Mixed aware/naive (or several offsets) timestamps raise SchemaError naming the column."""
    tx = pd.DataFrame({"customer_id": [1, 2], "when": stamps, "amount": [1.0, 2.0]})
    with pytest.raises(SchemaError, match="'when'"):
        rfm_table(tx, time_col="when")
    with pytest.raises(SchemaError, match="'when'"):
        clv_summary(tx, time_col="when")


def test_mixed_time_zones_in_an_object_column_are_named_as_such():
    """The message for an object column of aware and naive Timestamps says they are mixed."""
    stamps = pd.Series([pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02", tz="UTC")])
    assert stamps.dtype == object
    tx = pd.DataFrame({"customer_id": [1, 2], "timestamp": stamps, "amount": [1.0, 2.0]})
    with pytest.raises(SchemaError, match=r"'timestamp'.*(time.zone|naive)"):
        rfm_table(tx)


@pytest.mark.parametrize(
    ("tz_data", "as_of"),
    [
        (None, pd.Timestamp("2024-02-01", tz="UTC")),
        ("Europe/Paris", "2024-02-01"),
        ("Europe/Paris", pd.Timestamp("2024-02-01")),
    ],
    ids=["aware-as-of-naive-data", "naive-string-aware-data", "naive-stamp-aware-data"],
)
def test_as_of_and_data_of_different_tz_awareness_raise_schema_error(tz_data, as_of):
    """as_of must be naive for naive data and aware for aware data; else SchemaError on as_of."""
    tx = _log([(1, "2024-01-01", 1.0)])
    if tz_data is not None:
        tx["timestamp"] = tx["timestamp"].dt.tz_localize(tz_data)
    with pytest.raises(SchemaError, match="as_of"):
        rfm_table(tx, as_of=as_of)
    with pytest.raises(SchemaError, match="as_of"):
        clv_summary(tx, as_of=as_of)


@pytest.mark.parametrize(
    ("param", "column"),
    [
        ("customer_col", "client"),
        ("time_col", "date"),
        ("amount_col", "value"),
        ("order_col", "invoice"),
    ],
)
def test_missing_column_raises_schema_error_naming_column_and_parameter(param, column):
    """A missing column raises SchemaError (a KeyError and a ValueError) naming it and its param."""
    tx = _log([(1, "2024-01-01", 1.0)])
    with pytest.raises(SchemaError) as info:
        rfm_table(tx, **{param: column})
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert f"'{column}'" in message
    assert param in message


@pytest.mark.parametrize(
    ("column", "values"),
    [("amount", ["1.5", "2"]), ("amount", [True, False]), ("timestamp", [1_700_000_000, 2])],
    ids=["amount-strings", "amount-bools", "timestamp-epoch-ints"],
)
def test_mistyped_columns_raise_schema_error_naming_the_column(column, values):
    """Text or bool amounts and numeric timestamps raise SchemaError naming the column."""
    tx = _log([(1, "2024-01-01", 1.0), (2, "2024-01-02", 2.0)])
    tx[column] = values
    with pytest.raises(SchemaError, match=f"'{column}'"):
        rfm_table(tx)


def test_missing_order_id_raises_data_validation_error_naming_the_column():
    """A missing order id raises DataValidationError naming the order column."""
    tx = _log([(1, "2024-01-01", 1.0), (1, "2024-01-02", 2.0)], invoice=["A", None])
    with pytest.raises(DataValidationError, match="'invoice'"):
        rfm_table(tx, order_col="invoice")


def test_missing_amount_raises_data_validation_error_naming_the_column():
    """A NaN amount raises DataValidationError naming the amount column."""
    tx = _log([(1, "2024-01-01", 1.0), (2, "2024-01-02", np.nan)]).rename(columns={"amount": "v"})
    with pytest.raises(DataValidationError, match="'v'"):
        rfm_table(tx, amount_col="v")
    with pytest.raises(DataValidationError, match="'v'"):
        clv_summary(tx, amount_col="v")


@pytest.mark.parametrize("as_strings", [False, True], ids=["datetime64", "strings"])
def test_missing_timestamp_raises_data_validation_error_naming_the_column(as_strings):
    """A NaT (or missing string) timestamp raises DataValidationError naming the column."""
    stamps = pd.to_datetime(["2024-01-01", None])
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "t": [None if s is pd.NaT else str(s) for s in stamps] if as_strings else stamps,
            "amount": [1.0, 2.0],
        }
    )
    with pytest.raises(DataValidationError, match="'t'"):
        rfm_table(tx, time_col="t")
    with pytest.raises(DataValidationError, match="'t'"):
        clv_summary(tx, time_col="t")


@pytest.mark.parametrize(
    "obj",
    [
        {"customer_id": [1], "timestamp": ["2024-01-01"], "amount": [1.0]},
        np.zeros((3, 3)),
        pd.Series([1.0, 2.0]),
        None,
    ],
    ids=["dict", "ndarray", "series", "none"],
)
def test_non_dataframe_raises_type_error(obj):
    """Anything but a DataFrame raises TypeError."""
    with pytest.raises(TypeError, match="DataFrame"):
        rfm_table(obj)
    with pytest.raises(TypeError, match="DataFrame"):
        clv_summary(obj)


def test_empty_frame_raises_data_validation_error():
    """A log with no rows raises DataValidationError."""
    tx = _log([(1, "2024-01-01", 1.0)]).iloc[:0]
    with pytest.raises(DataValidationError, match="empty"):
        rfm_table(tx)
    with pytest.raises(DataValidationError, match="empty"):
        clv_summary(tx)


def test_as_of_before_every_row_raises_data_validation_error():
    """When every row is after as_of there is nothing to summarise: DataValidationError."""
    tx = _log([(1, "2024-01-05", 1.0), (2, "2024-01-06", 2.0)])
    with pytest.warns(RowsExcludedWarning), pytest.raises(DataValidationError, match="as_of"):
        rfm_table(tx, as_of="2024-01-01")


def test_rfm_table_does_not_mutate_its_input():
    """rfm_table leaves the caller's frame (values, dtypes, index) untouched."""
    tx = pd.DataFrame(
        {
            "customer_id": ["b", None, "a", "b", "c"],
            "timestamp": ["2024-01-03", "2024-01-01", "2024-01-02", "2024-02-01", "2024-01-05"],
            "amount": [5.0, 1.0, -2.0, 3.0, -1.0],
            "order_id": ["o1", "o2", "o3", "o4", "o5"],
        },
        index=[10, 3, 7, 1, 0],
    )
    before = copy.deepcopy(tx)
    with pytest.warns(RowsExcludedWarning):
        rfm_table(tx, order_col="order_id", as_of="2024-01-31")
    pd.testing.assert_frame_equal(tx, before, check_exact=True)
    assert tx.dtypes.equals(before.dtypes)


def test_output_index_is_named_after_customer_col_and_sorted():
    """The result is indexed by customer id, named after customer_col, in sorted order."""
    tx = _log([(30, "2024-01-01", 1.0), (4, "2024-01-02", 2.0), (17, "2024-01-03", 3.0)])
    tx = tx.rename(columns={"customer_id": "client"})
    out = rfm_table(tx, customer_col="client")
    assert out.index.name == "client"
    assert out.index.tolist() == [4, 17, 30]
    assert list(out.columns) == RFM_COLUMNS
    assert out["frequency"].dtype == np.int64


def test_string_customer_ids_give_the_same_numbers_as_int_ids():
    """String customer ids work and give the same table as the equivalent int ids."""
    tx = _log(
        [
            (2, "2024-01-01", 1.0),
            (10, "2024-01-02", 2.0),
            (2, "2024-01-09", -0.5),
            (10, "2024-01-04", 4.0),
        ]
    )
    as_int = rfm_table(tx, as_of="2024-01-10")
    as_str = rfm_table(
        tx.assign(customer_id=tx["customer_id"].map("id{:03d}".format)), as_of="2024-01-10"
    )
    assert as_str.index.tolist() == ["id002", "id010"]
    np.testing.assert_array_equal(as_str.to_numpy(), as_int.to_numpy())


def test_tz_aware_data_gives_the_same_numbers_as_utc_naive_data():
    """Aware timestamps (across a DST change) give the same table as the same instants in UTC."""
    local = pd.to_datetime(
        ["2024-03-09 12:00", "2024-03-11 12:00", "2024-03-05 08:00", "2024-03-12 00:00"]
    ).tz_localize("America/New_York")  # DST starts 2024-03-10 in New York
    aware = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": local, "amount": [1.0] * 4})
    naive = aware.assign(timestamp=local.tz_convert("UTC").tz_localize(None))
    as_of_utc = pd.Timestamp("2024-03-13 00:00")
    expected = rfm_table(naive, as_of=as_of_utc)
    for as_of in (
        as_of_utc.tz_localize("UTC"),
        as_of_utc.tz_localize("UTC").tz_convert("Asia/Tokyo"),
    ):
        pd.testing.assert_frame_equal(rfm_table(aware, as_of=as_of), expected)
    pd.testing.assert_frame_equal(rfm_table(aware), rfm_table(naive))
    # Elapsed time, not wall-clock difference: 2 days of wall clock are 47 hours here.
    assert rfm_table(aware).loc[1, "tenure_days"] == pytest.approx(47 / 24 + 0.5, abs=1e-12)


def test_clv_summary_frame_passed_to_rfm_segmenter_explains_the_recency_trap(cdnow):
    """RFMSegmenter on a clv_summary frame raises SchemaError explaining recency vs recency_days."""
    summary = _quiet(clv_summary, cdnow, as_of=CDNOW_AS_OF, freq_multiplier=7)
    with pytest.raises(SchemaError) as info:
        RFMSegmenter().fit(summary)
    message = str(info.value)
    assert "'recency_days'" in message
    assert "'recency'" in message
    assert "rfm_table" in message
    assert re.search(r"last purchase", message)


# --- clv_summary: semantics and references ---------------------------------------------


def test_clv_summary_reproduces_the_published_cdnow_summary(cdnow, shared_data):
    """clv_summary on CDNOW matches the published 39-week summary within its 2-decimal rounding."""
    # Reference: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way",
    # Marketing Science 24(2); file cdnow_customers_summary_with_transactions.csv
    # (ID, x, t_x, T, zbar; weeks, rounded to 2 decimals), see shared/data/cdnow/README.md.
    published = pd.read_csv(shared_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv")
    published = published.set_index("ID").sort_index()
    n_late = int((cdnow["timestamp"] > CDNOW_AS_OF).sum())
    with pytest.warns(RowsExcludedWarning, match=rf"\b{n_late} rows\b.*after as_of"):
        ours = clv_summary(cdnow, as_of=CDNOW_AS_OF, freq="D", freq_multiplier=7)
    assert len(ours) == 2357
    assert ours.index.tolist() == published.index.tolist()
    assert (ours["frequency"] > 0).sum() == 946
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), published["x"].to_numpy())
    for ours_col, pub_col in [("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")]:
        np.testing.assert_allclose(
            ours[ours_col].to_numpy(), published[pub_col].to_numpy(), rtol=0, atol=ROUNDING_TOL
        )


def test_clv_summary_matches_lifetimes_on_cdnow(cdnow):
    """On CDNOW clv_summary equals lifetimes' summary_data_from_transaction_data to 1e-9."""
    ours = _quiet(clv_summary, cdnow, as_of=CDNOW_AS_OF, freq="D", freq_multiplier=7)
    ref = _lifetimes(cdnow, observation_period_end=CDNOW_AS_OF, freq="D", freq_multiplier=7)
    _assert_matches_lifetimes(ours, ref)


def test_cdnow_customers_whose_purchases_were_free_are_kept(cdnow):
    """CDNOW's $0 rows are purchases: every one of the 2,357 customers is in rfm_table."""
    out = rfm_table(cdnow)
    assert len(out) == cdnow["customer_id"].nunique()
    free_ids = cdnow.loc[cdnow["amount"] == 0, "customer_id"].unique()
    assert (out.loc[free_ids, "frequency"] >= 1).all()


def test_same_period_purchases_merge():
    """Purchases of one customer in the same period are one purchase whose value is their sum."""
    tx = _log(
        [
            (1, "2024-01-01 09:00", 100.0),
            (1, "2024-01-03 09:00", 10.0),
            (1, "2024-01-03 18:00", 5.0),  # same day as the row above
            (1, "2024-01-05 09:00", 30.0),
        ]
    )
    daily = clv_summary(tx, as_of="2024-01-08")
    assert daily.loc[1].tolist() == [2, 4.0, 7.0, 22.5]
    weekly = clv_summary(tx, as_of="2024-01-08", freq="W")  # all in the week of Jan 1
    assert weekly.loc[1].tolist() == [0, 0.0, 1.0, 0.0]


def test_first_purchase_is_excluded_from_monetary_value():
    """monetary_value is the mean of the repeat purchase periods, the first one left out."""
    tx = _log([(1, "2024-01-01", 1000.0), (1, "2024-01-02", 10.0), (1, "2024-01-04", 20.0)])
    out = clv_summary(tx)
    assert out.loc[1, "monetary_value"] == 15.0
    assert out.loc[1, "frequency"] == 2


def test_one_time_buyers_have_zero_frequency_recency_and_monetary_value():
    """A customer with one purchase period has frequency 0, recency 0 and monetary_value 0."""
    tx = _log(
        [(1, "2024-01-01 08:00", 50.0), (1, "2024-01-01 20:00", 25.0), (2, "2024-01-11", 5.0)]
    )
    out = clv_summary(tx)
    assert out.loc[1].tolist() == [0, 0.0, 10.0, 0.0]


def test_the_whole_as_of_period_is_included():
    """as_of closes the window at the end of its period: later the same day is still inside."""
    tx = _log(
        [(1, "2024-01-01 12:00", 1.0), (1, "2024-01-10 23:59:59", 2.0), (1, "2024-01-11", 4.0)]
    )
    with pytest.warns(RowsExcludedWarning, match=r"\b1 rows\b") as record:
        daily = clv_summary(tx, as_of="2024-01-10")
    assert len(record) == 1
    assert daily.loc[1].tolist() == [1, 9.0, 9.0, 2.0]
    # 2024-01-10 is a Wednesday: the week (Mon..Sun) runs to 2024-01-14, so all rows count.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RowsExcludedWarning)
        weekly = clv_summary(tx, as_of="2024-01-10", freq="W")
    assert weekly.loc[1].tolist() == [1, 1.0, 1.0, 6.0]


def test_clv_summary_negative_periods_are_not_purchases():
    """A period with only returns is not a repeat purchase; a return nets into its own period."""
    tx = _log(
        [
            (1, "2024-01-01", 10.0),
            (1, "2024-01-02", 8.0),
            (1, "2024-01-02", -3.0),
            (1, "2024-01-05", -4.0),
            (2, "2024-01-01", 10.0),
            (2, "2024-01-03", 2.0),  # a purchase and a larger return on one day
            (2, "2024-01-03", -6.0),
        ]
    )
    out = clv_summary(tx, as_of="2024-01-06")
    assert out.loc[1].tolist() == [1, 1.0, 5.0, 5.0]
    assert out.loc[2].tolist() == [1, 2.0, 5.0, -4.0]


def test_clv_summary_without_amount_col_has_no_monetary_value():
    """amount_col=None gives frequency, recency and T only."""
    tx = _log([(1, "2024-01-01", 1.0), (1, "2024-01-03", 1.0)]).drop(columns="amount")
    out = clv_summary(tx, amount_col=None)
    assert list(out.columns) == ["frequency", "recency", "T"]
    assert out.loc[1].tolist() == [1, 2.0, 2.0]


def test_clv_summary_tz_aware_periods_are_local_days():
    """Aware timestamps are cut into periods in their own time zone, not in UTC."""
    local = pd.to_datetime(["2024-01-01 23:30", "2024-01-02 00:30"]).tz_localize("Europe/Paris")
    tx = pd.DataFrame({"customer_id": [1, 1], "timestamp": local, "amount": [1.0, 2.0]})
    out = clv_summary(tx)  # 22:30 and 23:30 UTC on Jan 1, but two local days
    assert out.loc[1].tolist() == [1, 1.0, 1.0, 2.0]


@pytest.mark.parametrize(
    "kwargs",
    [{"freq": "not-a-period"}, {"freq_multiplier": 0}, {"freq_multiplier": float("nan")}],
)
def test_clv_summary_rejects_bad_freq_parameters(kwargs):
    """An unknown freq or a non-positive freq_multiplier raises ValueError naming the parameter."""
    tx = _log([(1, "2024-01-01", 1.0)])
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        clv_summary(tx, **kwargs)


def test_clv_summary_does_not_mutate_its_input():
    """clv_summary leaves the caller's frame (values, dtypes, index) untouched."""
    tx = pd.DataFrame(
        {
            "customer_id": [2, None, 1, 2],
            "timestamp": ["2024-01-03", "2024-01-01", "2024-01-02", "2024-02-01"],
            "amount": [5.0, 1.0, -2.0, 3.0],
        },
        index=["w", "x", "y", "z"],
    )
    before = copy.deepcopy(tx)
    with pytest.warns(RowsExcludedWarning):
        clv_summary(tx, as_of="2024-01-31", freq="W")
    pd.testing.assert_frame_equal(tx, before, check_exact=True)
    assert tx.dtypes.equals(before.dtypes)


# --- properties on random logs ------------------------------------------------------------

FREQS = st.sampled_from([("D", 1.0), ("D", 7.0), ("W", 1.0), ("h", 24.0)])
AS_OF_MINUTES = st.one_of(st.none(), st.integers(0, SPAN_DAYS * 24 * 60))


def _stamp(minutes: int | None) -> pd.Timestamp | None:
    return None if minutes is None else BASE + pd.Timedelta(minutes=minutes)


@settings(max_examples=150, deadline=None)
@given(tx=transaction_logs(negative=False), freq=FREQS, as_of=AS_OF_MINUTES)
def test_clv_summary_matches_lifetimes_on_random_logs(tx, freq, as_of):
    """Without returns, clv_summary equals lifetimes' summary for D, W, h and multipliers."""
    period, multiplier = freq
    stamp = _stamp(as_of)
    ref = _lifetimes(tx, observation_period_end=stamp, freq=period, freq_multiplier=multiplier)
    try:
        ours = _quiet(clv_summary, tx, as_of=stamp, freq=period, freq_multiplier=multiplier)
    except DataValidationError:  # nothing inside the window: lifetimes finds nobody either
        assert len(ref) == 0
        return
    _assert_matches_lifetimes(ours, ref)


@settings(max_examples=150, deadline=None)
@given(tx=transaction_logs(orders=True), use_orders=st.booleans(), as_of=AS_OF_MINUTES)
def test_rfm_table_agrees_with_a_groupby_restatement_of_its_rules(tx, use_orders, as_of):
    """rfm_table equals a plain pandas groupby of its documented rules on random logs."""
    order_col = "order_id" if use_orders else None
    stamp = _stamp(as_of)
    try:
        out = _quiet(rfm_table, tx, order_col=order_col, as_of=stamp)
    except DataValidationError:  # nobody bought inside the window
        window = tx.loc[tx["timestamp"] <= (stamp or tx["timestamp"].max())]
        assert not (window["amount"] >= 0).any()
        return
    ref = _reference_rfm(tx, as_of=stamp or tx["timestamp"].max(), order_col=order_col)
    pd.testing.assert_frame_equal(out, ref, check_names=False, check_index_type=False)


@settings(max_examples=100, deadline=None)
@given(tx=transaction_logs(orders=True, string_ids=True))
def test_every_buyer_appears_exactly_once(tx):
    """Each customer with a row of amount >= 0 has exactly one row; nobody else appears."""
    buyers = sorted(tx.loc[tx["amount"] >= 0, "customer_id"].unique())
    rfm = _quiet(rfm_table, tx, order_col="order_id")
    clv = _quiet(clv_summary, tx)
    for out in (rfm, clv):
        assert out.index.is_unique
        assert out.index.tolist() == buyers


@settings(max_examples=100, deadline=None)
@given(tx=transaction_logs(orders=True), use_orders=st.booleans())
def test_rfm_frequency_is_positive_and_recency_within_tenure(tx, use_orders):
    """In rfm_table frequency >= 1 and 0 <= recency_days <= tenure_days."""
    out = _quiet(rfm_table, tx, order_col="order_id" if use_orders else None)
    assert (out["frequency"] >= 1).all()
    assert (out["recency_days"] >= 0).all()
    assert (out["recency_days"] <= out["tenure_days"]).all()
    np.testing.assert_allclose(out["avg_order_value"] * out["frequency"], out["monetary"])


@settings(max_examples=100, deadline=None)
@given(tx=transaction_logs(), freq=FREQS)
def test_clv_summary_recency_within_t_and_frequency_non_negative(tx, freq):
    """In clv_summary frequency >= 0, 0 <= recency <= T, and one-time buyers have recency 0."""
    period, multiplier = freq
    out = _quiet(clv_summary, tx, freq=period, freq_multiplier=multiplier)
    assert (out["frequency"] >= 0).all()
    assert (out["recency"] >= 0).all()
    assert (out["recency"] <= out["T"]).all()
    once = out["frequency"] == 0
    assert (out.loc[once, ["recency", "monetary_value"]] == 0).all().all()


@settings(max_examples=100, deadline=None)
@given(tx=transaction_logs(orders=True, string_ids=True), data=st.data())
def test_row_order_does_not_change_the_result(tx, data):
    """Shuffling the rows gives the same frames (floats equal up to summation order)."""
    order = data.draw(st.permutations(range(len(tx))))
    shuffled = tx.iloc[list(order)]
    for func, kwargs in [
        (rfm_table, {"order_col": "order_id"}),
        (rfm_table, {}),
        (clv_summary, {"freq": "D"}),
    ]:
        # Sums of cents may differ in the last bit with another summation order.
        pd.testing.assert_frame_equal(
            _quiet(func, shuffled, **kwargs),
            _quiet(func, tx, **kwargs),
            check_exact=False,
            rtol=1e-12,
            atol=1e-9,
        )


@settings(max_examples=40, deadline=None)
@given(tx=transaction_logs(orders=True, tz="Europe/Paris"), as_strings=st.booleans())
def test_summaries_do_not_mutate_random_inputs(tx, as_strings):
    """Neither summary changes the caller's frame, whatever its dtypes and index."""
    if as_strings:
        tx = tx.assign(timestamp=tx["timestamp"].astype(str))
    before = copy.deepcopy(tx)
    _quiet(rfm_table, tx, order_col="order_id")
    _quiet(clv_summary, tx, freq="W")
    pd.testing.assert_frame_equal(tx, before, check_exact=True)
    assert tx.dtypes.equals(before.dtypes)


@settings(max_examples=40, deadline=None)
@given(tx=transaction_logs(orders=True, tz="America/New_York"))
def test_aware_random_logs_match_their_naive_forms(tx):
    """rfm_table on aware logs equals it on UTC-naive times; clv_summary on local wall times."""
    utc = tx.assign(timestamp=tx["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None))
    pd.testing.assert_frame_equal(
        _quiet(rfm_table, tx, order_col="order_id"), _quiet(rfm_table, utc, order_col="order_id")
    )
    wall = tx.assign(timestamp=tx["timestamp"].dt.tz_localize(None))
    for freq in ("D", "W"):
        pd.testing.assert_frame_equal(
            _quiet(clv_summary, tx, freq=freq), _quiet(clv_summary, wall, freq=freq)
        )
