"""Segment migration: who moved where between two dates, and segment histories over time."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from .._frames import Kind, frame_kind, from_pandas_frame, to_pandas_frame
from .._validation import InstanceOf, Options, _first_labels, check_frame, validate_params
from ..exceptions import DataValidationError, SchemaError
from ..kpi._common import _safe_divide

__all__ = ["migration_matrix", "segment_history"]


def _check_labels(labels: object, *, name: str) -> pd.Series:
    """Return ``labels`` if it is a Series of segment labels, one per customer, else raise."""
    if isinstance(labels, pd.DataFrame):
        raise TypeError(
            f"{name} is a DataFrame; pass one column of segment labels indexed by customer "
            f"id, e.g. {name}=customers['segment']"
        )
    if not isinstance(labels, pd.Series):
        raise TypeError(
            f"{name} must be a pandas Series of segment labels indexed by customer id, got "
            f"{type(labels).__name__}; wrap it, e.g. pd.Series(labels, index=customer_ids)"
        )
    repeated = labels.index.duplicated()
    if repeated.any():
        raise DataValidationError(
            f"{name} has {int(repeated.sum())} duplicated customer ids (e.g. "
            f"{_first_labels(labels.index[repeated])}); a customer has one segment at a date: "
            f"drop the duplicates first, e.g. {name}[~{name}.index.duplicated()]"
        )
    missing = labels.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"{name} has {int(missing.sum())} missing segment labels (customers "
            f"{_first_labels(labels.index[missing])}); drop the customers absent at that date "
            f"(they are counted as new or lost automatically) or label them, e.g. "
            f"{name}.fillna('unknown')"
        )
    return labels


def _segment_order(before: pd.Series, after: pd.Series) -> pd.Index:
    """The segments of both dates: categories first (in order, empty ones kept), then the
    other labels sorted (first-seen order when they cannot be sorted)."""
    categories: list[Any] = []
    for labels in (before, after):
        if isinstance(labels.dtype, pd.CategoricalDtype):
            categories.extend(labels.cat.categories)
    listed = pd.Index(categories).unique()
    seen = pd.Index(pd.unique(np.concatenate([before.to_numpy(), after.to_numpy()])))
    others = seen[~seen.isin(listed)]
    with contextlib.suppress(TypeError):  # labels that cannot be ordered: first-seen order
        others = others.sort_values()
    order: pd.Index = listed.append(others)
    return order


def migration_matrix(
    before: pd.Series,
    after: pd.Series,
    *,
    normalize: str | None = None,
    new_label: str = "new",
    lost_label: str = "lost",
) -> pd.DataFrame:
    """Count the customers moving from each segment to each other between two dates.

    Rows are the segments at the first date, columns the segments at the second;
    the diagonal holds the customers who stayed. Customers present at one date
    only get explicit margins: the row ``new_label`` holds the customers labelled
    only at the second date (acquired, or reactivated), the column ``lost_label``
    those labelled only at the first (churned, or filtered out).

    Parameters
    ----------
    before, after : Series
        Segment labels of the customers at the first and second date, indexed by
        customer id (unique). Customers are matched by id; their order does not
        matter. A Categorical keeps its categories, in order, including empty
        ones. Not modified.
    normalize : {None, "index", "columns", "all"}, default=None
        ``None``: customer counts. ``"index"``: row shares (each row sums to 1:
        where the customers of a segment went; the usual *transition
        probabilities*). ``"columns"``: column shares (where the customers of a
        segment came from). ``"all"``: shares of every customer seen at either
        date. Shares of an empty row or column are NaN.
    new_label, lost_label : str, default="new", "lost"
        Names of the margins. They must differ from every segment name.

    Returns
    -------
    DataFrame
        Rows: the segments, then ``new_label`` (index named ``"before"``);
        columns: the same segments, then ``lost_label`` (named ``"after"``).
        The segments are the categories of ``before`` then those of ``after``
        (for Categorical labels), then the other labels sorted; rows and columns
        list the same segments, so the matrix is square apart from the margins.
        Counts are int64, shares float64. The cell (``new_label``,
        ``lost_label``) is always 0. The segment rows of the counts sum to the
        customers at the first date, the ``new_label`` row to the customers seen
        only at the second; the segment columns sum to the customers at the
        second date.

    Raises
    ------
    TypeError
        ``before`` or ``after`` is not a Series.
    DataValidationError
        Duplicated customer ids or missing labels.
    ValueError
        A segment named like ``new_label`` or ``lost_label``, or a bad ``normalize``.

    See Also
    --------
    segment_history : label customer tables of several dates with the same cut points.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import migration_matrix
    >>> q1 = pd.Series({"ann": "gold", "bob": "gold", "cy": "silver", "dee": "silver"})
    >>> q2 = pd.Series({"ann": "gold", "bob": "silver", "cy": "silver", "eve": "gold"})
    >>> migration_matrix(q1, q2)
    after   gold  silver  lost
    before
    gold       1       1     0
    silver     0       1     1
    new        1       0     0
    >>> migration_matrix(q1, q2, normalize="index").loc["gold"].tolist()
    [0.5, 0.5, 0.0]
    """
    validate_params(
        {"normalize": normalize, "new_label": new_label, "lost_label": lost_label},
        {
            "normalize": [Options((None, "index", "columns", "all"))],
            "new_label": [InstanceOf((str,))],
            "lost_label": [InstanceOf((str,))],
        },
        owner="migration_matrix",
    )
    before = _check_labels(before, name="before")
    after = _check_labels(after, name="after")
    if new_label == lost_label:
        raise ValueError(
            f"new_label and lost_label are both {new_label!r}; the two margins need distinct names"
        )
    segments = _segment_order(before, after)
    for label, param in ((new_label, "new_label"), (lost_label, "lost_label")):
        if label in segments:
            raise ValueError(
                f"{param}={label!r} is also a segment name; pass another {param}, e.g. "
                f"{param}='{label} (margin)'"
            )
    n = len(segments)
    before_codes = pd.Categorical(before.to_numpy(), categories=segments).codes.astype(np.int64)
    after_codes = pd.Categorical(after.to_numpy(), categories=segments).codes.astype(np.int64)
    # Where each customer of one date is at the other (-1: absent), matched by id.
    later = after.index.get_indexer(before.index)
    earlier = before.index.get_indexer(after.index)
    rows = np.concatenate([before_codes, np.full(int((earlier < 0).sum()), n)])
    # -1 (absent at the second date) reads the appended code n: the lost column
    cols = np.concatenate([np.append(after_codes, n)[later], after_codes[earlier < 0]])
    counts = np.bincount(rows * (n + 1) + cols, minlength=(n + 1) ** 2).reshape(n + 1, n + 1)
    index = pd.Index([*segments, new_label], name="before")
    columns = pd.Index([*segments, lost_label], name="after")
    values: np.ndarray
    if normalize is None:
        values = counts.astype(np.int64)
    elif normalize == "index":
        values = _safe_divide(counts, counts.sum(axis=1, keepdims=True))
    elif normalize == "columns":
        values = _safe_divide(counts, counts.sum(axis=0, keepdims=True))
    else:
        values = _safe_divide(counts, np.full(counts.shape, counts.sum()))
    out: pd.DataFrame = pd.DataFrame(values, index=index, columns=columns)
    return out


def _as_of_key(value: object) -> pd.Timestamp:
    """Parse one ``as_of`` key of ``tables``, or raise naming it."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, pd.errors.OutOfBoundsDatetime) as err:
        raise DataValidationError(
            f"tables: as_of key {value!r} is not a date ({err}); key the tables by their "
            f"as_of date, e.g. {{'1997-06-30': table, ...}}"
        ) from err
    if stamp is pd.NaT:
        raise DataValidationError(f"tables: as_of key {value!r} is not a date (NaT)")
    result: pd.Timestamp = stamp
    return result


def _indexed_table(table: object, *, name: str, customer_col: str) -> tuple[pd.DataFrame, Kind]:
    """A customer table as pandas indexed by customer id, and the kind it came as.

    A polars or pyarrow table has no index: its ``customer_col`` column becomes one,
    so customers are matched by id, never by row position.
    """
    kind = frame_kind(table)
    if kind is None or kind == "pandas":
        return check_frame(table, name=name), "pandas"
    frame, kind = to_pandas_frame(table, name=name)
    if customer_col not in frame.columns:
        raise SchemaError(
            f"{name} is a {kind} table without the column {customer_col!r} "
            f"(customer_col); a {kind} table has no index, so the customer ids must be a "
            f"column: pass customer_col='<name>'"
        )
    return check_frame(frame.set_index(customer_col), name=name), kind


def _snapshots(
    tables: object, *, customer_col: str = "customer_id"
) -> tuple[list[tuple[pd.Timestamp, pd.DataFrame]], Kind]:
    """The (as_of, table) pairs of ``tables``, checked and sorted by date, and their kind."""
    if isinstance(tables, Mapping):
        pairs = list(tables.items())
    elif isinstance(tables, Sequence) and not isinstance(tables, (str, bytes)):
        pairs = list(tables)
        bad = [
            i for i, pair in enumerate(pairs) if not (isinstance(pair, tuple) and len(pair) == 2)
        ]
        if bad:
            raise TypeError(
                f"tables[{bad[0]}] is not an (as_of, table) pair; pass a mapping "
                f"{{as_of: table}} or a list of (as_of, table) tuples"
            )
    else:
        raise TypeError(
            f"tables must be a mapping {{as_of: customer table}} or a list of (as_of, table) "
            f"pairs, got {type(tables).__name__}"
        )
    if not pairs:
        raise DataValidationError("tables is empty; pass at least one (as_of, table) snapshot")
    snapshots = []
    kinds = []
    for key, table in pairs:  # a loop over a handful of dates
        stamp = _as_of_key(key)
        frame, kind = _indexed_table(table, name=f"tables[{str(key)!r}]", customer_col=customer_col)
        snapshots.append((stamp, frame))
        kinds.append(kind)
    try:
        snapshots.sort(key=lambda pair: pair[0])
    except TypeError as err:
        raise SchemaError(
            "tables: the as_of keys mix time-zone-aware and naive dates; use one kind, e.g. "
            "all naive dates such as '1997-06-30'"
        ) from err
    stamps = pd.DatetimeIndex([stamp for stamp, _ in snapshots])
    if stamps.has_duplicates:
        repeated = stamps[stamps.duplicated()]
        raise DataValidationError(
            f"tables: the as_of date {repeated[0]} appears more than once; give each "
            f"snapshot its own date"
        )
    return snapshots, kinds[0]


def segment_history(
    segmenter: Any,
    tables: Mapping[Any, pd.DataFrame] | Sequence[tuple[Any, pd.DataFrame]],
    *,
    reference: Any = None,
    y: Any = None,
    customer_col: str = "customer_id",
) -> Any:
    """Label the customer tables of several dates with one segmenter fitted once.

    A clone of ``segmenter`` is fitted on one reference snapshot; every snapshot
    is then labelled with the same cut points, so the segments mean the same
    thing at every date and their sizes can change (refitting at each date would
    keep quantile tiers the same size and hide the movement).

    Parameters
    ----------
    segmenter : scikit-learn estimator
        Unfitted or fitted, e.g. ``RFMSegmenter()``; it is cloned, never changed.
    tables : mapping or sequence of (as_of, DataFrame)
        The customer tables built at each date, e.g. ``{as_of: rfm_table(tx,
        as_of=as_of)}``, indexed by customer id. The keys are dates (anything
        :class:`pandas.Timestamp` reads); they must be distinct. Not modified.
    reference : date, DataFrame or None, default=None
        What the segmenter is fitted on: ``None`` for the earliest snapshot (the
        baseline the later dates are compared with), the ``as_of`` of one of the
        snapshots, or a customer table of its own (e.g. the snapshots pooled).
    y : array-like or None, default=None
        Target passed to ``fit`` with the reference table, for segmenters that
        learn from labels (``ChurnSegmenter(method="supervised")``).
    customer_col : str, default="customer_id"
        For polars or pyarrow tables, which have no index: the column holding the
        customer ids (pandas tables are indexed by customer id, as the summaries
        return them). Customers are matched by id, never by row position.

    Returns
    -------
    DataFrame
        The long table, one row per customer and date, sorted by date then in
        each table's row order, with a RangeIndex and the columns:

        - the customer id (named like the tables' index, ``customer_id`` when it
          has no name or the names differ);
        - ``as_of`` (datetime64): the snapshot date;
        - ``segment`` (Categorical): the label, with the segmenter's
          ``segments_`` as categories (in order, empty ones kept) when it has
          them, else the labels seen, sorted.

        Pass one date's labels to :func:`migration_matrix` with
        ``history[history["as_of"] == d].set_index("customer_id")["segment"]``, or
        pivot the table to one column per date.

    Raises
    ------
    TypeError
        ``tables`` is not a mapping or a list of pairs, or ``segmenter`` is not a
        scikit-learn estimator.
    DataValidationError
        An empty table, a key that is not a date, repeated dates, or a
        ``reference`` date that is not one of the keys.

    Examples
    --------
    >>> import warnings
    >>> import behaviorseg as bs
    >>> from behaviorseg.profiling import segment_history
    >>> tx = bs.datasets.load_cdnow()
    >>> dates = ["1997-06-30", "1997-12-31", "1998-06-30"]
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # rows after as_of, ties in frequency
    ...     tables = {d: bs.rfm_table(tx, as_of=d) for d in dates}
    ...     history = segment_history(bs.RFMSegmenter(), tables)
    >>> history.columns.tolist()
    ['customer_id', 'as_of', 'segment']
    >>> sizes = history.groupby(["as_of", "segment"], observed=False).size().unstack()
    >>> int(sizes.loc["1997-06-30", "hibernating"]) < int(sizes.loc["1998-06-30", "hibernating"])
    True
    """
    snapshots, kind = _snapshots(tables, customer_col=customer_col)
    if not (hasattr(segmenter, "fit") and hasattr(segmenter, "predict")):
        raise TypeError(
            f"segmenter must be a scikit-learn estimator with fit and predict, e.g. "
            f"bs.RFMSegmenter(), got {type(segmenter).__name__}"
        )
    if reference is None:
        fit_table = snapshots[0][1]
    elif frame_kind(reference) is not None:
        fit_table, _ = _indexed_table(reference, name="reference", customer_col=customer_col)
    else:
        stamp = _as_of_key(reference)
        matches = [table for when, table in snapshots if when == stamp]
        if not matches:
            shown = ", ".join(str(when.date()) for when, _ in snapshots[:6])
            raise DataValidationError(
                f"reference={reference!r} is not one of the as_of dates of tables ({shown}); "
                f"pass one of them, None for the earliest, or a customer table"
            )
        fit_table = matches[0]
    model = clone(segmenter).fit(fit_table, y)
    labels = [np.asarray(model.predict(table), dtype=object) for _, table in snapshots]
    names = {table.index.name for _, table in snapshots}
    named = names.pop() if len(names) == 1 else None
    id_col = str(named) if named is not None else "customer_id"
    if id_col in ("as_of", "segment"):
        id_col = "customer_id"
    first = snapshots[0][1].index
    customers = first.append([table.index for _, table in snapshots[1:]])
    flat = np.concatenate(labels)
    known = getattr(model, "segments_", None)
    categories = (
        pd.Index(list(known)) if known is not None else pd.Index(pd.unique(flat)).sort_values()
    )
    out: pd.DataFrame = pd.DataFrame(
        {
            id_col: customers.to_numpy(),
            "as_of": np.repeat(
                pd.DatetimeIndex([when for when, _ in snapshots]).to_numpy(),
                [len(table) for _, table in snapshots],
            ),
            "segment": pd.Categorical(flat, categories=categories),
        }
    )
    return out if kind == "pandas" else from_pandas_frame(out, kind)
