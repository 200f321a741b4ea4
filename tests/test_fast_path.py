"""The fast RFM path gives exactly what the straightforward implementation gives.

``rfm_table`` codes integer ids by direct indexing, counts the purchases of a
time-ordered log with a near-linear sort, and keeps times in the column's own unit;
``RFMSegmenter`` scores by comparison passes and predicts through a flat lookup table.
Each test below restates the same rules the plain way (pandas groupby, ranks, np.select)
and requires bit-identical results on random logs: sorted and shuffled, compact and
sparse integer ids, string ids, ties, same-instant rows, returns, zero amounts, several
time units and time zones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from behaviorseg import RFMSegmenter, clv_summary, rfm_table
from behaviorseg.exceptions import BehaviorsegWarning, DataValidationError
from behaviorseg.segmenters.rfm import DEFAULT_RFM_SEGMENTS
from behaviorseg.summaries._transactions import _instant_keys

DAY = pd.Timedelta(days=1)


def _random_log(
    seed: int,
    *,
    n_rows: int,
    n_customers: int,
    id_kind: str,
    time_sorted: bool,
    unit: str,
    tz: str | None,
    n_instants: int,
) -> pd.DataFrame:
    """A messy log: few distinct instants (many ties), returns and zero amounts."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_rows)
    if id_kind == "compact":
        ids: np.ndarray = customer + 1000
    elif id_kind == "sparse":  # a range far wider than the rows: the factorize path
        ids = customer.astype(np.int64) * 10**9 + 7
    else:
        ids = np.array([f"c{c:05d}" for c in customer], dtype=object)
    instants = np.sort(rng.choice(400 * 86_400, size=n_instants, replace=False))
    seconds = instants[rng.integers(0, n_instants, n_rows)]
    times = pd.to_datetime(seconds, unit="s", origin="2024-01-01").as_unit(unit)
    cents = rng.integers(-3_000, 20_000, n_rows)
    cents[rng.random(n_rows) < 0.1] = 0
    # Order ids: a few rows share an order (possibly across instants and signs).
    orders = rng.integers(0, max(n_rows // 2, 1), n_rows).astype(str)
    tx = pd.DataFrame(
        {"customer_id": ids, "timestamp": times, "amount": cents / 100, "order_id": orders}
    )
    if tz is not None:
        tx["timestamp"] = tx["timestamp"].dt.tz_localize("UTC").dt.tz_convert(tz)
    if time_sorted:
        tx = tx.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return tx


def _reference_rfm(
    tx: pd.DataFrame, as_of: pd.Timestamp, order_col: str | None = None
) -> pd.DataFrame:
    """The documented rules, the straightforward pandas way."""
    window = tx.loc[tx["timestamp"] <= as_of]
    buys = window.loc[window["amount"] >= 0]
    grouped = buys.groupby("customer_id")
    # A purchase: a distinct order (or instant) with at least one row of amount >= 0.
    out = pd.DataFrame(
        {
            "recency_days": (as_of - grouped["timestamp"].max()) / DAY,
            "frequency": grouped[order_col or "timestamp"].nunique().astype(np.int64),
        }
    )
    # Net spend summed in row order (np.bincount), as a plain numpy reduction does.
    codes, uniques = pd.factorize(window["customer_id"])
    spend = pd.Series(np.bincount(codes, weights=window["amount"].to_numpy()), index=uniques)
    out["monetary"] = spend.reindex(out.index).to_numpy()
    out["avg_order_value"] = out["monetary"] / out["frequency"]
    out["tenure_days"] = (as_of - grouped["timestamp"].min()) / DAY
    return out.sort_index()


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


logs = st.builds(
    _random_log,
    seed=st.integers(0, 2**31),
    n_rows=st.integers(1, 600),
    n_customers=st.integers(1, 80),
    id_kind=st.sampled_from(["compact", "sparse", "string"]),
    time_sorted=st.booleans(),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    tz=st.sampled_from([None, "UTC", "Europe/Paris"]),
    n_instants=st.integers(1, 300),
)


@settings(max_examples=120, deadline=None)
@given(tx=logs, cut=st.floats(0.0, 1.0), order_col=st.sampled_from([None, "order_id"]))
def test_rfm_table_is_bit_identical_to_the_groupby_restatement(tx, cut, order_col):
    """Every column equals the plain pandas restatement exactly (no tolerance)."""
    times = tx["timestamp"]
    as_of = times.min() + (times.max() - times.min()) * cut
    if not (tx.loc[times <= as_of, "amount"] >= 0).any():
        return  # nobody bought in the window: an error, tested elsewhere
    out = _quiet(rfm_table, tx, as_of=as_of, order_col=order_col)
    ref = _reference_rfm(tx, as_of, order_col)
    pd.testing.assert_frame_equal(
        out, ref, check_exact=True, check_names=False, check_index_type=False
    )


@settings(max_examples=60, deadline=None)
@given(tx=logs)
def test_row_order_never_changes_the_table(tx):
    """A time-ordered log (fast path) and the same rows shuffled (general path) agree."""
    ordered = tx.sort_values("timestamp", kind="stable")
    shuffled = tx.sample(frac=1.0, random_state=1)
    a = _quiet(rfm_table, ordered) if (tx["amount"] >= 0).any() else None
    if a is None:
        return
    b = _quiet(rfm_table, shuffled)
    # Sums may be added in another order: monetary to 1e-12, everything else exact.
    pd.testing.assert_frame_equal(
        a.drop(columns=["monetary", "avg_order_value"]),
        b.drop(columns=["monetary", "avg_order_value"]),
        check_exact=True,
    )
    np.testing.assert_allclose(a["monetary"], b["monetary"], rtol=1e-12, atol=1e-9)


def test_same_instant_rows_of_different_customers_in_a_sorted_log():
    """The sorted path counts one purchase per (customer, instant), across interleaved ties."""
    t = pd.to_datetime(["2024-01-01 10:00"] * 5 + ["2024-01-02 09:00"] * 3)
    tx = pd.DataFrame(
        {"customer_id": [1, 2, 1, 3, 2, 2, 1, 2], "timestamp": t, "amount": [1.0] * 8}
    )
    out = rfm_table(tx)
    assert out["frequency"].to_dict() == {1: 2, 2: 2, 3: 1}


@pytest.mark.parametrize("time_sorted", [True, False])
@pytest.mark.parametrize("start", ["1950-01-01", "1690-01-01"])
def test_instant_keys_too_wide_for_int64_fall_back_to_hashing(time_sorted, start):
    """Nanosecond times over 150 years (or 560: offsets beyond int64) and many customers
    overflow packed keys out of time order (hashed instead); same result either way, or
    a clear error when no nanosecond day count can span the log."""
    rng = np.random.default_rng(3)
    n = 5000
    instants = pd.Timestamp(start).value + rng.integers(0, 150 * 365 * 86_400 * 10**9, 200) + 1
    if start < "1700":  # half of the instants 410 years later: a 560-year span
        instants[::2] += 205 * 365 * 86_400 * 10**9  # twice: 410 years do not fit one int64
        instants[::2] += 205 * 365 * 86_400 * 10**9
    ns = instants[rng.integers(0, 200, n)]
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 1500, n),
            "timestamp": pd.to_datetime(ns, unit="ns"),
            "amount": rng.integers(-500, 5_000, n) / 100,
        }
    )
    if time_sorted:
        tx = tx.sort_values("timestamp", kind="stable")
    ns_col = tx["timestamp"].to_numpy().view(np.int64)
    codes = pd.factorize(tx["customer_id"], sort=True)[0].astype(np.int64)
    packed = _instant_keys(ns_col, codes, np.int64(codes.max() + 1))
    assert (packed is None) is not time_sorted  # the branch this test is about
    if start < "1700":  # no int64 nanosecond count spans it: refused, never wrapped around
        with pytest.raises(DataValidationError, match=r"timestamp.*292 years"):
            _quiet(rfm_table, tx)
        return
    out = _quiet(rfm_table, tx)
    pd.testing.assert_frame_equal(
        out, _reference_rfm(tx, tx["timestamp"].max()), check_exact=True, check_names=False
    )


def test_as_of_finer_than_the_time_unit_is_exact():
    """Second-resolution data with an as_of in nanoseconds still measures exactly."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01"]).as_unit("s"),
            "amount": [5.0, 5.0],
        }
    )
    as_of = pd.Timestamp("2024-03-02 00:00:00.000000001")
    out = rfm_table(tx, as_of=as_of)
    assert out.loc[1, "recency_days"] == (as_of - tx["timestamp"].max()) / DAY


def _reference_clv(tx: pd.DataFrame, as_of: pd.Timestamp, freq: str, mult: float) -> pd.DataFrame:
    """clv_summary's documented rules the plain way: group rows by (customer, period),
    sum each group in row order, keep groups with a purchase, then per customer."""
    times = tx["timestamp"]
    if times.dt.tz is not None:  # periods are cut in local wall time
        times = times.dt.tz_localize(None)
        as_of = as_of.tz_localize(None)
    period = times.dt.to_period(freq).array.asi8
    as_of_period = pd.Period(as_of, freq=freq).ordinal
    window = tx.loc[period <= as_of_period].assign(period=period[period <= as_of_period])
    grouped = window.groupby(["customer_id", "period"], sort=True)
    value = np.bincount(grouped.ngroup().to_numpy(), weights=window["amount"].to_numpy())
    groups = pd.DataFrame(
        {"value": value, "purchase": (grouped["amount"].max() >= 0).to_numpy()},
        index=grouped.size().index,
    ).reset_index()
    groups = groups.loc[groups["purchase"]]  # sorted by customer, then period
    by_customer = groups.groupby("customer_id", sort=True)
    first = by_customer["period"].transform("min")
    repeat = groups.loc[groups["period"] != first]
    codes = pd.Index(by_customer.size().index).get_indexer(repeat["customer_id"])
    n = by_customer.ngroups
    repeat_value = np.bincount(codes, weights=repeat["value"].to_numpy(), minlength=n)
    frequency = (by_customer.size() - 1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(frequency > 0, repeat_value / frequency, 0.0)
    return pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (by_customer["period"].max() - by_customer["period"].min()).to_numpy()
            / mult,
            "T": (as_of_period - by_customer["period"].min()).to_numpy() / mult,
            "monetary_value": mean,
        },
        index=by_customer.size().index,
    )


@settings(max_examples=80, deadline=None)
@given(
    tx=logs,
    cut=st.floats(0.0, 1.0),
    freq=st.sampled_from(["D", "W", "M"]),
    mult=st.sampled_from([1.0, 7.0]),
)
def test_clv_summary_is_bit_identical_to_the_groupby_restatement(tx, cut, freq, mult):
    """Sorted or shuffled, any unit and zone: the plain (customer, period) groupby, exactly."""
    times = tx["timestamp"]
    as_of = times.min() + (times.max() - times.min()) * cut
    local = times.dt.tz_localize(None) if times.dt.tz is not None else times
    stamp = as_of.tz_localize(None) if as_of.tz is not None else as_of
    inside = local.dt.to_period(freq) <= pd.Period(stamp, freq=freq)
    if not (tx.loc[inside.to_numpy(), "amount"] >= 0).any():
        return  # nobody bought in the window: an error, tested elsewhere
    out = _quiet(clv_summary, tx, as_of=as_of, freq=freq, freq_multiplier=mult)
    pd.testing.assert_frame_equal(
        out, _reference_clv(tx, as_of, freq, mult), check_exact=True, check_names=False
    )


# --- RFMSegmenter -------------------------------------------------------------------------


def _rank_scores(values: np.ndarray, n_bins: int, *, reverse: bool) -> np.ndarray:
    """Tie-aware quantile scores the SQL way: 1 + min(n - 1, n * #(worse values) // N)."""
    worse = pd.Series(-values if reverse else values).rank(method="min").to_numpy() - 1
    return 1 + np.minimum(n_bins - 1, (n_bins * worse.astype(np.int64)) // len(values))


def _default_names(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    conditions = [
        (r >= r_lo) & (r <= r_hi) & (f >= f_lo) & (f <= f_hi)
        for _, (r_lo, r_hi), (f_lo, f_hi) in DEFAULT_RFM_SEGMENTS
    ]
    names = [name for name, _, _ in DEFAULT_RFM_SEGMENTS]
    return np.select(conditions, names, default="<none>")


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(5, 3000),
    distinct=st.integers(1, 50),
)
def test_scores_and_names_equal_the_rank_formula(seed, n, distinct):
    """transform = rank-formula quintiles (equal values, equal scores); predict = the map."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame(
        {
            "recency_days": rng.integers(0, distinct, n) * 1.5,
            "frequency": rng.integers(1, distinct + 1, n),
            "monetary": rng.integers(0, distinct, n) * 10.25,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)  # heavy ties empty some scores
        segmenter = RFMSegmenter().fit(customers)
    scores = segmenter.transform(customers)
    expected = np.column_stack(
        [
            _rank_scores(customers["recency_days"].to_numpy(), 5, reverse=True),
            _rank_scores(customers["frequency"].to_numpy().astype(float), 5, reverse=False),
            _rank_scores(customers["monetary"].to_numpy(), 5, reverse=False),
        ]
    )
    np.testing.assert_array_equal(scores, expected)
    np.testing.assert_array_equal(
        segmenter.predict(customers), _default_names(expected[:, 0], expected[:, 1])
    )


@pytest.mark.parametrize("n_bins", [3, 5, 20, 40])
def test_comparison_scoring_equals_binary_search(n_bins):
    """Scores by comparison passes (few edges) and by searchsorted (many) agree."""
    rng = np.random.default_rng(n_bins)
    customers = pd.DataFrame(
        {
            "recency_days": rng.exponential(30, 2000).round(1),
            "frequency": rng.integers(1, 30, 2000),
            "monetary": rng.gamma(2.0, 50.0, 2000).round(2),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BehaviorsegWarning)
        segmenter = RFMSegmenter(n_bins=n_bins).fit(customers)
    X = customers.to_numpy(dtype=float)
    for j, edges in enumerate(segmenter._edges_):
        column = -X[:, j] if j == 0 else X[:, j]
        np.testing.assert_array_equal(
            segmenter.transform(customers)[:, j],
            1 + np.searchsorted(edges, column, side="right"),
        )
