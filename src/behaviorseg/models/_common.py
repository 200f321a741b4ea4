"""Private machinery shared by the probabilistic models: input reading, the bounded
maximum-likelihood driver and standard errors from the Hessian."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

# threadpoolctl comes with scikit-learn (one of its own requirements): no new dependency.
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped,unused-ignore]

from .._validation import check_columns, check_numeric
from ..exceptions import BehaviorsegWarning, ConvergenceError, DataValidationError, SchemaError

__all__: list[str] = []

#: The ``rfm_table`` columns: a model given that frame says which summary it needs.
_RFM_COLUMNS = ("recency_days", "tenure_days")


@dataclass(frozen=True)
class _Input:
    """Validated model input: one float array per role, and the frame's index if any."""

    values: dict[str, np.ndarray]
    index: pd.Index | None


def _read_input(
    X: Any,
    columns: Mapping[str, tuple[str, str]],
    *,
    owner: str,
) -> _Input:
    """Read the role columns of ``X`` by name (DataFrame) or by position (array).

    ``columns`` maps each role to ``(parameter name, column name)``, in the documented
    positional order. Values must be finite and non-negative.
    """
    if isinstance(X, pd.DataFrame):
        wanted = {param: col for param, col in columns.values()}
        if any(col not in X.columns for col in wanted.values()) and all(
            c in X.columns for c in _RFM_COLUMNS
        ):
            raise SchemaError(
                f"{owner} was given an rfm_table frame (recency_days = days since the last "
                f"purchase, tenure_days). The model needs the buy-till-you-die summary from "
                f"behaviorseg.summaries.clv_summary, where recency is the customer's age at "
                f"the last purchase and frequency counts repeat purchases."
            )
        check_columns(X, wanted, name=f"the data passed to {owner}")
        values = {
            role: check_numeric(X[col], column=col, min_value=0.0)
            for role, (_, col) in columns.items()
        }
        return _Input(values, X.index)
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != len(columns):
        order = ", ".join(col for _, col in columns.values())
        raise ValueError(
            f"{owner} expects a DataFrame or a 2-D array with {len(columns)} columns "
            f"({order}), got shape {array.shape}"
        )
    values = {}
    for position, (role, (_, col)) in enumerate(columns.items()):
        column = array[:, position]
        bad = ~np.isfinite(column)
        if bad.any():
            raise DataValidationError(
                f"column {col!r} (position {position}) has {int(bad.sum())} missing or "
                f"non-finite values; drop or fill them first"
            )
        if (column < 0).any():
            raise DataValidationError(
                f"column {col!r} (position {position}) has {int((column < 0).sum())} "
                f"negative values; they make no sense here"
            )
        values[role] = column
    return _Input(values, None)


def _check_whole(values: np.ndarray, column: str) -> None:
    """Refuse non-integer purchase counts."""
    fractional = values != np.floor(values)
    if fractional.any():
        raise DataValidationError(
            f"column {column!r} has {int(fractional.sum())} non-integer values; it counts "
            f"repeat purchases, so it must hold whole numbers"
        )


def _collapse(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns and how many times each occurs.

    Factorizes each column, then combines the codes pairwise (each product stays
    below n**2, so it cannot overflow int64); a million rows take ~0.1 s, against
    ~1.5 s for ``np.unique(axis=0)``.
    """
    codes, _ = pd.factorize(columns[0])
    for column in columns[1:]:
        more, distinct = pd.factorize(column)
        codes, _ = pd.factorize(codes.astype(np.int64) * len(distinct) + more)
    weights = np.bincount(codes)
    first = np.empty(len(weights), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return [column[first] for column in columns], weights


def _wrap(values: np.ndarray, index: pd.Index | None, name: str) -> Any:
    """Return a Series on ``index`` (DataFrame input) or the array itself."""
    if index is None:
        return values
    return pd.Series(values, index=index, name=name)


def _fit_bounded(
    negloglik: Callable[[np.ndarray], tuple[float, np.ndarray]],
    starts: list[np.ndarray],
    bounds: np.ndarray,
    *,
    owner: str,
    names: tuple[str, ...],
) -> tuple[np.ndarray, Any]:
    """Minimise ``negloglik`` over log-parameters inside ``bounds`` (L-BFGS-B).

    ``negloglik`` returns the mean negative log-likelihood and its gradient with
    respect to the log-parameters. Each start is tried in turn until one converges;
    the best converged optimum is returned. Raises ConvergenceError otherwise.
    """
    best: Any = None
    for start in starts:
        if best is not None and not _at_bound(best.x, bounds).any():
            break  # converged inside the region: further starts are a fallback only
        with np.errstate(all="ignore"), _one_blas_thread():
            result = minimize(
                negloglik,
                np.clip(start, bounds[:, 0], bounds[:, 1]),
                jac=True,
                method="L-BFGS-B",
                bounds=[tuple(b) for b in bounds],
                options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
            )
        if not (np.all(np.isfinite(result.x)) and np.isfinite(result.fun)):
            continue
        if result.success and (best is None or result.fun < best.fun):
            best = result
    if best is None:
        raise ConvergenceError(
            f"{owner}: the maximum-likelihood fit did not converge from any starting point. "
            f"Check the summary's time unit (very large T or recency values call for a "
            f"coarser unit, e.g. freq='W'), that frequency counts repeat purchases, and that "
            f"the data has enough repeat buyers."
        )
    at_bound = _at_bound(best.x, bounds)
    if at_bound.any():
        hit = ", ".join(names[i] for i in np.flatnonzero(at_bound))
        warnings.warn(
            f"{owner}: parameter(s) {hit} reached the bound of the search region "
            f"[{np.exp(bounds[0, 0]):.0e}, {np.exp(bounds[0, 1]):.0e}]; the likelihood is "
            f"nearly flat in them, so their values (not the predictions) are uncertain",
            BehaviorsegWarning,
            stacklevel=4,
        )
    return np.exp(best.x), best


@cache
def _blas_controller() -> Any:
    """The process's BLAS thread pools, found once (finding them reads /proc)."""
    return ThreadpoolController()


def _one_blas_thread() -> AbstractContextManager[Any]:
    """Run the block with one BLAS thread.

    L-BFGS-B's linear algebra is tiny; OpenBLAS threads gain nothing on it, and on a
    busy machine their spin-waits made the CDNOW fit up to ten times slower.
    """
    limiter: AbstractContextManager[Any] = _blas_controller().limit(limits=1, user_api="blas")
    return limiter


def _at_bound(log_params: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Which log-parameters sit on a bound of the search region."""
    out: np.ndarray = np.isclose(log_params, bounds[:, 0], atol=1e-6) | np.isclose(
        log_params, bounds[:, 1], atol=1e-6
    )
    return out


def _standard_errors(
    gradient: Callable[[np.ndarray], np.ndarray], params: np.ndarray, n_total: float
) -> np.ndarray:
    """Standard errors from the inverse Hessian of the total negative log-likelihood.

    ``gradient`` returns the gradient of the *mean* negative log-likelihood with
    respect to the natural parameters. The Hessian is taken by central differences
    of the gradient. Parameters whose curvature is not positive (a flat likelihood)
    get ``nan``.
    """
    k = len(params)
    hessian = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(abs(params[j]), 1e-8)
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] = max(down[j] - step, params[j] * 0.5)
        hessian[:, j] = (gradient(up) - gradient(down)) / (up[j] - down[j])
    hessian = 0.5 * (hessian + hessian.T) * n_total
    with np.errstate(all="ignore"):
        try:
            covariance = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            return np.full(k, np.nan)
        variances = np.diag(covariance)
    errors: np.ndarray = np.where(variances > 0, np.sqrt(np.abs(variances)), np.nan)
    return errors


def _record_fit(
    model: Any,
    names: tuple[str, ...],
    params: np.ndarray,
    result: Any,
    n_total: float,
    gradient: Callable[[np.ndarray], np.ndarray],
) -> None:
    """Store what every fitted model exposes: ``params_``, ``log_likelihood_``,
    ``standard_errors_`` and ``optimizer_result_`` (``result.fun`` is the mean
    negative log-likelihood over ``n_total`` customers)."""
    model.params_ = pd.Series(params, index=list(names), name="params_")
    model.log_likelihood_ = -float(result.fun) * n_total
    model.standard_errors_ = pd.Series(
        _standard_errors(gradient, params, n_total), index=list(names), name="std_error"
    )
    model.optimizer_result_ = result


def _summary_table(params: pd.Series, errors: pd.Series) -> pd.DataFrame:
    """Parameter table with standard errors and 95 % Wald intervals (log scale)."""
    # Intervals on the log scale keep the positive parameters positive.
    with np.errstate(all="ignore"):
        half = 1.959963984540054 * errors / params
        table: pd.DataFrame = pd.DataFrame(
            {
                "estimate": params,
                "std_error": errors,
                "ci_low": params * np.exp(-half),
                "ci_high": params * np.exp(half),
            }
        )
    table.index.name = "parameter"
    return table
