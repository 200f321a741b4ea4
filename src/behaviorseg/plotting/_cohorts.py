"""Plot of cohort retention: the cohort × offset matrix as a heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import check_columns, check_frame
from ..exceptions import SchemaError
from ._common import _axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["cohort_heatmap"]


def cohort_heatmap(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    cmap: str = "Blues",
    annotate: bool = True,
) -> Axes:
    """Draw cohort retention: one row per cohort, one column per period offset.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`behaviorseg.kpi.cohort_retention`: indexed by
        ``("cohort", "offset")`` with ``share`` and ``cohort_size``.
    ax : matplotlib Axes or None
        Where to draw.
    cmap : str
        Colour map name.
    annotate : bool, default=True
        Write the share (in percent) in every cell.

    Returns
    -------
    matplotlib Axes
        Cells coloured by ``share`` on a fixed 0-100 % scale (so two heatmaps
        compare), blank where the cell is not observed yet (after ``as_of``) or
        the cohort is empty; each row labelled with its cohort and its size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from behaviorseg.kpi import cohort_retention
    >>> from behaviorseg.plotting import cohort_heatmap
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3, 3],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20",
    ...                                  "2024-02-02", "2024-03-15"]),
    ... })
    >>> ax = cohort_heatmap(cohort_retention(tx))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['2024-01 (n=2)', '2024-02 (n=1)']
    """
    check_frame(table, name="table")
    check_columns(table, {"share": "share", "cohort_size": "cohort_size"}, name="table")
    if table.index.nlevels != 2:
        raise SchemaError(
            "table must be indexed by (cohort, offset), as behaviorseg.kpi.cohort_retention "
            "returns it; pass its output unchanged"
        )
    try:
        shares = table["share"].astype(np.float64).unstack(level=1).sort_index(axis=1)
    except ValueError as err:
        raise SchemaError(
            f"table has repeated (cohort, offset) cells ({err}); pass the output of "
            f"behaviorseg.kpi.cohort_retention unchanged"
        ) from err
    sizes = table["cohort_size"].groupby(level=0, sort=False).first().reindex(shares.index)
    values = shares.to_numpy()
    n_rows, n_cols = values.shape
    ax = _axes(ax, figsize=(min(0.55 * n_cols + 2.5, 16.0), min(0.4 * n_rows + 1.5, 12.0)))
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="share of the cohort active")
    ax.set_xticks(np.arange(n_cols), [str(c) for c in shares.columns])
    ax.set_yticks(
        np.arange(n_rows),
        [f"{cohort} (n={int(size):,})" for cohort, size in zip(shares.index, sizes, strict=True)],
    )
    ax.set_xlabel(f"periods since acquisition ({table.index.names[1] or 'offset'})")
    ax.set_ylabel(str(table.index.names[0] or "cohort"))
    if annotate:
        for (y, x), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(
                    x,
                    y,
                    f"{value:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > 0.5 else "black",
                )
    ax.set_title("Cohort retention")
    return ax
