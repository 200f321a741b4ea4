"""Transaction logs → what each customer buys: ``category_table``.

Per customer, the share of spend (or of purchase lines) that goes to each product
category or attribute, the dominant one and the breadth of the basket. One
``bincount`` over (customer, category) codes; no loop over customers or rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import check_columns, check_frame, check_numeric, warn_excluded
from ..exceptions import DataValidationError

__all__ = ["category_table"]

#: The benefit segment of customers whose top two benefits are within the margin
#: (shared by BenefitSegmenter and the survey generator).
NO_CLEAR_BENEFIT = "no clear benefit"


@frame_boundary("transactions")
def category_table(
    transactions: pd.DataFrame,
    *,
    category_col: str,
    customer_col: str = "customer_id",
    amount_col: str | None = None,
    categories: Sequence[Any] | None = None,
    prefix: str = "share_",
) -> pd.DataFrame:
    """Summarise the categories (or product attributes) each customer buys.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line, with a customer id and a category (and an
        amount for shares of spend). Not modified.
    category_col : str
        Column with the category or attribute of the line.
    customer_col : str, default="customer_id"
        Column with the customer id. Rows without one are dropped with a warning.
    amount_col : str or None, default=None
        Column with the line's amount: the shares are shares of *spend*. Rows
        with a negative amount (returns) are excluded with a warning. None: every
        line counts 1 (shares of purchase lines).
    categories : sequence or None, default=None
        The categories, in column order. Lines of other categories are excluded
        with a warning that counts them. None: every category in the log,
        sorted. Lines without a category are always excluded with a warning.
    prefix : str, default="share_"
        Prefix of the share columns: ``share_<category>``.

    Returns
    -------
    DataFrame
        One row per customer with a positive total, indexed by customer id
        (sorted):

        - ``<prefix><category>`` (float) per category: its share of the
          customer's spend (or lines); the shares sum to 1.
        - ``dominant_category`` (categorical): the category with the largest
          share (the first in column order on a tie).
        - ``n_categories`` (int): categories with a positive share.
        - ``category_entropy`` (float, bits): Shannon entropy of the shares, 0
          for a single category, ``log2(k)`` for an even spread over ``k``.
        - ``total_spend`` (float) or ``n_lines`` (int): the denominator.

        Customers whose total is 0 (lines of amount 0 only) are left out with a
        warning that counts them.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import category_table
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2],
    ...     "category": ["kitchen", "garden", "kitchen", "garden", "garden"],
    ...     "amount": [30.0, 20.0, 50.0, 5.0, 15.0],
    ... })
    >>> category_table(tx, category_col="category", amount_col="amount").T
    customer_id               1       2
    share_garden            0.2     1.0
    share_kitchen           0.8     0.0
    dominant_category   kitchen  garden
    n_categories              2       1
    category_entropy   0.721928     0.0
    total_spend           100.0    20.0
    """
    check_frame(transactions, name="transactions")
    columns = {"customer_col": customer_col, "category_col": category_col}
    if amount_col is not None:
        columns["amount_col"] = amount_col
    check_columns(transactions, columns, name="transactions")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix={prefix!r} must be a str")
    ids = transactions[customer_col]
    labels = transactions[category_col]
    keep = ids.notna().to_numpy().copy()
    warn_excluded(
        int((~keep).sum()), f"rows have no customer id in column {customer_col!r} and were dropped"
    )
    no_category = keep & labels.isna().to_numpy()
    warn_excluded(
        int(no_category.sum()),
        f"rows have no category in column {category_col!r} and were excluded",
    )
    keep &= ~no_category
    if amount_col is not None:
        values = np.asarray(
            check_numeric(transactions[amount_col], column=amount_col), dtype=np.float64
        )
        returns = keep & (values < 0)
        warn_excluded(
            int(returns.sum()),
            f"rows have a negative amount in column {amount_col!r} (returns) and were excluded",
        )
        keep &= ~returns
    else:
        values = np.ones(len(transactions))
    if categories is None:
        kinds = pd.Index(pd.unique(labels[keep])).sort_values()
    else:
        if isinstance(categories, (str, bytes)) or not isinstance(categories, Sequence):
            raise TypeError(f"categories={categories!r} must be a sequence of categories")
        kinds = pd.Index(list(categories))
        if len(kinds) == 0 or not kinds.is_unique:
            raise ValueError(f"categories={categories!r} must list distinct categories")
    cat = kinds.get_indexer(labels)
    other = keep & (cat < 0)
    if categories is not None:
        warn_excluded(
            int(other.sum()),
            f"rows have a category in column {category_col!r} that is not in categories= "
            f"and were excluded",
        )
    keep &= ~other
    if not keep.any():
        raise DataValidationError(
            f"no row is left with a customer id and a category in column {category_col!r}"
        )
    try:
        code, customers = pd.factorize(ids[keep], sort=True)
    except TypeError:  # ids of mixed, unorderable types: keep first-seen order
        code, customers = pd.factorize(ids[keep], sort=False)
    n, k = len(customers), len(kinds)
    sums = np.bincount(code * k + cat[keep], weights=values[keep], minlength=n * k).reshape(n, k)
    total = sums.sum(axis=1)
    positive = total > 0
    warn_excluded(
        int((~positive).sum()),
        "customers have a total of 0 (no spend to share out) and were left out",
    )
    if not positive.any():
        raise DataValidationError(f"no customer has a positive total in column {amount_col!r}")
    shares = sums[positive] / total[positive, None]
    names = [f"{prefix}{c}" for c in kinds]
    if len(set(names)) != len(names):
        raise ValueError(
            f"the categories {list(kinds)} give repeated column names; make them distinct "
            f"as strings"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(shares > 0, shares * np.log2(shares), 0.0).sum(axis=1)
    out: pd.DataFrame = pd.DataFrame(
        dict(zip(names, shares.T, strict=True)),
        index=pd.Index(customers[positive], name=customer_col),
    )
    out["dominant_category"] = pd.Categorical.from_codes(
        np.argmax(shares, axis=1), dtype=pd.CategoricalDtype(kinds)
    )
    out["n_categories"] = (shares > 0).sum(axis=1).astype(np.int64)
    out["category_entropy"] = np.maximum(entropy, 0.0)
    if amount_col is not None:
        out["total_spend"] = total[positive]
    else:
        out["n_lines"] = total[positive].astype(np.int64)
    return out
