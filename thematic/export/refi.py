"""REFI-QDA project export (``.qdpx``): the coded study for NVivo, ATLAS.ti, MAXQDA and QualCoder.

A ``.qdpx`` is a zip of ``project.qde`` (XML, valid against the REFI-QDA Project schema of March
2019) and ``Sources/``. thematic writes:

* ``<Users>``: one user per coder (human coders and ``consensus``; ``machine`` too when asked).
* ``<CodeBook>``: the current codebook, one ``<Code>`` per theme, nested, with the description layout
  of the ``.qdc`` export (:mod:`thematic.codebook.qdc`); a code's GUID is a uuid5 of (codebook name,
  theme id). A theme id that was coded but is not in the current codebook gets a code of its own, and
  when some unit was coded "no theme applies", a ``(no theme applies)`` code holds those decisions.
* ``<Variables>`` and ``<Cases>``: one case per respondent (named by respondent id) holding the
  respondent's attributes as text variables, and referring to the respondent's sources.
* ``<Sources>``: one ``<TextSource>`` per response, its text in ``Sources/<guid>.txt`` (UTF-8, LF line
  endings only), a ``question`` variable naming the question and the respondent's attributes again
  (QualCoder reads a source's variables, not a case's references). Under it, one
  ``<PlainTextSelection>`` per coder x coded unit at the unit's character offsets (code points, end
  exclusive), named by the unit id, the coder's note as its ``<Description>``, one ``<Coding>`` per
  theme (or of the no-theme code). The selection's GUID is the decision's uuid and its time the
  decision's time. For sentence units the source's ``<Description>`` lists the unit boundaries
  (``Units (thematic): 0-52, 53-77``), so an import gets exactly the same units back.
* ``<Notes>``: a coder's note on a unit, with its time, referred to from its selection.
* ``<Description>``: the codebook's title, name, version and description first (for tools that ignore
  ``<Sets>``), then who exported it and the unit kind.

GUIDs are uuid5s of stable names (coder, respondent, respondent + question), or the GUIDs another
tool gave what import-refi created from its file, so exporting the same project twice gives the same
GUIDs, and :mod:`thematic.export.refi_import` reads everything back.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from thematic.clock import utc_now
from thematic.errors import ThematicError
from thematic.export.data import MACHINE
from thematic.export.writers import atomic_write
from thematic.store.project import Project

PROJECT_NS = "urn:QDA-XML:project:1.0"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:thematic:refi")
UNITS_PREFIX = "Units (thematic): "
UNIT_KIND_PREFIX = "thematic units: "
_GUID_RE = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")


def _guid(kind: str, *parts: str) -> str:
    return str(uuid.uuid5(_NS, "\x1f".join((kind, *parts))))


def default_user_guid(coder: str) -> str:
    return _guid("user", coder)


def case_guid(respondent_id: str) -> str:
    return _guid("case", respondent_id)


def default_source_guid(respondent_id: str, question_id: str) -> str:
    return _guid("source", respondent_id, question_id)


def attribute_guid(name: str) -> str:
    return _guid("attribute", name)


QUESTION_VARIABLE = _guid("question-variable")
QUESTION_NAMES = ("question", "question (thematic)")
NO_THEME_NAME = "(no theme applies)"
NO_THEME_DESCRIPTION = (
    "thematic: the coder decided that no theme of the codebook applies to the text coded here. Not a "
    'theme: `thematic import-refi` reads these codings back as "no theme applies" decisions.'
)


def code_guid(codebook: str, theme_id: str) -> str:
    """A theme's code GUID in a project: unique per (codebook, theme), so two codebooks that both have a
    theme ``other`` never share a GUID."""
    return _guid("code", codebook, theme_id)


def no_theme_guid(codebook: str) -> str:
    return _guid("no-theme", codebook)


def is_guid(text: str | None) -> bool:
    return bool(text) and bool(_GUID_RE.match(text))


def selection_guid(coder: str, unit_id: str, decision_uuid: str | None) -> str:
    """The decision's uuid where it is a GUID (so an import recreates the same decision), else a uuid5."""
    if decision_uuid and is_guid(decision_uuid):
        return decision_uuid.strip("{}").lower()
    return _guid("selection", coder, unit_id, decision_uuid or "")


def xml_time(at: str | None) -> str | None:
    """thematic's UTC timestamps are already xsd:dateTime; anything else is left out."""
    if at and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", at):
        return at
    return None


@dataclass(frozen=True)
class RefiSummary:
    path: str
    sources: int
    respondents: int
    codes: int
    users: list[str]
    selections: int
    codings: int
    notes: int

    def to_dict(self) -> dict:
        return asdict(self)


def _codebook_for_export(project: Project, coded_ids: set[str]):
    """The current codebook plus a code for each coded theme id it lacks."""
    from thematic.codebook.model import Codebook, Theme
    from thematic.store.codebooks import current_version

    version = current_version(project)
    base = version.codebook if version is not None else Codebook(codebook=_slug(project.path.stem))
    extra = [
        Theme(t, t, "A theme id that was coded under an earlier codebook version (not in the current one).")
        for t in sorted(coded_ids - set(base.ids()))
    ]
    if not extra:
        return base, version
    return Codebook(base.codebook, base.title, base.description, (*base.themes, *extra)), version


def _slug(text: str) -> str:
    from thematic.codebook.model import slugify

    return slugify(text) or "thematic"


def source_text(text: str) -> str:
    """A response as a source file: LF line endings only, same length (so offsets do not move)."""
    return text.replace("\r", "\n")


def build_project(project: Project, *, coders: list[str] | None = None, machine: bool = False):
    """(project.qde as bytes, {zip name: source bytes}, summary counts) for :func:`export_refi`."""
    from thematic import __version__
    from thematic.review.decisions import effective
    from thematic.store import corpus
    from thematic.store.decisions import coders as log_coders
    from thematic.store.decisions import decisions as log_decisions
    from thematic.store.exports import all_responses
    from thematic.store.ml import latest_suggest_run, machine_codings

    known = log_coders(project)
    if coders:
        unknown = [c for c in coders if c not in known and c != MACHINE]
        if unknown:
            raise ThematicError(
                f"coder '{unknown[0]}' has no decisions in this project (coders: "
                f"{', '.join(known) or 'nobody has coded yet'})"
            )
        chosen = [c for c in coders if c != MACHINE]
        machine = machine or MACHINE in coders
    else:
        chosen = list(known)
    responses = all_responses(project)
    if not responses:
        raise ThematicError(
            "the project has no responses to export (import a survey with `thematic import` first)"
        )

    # each coder's standing code decision per unit, and their latest notes
    acts: dict[str, dict[str, object]] = {}
    notes: dict[str, dict[str, str]] = {}
    for coder in chosen:
        standing = effective(log_decisions(project, coder=coder))
        acts[coder] = {d.unit_id: d for d in standing if d.kind == "code"}
        notes[coder] = {d.unit_id: d.note for d in standing if d.note}
    machine_run = None
    if machine:
        machine_run = latest_suggest_run(project)
        if machine_run is None:
            raise ThematicError(
                "the machine has no suggestions yet (run `thematic suggest` first, or leave out --machine)"
            )
        machine_at = machine_run.created_at
        acts[MACHINE] = {u: (themes, machine_at) for u, themes in machine_codings(project).items()}
        notes[MACHINE] = {}
    users = [*chosen, *([MACHINE] if machine else [])]

    def themes_of(coder: str, act) -> tuple[frozenset, str | None, str | None]:
        if coder == MACHINE:
            return act[0], act[1], None
        return act.themes, act.at, act.uuid

    coded_ids = {t for coder in users for act in acts[coder].values() for t in themes_of(coder, act)[0]}
    codebook, version = _codebook_for_export(project, coded_ids)
    no_theme = any(not themes_of(coder, act)[0] for coder in users for act in acts[coder].values())
    guids, not_codable = foreign_guids(project, codebook)
    kept_sources, kept_users = foreign_ids(project)

    def user_guid(coder: str) -> str:
        return kept_users.get(coder) or default_user_guid(coder)

    def source_guid(respondent_id: str, question_id: str) -> str:
        return kept_sources.get(f"{respondent_id}\x1f{question_id}") or default_source_guid(
            respondent_id, question_id
        )

    def guid_of(theme_id: str) -> str:
        return guids.get(theme_id) or code_guid(codebook.codebook, theme_id)

    attributes = corpus.respondent_attributes(project)
    names: dict[str, None] = {}
    for attrs in attributes.values():
        names.update(dict.fromkeys(attrs))
    unit_kind = project.meta("unit") or "response"
    units_by_response: dict[int, list] = {}
    for u in corpus.list_units(project):
        units_by_response.setdefault(u.response_id, []).append(u)

    now = utc_now()
    project_name = codebook.title or project.path.stem
    root = ET.Element(
        "Project",
        {
            "xmlns": PROJECT_NS,
            "name": project_name,
            "origin": f"thematic {__version__}",
            "creationDateTime": now,
        },
    )
    if users:
        users_el = ET.SubElement(root, "Users")
        for coder in users:
            ET.SubElement(users_el, "User", {"guid": user_guid(coder), "name": coder})
    codes_el, set_el = _codebook_parts(codebook, guid_of, not_codable)
    if no_theme:
        none_el = ET.SubElement(
            codes_el,
            "Code",
            {"guid": no_theme_guid(codebook.codebook), "name": NO_THEME_NAME, "isCodable": "true"},
        )
        ET.SubElement(none_el, "Description").text = NO_THEME_DESCRIPTION
    if len(codes_el):
        ET.SubElement(root, "CodeBook").append(codes_el)
    variables = ET.SubElement(root, "Variables")
    ET.SubElement(
        ET.SubElement(
            variables,
            "Variable",
            {
                "guid": QUESTION_VARIABLE,
                "name": "question" if "question" not in names else "question (thematic)",
                "typeOfVariable": "Text",
            },
        ),
        "Description",
    ).text = "The survey question this source answers (thematic)."
    for name in names:
        ET.SubElement(
            variables, "Variable", {"guid": attribute_guid(name), "name": name, "typeOfVariable": "Text"}
        )

    sources_of: dict[str, list[str]] = {}
    for _, respondent_id, question_id, _ in responses:
        sources_of.setdefault(respondent_id, []).append(source_guid(respondent_id, question_id))
    cases = ET.SubElement(root, "Cases")
    for respondent_id, attrs in attributes.items():
        case = ET.SubElement(cases, "Case", {"guid": case_guid(respondent_id), "name": respondent_id})
        for name, value in attrs.items():
            vv = ET.SubElement(case, "VariableValue")
            ET.SubElement(vv, "VariableRef", {"targetGUID": attribute_guid(name)})
            ET.SubElement(vv, "TextValue").text = "" if value is None else str(value)
        for guid in sources_of.get(respondent_id, []):
            ET.SubElement(case, "SourceRef", {"targetGUID": guid})
    if not len(cases):
        root.remove(cases)

    files: dict[str, bytes] = {}
    sources_el = ET.SubElement(root, "Sources")
    notes_el = ET.Element("Notes")
    n_selections = n_codings = 0
    multi_question = len({q for _, _, q, _ in responses}) > 1
    for response_id, respondent_id, question_id, text in responses:
        guid = source_guid(respondent_id, question_id)
        name = f"{respondent_id} ({question_id})" if multi_question else respondent_id
        source = ET.SubElement(
            sources_el,
            "TextSource",
            {"guid": guid, "name": name, "plainTextPath": f"internal://{guid}.txt", "creationDateTime": now},
        )
        files[f"Sources/{guid}.txt"] = source_text(text).encode("utf-8")
        units = units_by_response.get(response_id, [])
        if unit_kind != "response" or [(u.start, u.end) for u in units] != [(0, len(text))]:
            ET.SubElement(source, "Description").text = UNITS_PREFIX + ", ".join(
                f"{u.start}-{u.end}" for u in units
            )
        for unit in units:
            for coder in users:
                act = acts[coder].get(unit.id)
                if act is None:
                    continue
                themes, at, decision_uuid = themes_of(coder, act)
                sel_guid = selection_guid(
                    coder, unit.id, decision_uuid if coder != MACHINE else str(machine_run.id)
                )
                attrs = {
                    "guid": sel_guid,
                    "name": unit.id,
                    "startPosition": str(unit.start),
                    "endPosition": str(unit.end),
                    "creatingUser": user_guid(coder),
                }
                if xml_time(at):
                    attrs["creationDateTime"] = xml_time(at)
                selection = ET.SubElement(source, "PlainTextSelection", attrs)
                n_selections += 1
                note = notes[coder].get(unit.id)
                if note:  # QualCoder reads a selection's Description as the coding's memo
                    ET.SubElement(selection, "Description").text = note
                order = {t: i for i, t in enumerate(codebook.ids())}
                targets = [
                    (t, guid_of(t)) for t in sorted(themes, key=lambda t: (order.get(t, len(order)), t))
                ] or [("", no_theme_guid(codebook.codebook))]
                for theme_id, target in targets:
                    coding = ET.SubElement(
                        selection,
                        "Coding",
                        {"guid": _guid("coding", sel_guid, theme_id), "creatingUser": user_guid(coder)},
                    )
                    ET.SubElement(coding, "CodeRef", {"targetGUID": target})
                    n_codings += 1
                if note:
                    note_guid = _guid("note", sel_guid)
                    note_el = ET.SubElement(
                        notes_el,
                        "Note",
                        {
                            "guid": note_guid,
                            "name": f"{coder} on {unit.id}",
                            "creatingUser": user_guid(coder),
                            "creationDateTime": xml_time(at) or now,
                        },
                    )
                    ET.SubElement(note_el, "PlainTextContent").text = note
                    ET.SubElement(selection, "NoteRef", {"targetGUID": note_guid})
        question_value = ET.SubElement(source, "VariableValue")
        ET.SubElement(question_value, "VariableRef", {"targetGUID": QUESTION_VARIABLE})
        ET.SubElement(question_value, "TextValue").text = question_id
        for name, value in attributes.get(respondent_id, {}).items():  # QualCoder reads these, not cases
            vv = ET.SubElement(source, "VariableValue")
            ET.SubElement(vv, "VariableRef", {"targetGUID": attribute_guid(name)})
            ET.SubElement(vv, "TextValue").text = "" if value is None else str(value)
    if len(notes_el):
        root.append(notes_el)
    if version is not None and set_el is not None:
        ET.SubElement(root, "Sets").append(set_el)
    book = []
    if version is not None:  # readers that ignore <Sets> (QualCoder) show the project's description
        book.append(
            f"Codebook: {codebook.title or codebook.codebook} ({codebook.codebook}, version {version.number})"
        )
        if codebook.description:
            book.append(codebook.description.strip())
    ET.SubElement(root, "Description").text = "\n".join(book + [""]) + (
        f"Exported by thematic {__version__} from {project.path.name} on {now[:10]}.\n"
        f"{UNIT_KIND_PREFIX}{unit_kind}\n"
        f"Coders: {', '.join(users) or 'none'}."
    )
    ET.indent(root, space=" ")
    qde = ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode(
        "utf-8"
    )
    summary = RefiSummary(
        "",
        len(responses),
        len(attributes),
        len(codebook.themes),
        users,
        n_selections,
        n_codings,
        len(notes_el),
    )
    return qde, files, summary


def _codebook_parts(codebook, guid_of, not_codable: set[str]) -> tuple[ET.Element, ET.Element | None]:
    """The ``<Codes>`` and the codebook's ``<Set>`` of thematic's own ``.qdc`` export, without their
    namespace (the project's root declares its own): the same layout as a ``.qdc``, each code's GUID
    from ``guid_of(theme id)`` and ``isCodable="false"`` for the ids in ``not_codable``."""
    from defusedxml.ElementTree import fromstring

    from thematic.codebook.qdc import theme_guid, to_qdc

    qdc = fromstring(to_qdc(codebook).encode("utf-8"))
    by_qdc_guid = {theme_guid(t.id): t.id for t in codebook.themes}
    for element in qdc.iter():
        element.tag = element.tag.split("}")[-1]
        if element.tag == "MemberCode":  # a project's <MemberCode> names its code by targetGUID
            element.attrib["targetGUID"] = guid_of(by_qdc_guid[element.attrib.pop("guid")])
        elif element.tag == "Code":
            theme_id = by_qdc_guid[element.get("guid")]
            element.set("guid", guid_of(theme_id))
            if theme_id in not_codable:
                element.set("isCodable", "false")
    return qdc.find("Codes"), qdc.find("Sets/Set")


FOREIGN_GUIDS = "refi_guids"
FOREIGN_SOURCES = "_sources"  # not a codebook name (those are slugs)
FOREIGN_USERS = "_users"


def foreign_guids(project: Project, codebook) -> tuple[dict[str, str], set[str]]:
    """({theme id: GUID}, {theme ids not codable}) kept by import-refi from another tool's project for
    this codebook (by name), so an export gives that tool its own GUIDs and categories back."""
    import json

    raw = project.meta(FOREIGN_GUIDS)
    if not raw:
        return {}, set()
    try:
        kept = json.loads(raw).get(codebook.codebook) or {}
    except (ValueError, AttributeError):
        return {}, set()
    ids = set(codebook.ids())
    guids = {t: g for t, g in (kept.get("codes") or {}).items() if t in ids and is_guid(g)}
    return guids, {t for t in kept.get("not_codable") or [] if t in ids}


def foreign_ids(project: Project) -> tuple[dict[str, str], dict[str, str]]:
    """({"respondent\\x1fquestion": GUID}, {coder: GUID}): another tool's source and user GUIDs kept by
    import-refi, so an export gives them back."""
    import json

    try:
        kept = json.loads(project.meta(FOREIGN_GUIDS) or "{}")
    except ValueError:
        return {}, {}
    sources = kept.get(FOREIGN_SOURCES) or {}
    users = kept.get(FOREIGN_USERS) or {}
    return (
        {k: g for k, g in sources.items() if is_guid(g)},
        {k: g for k, g in users.items() if is_guid(g)},
    )


def export_refi(
    project: Project, out: str | Path, *, coders: list[str] | None = None, machine: bool = False
) -> RefiSummary:
    """Write the project as a REFI-QDA ``.qdpx`` at ``out`` (see the module docstring)."""
    out = Path(out)
    if out.suffix.lower() != ".qdpx":
        raise ThematicError(
            f"a REFI-QDA project file ends in .qdpx, not '{out.suffix or out.name}' "
            "(pass e.g. --out study.qdpx)"
        )
    qde, files, summary = build_project(project, coders=coders, machine=machine)

    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", qde)
            for name, data in files.items():
                archive.writestr(name, data)

    atomic_write(out, write)
    return RefiSummary(str(out), **{k: v for k, v in asdict(summary).items() if k != "path"})
