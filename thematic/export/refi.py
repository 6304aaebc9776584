"""REFI-QDA project export (``.qdpx``): the coded study for NVivo, ATLAS.ti, MAXQDA and QualCoder.

A ``.qdpx`` is a zip of ``project.qde`` (XML, valid against the REFI-QDA Project schema of March
2019) and ``Sources/``. thematic writes:

* ``<Users>``: one user per coder (human coders and ``consensus``; ``machine`` too when asked).
* ``<CodeBook>``: the current codebook, one ``<Code>`` per theme, nested, with the description layout
  of the ``.qdc`` export (:mod:`thematic.codebook.qdc`); a code's GUID is a uuid5 of (codebook name,
  theme id). A theme id that was coded but is not in the current codebook gets a code of its own, and
  when some unit was coded "no theme applies", a ``(no theme applies)`` code holds those decisions.
  When the questions have different codebooks, a REFI project still holds one codebook: each codebook
  becomes a code that is not codable (``ai-therapy (codebook)``, its version and questions in its
  description) with its themes under it, and a unit's codings point to the codes of its question's
  codebook; ``<Sets>`` holds one set per codebook.
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


@dataclass
class _Book:
    """One codebook as the export writes it: its codes (the version's themes, plus a code for each theme
    id coded on its questions that it lacks), the version (None: no codebook in use), its questions, and
    the GUIDs another tool gave its codes (kept by import-refi)."""

    codebook: object  # a Codebook
    version: object | None
    questions: tuple[str, ...] | None  # None: every question
    guids: dict[str, str]
    not_codable: set[str]

    def guid_of(self, theme_id: str) -> str:
        return self.guids.get(theme_id) or code_guid(self.codebook.codebook, theme_id)


@dataclass
class _Coder:
    """One user of the export: each coded unit's (themes, time, decision uuid), and the coder's notes."""

    name: str
    acts: dict[str, tuple[frozenset, str | None, str | None]]
    notes: dict[str, str]
    run_id: dict[str, int]  # the machine: unit id -> the suggest run its coding comes from


def chosen_users(project: Project, coders: list[str] | None, machine: bool) -> list[str]:
    """The users to export: the coders named (``machine`` among them, or with ``machine``), else every
    coder in the log; a ThematicError for a coder with no decisions or a machine with no suggestions."""
    from thematic.review.codings import check_coder
    from thematic.store.decisions import coders as log_coders

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
    if machine:
        try:
            check_coder(project, MACHINE)
        except ThematicError:
            raise ThematicError(
                "the machine has no suggestions yet (run `thematic suggest` first, or leave out --machine)"
            ) from None
    return [*chosen, *([MACHINE] if machine else [])]


def gather_coders(project: Project, users: list[str]) -> list[_Coder]:
    """Each user's standing codings and notes (``thematic.review.codings``; the machine's, per unit,
    from the latest suggest run covering its question)."""
    from thematic.review.codings import codings_of
    from thematic.store import corpus

    out = []
    for user in users:
        found = codings_of(project, user)
        acts = {u: (c.themes, c.at, c.uuid) for u, c in found.by_unit.items()}
        run_of: dict[str, int] = {}
        if user == MACHINE:
            run_of = {u.id: found.runs[u.question_id].id for u in corpus.list_units(project)
                      if u.question_id in found.runs}
        out.append(_Coder(user, acts, found.notes, run_of))
    return out


def export_books(project: Project, coders: list[_Coder]) -> list[_Book]:
    """The codebooks to write, one per codebook version in use (in the order of their questions), each
    with a code for every theme id coded on its questions that it lacks. No codebook in use: one
    codebook named after the project, holding the coded theme ids."""
    from thematic.codebook.model import Codebook, Theme
    from thematic.review.codings import books_in_view
    from thematic.store import corpus

    books = books_in_view(project)
    question_of = {u.id: u.question_id for u in corpus.list_units(project)}
    book_of = {q: k for k, b in enumerate(books) for q in b.questions}
    coded: dict[int, set[str]] = {}
    for coder in coders:
        for unit_id, (themes, _, _) in coder.acts.items():
            coded.setdefault(book_of.get(question_of.get(unit_id), 0), set()).update(themes)
    out = []
    for k, book in enumerate(books or [None]):
        base = book.version.codebook if book is not None else Codebook(codebook=_slug(project.path.stem))
        extra = [
            Theme(t, t, "A theme id that was coded under an earlier codebook version (not in the current "
                  "one).")
            for t in sorted(coded.get(k, set()) - set(base.ids()))
        ]
        codebook = (Codebook(base.codebook, base.title, base.description, (*base.themes, *extra)) if extra
                    else base)
        guids, not_codable = foreign_guids(project, codebook)
        out.append(_Book(codebook, book.version if book else None,
                         book.questions if book is not None and len(books) > 1 else None, guids, not_codable))
    return out


def build_project(project: Project, *, coders: list[str] | None = None, machine: bool = False):
    """(project.qde as bytes, {zip name: source bytes}, summary counts) for :func:`export_refi`: whose
    codings, which codebooks, then each part of the project in the order the schema wants them."""
    from thematic.store.exports import all_responses

    users = chosen_users(project, coders, machine)
    responses = all_responses(project)
    if not responses:
        raise ThematicError(
            "the project has no responses to export (import a survey with `thematic import` first)"
        )
    coded = gather_coders(project, users)
    books = export_books(project, coded)
    kept_sources, kept_users = foreign_ids(project)
    now = utc_now()
    root = _project_root(project, books, now)
    _users_part(root, users, kept_users)
    _codebook_part(root, project, books, coded)
    names, attributes = _cases_part(root, project, responses, kept_sources)
    files, counts, notes_el = _sources_part(root, project, responses, books, coded, attributes, kept_sources,
                                            kept_users, now)
    if len(notes_el):
        root.append(notes_el)
    _sets_part(root, books)
    _description_part(root, project, books, users, now)
    ET.indent(root, space=" ")
    qde = ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode(
        "utf-8"
    )
    n_codes = sum(len(b.codebook.themes) for b in books)
    summary = RefiSummary("", len(responses), len(attributes), n_codes, users, counts[0], counts[1],
                          len(notes_el))
    return qde, files, summary


def _project_root(project: Project, books: list[_Book], now: str) -> ET.Element:
    from thematic import __version__

    title = books[0].codebook.title if len(books) == 1 else None
    return ET.Element(
        "Project",
        {
            "xmlns": PROJECT_NS,
            "name": title or project.path.stem,
            "origin": f"thematic {__version__}",
            "creationDateTime": now,
        },
    )


def _user_guid(kept_users: dict[str, str], coder: str) -> str:
    return kept_users.get(coder) or default_user_guid(coder)


def _users_part(root: ET.Element, users: list[str], kept_users: dict[str, str]) -> None:
    """``<Users>``: one per coder."""
    if users:
        users_el = ET.SubElement(root, "Users")
        for coder in users:
            ET.SubElement(users_el, "User", {"guid": _user_guid(kept_users, coder), "name": coder})


def _codebook_part(root: ET.Element, project: Project, books: list[_Book], coders: list[_Coder]) -> None:
    """``<CodeBook>``: one codebook's codes as they are; several codebooks' codes each under a code
    named for its codebook (not codable), since a REFI project holds one codebook. A "(no theme
    applies)" code in each codebook where some unit of its questions was coded with no theme."""
    from thematic.store import corpus

    question_of = {u.id: u.question_id for u in corpus.list_units(project)}
    empty = {question_of.get(u) for c in coders for u, (themes, _, _) in c.acts.items() if not themes}
    codes_el = ET.Element("Codes")
    for book in books:
        no_theme = any(_book_of_question(books, q) is book for q in empty)
        parts, _ = _codebook_parts(book.codebook, book.guid_of, book.not_codable)
        if len(books) == 1:
            holder = codes_el
        else:
            version = book.version
            holder = ET.SubElement(codes_el, "Code", {
                "guid": _guid("codebook", book.codebook.codebook),
                "name": f"{book.codebook.codebook} (codebook)", "isCodable": "false"})
            ET.SubElement(holder, "Description").text = (
                f"thematic: codebook {book.codebook.codebook}"
                + (f", version {version.number}" if version is not None else "")
                + f", for question{'s' if len(book.questions or ()) != 1 else ''} "
                f"{', '.join(book.questions or ())}. Its themes are the codes under this one.")
        for code in list(parts) if parts is not None else []:
            holder.append(code)
        if no_theme:
            none_el = ET.SubElement(
                holder, "Code",
                {"guid": no_theme_guid(book.codebook.codebook), "name": NO_THEME_NAME, "isCodable": "true"},
            )
            ET.SubElement(none_el, "Description").text = NO_THEME_DESCRIPTION
    if len(codes_el):
        ET.SubElement(root, "CodeBook").append(codes_el)


def _cases_part(root: ET.Element, project: Project, responses, kept_sources: dict[str, str]):
    """``<Variables>`` (the question, then each respondent attribute) and ``<Cases>`` (one per
    respondent, with its attributes and its sources). Returns (attribute names, attributes)."""
    from thematic.store import corpus

    attributes = corpus.respondent_attributes(project)
    names: dict[str, None] = {}
    for attrs in attributes.values():
        names.update(dict.fromkeys(attrs))
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
        guid = _source_guid(kept_sources, respondent_id, question_id)
        sources_of.setdefault(respondent_id, []).append(guid)
    cases = ET.SubElement(root, "Cases")
    for respondent_id, attrs in attributes.items():
        case = ET.SubElement(cases, "Case", {"guid": case_guid(respondent_id), "name": respondent_id})
        for name, value in attrs.items():
            _variable_value(case, attribute_guid(name), value)
        for guid in sources_of.get(respondent_id, []):
            ET.SubElement(case, "SourceRef", {"targetGUID": guid})
    if not len(cases):
        root.remove(cases)
    return list(names), attributes


def _variable_value(parent: ET.Element, guid: str, value) -> None:
    vv = ET.SubElement(parent, "VariableValue")
    ET.SubElement(vv, "VariableRef", {"targetGUID": guid})
    ET.SubElement(vv, "TextValue").text = "" if value is None else str(value)


def _source_guid(kept_sources: dict[str, str], respondent_id: str, question_id: str) -> str:
    kept = kept_sources.get(f"{respondent_id}\x1f{question_id}")
    return kept or default_source_guid(respondent_id, question_id)


def _book_of_question(books: list[_Book], question_id: str) -> _Book:
    """The codebook that codes a question (the first one for a question no codebook codes)."""
    return next((b for b in books if b.questions is None or question_id in b.questions), books[0])


def _sources_part(root, project: Project, responses, books: list[_Book], coders: list[_Coder], attributes,
                  kept_sources, kept_users, now: str):
    """``<Sources>``: a text source per response, a selection per coder x coded unit with a coding per
    theme (or the no-theme code), notes apart. Returns (files, (selections, codings), the Notes)."""
    from thematic.store import corpus

    unit_kind = project.meta("unit") or "response"
    units_by_response: dict[int, list] = {}
    for u in corpus.list_units(project):
        units_by_response.setdefault(u.response_id, []).append(u)
    files: dict[str, bytes] = {}
    sources_el = ET.SubElement(root, "Sources")
    notes_el = ET.Element("Notes")
    counts = [0, 0]
    multi_question = len({q for _, _, q, _ in responses}) > 1
    for response_id, respondent_id, question_id, text in responses:
        guid = _source_guid(kept_sources, respondent_id, question_id)
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
        book = _book_of_question(books, question_id)
        for unit in units:
            for coder in coders:
                if unit.id in coder.acts:
                    _selection(source, notes_el, unit, coder, book, kept_users, now, counts)
        _variable_value(source, QUESTION_VARIABLE, question_id)
        for name, value in attributes.get(respondent_id, {}).items():  # QualCoder reads these, not cases
            _variable_value(source, attribute_guid(name), value)
    return files, counts, notes_el


def _selection(source, notes_el, unit, coder: _Coder, book: _Book, kept_users, now: str, counts) -> None:
    """One coder's coding of one unit: a selection at the unit's offsets, a coding per theme, the note."""
    themes, at, decision_uuid = coder.acts[unit.id]
    user = _user_guid(kept_users, coder.name)
    sel_guid = selection_guid(
        coder.name, unit.id, decision_uuid if coder.name != MACHINE else str(coder.run_id.get(unit.id, ""))
    )
    attrs = {"guid": sel_guid, "name": unit.id, "startPosition": str(unit.start),
             "endPosition": str(unit.end), "creatingUser": user}
    if xml_time(at):
        attrs["creationDateTime"] = xml_time(at)
    selection = ET.SubElement(source, "PlainTextSelection", attrs)
    counts[0] += 1
    note = coder.notes.get(unit.id)
    if note:  # QualCoder reads a selection's Description as the coding's memo
        ET.SubElement(selection, "Description").text = note
    order = {t: i for i, t in enumerate(book.codebook.ids())}
    targets = [
        (t, book.guid_of(t)) for t in sorted(themes, key=lambda t: (order.get(t, len(order)), t))
    ] or [("", no_theme_guid(book.codebook.codebook))]
    for theme_id, target in targets:
        coding = ET.SubElement(selection, "Coding",
                               {"guid": _guid("coding", sel_guid, theme_id), "creatingUser": user})
        ET.SubElement(coding, "CodeRef", {"targetGUID": target})
        counts[1] += 1
    if note:
        note_guid = _guid("note", sel_guid)
        note_el = ET.SubElement(notes_el, "Note", {
            "guid": note_guid, "name": f"{coder.name} on {unit.id}", "creatingUser": user,
            "creationDateTime": xml_time(at) or now})
        ET.SubElement(note_el, "PlainTextContent").text = note
        ET.SubElement(selection, "NoteRef", {"targetGUID": note_guid})


def _sets_part(root: ET.Element, books: list[_Book]) -> None:
    """``<Sets>``: each codebook's set (its name, version and structure, as in a ``.qdc``)."""
    sets = []
    for book in books:
        if book.version is None:
            continue
        _, set_el = _codebook_parts(book.codebook, book.guid_of, book.not_codable)
        if set_el is not None:
            sets.append(set_el)
    if sets:
        holder = ET.SubElement(root, "Sets")
        for set_el in sets:
            holder.append(set_el)


def _description_part(root: ET.Element, project: Project, books: list[_Book], users: list[str],
                      now: str) -> None:
    """The project's ``<Description>``: each codebook (for readers that ignore ``<Sets>``, QualCoder), then
    who exported it and the unit kind."""
    from thematic import __version__

    lines = []
    for book in books:
        if book.version is None:
            continue
        codebook = book.codebook
        on = f" on question{'s' if len(book.questions) != 1 else ''} {', '.join(book.questions)}" \
            if book.questions is not None else ""
        lines.append(f"Codebook: {codebook.title or codebook.codebook} ({codebook.codebook}, version "
                     f"{book.version.number}){on}")
        if codebook.description:
            lines.append(codebook.description.strip())
    unit_kind = project.meta("unit") or "response"
    ET.SubElement(root, "Description").text = "\n".join(lines + [""]) + (
        f"Exported by thematic {__version__} from {project.path.name} on {now[:10]}.\n"
        f"{UNIT_KIND_PREFIX}{unit_kind}\n"
        f"Coders: {', '.join(users) or 'none'}."
    )


def _slug(text: str) -> str:
    from thematic.codebook.model import slugify

    return slugify(text) or "thematic"


def source_text(text: str) -> str:
    """A response as a source file: LF line endings only, same length (so offsets do not move)."""
    return text.replace("\r", "\n")


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
