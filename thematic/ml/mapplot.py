"""A 2-D map of a discovery run: every unit a dot coloured by its cluster, theme prototypes marked.

The coordinates are the run's own (PCA of the unit vectors, stored in ``cluster_members``; theme
prototypes projected on the same two axes), so the map of a run is the same whenever it is drawn.
matplotlib draws off-screen (the Agg canvas), without touching the global pyplot state.
"""

from __future__ import annotations

from pathlib import Path

from thematic.errors import ExitCode, ThematicError

UNCLUSTERED_COLOUR = "#b0b0b0"


def render_map(run, path: str | Path, *, title: str | None = None, dpi: int = 150) -> Path:
    """Draw ``run`` (a DiscoverRun) as a PNG at ``path``; returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    points = [m for m in run.members if m.x is not None and m.y is not None]
    if not points:
        raise ThematicError(f"discovery run {run.id} has no map coordinates (rerun `thematic discover`)")
    clusters = [c for c in run.clusters if c.cluster >= 0]
    palette = _palette(len(clusters))
    colour = {c.cluster: palette[i] for i, c in enumerate(clusters)}

    fig = Figure(figsize=(10, 7.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for cluster in [*[c.cluster for c in clusters], -1]:
        xs = [m.x for m in points if m.cluster == cluster]
        ys = [m.y for m in points if m.cluster == cluster]
        if not xs:
            continue
        row = next((c for c in run.clusters if c.cluster == cluster), None)
        words = ", ".join(row.keywords[:3]) if row else ""
        label = "unclustered" if cluster < 0 else f"{cluster}: {_short(words, 40)}"
        ax.scatter(xs, ys, s=14, alpha=0.75, color=colour.get(cluster, UNCLUSTERED_COLOUR), label=label,
                   linewidths=0)
        if cluster >= 0:
            cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
            ax.annotate(str(cluster), (cx, cy), ha="center", va="center", fontsize=9, fontweight="bold",
                        bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": colour[cluster],
                              "alpha": 0.85})
    for i, point in enumerate(run.theme_points):
        ax.scatter([point.x], [point.y], marker="*", s=220, color="black", edgecolors="white", linewidths=0.8,
                   zorder=5)
        # labels alternately above and below their star, so neighbouring stars' labels overlap less
        ax.annotate(_short(point.name), (point.x, point.y), xytext=(6, 6 if i % 2 == 0 else -14),
                    textcoords="offset points",
                    fontsize=8, zorder=6, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                                                "alpha": 0.8})
    if run.theme_points:
        ax.scatter([], [], marker="*", s=120, color="black", label="theme prototype")
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    p = run.parameters
    ax.set_title(title or f"Discovery run {run.id}: {len(points)} units, {len(clusters)} clusters "
                          f"({p.get('method')}, random_state {p.get('random_state')})", fontsize=11)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False,
              ncol=1 if len(clusters) <= 24 else 2)
    ax.grid(True, alpha=0.2)
    try:
        fig.savefig(path, format="png", dpi=dpi)
    except OSError as exc:
        raise ThematicError(f"could not write the map to {path}: {exc.strerror or exc} "
                            "(check the folder exists and is writable)", ExitCode.ERROR) from None
    return path


def _short(text: str, limit: int = 32) -> str:
    """One line, at most ``limit`` characters, with ``$`` escaped (matplotlib reads $...$ as maths)."""
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def _palette(n: int) -> list:
    from matplotlib import colormaps

    if n <= 10:
        cmap = colormaps["tab10"]
        return [cmap(i) for i in range(n)]
    if n <= 20:
        cmap = colormaps["tab20"]
        return [cmap(i) for i in range(n)]
    cmap = colormaps["turbo"]
    return [cmap(i / max(1, n - 1)) for i in range(n)]
