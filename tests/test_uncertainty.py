"""Intervals from parameter draws (behaviorseg.models._uncertainty): draws, intervals on every
model, the vectorised path against the per-draw one, the bootstrap, and coverage by simulation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import behaviorseg as bs
from behaviorseg.datasets import load_donations, make_transactions
from behaviorseg.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
)
from behaviorseg.models._uncertainty import _evaluate, _fallback, _Prediction
from behaviorseg.summaries import tenures_from_survivors

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return bs.clv_summary(bs.datasets.load_cdnow(), freq="W")


@pytest.fixture(scope="module")
def fitted(cdnow: pd.DataFrame) -> dict[str, object]:
    table = tenures_from_survivors(REGULAR)
    donations = load_donations()
    return {
        "bg": BetaGeoModel().fit(cdnow),
        "mbg": ModifiedBetaGeoModel().fit(cdnow),
        "pareto": ParetoNBDModel().fit(cdnow),
        "gg": GammaGammaModel().fit(cdnow),
        "sbg": ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"]),
        "bgbb": BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"]),
    }


def test_covariance_diagonal_gives_the_standard_errors(fitted: dict[str, object]) -> None:
    """``covariance_`` is symmetric and its diagonal holds the squared standard errors."""
    for model in fitted.values():
        cov = model.covariance_  # type: ignore[attr-defined]
        np.testing.assert_allclose(cov.to_numpy(), cov.to_numpy().T)
        np.testing.assert_allclose(np.sqrt(np.diag(cov)), model.standard_errors_)  # type: ignore[attr-defined]
        assert list(cov.index) == list(model.params_.index)  # type: ignore[attr-defined]


def test_parametric_draws_are_log_normal_around_the_estimate(fitted: dict[str, object]) -> None:
    """Draws are positive; their logs have the estimate as mean and cov/(θθ') as covariance."""
    model = fitted["bg"]
    draws = model.parameter_draws(20_000, random_state=0)  # type: ignore[attr-defined]
    params = model.params_.to_numpy()  # type: ignore[attr-defined]
    assert (draws > 0).all().all()
    logs = np.log(draws.to_numpy())
    np.testing.assert_allclose(logs.mean(axis=0), np.log(params), atol=0.01)
    expected = model.covariance_.to_numpy() / np.outer(params, params)  # type: ignore[attr-defined]
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    assert np.all(np.abs(np.cov(logs.T) - expected) < 0.05 * scale)


def test_draws_are_reproducible_with_a_seed(fitted: dict[str, object]) -> None:
    """The same random_state gives the same draws and the same interval."""
    model = fitted["pareto"]
    first = model.parameter_draws(50, random_state=3)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(first, model.parameter_draws(50, random_state=3))  # type: ignore[attr-defined]


CASES = [
    ("bg", "probability_alive", ("cdnow",), {}),
    ("bg", "expected_purchases", ("cdnow", 26), {}),
    ("bg", "expected_purchases_new", ([13, 52],), {}),
    ("mbg", "probability_alive", ("cdnow",), {}),
    ("mbg", "expected_purchases", ("cdnow",), {"t": 26}),
    ("pareto", "probability_alive", ("cdnow",), {}),
    ("pareto", "expected_purchases", ("cdnow", 26), {}),
    ("gg", "expected_average_value", ("cdnow",), {}),
    ("sbg", "survival_function", ([1, 4, 8, 12],), {}),
    ("sbg", "churn_probability", ("active",), {}),
    ("sbg", "discounted_expected_residual_lifetime", ("active",), {"discount_rate": 0.1}),
    ("bgbb", "probability_alive", ("donations",), {}),
    ("bgbb", "expected_purchases", ("donations", 5), {}),
]


@pytest.mark.parametrize(("key", "prediction", "args", "kwargs"), CASES)
def test_interval_brackets_the_method_output(
    fitted: dict[str, object],
    cdnow: pd.DataFrame,
    key: str,
    prediction: str,
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> None:
    """``estimate`` is the prediction method's own output, inside [low, high], indexed alike."""
    data = {
        "cdnow": cdnow.head(300),
        "active": pd.DataFrame({"tenure_periods": [0, 1, 7], "churned": False}),
        "donations": load_donations(),
    }
    call = tuple(data.get(a, a) if isinstance(a, str) else a for a in args)
    model = fitted[key]
    table = model.interval(prediction, *call, n_draws=200, random_state=0, **kwargs)  # type: ignore[attr-defined]
    expected = np.atleast_1d(np.asarray(getattr(model, prediction)(*call, **kwargs)))
    np.testing.assert_array_equal(table["estimate"].to_numpy(), expected)
    assert list(table.columns) == ["estimate", "low", "high"]
    assert (table["low"] <= table["estimate"] + 1e-12).all()
    assert (table["estimate"] <= table["high"] + 1e-12).all()
    assert (table["high"] > table["low"]).any()
    if isinstance(call[0], pd.DataFrame):
        pd.testing.assert_index_equal(table.index, call[0].index)
    else:
        assert table.index.name == "t"


def test_vectorised_path_equals_one_call_per_draw(
    fitted: dict[str, object], cdnow: pd.DataFrame
) -> None:
    """The broadcast formulas give, draw by draw, what the public method gives."""
    X = cdnow.head(200)
    draws = fitted["bg"].parameter_draws(30, random_state=1).to_numpy()  # type: ignore[attr-defined]
    for key, prediction, args in [
        ("bg", "expected_purchases", (X, 39)),
        ("mbg", "probability_alive", (X,)),
        ("pareto", "expected_purchases", (X, 39)),
        ("bg", "expected_purchases_new", ([5.0, 50.0],)),
    ]:
        model = fitted[key]
        fast = model._prediction(prediction, args, {}, 0)  # type: ignore[attr-defined]
        assert fast.rows, "expected the vectorised path"
        slow = _Prediction(_fallback(model, prediction, args, {}), (), fast.n_rows)
        rows = slice(0, fast.n_rows)
        np.testing.assert_allclose(
            _evaluate(fast, draws, rows), _evaluate(slow, draws, rows), rtol=1e-10, atol=1e-14
        )
    gg = fitted["gg"]
    spend = gg.parameter_draws(30, random_state=1).to_numpy()  # type: ignore[attr-defined]
    fast = gg._prediction("expected_average_value", (X,), {}, 0)  # type: ignore[attr-defined]
    slow = _Prediction(_fallback(gg, "expected_average_value", (X,), {}), (), len(X))
    np.testing.assert_allclose(
        _evaluate(fast, spend, slice(0, len(X))),
        _evaluate(slow, spend, slice(0, len(X))),
        rtol=1e-12,
    )


def test_interval_widens_with_the_level(fitted: dict[str, object], cdnow: pd.DataFrame) -> None:
    """An 80 % interval lies inside the 95 % one from the same draws."""
    model = fitted["bg"]
    wide = model.interval("probability_alive", cdnow, level=0.95, random_state=0)  # type: ignore[attr-defined]
    narrow = model.interval("probability_alive", cdnow, level=0.8, random_state=0)  # type: ignore[attr-defined]
    assert (wide["low"] <= narrow["low"]).all() and (narrow["high"] <= wide["high"]).all()


def test_blocks_do_not_change_the_result(
    fitted: dict[str, object], cdnow: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evaluating customers in small blocks gives the same interval as in one block."""
    from behaviorseg.models import _uncertainty

    model = fitted["pareto"]
    whole = model.interval("expected_purchases", cdnow, 10, n_draws=100, random_state=0)  # type: ignore[attr-defined]
    monkeypatch.setattr(_uncertainty, "_BLOCK_VALUES", 1000)
    blocked = model.interval("expected_purchases", cdnow, 10, n_draws=100, random_state=0)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(whole, blocked)


def test_parameter_on_a_bound_is_held_fixed() -> None:
    """A parameter without a standard error (on its bound) keeps its estimate in every draw."""
    X = pd.DataFrame({"frequency": [1, 2, 0, 0], "recency": [5.0, 8.0, 0.0, 0.0], "T": 10.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BetaGeoModel().fit(X)
    fixed = model.standard_errors_.isna()
    assert fixed.any()
    draws = model.parameter_draws(50, random_state=0)
    assert (draws.loc[:, fixed] == model.params_[fixed]).all().all()


def test_bootstrap_refits_on_resampled_customers(fitted: dict[str, object]) -> None:
    """The bootstrap draws vary around the estimate, with weights (sBG) and without (GG)."""
    table = tenures_from_survivors(REGULAR)
    sbg = fitted["sbg"]
    draws = sbg.parameter_draws(  # type: ignore[attr-defined]
        40, method="bootstrap", fit_data=table, fit_weight=table["n_subscribers"], random_state=0
    )
    assert draws.shape == (40, 2) and draws.std().gt(0).all()
    ratio = draws.std() / sbg.standard_errors_  # type: ignore[attr-defined]
    assert ratio.between(0.6, 1.6).all()  # bootstrap and Hessian agree on the spread
    summary = bs.clv_summary(bs.datasets.load_cdnow(), freq="W")
    gg = fitted["gg"].interval(  # type: ignore[attr-defined]
        "expected_average_value",
        summary.head(5),
        n_draws=20,
        method="bootstrap",
        fit_data=summary,
        random_state=0,
    )
    assert (gg["high"] > gg["low"]).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"prediction": "log_likelihood"}, ValueError, "has intervals for"),
        ({"level": 95}, ValueError, "in \\(0, 1\\)"),
        ({"level": True}, TypeError, "level"),
        ({"n_draws": 5}, ValueError, ">= 20"),
        ({"method": "mcmc"}, ValueError, "parametric"),
        ({"method": "bootstrap"}, ValueError, "fit_data="),
        ({"fit_data": "x"}, ValueError, "bootstrap"),
    ],
)
def test_bad_options_are_refused(
    fitted: dict[str, object],
    cdnow: pd.DataFrame,
    kwargs: dict[str, object],
    error: type,
    match: str,
) -> None:
    """Each bad option raises naming the problem."""
    options: dict[str, object] = {"prediction": "probability_alive", **kwargs}
    prediction = options.pop("prediction")
    with pytest.raises(error, match=match):
        fitted["bg"].interval(prediction, cdnow.head(5), **options)  # type: ignore[attr-defined]


def test_unfitted_model_raises() -> None:
    """No draws before fit."""
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        BetaGeoModel().parameter_draws(100)


def _continuous_summary(tx: pd.DataFrame) -> pd.DataFrame:
    """The summary at the hour, in days: close to the simulator's continuous time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bs.clv_summary(tx, as_of="2024-12-31 00:00", freq="h", freq_multiplier=24)


def test_intervals_cover_the_true_value_across_simulated_data_sets() -> None:
    """95 % intervals of a new customer's expected purchases in 180 days, from BG/NBD fits on
    60 simulated data sets (make_transactions, known r, alpha, a, b), cover the true value.

    With 60 replications the coverage is measured to +-3 points; the benchmark
    (benchmarks/bench_uncertainty.py) runs 1,000.
    """
    probe = BetaGeoModel()
    probe.params_ = pd.Series([0.25, 30.0, 0.8, 2.5], index=["r", "alpha", "a", "b"])
    truth = probe.expected_purchases_new(180.0)  # make_transactions' defaults, per day
    hits = []
    for seed in range(60):
        tx, _ = make_transactions(1000, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = BetaGeoModel().fit(_continuous_summary(tx))
        row = model.interval("expected_purchases_new", 180.0, random_state=seed).iloc[0]
        hits.append(row["low"] <= truth <= row["high"])
    coverage = float(np.mean(hits))
    assert 0.88 <= coverage <= 1.0, coverage
