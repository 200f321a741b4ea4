"""Probabilistic customer-base models fitted by maximum likelihood.

:class:`BetaGeoModel` (BG/NBD), :class:`ModifiedBetaGeoModel` (MBG/NBD) and
:class:`ParetoNBDModel` (Pareto/NBD) model how often customers buy and when they drop
out; :class:`GammaGammaModel` models how much they spend per transaction. All take
the :func:`~behaviorseg.summaries.clv_summary` table.
"""

from ._beta_geo import BetaGeoModel
from ._gamma_gamma import GammaGammaModel
from ._modified_beta_geo import ModifiedBetaGeoModel
from ._pareto_nbd import ParetoNBDModel

__all__ = ["BetaGeoModel", "GammaGammaModel", "ModifiedBetaGeoModel", "ParetoNBDModel"]
