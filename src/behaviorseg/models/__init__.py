"""Probabilistic customer-base models fitted by maximum likelihood.

:class:`BetaGeoModel` (BG/NBD), :class:`ModifiedBetaGeoModel` (MBG/NBD) and
:class:`ParetoNBDModel` (Pareto/NBD) model how often customers buy and when they drop
out; :class:`GammaGammaModel` models how much they spend per transaction. All take
the :func:`~behaviorseg.summaries.clv_summary` table.
:class:`ShiftedBetaGeoModel` (sBG) models contract renewals (subscriptions), from the
:func:`~behaviorseg.summaries.subscription_table`; :class:`BetaGeoBetaBinomModel`
(BG/BB) models repeat transactions at discrete opportunities (annual drives, events).

:func:`compare_models` fits several of them on the same calibration data and reports
their fit (log-likelihood, AIC, BIC) and holdout errors; :func:`purchase_tracking` and
:func:`tracking_table` give the actual and expected repeat transactions period by
period over calibration and holdout.
"""

from ._beta_geo import BetaGeoModel
from ._beta_geo_beta_binom import BetaGeoBetaBinomModel
from ._compare import compare_models, purchase_tracking, tracking_table
from ._gamma_gamma import GammaGammaModel
from ._modified_beta_geo import ModifiedBetaGeoModel
from ._pareto_nbd import ParetoNBDModel
from ._shifted_beta_geo import ShiftedBetaGeoModel

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "ShiftedBetaGeoModel",
    "compare_models",
    "purchase_tracking",
    "tracking_table",
]
