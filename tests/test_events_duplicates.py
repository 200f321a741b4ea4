"""usage_table's duplicate rule on logs with many repeated rows.

The repeated (customer, instant) keys are first marked by their low bits in a table
sized by how many there are; these logs have enough repeats to make that table
larger than its minimum and to give low-bit collisions between different keys, so
the exact check after it is exercised. The answer must be ``DataFrame.duplicated``
over the columns read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from behaviorseg.summaries import usage_table


@pytest.mark.parametrize("sorted_times", [True, False])
def test_duplicates_are_exactly_those_of_dataframe_duplicated(sorted_times: bool) -> None:
    rng = np.random.default_rng(7)
    n = 120_000
    base = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 5_000, n),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 20_000, n), unit="s"),
            "event": rng.choice(["session", "view"], n),
            "value": rng.integers(0, 3, n).astype(float),
        }
    )
    log = pd.concat([base, base.sample(frac=0.6, random_state=1)], ignore_index=True)
    log = log.sort_values("timestamp", kind="stable") if sorted_times else log
    log = log.reset_index(drop=True)
    with pytest.warns(Warning, match="repeat an earlier row"):
        table = usage_table(log, event_col="event", usage_events="session", value_col="value")
    kept = log.loc[~log.duplicated() & (log["event"] == "session")]
    expected_count = kept.groupby("customer_id").size()
    expected_value = kept.groupby("customer_id")["value"].sum()
    assert int(log.duplicated().sum()) > 8 * 8_192  # more repeats than the smallest table
    got = table.loc[expected_count.index]
    np.testing.assert_array_equal(got["event_count"].to_numpy(), expected_count.to_numpy())
    np.testing.assert_array_equal(got["usage_value"].to_numpy(), expected_value.to_numpy())
    assert (table.drop(expected_count.index)["event_count"] == 0).all()
