"""The study report: one self-contained HTML page (or markdown) a paper can cite. `thematic report`.

Sections: the study overview (respondents, questions, attribute frequencies), the codebook, theme
prevalence overall and by attribute group, exemplar quotes per theme, the discovery clusters and how
they map to themes, the agreement table with confidence intervals, the closed items (with a scale
file), and the audit trail (who coded how much, under which codebook version, with which run).

Everything is computed once into a :class:`Report` (plain data); :func:`render_html` and
:func:`render_markdown` only lay it out. The HTML page needs nothing from the network: CSS is inline,
charts are PNGs drawn with matplotlib (Agg) and embedded as base64, and a Content-Security-Policy
forbids every outside request. Every text that came from respondents, and every name a researcher
typed, goes through jinja2's autoescaping (HTML) or :func:`thematic.export.quotes.md_escape`
(markdown), so an answer holding ``<script>`` or ``[b]`` shows exactly as typed.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError
from thematic.export.data import MACHINE, Coded, default_coder, load_coded
from thematic.export.writers import atomic_write, choose_format
from thematic.outfile import check_output, write_output
from thematic.store.project import Project

FORMATS = ("html", "md")
MAX_GROUPS = 12
MAX_VALUE_CHARS = 40
DEFAULT_EXEMPLARS = 3
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")


# -- the data --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frequency:
    value: str
    count: int
    percent: float


@dataclass(frozen=True)
class AttributeTable:
    name: str
    rows: tuple[Frequency, ...]
    blank: int


@dataclass(frozen=True)
class ThemeEntry:
    id: str
    name: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    colour: str | None
    depth: int
    in_codebook: bool


@dataclass(frozen=True)
class Prevalence:
    theme: str
    name: str
    units: int
    respondents: int
    percent: float | None  # of coded respondents


@dataclass(frozen=True)
class GroupPrevalence:
    attribute: str
    groups: tuple[str, ...]
    coded: tuple[int, ...]  # coded respondents per group (the base)
    rows: tuple[tuple[str, str, tuple[tuple[int, float | None], ...]], ...]  # (theme, name, (count, %))
    excluded: int  # coded respondents with no value


@dataclass(frozen=True)
class Quote:
    respondent: str
    about: str
    text: str
    unit_id: str


@dataclass(frozen=True)
class ClusterEntry:
    cluster: int
    size: int
    keywords: str
    nearest: str | None
    similarity: float | None
    candidate: bool
    exemplar: str | None


@dataclass
class Discovery:
    run: int
    created_at: str
    method: str
    k: int | None
    clusters: list[ClusterEntry]


@dataclass
class Report:
    title: str
    subtitle: str | None
    generated_at: str
    thematic_version: str
    project: str
    coder: str
    respondents: int
    responses: int
    units: int
    unit_kind: str
    questions: list[tuple[str, str | None, int, int]]  # id, text, responses, units
    coded_units: int
    coded_respondents: int
    attributes: list[AttributeTable]
    themes: list[ThemeEntry]
    codebook: str | None
    prevalence: list[Prevalence]
    by_group: list[GroupPrevalence]
    exemplars: list[tuple[ThemeEntry, list[Quote]]]
    discovery: Discovery | None
    discovery_note: str | None
    agreement: object | None  # thematic.agreement.table.AgreementTable (the first of agreements)
    agreement_note: str | None
    closed: object | None  # thematic.scales.report.ClosedItems
    closed_note: str | None
    audit: dict
    charts: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    agreements: list = field(default_factory=list)  # one table, or one per codebook of several

    def chart_uri(self, name: str) -> str | None:
        data = self.charts.get(name)
        return None if data is None else "data:image/png;base64," + base64.b64encode(data).decode("ascii")

    def group_chart_uri(self, attribute: str) -> str | None:
        from thematic.export.charts import chart_name

        return self.chart_uri(chart_name(attribute))


# -- building it -----------------------------------------------------------------------------------------
def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def pick_attributes(
    attributes: dict[str, dict], names: list[str], *, exclude: set[str] = frozenset()
) -> list[str]:
    """Attributes worth a frequency table: 2 to 12 distinct short values, not all numbers."""
    picked = []
    for name in names:
        if name in exclude:
            continue
        values = {str(a.get(name, "")).strip() for a in attributes.values()} - {""}
        if not 2 <= len(values) <= MAX_GROUPS:
            continue
        if all(_is_number(v) for v in values) or any(len(v) > MAX_VALUE_CHARS for v in values):
            continue
        picked.append(name)
    return picked


def _natural(text: str):
    import re

    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def _pct(count: int, total: int) -> float | None:
    return None if total == 0 else 100.0 * count / total


def attribute_table(attributes: dict[str, dict], name: str) -> AttributeTable:
    from collections import Counter

    values = [str(a.get(name, "")).strip() for a in attributes.values()]
    counts = Counter(v for v in values if v)
    total = len(values)
    rows = tuple(
        Frequency(v, n, _pct(n, total) or 0.0)
        for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], _natural(kv[0])))
    )
    return AttributeTable(name, rows, total - sum(counts.values()))


def respondent_codings(coded: Coded) -> dict[str, frozenset[str]]:
    """Respondent id -> themes over all their coded units (respondents with at least one coded unit)."""
    out: dict[str, set[str]] = {}
    for cu in coded.coded:
        out.setdefault(cu.unit.respondent_id, set()).update(cu.themes)
    return {r: frozenset(t) for r, t in out.items()}


def prevalence(coded: Coded) -> list[Prevalence]:
    by_respondent = respondent_codings(coded)
    base = len(by_respondent)
    rows = []
    for t in coded.themes:
        units = sum(1 for cu in coded.coded if t.id in cu.themes)
        resp = sum(1 for themes in by_respondent.values() if t.id in themes)
        rows.append(Prevalence(t.id, t.name, units, resp, _pct(resp, base)))
    return rows


def group_prevalence(coded: Coded, attributes: dict[str, dict], attribute: str) -> GroupPrevalence:
    by_respondent = respondent_codings(coded)
    value = {r: str(attributes.get(r, {}).get(attribute, "")).strip() for r in by_respondent}
    groups = sorted({v for v in value.values() if v}, key=_natural)
    members = [[r for r in by_respondent if value[r] == g] for g in groups]
    rows = []
    for t in coded.themes:
        cells = tuple((c := sum(t.id in by_respondent[r] for r in m), _pct(c, len(m))) for m in members)
        rows.append((t.id, t.name, cells))
    return GroupPrevalence(
        attribute,
        tuple(groups),
        tuple(len(m) for m in members),
        tuple(rows),
        sum(1 for v in value.values() if not v),
    )


def choose_exemplars(coded: Coded, theme_id: str, n: int, names: list[str]) -> list[Quote]:
    """Up to ``n`` units coded with the theme: those coded with it alone first, then the machine's
    highest-scoring, then corpus order."""
    candidates = [(i, cu) for i, cu in enumerate(coded.coded) if theme_id in cu.themes]
    candidates.sort(key=lambda ic: (len(ic[1].themes) != 1, -ic[1].scores.get(theme_id, 0.0), ic[0]))
    quotes = []
    for _, cu in candidates[:n]:
        about = "; ".join(f"{k}: {cu.attributes[k]}" for k in names if str(cu.attributes.get(k, "")).strip())
        quotes.append(Quote(cu.unit.respondent_id, about, cu.unit.text, cu.unit.id))
    return quotes


def _discovery(project: Project, theme_names: dict[str, str]) -> tuple[Discovery | None, str | None, object]:
    from thematic.ml.discover import load_run

    try:
        run = load_run(project)
    except ThematicError as exc:
        return None, exc.message, None
    rows = [
        ClusterEntry(
            c.cluster,
            c.size,
            ", ".join(c.keywords[:6]),
            theme_names.get(c.nearest_theme, c.nearest_theme) if c.nearest_theme else None,
            c.similarity,
            c.is_candidate,
            c.exemplars[0].text if c.exemplars else None,
        )
        for c in run.clusters
    ]
    p = run.parameters
    return Discovery(run.id, run.created_at, str(p.get("method", "")), p.get("k"), rows), None, run


def _agreement(project: Project, n_boot: int, seed: int, question: str | None = None):
    """([agreement tables], a note or None): what `thematic agree` computes (one table, or with several
    codebooks in view one per codebook over the questions it codes); the note says where none could be
    computed."""
    from thematic.agreement.table import agreement_sections

    try:
        sections = agreement_sections(project, question=question, n_boot=n_boot, seed=seed)
    except ThematicError as exc:
        return [], f"no agreement computed: {exc.message}"
    tables = [table for _, table in sections if table is not None]
    missing = [f"codebook {r.book.label()}: {r.problem}" for r, table in sections if table is None]
    return tables, ("no agreement computed for some codebooks: " + "; ".join(missing)) if missing else None


def _closed_items(project: Project, scales, by: str | None, coder: str, n_boot: int, seed: int):
    if scales is None:
        return None, None
    from thematic.scales.report import closed_items

    return closed_items(project, scales, theme_by=by, coder=coder, n_boot=n_boot, seed=seed), None


def _audit(project: Project, coded: Coded) -> dict:
    from thematic.store.codebooks import get_version
    from thematic.store.exports import decision_tallies
    from thematic.store.ml import suggest_run_count

    tallies = [
        {"coder": c, "decisions": n, "units": u, "first": (a or "")[:10], "last": (b or "")[:10]}
        for c, n, u, a, b in decision_tallies(project)
    ]
    run = coded.suggest_run
    return {
        "coders": tallies,
        "decisions": sum(t["decisions"] for t in tallies),
        "codebook": coded.codebook_name,
        "codebook_version": coded.codebook_version,
        "codebook_hash": (coded.codebook_hash or "")[:12],
        "suggest_runs": suggest_run_count(project),
        "suggest_run": None
        if run is None
        else {"id": run.id, "created_at": run.created_at[:16], "model": run.model},
        "codebooks": [{"name": b.name, "version": b.version.number, "hash": b.version.content_hash[:12],
                       "questions": ", ".join(b.questions)} for b in coded.books],
        # the runs the machine's codings and scores come from: one per codebook when they differ
        "machine_runs": [
            {"id": r.id, "created_at": r.created_at[:16], "model": r.model,
             "codebook": get_version(project, r.codebook_version).name,
             "codebook_version": r.codebook_version,
             "questions": ", ".join(r.questions) if r.questions else "every question"}
            for r in coded.suggest_runs
        ],
    }


def build_report(
    project: Project,
    *,
    coder: str | None = None,
    by: list[str] | None = None,
    scales: str | Path | None = None,
    question: str | None = None,
    exemplars: int = DEFAULT_EXEMPLARS,
    n_boot: int = 1000,
    seed: int = 0,
    charts: bool = True,
) -> Report:
    """Compute everything the report shows (see the module docstring).

    ``coder``: whose codings the prevalence and quotes use (default: consensus, else the only coder,
    else the machine). ``by``: attributes for the group tables (default: every categorical attribute
    with 2 to 12 values). ``scales``: a scale file for the closed-items section.
    """
    from thematic import __version__
    from thematic.clock import utc_now
    from thematic.store import corpus

    if exemplars < 0:
        raise ThematicError(f"--exemplars must be 0 or more, not {exemplars}")
    if not corpus.counts(project)["units"]:
        raise ThematicError(
            "the project has no units to report on (import responses with `thematic import` first)"
        )
    coder = coder or default_coder(project)
    coded = load_coded(project, coder, question=question)
    attributes = corpus.respondent_attributes(project)
    scale_items: set[str] = set()
    if scales is not None:
        from thematic.scales.model import load_scales

        scale_items = {item.id for item in load_scales(scales).items}
    if by:
        unknown = [b for b in by if b not in coded.attribute_names]
        if unknown:
            raise ThematicError(
                f"attribute '{unknown[0]}' not found (attributes are: "
                f"{', '.join(coded.attribute_names) or 'none'})"
            )
        chosen = list(by)
    else:
        chosen = pick_attributes(attributes, coded.attribute_names, exclude=scale_items)

    from thematic.review.codings import view_catalogue

    version = coded.books[0].version if len(coded.books) == 1 else None
    catalogue = {v.id: v for v in view_catalogue(coded.books)}
    themes = []
    for t in coded.themes:
        view = catalogue.get(t.id) if t.in_codebook else None
        full = view.theme if view else None
        themes.append(
            ThemeEntry(
                t.id,
                t.name,
                t.definition,
                full.include if full else (),
                full.exclude if full else (),
                t.colour,
                view.book.version.codebook.depth(full.id) if full else 0,
                t.in_codebook,
            )
        )
    counts = corpus.counts(project)
    questions = [
        (q["question"], q["text"], q["responses"], q["units"])
        for q in counts["questions"]
        if question is None or q["question"] == question
    ]
    theme_names = {t.id: t.name for t in themes}
    discovery, discovery_note, run = _discovery(project, theme_names)
    agreements, agreement_note = _agreement(project, n_boot, seed, question)
    closed, closed_note = _closed_items(project, scales, chosen[0] if chosen else None, coder, n_boot, seed)
    title = (
        version.codebook.title if version is not None and version.codebook.title else None
    ) or f"Study report: {project.path.stem}"
    by_resp = respondent_codings(coded)
    report = Report(
        title=title,
        subtitle=f"Codebook {version.codebook.codebook}, version {version.number}" if version else (
            "Codebooks " + "; ".join(b.label() for b in coded.books) if coded.books else None),
        generated_at=utc_now()[:16].replace("T", " ") + " UTC",
        thematic_version=__version__,
        project=project.path.name,
        coder=coder,
        respondents=counts["respondents"],
        responses=sum(q[2] for q in questions),
        units=len(coded.units),
        unit_kind=project.meta("unit") or "response",
        questions=questions,
        coded_units=len(coded.coded),
        coded_respondents=len(by_resp),
        attributes=[attribute_table(attributes, a) for a in chosen],
        themes=themes,
        codebook=version.codebook.codebook if version else coded.codebook_name,
        prevalence=prevalence(coded),
        by_group=[group_prevalence(coded, attributes, a) for a in chosen],
        exemplars=[(t, choose_exemplars(coded, t.id, exemplars, chosen)) for t in themes],
        discovery=discovery,
        discovery_note=discovery_note,
        agreement=agreements[0] if agreements else None,
        agreement_note=agreement_note,
        agreements=agreements,
        closed=closed,
        closed_note=closed_note,
        audit=_audit(project, coded),
    )
    if coder == MACHINE:
        report.notes.append(
            "These codings are the machine's suggestions (for each question, the latest suggest run that "
            "covers it), not human decisions."
        )
    if charts:
        from thematic.export import charts as drawing

        report.charts = drawing.draw_all(report, run)
    return report


# -- rendering -------------------------------------------------------------------------------------------
def _fixed(value, digits: int) -> str:
    """``value`` with ``digits`` decimals, never "-0.00": a value that rounds to zero has no sign."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def fmt_pct(value: float | None) -> str:
    return (
        "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{_fixed(value, 1)}%"
    )


def fmt_num(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return _fixed(value, digits)


def fmt_p(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"


def fmt_ci(estimate) -> str:
    if estimate.not_applicable:
        return "n/a"
    if math.isnan(estimate.estimate):
        return "undefined"
    interval = "" if math.isnan(estimate.low) else f" [{_fixed(estimate.low, 2)}, {_fixed(estimate.high, 2)}]"
    return f"{_fixed(estimate.estimate, 2)}{interval}"


def css_colour(value: str | None) -> str:
    """A theme colour for a style attribute: ``#rrggbb`` or ``#rgb`` only, anything else is dropped."""
    return value if isinstance(value, str) and _COLOUR.fullmatch(value) else ""


def _environment(markdown: bool = False):
    """jinja2 with autoescaping for HTML; for markdown, every value printed goes through
    :func:`md_escape` unless a filter already made it safe (numbers, quotes, table cells)."""
    import jinja2
    from markupsafe import Markup

    from thematic.export.quotes import md_escape

    if not markdown:
        env = jinja2.Environment(
            autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
        )
        env.filters.update(pct=fmt_pct, num=fmt_num, ci=fmt_ci, p=fmt_p, colour=css_colour)
        return env

    def finalize(value):
        return value if isinstance(value, Markup) else md_escape(str(value), inline=True)

    def safe(fn):
        return lambda *args, **kwargs: Markup(fn(*args, **kwargs))

    def cell(value) -> Markup:
        return Markup(" ".join(md_escape(str(value), inline=True).split()) or " ")

    def blockquote(value) -> Markup:
        return Markup("\n".join("> " + line if line else ">" for line in md_escape(str(value)).split("\n")))

    env = jinja2.Environment(
        autoescape=False,
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=safe(fmt_pct),
        num=safe(fmt_num),
        ci=safe(fmt_ci),
        p=safe(fmt_p),
        cell=cell,
        blockquote=blockquote,
        raw=Markup,
    )
    return env


def _template(name: str, *, markdown: bool = False):
    from importlib import resources

    text = (resources.files("thematic.export") / "templates" / name).read_text(encoding="utf-8")
    return _environment(markdown).from_string(text)


def render_html(report: Report) -> str:
    return _template("report.html.j2").render(r=report)


def render_markdown(report: Report, figures: dict[str, str] | None = None) -> str:
    """The report as markdown; ``figures`` maps chart names to the image paths to link (none: no images)."""
    from thematic.export.charts import chart_name

    text = _template("report.md.j2", markdown=True).render(
        r=report, figures=figures or {}, chart_name=chart_name
    )
    return "\n".join(line.rstrip() for line in text.split("\n")).strip() + "\n"


@dataclass(frozen=True)
class ReportSummary:
    path: str
    format: str
    coder: str
    sections: list[str]
    charts: list[str]
    notes: list[str]

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def write_report(project: Project, out: str | Path, *, fmt: str | None = None, force: bool = False,
                 **options) -> ReportSummary:
    """Build the report and write it to ``out`` (.html, or .md with its charts in ``<name>_figures/``).

    ``options`` are :func:`build_report`'s: coder, by, scales, question, exemplars, n_boot, seed.
    """
    out = Path(out)
    fmt = choose_format(out, fmt, FORMATS)
    check_output(out, project=project, force=force)
    report = build_report(project, **options)
    if fmt == "html":
        text = render_html(report)
        atomic_write(out, lambda path: path.write_text(text, encoding="utf-8"))
    else:
        folder = out.with_name(out.stem + "_figures")
        figures = {name: f"{folder.name}/{name}.png" for name in report.charts}
        text = render_markdown(report, figures)
        atomic_write(out, lambda path: path.write_text(text, encoding="utf-8"))
        if report.charts:
            try:
                folder.mkdir(exist_ok=True)
                for name, data in report.charts.items():
                    write_output(
                        folder / f"{name}.png",
                        lambda path, data=data: path.write_bytes(data),
                        project=project,
                        force=True,
                    )
            except OSError as exc:
                raise ThematicError(
                    f"could not write the charts to {folder}: {exc.strerror or exc} "
                    "(check the folder is writable)"
                ) from None
    sections = [
        "overview",
        "codebook",
        "prevalence",
        "groups",
        "quotes",
        "discovery",
        "agreement",
        "closed items",
        "audit",
    ]
    notes = list(report.notes)
    for note in (report.discovery_note, report.agreement_note, report.closed_note):
        if note:
            notes.append(note)
    return ReportSummary(str(out), fmt, report.coder, sections, sorted(report.charts), notes)
