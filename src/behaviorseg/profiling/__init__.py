"""From segments to decisions: profiles, discriminating criteria and crossings.

Downstream of the segmenters and the KPIs: pure functions on pandas frames, returning
tidy tables indexed by segment (or by feature).

- :func:`segment_profile`: what the customers of each segment look like against the
  base (means, medians, indexes, standardised differences, level shares).
- :func:`distinguishing_features`: which features separate the segments (ANOVA,
  Kruskal-Wallis, chi², effect sizes, adjusted p-values).
- :func:`cross_segments`: two or more segmentations of the same customers combined
  into one label each, small cells folded by a documented rule.
- :func:`migration_matrix`, :func:`segment_history`: how customers move between
  segments from one date to the next, with the same cut points at every date.
- :func:`recommended_actions`, :func:`persona_cards`, :func:`render_persona_cards`:
  one card per segment, in words, with a recommended action (data you can replace).
- :func:`ab_test_plan`: customers per arm and days needed to test an offer per segment.

Special categories of personal data (GDPR art. 9) are refused as segmentation
criteria unless the caller opts in; see :class:`~behaviorseg.exceptions.ProtectedAttributeError`.
"""

from ._actions import recommended_actions
from ._criteria import distinguishing_features
from ._crossing import SegmentCrossing, cross_segments
from ._experiments import ab_test_plan
from ._migration import migration_matrix, segment_history
from ._personas import persona_cards, render_persona_cards
from ._profile import segment_profile

__all__ = [
    "SegmentCrossing",
    "ab_test_plan",
    "cross_segments",
    "distinguishing_features",
    "migration_matrix",
    "persona_cards",
    "recommended_actions",
    "render_persona_cards",
    "segment_history",
    "segment_profile",
]
