"""Subscriptions and retention: the sBG and BG/BB reproductions, and a simulated log.

Fits the shifted-beta-geometric model (sBG) to the two cohorts of Fader & Hardie
(2007) and projects years 8-12 against the held-out counts; fits the BG/BB model to
the donations data of Fader, Hardie & Shang (2010); then builds a subscription table
from a simulated event log and ranks the active subscribers by churn risk and
residual value (DERL).

Run with ``python examples/subscriptions.py``; add ``--figures`` to write the figures
of the guide (``docs/img/subscriptions_*.png``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from behaviorseg.datasets import load_donations, make_subscriptions
from behaviorseg.models import BetaGeoBetaBinomModel, ShiftedBetaGeoModel
from behaviorseg.summaries import subscription_table, tenures_from_survivors

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
#: Fader & Hardie (2007), table 1: survivors at the start and after years 1-12.
COHORTS = {
    "high end": [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394],
    "regular": [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173],
}


def fit_cohort(survivors: list[int]) -> ShiftedBetaGeoModel:
    """The sBG model fitted on years 0-7 of a cohort."""
    table = tenures_from_survivors(survivors[:8])
    return ShiftedBetaGeoModel().fit(table, sample_weight=table["n_subscribers"])


def reproduce() -> dict[str, ShiftedBetaGeoModel]:
    """Print the sBG and BG/BB reproductions; return the two cohort models."""
    models = {name: fit_cohort(counts) for name, counts in COHORTS.items()}
    for name, model in models.items():
        alpha, beta = model.params_
        print(f"{name}: alpha = {alpha:.3f}, beta = {beta:.3f}, LL = {model.log_likelihood_:.1f}")
        years = list(range(8, 13))
        projected = 1000 * model.survival_function(years)
        print(
            pd.DataFrame(
                {"actual": COHORTS[name][8:], "projected": projected.round(0)}, index=years
            ).T.to_string()
        )
    donations = load_donations()
    bgbb = BetaGeoBetaBinomModel().fit(donations, sample_weight=donations["n_donors"])
    print("\nBG/BB on the donations data:")
    print(bgbb.summary().round(3).to_string())
    print(f"LL = {bgbb.log_likelihood_:.1f}")
    return models


def simulated() -> None:
    """A subscription log: table, fit, churn risk and DERL of the active subscribers."""
    events, truth = make_subscriptions(5000, random_state=0, n_periods=24)
    table = subscription_table(events, as_of=truth["as_of"].iloc[0])
    model = ShiftedBetaGeoModel().fit(table)
    print("\nsimulated monthly subscriptions (alpha = 0.7, beta = 3.0):")
    print(model.summary().round(3).to_string())
    active = table.loc[~table["churned"]]
    scored = active.assign(
        churn_next_month=model.churn_probability(active),
        derl=model.discounted_expected_residual_lifetime(active, discount_rate=0.01),
    )
    print(scored.groupby("tenure_periods")[["churn_next_month", "derl"]].mean().head(6).round(3))


def figures(models: dict[str, ShiftedBetaGeoModel]) -> None:
    """Write the guide's figures to docs/img."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from behaviorseg.plotting import derl_by_tenure, retention_curve, survival_curve

    IMG.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        survival_curve(model, survivors=COHORTS[name], calibration_periods=7, ax=ax)
        ax.set_title(f"Survival, {name} cohort (fitted on years 0-7)")
    fig.savefig(IMG / "subscriptions_survival.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    retention_curve(models["regular"], survivors=COHORTS["regular"], ax=axes[0])
    derl_by_tenure(models["regular"], discount_rate=0.1, max_tenure=12, ax=axes[1])
    fig.savefig(IMG / "subscriptions_retention_derl.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"\nwrote the subscription figures to {IMG}")


def main(draw: bool) -> None:
    models = reproduce()
    simulated()
    if draw:
        figures(models)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", action="store_true", help="write the figures")
    main(parser.parse_args().figures)
