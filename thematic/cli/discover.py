"""`thematic discover`: cluster the units, label the clusters, set them against the codebook."""

from __future__ import annotations

from pathlib import Path

import typer

from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.ml import DEVICE_HELP, MODEL_HELP, model_choice, progress_bar, short_text
from thematic.cli.output import console, note, print_json, safe
from thematic.errors import ThematicError
from thematic.outfile import check_output, write_output, write_text


def _check_output(path: Path | None, option: str, suffix: str | None = None) -> None:
    """Refuse an output file before any work is done, so bad input changes nothing."""
    if path is None:
        return
    if suffix and path.suffix.lower() != suffix:
        raise ThematicError(f"{option} {path}: the file name must end in {suffix} (for example {option} "
                            f"clusters{suffix})")
    if path.is_dir():
        raise ThematicError(f"{option} {path} is a folder (pass a file name)")
    if not path.parent.exists():
        raise ThematicError(f"{option} {path}: folder {path.parent} does not exist (create it first)")


@app.command()
def discover(
    clusters: str = typer.Option("auto", "--clusters", "-k",
                                 help="Number of clusters, or auto (k = round(sqrt(units / 2)), 2 to 30)."),
    method: str = typer.Option("agglomerative", "--method", "-m",
                               help="agglomerative (Ward), kmeans or hdbscan."),
    draft_codebook: Path | None = typer.Option(
        None, "--draft-codebook",
        help="Also write the clusters as a draft codebook YAML file (never overwrites a file)."),
    map_file: Path | None = typer.Option(None, "--map",
                                         help="Also draw a 2-D map of the units as a PNG file."),
    model: str | None = typer.Option(None, "--model", help=MODEL_HELP),
    device: str | None = typer.Option(None, "--device", help=DEVICE_HELP),
    seed: int = typer.Option(0, "--seed",
                             help="random_state for k-means and for the sample auto may draw; stored."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question's units, set "
                                        "against its codebook (default: every unit, against every codebook "
                                        "in use)."),
    force: bool = typer.Option(False, "--force", help="Replace the --map file if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the run as JSON."),
) -> None:
    """Find clusters of similar units: keywords, exemplars, nearest theme or candidate new theme."""
    from thematic.ml.discover import check_method, discover_project, parse_clusters

    check_method(method)
    parsed = parse_clusters(clusters, method)
    if draft_codebook is not None and draft_codebook.exists():
        raise ThematicError(f"--draft-codebook {draft_codebook} exists already (choose another name, or "
                            "delete it first: a draft may hold your edits)")
    _check_output(draft_codebook, "--draft-codebook")
    _check_output(map_file, "--map", ".png")
    choice = model_choice(model, device)
    with open_current() as project:
        for path, option in ((draft_codebook, "--draft-codebook"), (map_file, "--map")):
            if path is not None:
                check_output(path, project=project, force=force and option == "--map", option=option)
        with progress_bar() as progress:
            run = discover_project(project, clusters=parsed, method=method, model=choice, random_state=seed,
                                   progress=progress, question=question)
        written = []
        if draft_codebook is not None:
            from thematic.ml.draft import draft_codebook as draft

            write_text(draft_codebook, draft(run), project=project, option="--draft-codebook")
            themes = sum(c.cluster >= 0 for c in run.clusters)
            written.append(f"wrote draft codebook {draft_codebook} ({themes} "
                           "themes; rewrite every definition before coding)")
        if map_file is not None:
            from thematic.ml.mapplot import render_map

            write_output(map_file, lambda path: render_map(run, path), project=project, force=force,
                         option="--map")
            written.append(f"wrote map {map_file}")
    if as_json:
        print_json({**run.to_dict(), "files": written})
        return
    render(run)
    for line in written:
        console.print(safe(line))


def render(run) -> None:
    from rich.table import Table

    p = run.parameters
    how = f"k={p['k']}"
    if p["clusters"] == "auto" and p.get("rule"):
        how += f", chosen by {p['rule']}"
    console.print(f"discover run {run.id}: {p['units']} units, {p['method']} ({how}, random_state "
                  f"{p['random_state']}), model {safe(p.get('model_name') or run.model)}")
    table = Table(show_edge=False)
    for col, justify in (("cluster", "right"), ("units", "right"), ("keywords", "left"),
                         ("nearest theme", "left")):
        table.add_column(col, justify=justify, overflow="fold")
    for c in run.clusters:
        if c.cluster < 0:
            theme = "(unclustered)"
        elif c.nearest_theme is None:
            theme = "candidate (no codebook)"
        else:
            theme = f"{c.nearest_theme} {c.similarity:.2f}" + (" candidate" if c.is_candidate else "")
        table.add_row(str(c.cluster), str(c.size), safe(", ".join(c.keywords[:5])), safe(theme))
    console.print(table)
    console.print("exemplars (the units nearest each cluster's centre):")
    for c in run.clusters:
        for i, e in enumerate(c.exemplars):
            label = str(c.cluster) if i == 0 else ""
            console.print(f"{label:>4}  {safe(short_text(e.text, 100))}", overflow="fold")
    for line in run.notes:
        note(line)
    books = p.get("codebooks") or []
    if run.codebook_version is None and len(books) < 2:
        note("no codebook in use: every cluster is a candidate new theme "
             "(`thematic codebook use FILE` to compare them with one)")
    else:
        used = (f"codebook version {run.codebook_version}" if len(books) < 2 else "codebooks " + "; ".join(
            f"{b['name']} version {b['version']} on {', '.join(b['questions'])}" for b in books)
            + ", themes named codebook/theme")
        note(f"nearest theme: cosine similarity of the cluster centroid to the theme prototype ({used}); "
             f"below {p['candidate_below']:.2f} a cluster is a candidate new theme")
