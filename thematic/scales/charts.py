"""Charts of the closed items (matplotlib, Agg: no display needed).

:func:`likert_figure` draws diverging stacked bars: one bar per item, the percent of respondents who
answered giving each response; responses below the midpoint stack to the left of zero, those above to
the right, and a middle response (an odd number of them) is split half and half across zero. One panel
per response set, each with its own legend. Reverse-keyed items are drawn as answered and marked (R).
"""

from __future__ import annotations

import textwrap

import numpy as np

LABELS = ("id", "text")


def _data(described) -> dict:
    return described.to_dict() if hasattr(described, "to_dict") else described


def likert_figure(described, *, items: list[str] | None = None, label: str = "id", width: float = 9.0):
    """A matplotlib Figure of diverging stacked bars for the items of ``described``.

    ``described`` is a :class:`thematic.scales.describe.Described` (or its ``to_dict()``); ``items``
    picks and orders items (default: all, in file order); ``label`` is ``"id"`` or ``"text"`` (the
    item wording, wrapped). Save it with ``fig.savefig(path)`` (PNG, SVG, PDF).
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from thematic.errors import ThematicError

    if label not in LABELS:
        raise ThematicError(f"label must be id or text (it is '{label}')")
    data = _data(described)
    by_id = {i["id"]: i for i in data["items"]}
    if items is not None:
        unknown = [i for i in items if i not in by_id]
        if unknown:
            raise ThematicError(f"item '{unknown[0]}' is not among the described items "
                                f"(items are: {', '.join(by_id)})")
    chosen = [by_id[i] for i in items] if items is not None else list(data["items"])
    if not chosen:
        raise ThematicError("no items to draw (describe at least one item)")
    panels: dict[str, list[dict]] = {}
    for item in chosen:
        panels.setdefault(item["response_set"], []).append(item)

    rows = sum(len(v) for v in panels.values())
    row_height = 0.55 if label == "text" else 0.32
    fig = Figure(figsize=(width, row_height * rows + 1.3 * len(panels) + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False,
                        gridspec_kw={"height_ratios": [len(v) + 2.2 for v in panels.values()]})[:, 0]
    for ax, (set_name, members) in zip(axes, panels.items(), strict=True):
        categories = members[0]["categories"]
        k = len(categories)
        colours = colormaps["RdBu"](np.linspace(0.12, 0.88, k))
        if k % 2:
            colours[k // 2] = (0.82, 0.82, 0.82, 1.0)
        pct = np.array([[c["valid_percent"] or 0.0 for c in item["categories"]] for item in members])
        below = pct[:, : k // 2].sum(axis=1) + (pct[:, k // 2] / 2 if k % 2 else 0.0)
        left = -below
        y = np.arange(len(members))
        for j, category in enumerate(categories):
            value = category["value"]
            name = f"{int(value) if float(value).is_integer() else value} {category['label']}"
            ax.barh(y, pct[:, j], left=left, color=colours[j], edgecolor="white", linewidth=0.6, height=0.72,
                    label=name)
            left = left + pct[:, j]
        ax.axvline(0, color="0.35", linewidth=0.8)
        ticks = []
        for item in members:
            text = item["text"] if label == "text" and item.get("text") else item["id"]
            text = "\n".join(textwrap.wrap(text, 48)) if label == "text" else text
            ticks.append(f"{text} (R)" if item["reverse"] else text)
        ax.set_yticks(y, labels=ticks, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(-100, 100)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{abs(x):.0f}%"))
        ax.tick_params(axis="x", labelsize=8)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title(f"{set_name} (percent of respondents who answered)", fontsize=9, loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1 * 8 / (len(members) + 2.2)),
                  ncols=min(k, 4 if k > 5 else k), fontsize=7, frameon=False)
    return fig
