"""Transaction logs → what each customer buys: ``category_table``.

Per customer, the share of spend (or of purchase lines) that goes to each product
category or attribute, the dominant one and the breadth of the basket. Each distinct
category is coded once (Categorical codes, Arrow dictionary, one hash per object
row), customer ids are coded without hashing where they are compact integers, and
one ``bincount`` over (customer, category) cells sums the lines in row order; no
loop over customers or rows, and no copy of the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import check_columns, check_frame, check_numeric, warn_excluded
from ..exceptions import DataValidationError
from ._events import _per_code, _value_codes
from ._transactions import _customer_codes

__all__ = ["category_table"]

#: The benefit segment of customers whose top two benefits are within the margin
#: (shared by BenefitSegmenter and the survey generator).
NO_CLEAR_BENEFIT = "no clear benefit"

#: Customers per block of the entropy arithmetic: its temporaries stay a few MB.
_BLOCK_CUSTOMERS = 1 << 16


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
    # Each distinct category is hashed once (Categorical codes, Arrow dictionary).
    label_codes, names = _value_codes(labels)
    dropped = keep & (label_codes < 0)  # one mask of dropped rows alive at a time
    warn_excluded(
        int(dropped.sum()),
        f"rows have no category in column {category_col!r} and were excluded",
    )
    keep &= ~dropped
    values: np.ndarray | None = None
    if amount_col is not None:
        values = np.asarray(
            check_numeric(transactions[amount_col], column=amount_col), dtype=np.float64
        )
        dropped = keep & (values < 0)
        warn_excluded(
            int(dropped.sum()),
            f"rows have a negative amount in column {amount_col!r} (returns) and were excluded",
        )
        keep &= ~dropped
    if categories is None:
        used = np.zeros(len(names), dtype=bool)
        used[label_codes[keep]] = True
        kinds = _present_values(labels, names, used).sort_values()
    else:
        if isinstance(categories, (str, bytes)) or not isinstance(categories, Sequence):
            raise TypeError(f"categories={categories!r} must be a sequence of categories")
        kinds = pd.Index(list(categories))
        if len(kinds) == 0 or not kinds.is_unique:
            raise ValueError(f"categories={categories!r} must list distinct categories")
    k = len(kinds)
    position = kinds.get_indexer(names).astype(np.min_scalar_type(-max(k, 1)))
    cat = _per_code(position, label_codes, -1)
    del label_codes
    dropped = keep & (cat < 0)
    if categories is not None:
        warn_excluded(
            int(dropped.sum()),
            f"rows have a category in column {category_col!r} that is not in categories= "
            f"and were excluded",
        )
    keep &= ~dropped
    del dropped
    if not keep.any():
        raise DataValidationError(
            f"no row is left with a customer id and a category in column {category_col!r}"
        )
    code, customers = _kept_customers(ids, keep)
    n = len(customers)
    # One cell per (customer, category); excluded rows go to one extra cell, dropped.
    cell = code
    cell *= k
    cell += cat
    del code, cat
    if not keep.all():
        np.putmask(cell, ~keep, n * k)
    del keep
    sums = np.bincount(cell, weights=values, minlength=n * k + 1)[: n * k].reshape(n, k)
    del cell
    if values is None:  # every line counts 1
        sums = sums.astype(np.float64)
    total = sums.sum(axis=1)
    positive = total > 0
    warn_excluded(
        int((~positive).sum()),
        "customers have a total of 0 (no spend to share out) and were left out",
    )
    if not positive.any():
        raise DataValidationError(f"no customer has a positive total in column {amount_col!r}")
    shares = sums if positive.all() else sums[positive]
    shares /= total[positive, None]
    del sums
    columns_out = [f"{prefix}{c}" for c in kinds]
    if len(set(columns_out)) != len(columns_out):
        raise ValueError(
            f"the categories {list(kinds)} give repeated column names; make them distinct "
            f"as strings"
        )
    entropy, breadth = _entropy_and_breadth(shares)
    out: pd.DataFrame = pd.DataFrame(
        shares,
        columns=columns_out,
        index=pd.Index(customers[positive], name=customer_col),
        copy=False,
    )
    out["dominant_category"] = pd.Categorical.from_codes(
        np.argmax(shares, axis=1), dtype=pd.CategoricalDtype(kinds)
    )
    out["n_categories"] = breadth
    out["category_entropy"] = np.maximum(entropy, 0.0)
    if amount_col is not None:
        out["total_spend"] = total[positive]
    else:
        out["n_lines"] = total[positive].astype(np.int64)
    return out


def _present_values(labels: pd.Series, names: pd.Index, used: np.ndarray) -> pd.Index:
    """The distinct labels flagged in ``used``, as ``pd.Index(pd.unique(...))`` gives them.

    ``names`` are the distinct values of ``labels`` (from :func:`._events._value_codes`):
    a Categorical keeps its dtype (so its category order sorts them), object values
    are inferred again from the subset, other dtypes are kept.
    """
    present: pd.Index
    if isinstance(labels.dtype, pd.CategoricalDtype):
        present = pd.Index(pd.Categorical.from_codes(np.flatnonzero(used), dtype=labels.dtype))
    elif labels.dtype == object:
        present = pd.Index(np.asarray(names, dtype=object)[used])
    else:
        present = pd.Index(names[used])
    return present


def _kept_customers(ids: pd.Series, keep: np.ndarray) -> tuple[np.ndarray, Any]:
    """Dense codes per row (any value on rows not kept) of the customers with kept rows.

    The ids are coded once over all rows (``_customer_codes``: no hashing of compact
    integer ids), then customers without a kept row are dropped from the codes.
    Object ids (perhaps of types that do not sort, numbered in first-seen order) are
    coded on the kept rows only, as ``pd.factorize(ids[keep])`` would.
    """
    if keep.all():
        return _customer_codes(ids)
    if ids.dtype == object:
        code = np.zeros(len(keep), dtype=np.int64)
        code[keep], kept = _customer_codes(ids[keep])
        return code, kept
    code, customers = _customer_codes(ids)
    present = np.zeros(len(customers), dtype=bool)
    present[code[keep]] = True
    if present.all():
        return code, customers
    rank = np.cumsum(present) - 1
    return rank[code], customers[present]


def _entropy_and_breadth(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shannon entropy (bits, before clipping at 0) and positive shares, per customer.

    Computed over blocks of customers so that the temporaries stay small; each
    customer's sum is the same ``sum(axis=1)`` as over the whole table.
    """
    n = len(shares)
    entropy = np.empty(n)
    breadth = np.empty(n, dtype=np.int64)
    for start in range(0, n, _BLOCK_CUSTOMERS):  # blocks of customers, not one per customer
        block = shares[start : start + _BLOCK_CUSTOMERS]
        positive = block > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(positive, block * np.log2(block), 0.0)
        entropy[start : start + _BLOCK_CUSTOMERS] = -plogp.sum(axis=1)
        breadth[start : start + _BLOCK_CUSTOMERS] = positive.sum(axis=1)
    return entropy, breadth
