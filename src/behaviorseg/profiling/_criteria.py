"""Distinguishing features: which criteria separate the segments, and how strongly.

The seed's "choose discriminating criteria" step: a one-way analysis of variance
(and its rank-based twin, Kruskal-Wallis) for numeric features, a chi² test of
independence for categorical ones, effect sizes on one scale, and p-values
adjusted for the number of features tested.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import special
from scipy.stats import chi2 as chi2_distribution
from scipy.stats import rankdata

from .._frames import frame_boundary
from .._protected import check_criteria
from .._validation import Options, check_frame, validate_params
from ..exceptions import DataValidationError
from ..kpi._common import _group_size, _group_sum, _safe_divide, _segment_codes
from ._profile import _Feature, _level_counts, _read_features

__all__ = ["distinguishing_features"]

#: The multiple-testing adjustments: Holm's step-down (controls the family-wise
#: error rate) and Benjamini-Hochberg's step-up (controls the false discovery rate).
ADJUSTMENTS = ("holm", "bh", "none")

_COLUMNS = (
    "kind",
    "n",
    "n_segments",
    "effect_size",
    "p_value",
    "p_adjusted",
    "adjust",
    "f_statistic",
    "eta_squared",
    "kruskal_h",
    "kruskal_p",
    "kruskal_p_adjusted",
    "chi2",
    "dof",
    "cramers_v",
)


def adjust_p_values(p_values: np.ndarray, method: str) -> np.ndarray:
    """P-values adjusted for multiple testing; NaN (no test) stays NaN and does not count.

    With the m non-missing p-values sorted, p(1) <= ... <= p(m):

    - ``"holm"``: p~(i) = max over j <= i of min(1, (m - j + 1) p(j)) (Holm, 1979);
    - ``"bh"``: p~(i) = min over j >= i of min(1, m p(j) / j) (Benjamini and
      Hochberg, 1995);
    - ``"none"``: the p-values unchanged.

    >>> adjust_p_values(np.array([0.01, 0.04, 0.03, np.nan]), "holm")
    array([0.03, 0.06, 0.06,  nan])
    >>> adjust_p_values(np.array([0.01, 0.04, 0.03, np.nan]), "bh")
    array([0.03, 0.04, 0.04,  nan])
    """
    p = np.asarray(p_values, dtype=np.float64)
    out: np.ndarray = p.copy()
    if method == "none":
        return out
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    if m == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    ranked = p[order]
    rank = np.arange(1, m + 1, dtype=np.float64)
    if method == "holm":
        adjusted = np.maximum.accumulate((m - rank + 1) * ranked)
    else:  # "bh"
        adjusted = np.minimum.accumulate((m * ranked / rank)[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out


def _anova(x: np.ndarray, group: np.ndarray, n_groups: int) -> dict[str, float]:
    """One-way ANOVA and Kruskal-Wallis of one numeric feature, from group sums.

    F = (SSB / (k - 1)) / (SSW / (N - k)), p = P(F(k-1, N-k) > F), as
    :func:`scipy.stats.f_oneway`; eta² = SSB / (SSB + SSW). H is
    :func:`scipy.stats.kruskal`'s: 12 / (N (N + 1)) sum R_g² / n_g - 3 (N + 1),
    divided by the tie correction 1 - sum (t³ - t) / (N³ - N), p from chi²(k - 1).
    k counts the segments with at least one known value.
    """
    n = _group_size(group, n_groups)
    used = n > 0
    k = int(used.sum())
    total = float(len(x))
    mean = _safe_divide(_group_sum(x, group, n_groups), n)
    grand = float(x.mean())
    ss_within = float(((x - mean[group]) ** 2).sum())
    ss_between = float((n[used] * (mean[used] - grand) ** 2).sum())
    ss_total = ss_between + ss_within
    df_between, df_within = k - 1, total - k
    nan = float("nan")
    f_stat = p_anova = eta2 = nan
    if k < 2 or total < 2:  # one segment with known values: nothing to compare
        return {"n_segments": k, "dof": max(df_between, 0)}
    if ss_total > 0 and df_within > 0:
        eta2 = ss_between / ss_total
        if ss_within > 0:
            f_stat = (ss_between / df_between) / (ss_within / df_within)
            p_anova = float(special.fdtrc(df_between, df_within, f_stat))
        else:  # no spread within the segments: perfectly separated, as scipy says
            f_stat, p_anova = float("inf"), 0.0
    ranks = rankdata(x)
    _, ties = np.unique(x, return_counts=True)
    tie_correction = 1.0 - float((ties**3 - ties).sum()) / (total**3 - total)
    h = p_kruskal = nan
    if tie_correction > 0:
        rank_sums = _group_sum(ranks, group, n_groups)[used]
        h = 12.0 / (total * (total + 1.0)) * float((rank_sums**2 / n[used]).sum())
        h = (h - 3.0 * (total + 1.0)) / tie_correction
        p_kruskal = float(chi2_distribution.sf(h, df_between))
    return {
        "n_segments": k,
        "f_statistic": f_stat,
        "p_value": p_anova,
        "eta_squared": eta2,
        "effect_size": eta2,
        "kruskal_h": h,
        "kruskal_p": p_kruskal,
        "dof": df_between,
    }


def _chi2(table: np.ndarray) -> dict[str, float]:
    """Pearson's chi² test of independence and Cramér's V of a segments × levels table.

    Empty rows (segments with no known value) and empty columns (unused levels)
    are dropped first. chi² = sum (O - E)² / E with E = row total × column total /
    N, dof = (r - 1)(c - 1), as ``scipy.stats.chi2_contingency(table,
    correction=False)``; V = sqrt(chi² / (N min(r - 1, c - 1))). No test (NaN)
    when dof is 0: a single level, or every known value in one segment.
    """
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    rows, cols = table.shape
    total = float(table.sum())
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    dof = (rows - 1) * (cols - 1)
    nan = float("nan")
    statistic = p = v = nan
    if dof > 0:
        statistic = float(((table - expected) ** 2 / expected).sum())
        p = float(chi2_distribution.sf(statistic, dof))
        v = float(np.sqrt(statistic / (total * min(rows - 1, cols - 1))))
    return {
        "n_segments": rows,
        "chi2": statistic,
        "p_value": p,
        "cramers_v": v,
        "effect_size": v**2,
        "dof": dof,
    }


def _test(feature: _Feature, codes: np.ndarray, n_groups: int) -> dict[str, float]:
    if feature.kind == "numeric":
        return _anova(feature.values, codes[feature.present], n_groups)
    return _chi2(_level_counts(feature, codes, n_groups))


@frame_boundary("data", index={"data": "customer_id"})
def distinguishing_features(
    data: pd.DataFrame,
    *,
    segment_col: str,
    features: Sequence[Hashable] | None = None,
    adjust: str = "holm",
    allow_protected: bool | Iterable[Hashable] = False,
    protected: Iterable[Hashable] = (),
    max_levels: int = 20,
) -> pd.DataFrame:
    """Which features separate the segments, ranked by effect size: one row per feature.

    Numeric features get a one-way analysis of variance (F, p-value, eta²) and a
    Kruskal-Wallis test (H, p-value), the rank-based check for skewed data such as
    spend; categorical features a chi² test of independence and Cramér's V. Use it
    to explain segments (which behaviours make a champion) and to choose the
    criteria of a clustering.

    Parameters
    ----------
    data : DataFrame
        One row per customer with a segment label. Not modified.
    segment_col : str
        Column with the segment labels. Missing labels are refused; segments with
        no customers (unused categories of a Categorical) take no part in the
        tests. At least two segments must have customers.
    features : sequence of column names, optional
        The candidate criteria. ``None`` (default): every numeric, bool, string
        and Categorical column but ``segment_col``. Numeric columns (bool
        excluded) are numeric; bool, string, object and Categorical columns are
        categorical.
    adjust : {"holm", "bh", "none"}, default="holm"
        Adjustment of the p-values for the number of features tested: Holm's
        step-down (family-wise error rate), Benjamini-Hochberg's step-up (false
        discovery rate), or none. The ANOVA/chi² p-values form one family, the
        Kruskal-Wallis p-values another; features without a test do not count.
    allow_protected : bool or sequence of column names, default=False
        Features (and the segment column) whose name looks like a special
        category of personal data (GDPR art. 9: ethnic origin, religion, political
        opinions, union membership, health, sexual orientation, genetic or
        biometric data; English and French names) are refused as criteria.
        ``True`` opts in explicitly, e.g. for a fairness audit; a list of names
        lets only those through (also the way out of a name caught by mistake).
    protected : sequence of column names, default=()
        Further columns to treat as special categories, whatever their names.
    max_levels : int, default=20
        Largest number of levels a categorical feature may have.

    Returns
    -------
    DataFrame
        Indexed by feature (index named ``"feature"``), sorted by ``effect_size``
        (largest first; features without a test last), with columns:

        - ``kind``: ``"numeric"`` or ``"categorical"``;
        - ``n``: customers with a known value; ``n_segments``: segments among them;
        - ``effect_size``: eta² for a numeric feature, Cramér's V² for a
          categorical one. Both are in [0, 1] and equal for a two-level feature
          (V² = chi²/N = the eta² of its 0/1 indicator), so they rank together;
        - ``p_value``: of the ANOVA (numeric) or the chi² test (categorical);
          ``p_adjusted``: adjusted by ``adjust``, the method named in ``adjust``;
        - ``f_statistic``, ``eta_squared`` (= SSB / SST): numeric only;
          F and its p-value equal :func:`scipy.stats.f_oneway` on the segments;
        - ``kruskal_h``, ``kruskal_p``, ``kruskal_p_adjusted``: numeric only,
          equal to :func:`scipy.stats.kruskal` (with its tie correction);
        - ``chi2``, ``cramers_v``: categorical only; chi² and its p-value equal
          ``scipy.stats.chi2_contingency(table, correction=False)`` on the
          segments × levels table without empty rows and columns (no Yates
          correction, so that V² = chi²/N);
        - ``dof``: degrees of freedom of the test, k - 1 for the ANOVA (and the
          Kruskal-Wallis test), (r - 1)(c - 1) for chi².

        A test that is undefined (a constant feature, one value per segment with
        no spread inside, every known value in one segment) gives NaN, except a
        perfect separation (no spread within segments, different means), which
        gives F = inf and p = 0 as scipy does.

    Warns
    -----
    RowsExcludedWarning
        When a feature has missing values: those customers are left out of that
        feature's test only, and the warning counts them.

    Raises
    ------
    ProtectedAttributeError
        A feature or the segment column looks like (or is declared) a special
        category of personal data, and ``allow_protected`` does not let it through.
    SchemaError, DataValidationError
        Missing columns, empty data, missing segment labels, fewer than two
        segments with customers, infinite values.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.profiling import distinguishing_features
    >>> customers = pd.DataFrame({
    ...     "segment": ["a", "a", "a", "b", "b", "b"],
    ...     "frequency": [9, 10, 11, 1, 2, 3],
    ...     "monetary": [50.0, 10.0, 30.0, 40.0, 20.0, 30.0],
    ... })
    >>> result = distinguishing_features(customers, segment_col="segment")
    >>> result[["effect_size", "f_statistic", "p_adjusted", "adjust"]].round(4)
               effect_size  f_statistic  p_adjusted adjust
    feature
    frequency       0.9600         96.0      0.0012   holm
    monetary        0.0000          0.0      1.0000   holm
    """
    validate_params(
        {"adjust": adjust}, {"adjust": [Options(ADJUSTMENTS)]}, owner="distinguishing_features"
    )
    check_frame(data, name="data")
    codes, segments = _segment_codes(data, segment_col, name="data")
    n_segments = int((_group_size(codes, len(segments)) > 0).sum())
    if n_segments < 2:
        raise DataValidationError(
            f"column {segment_col!r} (segment_col) holds a single segment with customers; "
            f"features can only distinguish two segments or more. Segment the customers "
            f"first, or describe the base with segment_profile"
        )
    read = _read_features(
        data,
        segment_col=segment_col,
        features=features,
        max_levels=max_levels,
        owner="distinguishing_features",
    )
    check_criteria(
        [segment_col, *(f.name for f in read)],
        allow_protected=allow_protected,
        declared=protected,
        owner="distinguishing_features",
    )
    k = len(segments)
    rows = []
    for feature in read:  # a handful of features; each test is vectorised over customers
        row: dict[str, object] = dict.fromkeys(_COLUMNS, np.nan)
        row.update(_test(feature, codes, k))
        row["kind"] = feature.kind
        row["n"] = len(feature.values)
        rows.append(row)
    result = pd.DataFrame(rows, columns=list(_COLUMNS))
    result.index = pd.Index([f.name for f in read], name="feature")
    result["adjust"] = adjust
    numeric = (result["kind"] == "numeric").to_numpy()
    result["p_adjusted"] = adjust_p_values(result["p_value"].to_numpy(dtype=np.float64), adjust)
    kruskal = result["kruskal_p"].to_numpy(dtype=np.float64)
    result["kruskal_p_adjusted"] = np.where(
        numeric, adjust_p_values(np.where(numeric, kruskal, np.nan), adjust), np.nan
    )
    result = result.astype({"n": np.int64, "n_segments": np.int64, "dof": np.int64})
    effect = result["effect_size"].to_numpy(dtype=np.float64)
    p_value = result["p_value"].to_numpy(dtype=np.float64)
    order = np.lexsort((np.nan_to_num(p_value, nan=2.0), np.nan_to_num(-effect, nan=1.0)))
    ranked: pd.DataFrame = result.iloc[order]
    return ranked
