"""Closed items beside the open ones: Likert items, subscales, and joint displays with the themes.

Public API (heavy libraries are imported inside the functions that need them):

* :func:`thematic.scales.model.load_scales` / :func:`~thematic.scales.model.parse_scales`: a validated
  :class:`~thematic.scales.model.ScaleSet` from a scale file (docs/scales.md).
* :func:`thematic.scales.describe.describe`: item distributions, subscale scores, Cronbach's alpha with a
  bootstrap interval, ranking, and ``by=`` group comparisons (a :class:`~thematic.scales.describe.Described`).
* :func:`thematic.scales.joint.theme_by_attribute` and :func:`~thematic.scales.joint.score_by_theme`: the
  joint displays (themes x groups; a subscale score by theme).
* :func:`thematic.scales.report.closed_items`: all of it for a report section, in one call.
* :func:`thematic.scales.charts.likert_figure`: diverging stacked bars (a matplotlib Figure, Agg).
"""
