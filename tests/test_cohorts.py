"""cohort_retention and cohort_heatmap: a hand-worked log, a plain pandas reference,
invariants, consistency with retention_rate, acquisition dates and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg.exceptions import DataValidationError, RowsExcludedWarning, SchemaError
from behaviorseg.kpi import cohort_retention, retention_rate
from strategies import transaction_logs


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3, 4, 5, 5, 1],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-02-10",
                    "2024-02-11",  # twice active in February: counted once
                    "2024-01-20",
                    "2024-02-02",
                    "2024-04-15",
                    "2024-02-28",
                    "2024-04-01",
                    "2024-04-30",
                    "2024-04-03",
                ]
            ),
        }
    )


def _reference(tx: pd.DataFrame, period: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The definition restated with plain pandas groupbys (slow, obvious)."""
    tx = tx[tx["timestamp"] <= as_of]
    p = tx["timestamp"].dt.to_period(period)
    cohort = p.groupby(tx["customer_id"]).transform("min")
    frame = pd.DataFrame(
        {"cohort": cohort, "period": p, "customer": tx["customer_id"]}
    ).drop_duplicates()
    sizes = frame.groupby("cohort")["customer"].nunique()
    active = frame.groupby(["cohort", "period"])["customer"].nunique()
    last = as_of.to_period(period)
    cohorts = pd.period_range(cohort.min(), cohort.max(), freq=cohort.min().freq)
    rows = []
    for c in cohorts:  # a loop in the reference only
        for k in range(last.ordinal - c.ordinal + 1):
            size = int(sizes.get(c, 0))
            n = int(active.get((c, c + k), 0))
            rows.append((c, k, c + k, size, n, n / size if size else np.nan))
    out = pd.DataFrame(
        rows, columns=["cohort", "offset", "period", "cohort_size", "active", "share"]
    )
    return out.set_index(["cohort", "offset"])


def test_cohorts_by_hand():
    """January cohort {1, 2}: 1 back in February and April. February cohort {3, 4}: 3 back
    in April. April cohort {5}. March is an empty cohort. Cells after April are absent."""
    table = cohort_retention(_tx(), period="M")
    shares = table["share"].unstack("offset")
    assert [str(c) for c in shares.index] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    np.testing.assert_allclose(shares.iloc[0], [1.0, 0.5, 0.0, 0.5])
    np.testing.assert_allclose(shares.iloc[1], [1.0, 0.0, 0.5, np.nan])
    assert shares.iloc[2].isna().all()  # an empty cohort: NaN, not 0
    np.testing.assert_allclose(shares.iloc[3], [1.0, np.nan, np.nan, np.nan])
    counts = table["active"].unstack("offset")
    assert counts.loc[pd.Period("2024-01", "M")].tolist() == [2, 1, 0, 1]
    assert table["cohort_size"].groupby(level="cohort").first().tolist() == [2, 2, 0, 1]
    assert table.loc[(pd.Period("2024-02", "M"), 2), "period"] == pd.Period("2024-04", "M")
    assert table.index.names == ["cohort", "offset"]


def test_as_of_cuts_the_cells_and_warns():
    """Rows after as_of are excluded (counted) and later cells do not exist."""
    with pytest.warns(RowsExcludedWarning, match="4 rows are after as_of"):
        table = cohort_retention(_tx(), period="M", as_of="2024-02-29")
    assert table.index.get_level_values("offset").max() == 1
    assert len(table) == 3


@settings(max_examples=60, deadline=None)
@given(
    log=transaction_logs(max_customers=6, max_rows=30),
    period=st.sampled_from(["D", "W", "M"]),
)
def test_equals_a_plain_pandas_reference(log, period):
    """Every cell equals the plain pandas restatement of the definition."""
    as_of = log["timestamp"].max()
    table = cohort_retention(log, period=period)
    expected = _reference(log, period, as_of)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False, check_index_type=False)


@settings(max_examples=60, deadline=None)
@given(log=transaction_logs(max_customers=6, max_rows=30), period=st.sampled_from(["D", "W"]))
def test_offset_zero_is_one_and_counts_stay_within_cohorts(log, period):
    """With first-purchase cohorts, every non-empty cohort is fully active at offset 0, and no
    count exceeds its cohort's size."""
    table = cohort_retention(log, period=period)
    first = table.xs(0, level="offset")
    nonempty = first["cohort_size"] > 0
    assert (first.loc[nonempty, "share"] == 1.0).all()
    assert (table["active"] <= table["cohort_size"]).all()
    assert (
        table["cohort_size"].groupby(level="cohort").first().sum() == log["customer_id"].nunique()
    )


@pytest.mark.parametrize("numpy_period", ["D", "W", "M", "Q", "Y"])
def test_fast_period_ordinals_match_pandas(numpy_period):
    """The numpy ordinals of D, W, M, Q, Y equal pandas' to_period, before 1970 too."""
    from behaviorseg.kpi._cohorts import _ordinals

    times = pd.Series(pd.date_range("1965-12-25", "1971-01-10", freq="13h"))
    expected = times.dt.to_period(numpy_period).array.asi8
    np.testing.assert_array_equal(_ordinals(times, numpy_period), expected)


def test_consistent_with_retention_rate():
    """With first-purchase cohorts everyone is active in the cohort's period, so the share of
    cohort c at offset k is retention_rate of c's customers from period c to period c + k."""
    tx = _tx()
    table = cohort_retention(tx, period="M")
    first = tx.groupby("customer_id")["timestamp"].min().dt.to_period("M")
    customers = pd.DataFrame({"cohort": first.astype(str)})
    for (cohort, offset), row in table.iterrows():
        if row["cohort_size"] == 0 or offset == 0:  # offset 0: share 1, tested above
            continue
        rate = retention_rate(
            tx,
            customers,
            segment_col="cohort",
            base_period=cohort,
            next_period=cohort + offset,
        ).loc[str(cohort)]
        assert rate["active"] == row["cohort_size"]
        assert rate["retained"] == row["active"]


def test_acquisition_series_keeps_inactive_customers():
    """Sign-up dates: customers without any transaction count in the cohort, activity before
    sign-up is ignored (warned), unknown customers are ignored (warned)."""
    signups = pd.Series(
        pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-01", "2024-01-31", "2024-03-10"]),
        index=pd.Index([1, 2, 3, 6, 4], name="customer_id"),
    )
    with pytest.warns(RowsExcludedWarning) as caught:
        table = cohort_retention(_tx(), acquisition=signups)
    messages = " | ".join(str(w.message) for w in caught)
    assert "customers of transactions are not in acquisition" in messages  # customer 5
    assert "1 rows are activity before" in messages  # customer 4 in February, signed up March
    january = table.loc[pd.Period("2024-01", "M")]
    assert january["cohort_size"].iloc[0] == 3  # 1, 2 and 6 (never bought)
    assert january["active"].tolist() == [2, 1, 0, 1]
    assert table.loc[pd.Period("2024-02", "M"), "active"].tolist() == [1, 0, 1]
    march = table.loc[pd.Period("2024-03", "M")]
    assert march["cohort_size"].tolist() == [1, 1] and march["active"].tolist() == [0, 0]


def test_acquisition_column_must_hold_one_date_per_customer():
    """A column of acquisition dates is read per customer; two dates for one is refused."""
    tx = _tx()
    tx["signup"] = tx.groupby("customer_id")["timestamp"].transform("min")
    pd.testing.assert_frame_equal(cohort_retention(tx, acquisition="signup"), cohort_retention(tx))
    tx.loc[0, "signup"] = pd.Timestamp("2023-12-01")
    with pytest.raises(DataValidationError, match="several dates for 1 customers"):
        cohort_retention(tx, acquisition="signup")


def test_time_zones_follow_the_local_calendar():
    """An aware timestamp on 1 February 00:30 in Paris is February, not January (UTC)."""
    times = pd.to_datetime(["2024-01-10 12:00", "2024-02-01 00:30"]).tz_localize("Europe/Paris")
    tx = pd.DataFrame({"customer_id": [1, 1], "timestamp": times})
    table = cohort_retention(tx)
    assert table["active"].tolist() == [1, 1]


def test_input_not_modified_and_bad_input():
    """Inputs stay untouched; bad period, column and acquisition give clear errors."""
    tx = _tx()
    before = tx.copy()
    cohort_retention(tx)
    pd.testing.assert_frame_equal(tx, before)
    with pytest.raises(ValueError, match="not a pandas period alias"):
        cohort_retention(tx, period="fortnight")
    with pytest.raises(SchemaError, match="customer_col"):
        cohort_retention(tx, customer_col="client")
    with pytest.raises(TypeError, match="acquisition must be"):
        cohort_retention(tx, acquisition=["2024-01-01"])  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="duplicated customer ids"):
        cohort_retention(
            tx, acquisition=pd.Series(pd.to_datetime(["2024-01-01"] * 2), index=[1, 1])
        )


def test_heatmap_draws_shares_and_blank_future_cells():
    """One row per cohort labelled with its size; unobserved cells are masked."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from behaviorseg.plotting import cohort_heatmap

    table = cohort_retention(_tx())
    ax = cohort_heatmap(table)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["2024-01 (n=2)", "2024-02 (n=2)", "2024-03 (n=0)", "2024-04 (n=1)"]
    data = ax.images[0].get_array()
    assert data.mask[3, 1] and not data.mask[0, 3]
    with pytest.raises(SchemaError, match="share"):
        cohort_heatmap(table.drop(columns="share"))
    plt.close("all")
