"""The report's charts, drawn off-screen with matplotlib (the Agg canvas) as PNG bytes.

* ``prevalence``: the percent of coded respondents with each theme, in codebook order, in the theme's
  colour;
* ``by-<attribute>``: the same per group of one attribute, side by side;
* ``clusters``: the discovery run's map (:func:`thematic.ml.mapplot.render_map`);
* ``closed-items``: diverging stacked bars of the closed items (:func:`thematic.scales.charts.likert_figure`).

Text on a chart comes from the codebook and the survey file, so ``$`` is escaped (matplotlib would read
``$...$`` as mathematics). pyplot's global state is never touched.
"""

from __future__ import annotations

import io
import re
import tempfile
import textwrap
from pathlib import Path

DPI = 110
FALLBACK = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


MAX_GROUPS = 12  # groups drawn in one by-attribute chart; the report's table has them all


def mpl_text(text: str, width: int | None = None) -> str:
    """Plain text for a matplotlib label: ``$`` escaped, optionally wrapped."""
    text = " ".join(str(text).split())
    if width:
        text = "\n".join(textwrap.wrap(text, width)) or text
    return text.replace("$", r"\$")


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def chart_name(attribute: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", attribute.lower()).strip("-") or "attribute"
    return f"by-{slug}"


def prevalence_chart(report) -> bytes | None:
    rows = report.prevalence
    if not rows or report.coded_respondents == 0:
        return None
    colours = [t.colour or FALLBACK[i % len(FALLBACK)] for i, t in enumerate(report.themes)]
    fig = _figure(8, 0.5 * len(rows) + 1.4)
    ax = fig.add_subplot()
    labels = [mpl_text(r.name, 34) for r in rows]
    values = [r.percent or 0.0 for r in rows]
    y = list(range(len(rows)))[::-1]
    bars = ax.barh(y, values, color=colours, height=0.6)
    for bar, row in zip(bars, rows, strict=True):
        ax.annotate(
            f"{row.percent or 0:.0f}% (n={row.respondents})",
            (bar.get_width(), bar.get_y() + 0.3),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, labels)
    ax.set_xlim(0, max(100.0, max(values) * 1.15))
    ax.set_xlabel(f"% of coded respondents (n={report.coded_respondents})")
    ax.set_title(mpl_text(f"Theme prevalence (coder: {report.coder})"), fontsize=11)
    ax.grid(True, axis="x", alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def group_chart(report, table) -> bytes | None:
    if not table.groups or not table.rows:
        return None
    # many groups (a free-text attribute, time slots) would make a chart metres tall: draw the largest
    shown = sorted(range(len(table.groups)), key=lambda g: (-(table.coded[g] or 0), g))[:MAX_GROUPS]
    shown.sort()
    n_groups = len(shown)
    fig = _figure(8.5, max(2.4, 0.28 * n_groups * len(table.rows) + 1.6))
    ax = fig.add_subplot()
    height = 0.8 / n_groups
    from matplotlib import colormaps

    cmap = colormaps["tab20" if n_groups > 10 else "tab10"]
    for place, g in enumerate(shown):
        group = table.groups[g]
        ys = [len(table.rows) - 1 - i + 0.4 - height * (place + 0.5) for i in range(len(table.rows))]
        values = [row[2][g][1] or 0.0 for row in table.rows]
        ax.barh(
            ys,
            values,
            height=height * 0.92,
            color=cmap(place % cmap.N),
            label=mpl_text(f"{group} (n={table.coded[g]})", 40),
        )
    ax.set_yticks(list(range(len(table.rows)))[::-1], [mpl_text(row[1], 30) for row in table.rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the group's coded respondents")
    more = len(table.groups) - n_groups
    title = f"Theme prevalence by {table.attribute}"
    if more:
        title += f" (the {n_groups} largest of {len(table.groups)} groups; all are in the table)"
    ax.set_title(mpl_text(title, 80), fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(True, axis="x", alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def cluster_chart(run) -> bytes | None:
    if run is None or not any(m.x is not None for m in run.members):
        return None
    from thematic.ml.mapplot import render_map

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "map.png"
        render_map(run, path, dpi=90)
        return path.read_bytes()


def closed_chart(closed) -> bytes | None:
    if closed is None:
        return None
    from thematic.scales.charts import likert_figure

    return _png(likert_figure(closed.described, width=8.5))


def draw_all(report, run) -> dict[str, bytes]:
    charts: dict[str, bytes] = {}
    drawn = {"prevalence": prevalence_chart(report)}
    for table in report.by_group:
        drawn[chart_name(table.attribute)] = group_chart(report, table)
    drawn["clusters"] = cluster_chart(run)
    drawn["closed-items"] = closed_chart(report.closed)
    for name, data in drawn.items():
        if data is not None:
            charts[name] = data
    return charts
