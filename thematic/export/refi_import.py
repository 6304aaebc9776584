"""Read a REFI-QDA project (``.qdpx``) into a thematic project: `thematic import-refi`.

What is read: the text sources (one response each), the codebook (through
:func:`thematic.codebook.qdc.parse_qdc`, so a theme keeps its id, definition and rules), the cases
(a case is a respondent, its text variables the respondent's attributes), the users (coders) and their
codings, which become decisions in the log.

* A source is a response. Its respondent is the case that refers to it, else the source's name
  (without thematic's `` (question)`` suffix); its question is the ``question`` variable (found by
  thematic's GUID, else by name when another tool gave it a new GUID), else the question of the same
  respondent's identical answer in the project, else ``question`` (default ``text``).
* Units: the boundaries thematic wrote (``Units (thematic): ...``), else the project's unit kind (or
  ``unit``): the whole response, or sentences.
* Codings: every selection codes each unit it overlaps (one spanning several units is counted in
  ``selections_split`` and each exact overlap listed in ``overlaps``); a coder's selections on one
  unit add up to one ``code`` decision with the union of their codes, and the selection's
  ``<Description>`` (else the notes it refers to) as its note. A selection with no coding, or a coding
  of thematic's ``(no theme applies)`` code, is "no theme applies"; codings of codes the codebook
  lacks are left out, never read as "no theme". The decision's time is the selection's; its uuid is
  the selection's GUID where that one selection is exactly that unit (thematic's own export), else
  derived from the file and the selections. A decision that repeats the coder's standing decision on
  the unit adds nothing, so merging a file twice, or another tool's re-export, changes nothing.
* The codebook: a codebook that differs from the project's current one only in colours keeps the
  current one; another tool's code, source and user GUIDs (and categories) are kept, for what the
  import created, in the ``refi_guids`` meta entry that the export reads.
* Text is kept as written except that CRLF and CR become LF and the ends are trimmed (thematic's
  import does the same); offsets are moved with it.

Safety: nothing is extracted to disk. Entries are read into memory by name, sizes are capped, an
archive holding a path that could escape a folder (``../``, an absolute path, a drive letter), a
symbolic link or a special file is refused, and so is XML with a DOCTYPE of any kind, entities,
external references or elements nested more than MAX_DEPTH deep (defusedxml).

Attribution: two elements with one GUID (of any kind), a reference to a GUID the file does not hold
(``CodeRef``, ``SourceRef``, ``NoteRef``, ``VariableRef``, set members, a selection's or coding's
``creatingUser``) and an offset that is not a whole number are refused, each with the element's path
and line. A selection that names no user is refused unless ``coder`` (``--coder``) says whose it is.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from thematic.clock import utc_now
from thematic.errors import ThematicError
from thematic.export.refi import (
    FOREIGN_GUIDS,
    FOREIGN_SOURCES,
    FOREIGN_USERS,
    NO_THEME_NAME,
    QUESTION_NAMES,
    QUESTION_VARIABLE,
    UNIT_KIND_PREFIX,
    UNITS_PREFIX,
    code_guid,
    is_guid,
)
from thematic.store.project import Project

MAX_ENTRY_BYTES = 200_000_000
MAX_TOTAL_BYTES = 1_000_000_000
MAX_ENTRIES = 200_000
MAX_DEPTH = 110  # Project/CodeBook/Codes and codes nested up to the .qdc reader's 100 levels
REEXPORT = "export the project again from your QDA tool"
_UNITS_RE = re.compile(r"^(\d+)-(\d+)$")


@dataclass
class RefiImportSummary:
    file: str
    origin: str | None
    from_thematic: bool
    sources: int = 0
    respondents_new: int = 0
    responses_new: int = 0
    responses_present: int = 0
    units_new: int = 0
    themes: int = 0
    codebook_version: int | None = None
    codebook_new: bool = False
    coders: list[str] = field(default_factory=list)
    selections: int = 0
    decisions_new: int = 0
    decisions_present: int = 0
    decisions_same: int = 0
    selections_split: int = 0
    overlaps: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    already_imported: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


# -- reading the archive ---------------------------------------------------------------------------------
def _unsafe(name: str) -> bool:
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return True
    return any(part == ".." for part in PurePosixPath(name).parts)


def _special_kind(info: zipfile.ZipInfo) -> str | None:
    """'a symbolic link' or 'a special file' for an entry whose Unix mode says so, else None."""
    import stat

    mode = info.external_attr >> 16
    if info.create_system != 3 or not mode:  # not made on Unix, or no mode recorded: a plain entry
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or not stat.S_IFMT(mode):
        return None
    return "a special file (device, pipe or socket)"


class _Archive:
    """The entries of a .qdpx, read into memory by name only."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise ThematicError(
                f"{path.name} is not a .qdpx project (it is not a zip file; {REEXPORT})"
            ) from None
        infos = self.zip.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ThematicError(
                f"{path.name}: refused: the archive holds {len(infos)} entries, more than "
                f"{MAX_ENTRIES} ({REEXPORT})"
            )
        bad = [i.filename for i in infos if _unsafe(i.filename)]
        if bad:
            raise ThematicError(
                f"{path.name}: refused: the archive holds an entry whose path could escape its "
                f"folder ('{bad[0]}'{f' and {len(bad) - 1} more' if len(bad) > 1 else ''}) "
                f"(a .qdpx holds only project.qde and Sources/; {REEXPORT})"
            )
        special = [(i.filename, _special_kind(i)) for i in infos if _special_kind(i)]
        if special:
            name, kind = special[0]
            raise ThematicError(
                f"{path.name}: refused: the archive holds {kind} ('{name}'"
                f"{f' and {len(special) - 1} more' if len(special) > 1 else ''}) (a .qdpx holds only "
                f"plain files; {REEXPORT})"
            )
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise ThematicError(
                f"{path.name}: refused: the archive would unpack to more than "
                f"{MAX_TOTAL_BYTES} bytes ({REEXPORT})"
            )
        self.by_name = {i.filename: i for i in infos if not i.is_dir()}
        self.by_lower = {n.lower(): i for n, i in self.by_name.items()}
        self.read_total = 0

    def read(self, name: str) -> bytes | None:
        info = self.by_name.get(name) or self.by_lower.get(name.lower())
        if info is None:
            return None
        with self.zip.open(info) as fh:  # read at most the cap, whatever the header claims
            data = fh.read(MAX_ENTRY_BYTES + 1)
        self.read_total += len(data)
        if len(data) > MAX_ENTRY_BYTES or self.read_total > MAX_TOTAL_BYTES:
            raise ThematicError(
                f"{self.path.name}: refused: {name} unpacks to more than {MAX_ENTRY_BYTES} bytes ({REEXPORT})"
            )
        return data

    def close(self) -> None:
        self.zip.close()


class _Builder:
    """An ElementTree parser target that refuses deep nesting and keeps each element's line."""

    def __init__(self, source: str):
        self.source = source
        self.tree = ET.TreeBuilder()
        self.depth = 0
        self.lines: dict[ET.Element, int] = {}
        self.expat = None

    def start(self, tag, attrib):
        self.depth += 1
        line = self.expat.CurrentLineNumber if self.expat is not None else 0
        if self.depth > MAX_DEPTH:
            raise ThematicError(
                f"{self.source}:{line}: elements are nested more than {MAX_DEPTH} deep ({REEXPORT})"
            )
        element = self.tree.start(tag, attrib)
        self.lines[element] = line
        return element

    def end(self, tag):
        self.depth -= 1
        return self.tree.end(tag)

    def data(self, text):
        self.tree.data(text)

    def close(self):
        return self.tree.close()


def _parse(data: bytes, source: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """(root, {element: line}); a DOCTYPE of any kind, entities, external references and nesting deeper
    than MAX_DEPTH are refused."""
    from thematic.xmlsafe import parse_untrusted

    malformed = f"not a REFI-QDA project: the XML is not well-formed ({{reason}}) ({REEXPORT})"
    builder = _Builder(source)
    root = parse_untrusted(data, builder, source, forbid_dtd=True, advice=REEXPORT, malformed=malformed,
                           unreadable="not a REFI-QDA project: the XML cannot be read")
    return root, builder.lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: ET.Element | None) -> str:
    return "" if element is None else "".join(element.itertext())


def _key(guid: str | None) -> str:
    return (guid or "").strip().strip("{}").lower()


# -- text and offsets ------------------------------------------------------------------------------------
def normalise(text: str) -> tuple[str, list[int]]:
    """(text with LF line endings, trimmed; a map from old offsets to new ones, one entry per old offset
    0..len(text)). Offsets inside a dropped character move to the next kept one."""
    kept: list[int] = []
    chars: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            i += 1
            continue
        chars.append("\n" if c == "\r" else c)
        kept.append(i)
        i += 1
    flat = "".join(chars)
    lead = len(flat) - len(flat.lstrip())
    stripped = flat.strip()
    mapping = [min(max(bisect.bisect_left(kept, p) - lead, 0), len(stripped)) for p in range(len(text) + 1)]
    return stripped, mapping


def _at(value: str | None) -> str | None:
    """An xsd:dateTime as thematic's fixed-width UTC timestamp, or None."""
    if not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match:  # fromisoformat wants 3 or 6 fraction digits before 3.11's wider support; normalise to 6
        frac = (match.group(2) or ".0")[1:7].ljust(6, "0")
        text = f"{match.group(1)}.{frac}{match.group(3)}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _coder_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-@]+", "-", name.strip()).strip("-_.")
    return cleaned[:64] or "imported"


# -- the import ------------------------------------------------------------------------------------------
@dataclass
class _Source:
    guid: str
    name: str
    respondent: str
    question: str
    text: str
    mapping: list[int]
    raw_length: int
    units: list[tuple[int, int]] | None  # thematic's unit boundaries, when written
    element: ET.Element


def import_refi(
    project: Project,
    path: str | Path,
    *,
    question: str = "text",
    unit: str | None = None,
    name: str | None = None,
    coder: str | None = None,
) -> RefiImportSummary:
    """Import the ``.qdpx`` at ``path`` into ``project`` (see the module docstring); one transaction."""
    from thematic.ingest.segment import UNIT_KINDS

    path = Path(path)
    if not path.exists():
        raise ThematicError(f"file {path} not found (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder, not a .qdpx file (pass the file)")
    if unit is not None and unit not in UNIT_KINDS:
        raise ThematicError(f"--unit must be one of {', '.join(UNIT_KINDS)}, not '{unit}'")
    archive = _Archive(path)
    try:
        return _Import(project, path, archive, question, unit, name, coder).run()
    finally:
        archive.close()


class _Import:
    def __init__(
        self,
        project: Project,
        path: Path,
        archive: _Archive,
        question: str,
        unit: str | None,
        name: str | None,
        coder: str | None = None,
    ):
        self.project = project
        self.coder = coder
        self.no_theme: set[str] = set()
        self.case_codes: set[str] = set()
        self.new_sources: set[str] = set()
        self.coders_before: set[str] = set()
        self.coder_guids: dict[str, str] = {}  # coder -> the GUID of the user it came from
        self.foreign: dict = {"codes": {}, "not_codable": []}
        self.path = path
        self.archive = archive
        self.question = question
        self.unit = unit
        self.name = name
        self.notes: list[str] = []

    def run(self) -> RefiImportSummary:
        from thematic.store import corpus

        data = self.archive.read("project.qde")
        if data is None:
            raise ThematicError(
                f"{self.path.name} has no project.qde (a .qdpx holds project.qde and Sources/; {REEXPORT})"
            )
        self.qde = f"{self.path.name}/project.qde"
        root, self.lines = _parse(data, self.qde)
        if _local(root.tag) != "Project":
            raise ThematicError(
                f"{self.path.name}: not a REFI-QDA project: project.qde holds <{_local(root.tag)}>, "
                f"not <Project> ({REEXPORT})"
            )
        self._check_identities(root)
        origin = root.get("origin")
        description = _text(_child(root, "Description"))
        from_thematic = bool(origin and origin.startswith("thematic ")) and UNIT_KIND_PREFIX in description
        summary = self.summary = RefiImportSummary(self.path.name, origin, from_thematic)
        sha = hashlib.sha256(self.path.read_bytes()).hexdigest()
        chosen = {"format": "qdpx", "question": self.question, "unit": self.unit}
        if self.coder is not None:
            chosen["coder"] = self.coder
        options = json.dumps(chosen, sort_keys=True)
        previous = corpus.find_source(self.project, sha, options)
        if previous is not None:
            summary.already_imported = True
            summary.notes.append(
                f"{self.path.name} was already imported on {previous[2][:10]} with these "
                "options; nothing added"
            )
            return summary

        unit_kind = self._unit_kind(description)
        users = {_key(u.get("guid")): u.get("name") or "" for u in self._all(root, "Users", "User")}
        self.user_guids = [u.get("guid") or "" for u in self._all(root, "Users", "User")]
        codebook, theme_of = self._codebook(root)
        cases, attributes = self._cases(root)
        sources = self._sources(root, cases)
        self.note_texts = {
            _key(n.get("guid")): _text(_child(n, "PlainTextContent")).strip()
            for n in self._all(root, "Notes", "Note")
        }
        summary.sources = len(sources)
        if not sources:
            raise ThematicError(f"{self.path.name}: the project has no text sources (nothing to import)")

        with self.project.transaction():
            source_id = corpus.insert_source(
                self.project, name=self.path.name, sha256=sha, options=options, imported_at=utc_now()
            )
            if not self.project.meta("unit"):
                self.project.set_meta("unit", unit_kind)
            self._respondents(attributes, sources, source_id, summary)
            units = self._responses(sources, unit_kind, source_id, summary)
            if codebook is not None:
                codebook = self._use_codebook(codebook, summary)
            self._decisions(sources, units, users, theme_of, codebook, sha, summary)
            self._keep_foreign_guids(codebook, sources)
            corpus.set_source_summary(self.project, source_id, summary.to_dict())
        summary.notes = self.notes + summary.notes
        return summary

    # identities and references
    def _where(self, element: ET.Element) -> str:
        """The element's path from the root, each step with its name where it has one."""
        steps = []
        node: ET.Element | None = element
        while node is not None and self.parent.get(node) is not None:
            name = node.get("name")
            steps.append(_local(node.tag) + (f" '{' '.join(name.split())[:60]}'" if name else ""))
            node = self.parent[node]
        return "/".join(reversed(steps)) or _local(element.tag)

    def _line(self, element: ET.Element) -> str:
        return f"{self.qde}:{self.lines.get(element, 0)}"

    def _check_identities(self, root: ET.Element) -> None:
        """Refuse two elements with one GUID, and a reference to a GUID that nothing in the file has:
        either would attach codings to the wrong source, coder or code. One pair is allowed: a <Case>
        and a <Code> sharing a GUID are NVivo's "case node" (the code marks the case's text); that code
        is not a theme and its codings are left out (see ``self.case_codes``)."""
        self.parent: dict[ET.Element, ET.Element | None] = {root: None}
        owner: dict[str, ET.Element] = {}
        twin: dict[str, ET.Element] = {}  # the Code of a case node, when its Case came first or after
        stack = [root]
        order: list[ET.Element] = []
        while stack:
            element = stack.pop()
            order.append(element)
            for child in reversed(element):
                self.parent[child] = element
                stack.append(child)
        for element in order:
            guid = element.get("guid")
            if guid is None:
                continue
            key = _key(guid)
            if key in owner:
                first = owner[key]
                if {_local(first.tag), _local(element.tag)} == {"Case", "Code"} and key not in twin:
                    twin[key] = first if _local(first.tag) == "Code" else element
                    owner[key] = element if _local(first.tag) == "Code" else first  # the Case
                    continue
                raise ThematicError(
                    f"{self._line(element)}: {self._where(element)} has the GUID {guid}, which "
                    f"{self._where(first)} (line {self.lines.get(first, 0)}) has too (every element needs "
                    f"its own GUID, or codings land on the wrong one; {REEXPORT})"
                )
            owner[key] = element
        for element in order:
            kind = _local(element.tag)
            if kind in _REFERENCES:
                wanted, what = _REFERENCES[kind]
                target = element.get("targetGUID")
                found = owner.get(_key(target))
                if found is not None and _local(found.tag) not in wanted:
                    found = twin.get(_key(target))
                if found is None or _local(found.tag) not in wanted:
                    raise ThematicError(
                        f"{self._line(element)}: <{kind}> in {self._where(self.parent[element])} refers to "
                        f"{what} {target or '(no targetGUID)'}, which the file does not hold ({REEXPORT})"
                    )
            if kind in ("PlainTextSelection", "Coding"):
                for attribute in ("creatingUser", "modifyingUser"):
                    target = element.get(attribute) or ""
                    if not target.strip():
                        continue
                    found = owner.get(_key(target))
                    if found is None or _local(found.tag) != "User":
                        raise ThematicError(
                            f"{self._line(element)}: {self._where(element)} was made by the user {target} "
                            f"({attribute}), whom <Users> does not list ({REEXPORT})"
                        )
        self.case_codes = set(twin)

    # parts of the document
    def _all(self, root: ET.Element, outer: str, inner: str) -> list[ET.Element]:
        return [e for o in _children(root, outer) for e in _children(o, inner)]

    def _unit_kind(self, description: str) -> str:
        existing = self.project.meta("unit")
        written = next(
            (
                line[len(UNIT_KIND_PREFIX) :].strip()
                for line in description.split("\n")
                if line.startswith(UNIT_KIND_PREFIX)
            ),
            None,
        )
        wanted = self.unit or written or existing or "response"
        if existing and existing != wanted:
            raise ThematicError(
                f"this project is segmented by {existing}; {self.path.name} "
                f"{'asks for' if self.unit else 'was exported with'} {wanted} units (import it "
                f"into a new project{'' if self.unit else ', or pass --unit ' + existing})"
            )
        return wanted

    def _codebook(self, root: ET.Element):
        """(Codebook or None, {code guid: theme id})."""
        from thematic.codebook.model import is_slug
        from thematic.codebook.qdc import codebook_guid, parse_qdc, theme_guid

        book = _child(root, "CodeBook")
        codes = _child(book, "Codes") if book is not None else None
        if codes is None or not _children(codes, "Code"):
            return None, {}
        # a .qdc document of the project's codes and (when thematic wrote it) the codebook's set
        doc = ET.Element("CodeBook", {"xmlns": "urn:QDA-XML:codebook:1.0"})
        stripped = _strip(codes)
        for code in list(stripped):  # thematic's "no theme applies" code is not a theme
            if " ".join((code.get("name") or "").split()) == NO_THEME_NAME and not _children(code, "Code"):
                self.no_theme.add(_key(code.get("guid")))
                stripped.remove(code)
        holders = [stripped]
        while holders:  # NVivo's case nodes are not themes either
            holder = holders.pop()
            for code in list(holder):
                if _local(code.tag) == "Code" and _key(code.get("guid")) in self.case_codes:
                    holder.remove(code)
                else:
                    holders.append(code)
        if not len(stripped):
            return None, {}
        doc.append(stripped)
        own = [
            s
            for s in self._all(root, "Sets", "Set")
            if is_slug(s.get("name") or "") and _key(s.get("guid")) == _key(codebook_guid(s.get("name")))
        ]
        if own:  # thematic's codebook set: name, title and description
            the_set = ET.SubElement(ET.SubElement(doc, "Sets"), "Set", dict(own[0].attrib))
            for part in own[0]:
                if _local(part.tag) == "Description":
                    ET.SubElement(the_set, "Description").text = _text(part)
                elif _local(part.tag) == "MemberCode":
                    ET.SubElement(the_set, "MemberCode", {"guid": part.get("targetGUID") or ""})
        result = parse_qdc(
            ET.tostring(doc, encoding="utf-8"),
            f"{self.path.name}/project.qde",
            name=self.name,
            default_name=_default_name(root.get("name") or self.path.stem),
        )
        self.notes += result.notes
        codebook = result.codebook
        if not own and self.name is None:  # e.g. QualCoder drops <Sets>: the project description has it
            codebook = self._codebook_from_description(root, codebook)
        theme_of: dict[str, str] = {}
        by_path = {".".join(t.name for t in codebook.path(t.id)): t.id for t in codebook.themes}
        ids = set(codebook.ids())

        ours = {_key(theme_guid(i)): i for i in ids} | {_key(code_guid(codebook.codebook, i)): i for i in ids}
        self.foreign = {"codes": {}, "not_codable": []}

        def walk(code: ET.Element, names: list[str]) -> None:
            guid = _key(code.get("guid"))
            path = [*names, " ".join((code.get("name") or "").split())]
            if guid in self.no_theme or guid in self.case_codes:
                return
            matched = ours.get(guid) or by_path.get(".".join(path)) or by_path.get(path[-1]) or ""
            theme_of[guid] = matched
            if matched and guid not in ours:  # another tool's GUID and category flag, for the next export
                self.foreign["codes"][matched] = (code.get("guid") or "").strip()
                if code.get("isCodable") == "false":
                    self.foreign["not_codable"].append(matched)
            for child in _children(code, "Code"):
                walk(child, path)

        for code in _children(codes, "Code"):
            walk(code, [])
        theme_of = {g: t for g, t in theme_of.items() if t}
        return codebook, theme_of

    def _codebook_from_description(self, root: ET.Element, codebook):
        """The codebook's name, title and description from the lines thematic's export writes at the top
        of the project's description (``Codebook: <title> (<name>, version <n>)``, the description, then
        ``Exported by thematic ...``)."""
        from dataclasses import replace

        from thematic.codebook.model import is_slug

        lines = _text(_child(root, "Description")).split("\n")
        head = re.fullmatch(r"Codebook: (.*) \(([^,()]+), version \d+\)", lines[0].strip()) if lines else None
        if head is None or not is_slug(head.group(2)):
            return codebook
        end = next((i for i, line in enumerate(lines) if line.startswith("Exported by thematic ")), None)
        if end is None:
            return codebook
        title = head.group(1).strip()
        description = "\n".join(lines[1:end]).strip()
        return replace(
            codebook,
            codebook=head.group(2),
            title=None if title == head.group(2) else title or None,
            description=description or None,
        )

    def _cases(self, root: ET.Element) -> tuple[dict[str, str], dict[str, dict]]:
        """({source guid: respondent id}, {respondent id: attributes})."""
        variables = {
            _key(v.get("guid")): v.get("name") or "" for v in self._all(root, "Variables", "Variable")
        }
        self.variables = variables
        names = set(variables.values())
        # the question variable: thematic's GUID, else (another tool gave it a new GUID) its name
        self.question_vars = {_key(QUESTION_VARIABLE)} | {
            g
            for g, n in variables.items()
            if n == next((q for q in reversed(QUESTION_NAMES) if q in names), None)
        }
        respondent_of: dict[str, str] = {}
        attributes: dict[str, dict] = {}
        for case in self._all(root, "Cases", "Case"):
            rid = " ".join((case.get("name") or "").split()) or _key(case.get("guid"))
            attrs = attributes.setdefault(rid, {})
            for vv in _children(case, "VariableValue"):
                ref = _child(vv, "VariableRef")
                var = variables.get(_key(ref.get("targetGUID") if ref is not None else None))
                if var is None or _key(ref.get("targetGUID")) in self.question_vars:
                    continue
                value = next((c for c in vv if c is not ref), None)
                attrs[var] = _text(value)
            for ref in _children(case, "SourceRef"):
                respondent_of.setdefault(_key(ref.get("targetGUID")), rid)
        return respondent_of, attributes

    def _sources(self, root: ET.Element, respondent_of: dict[str, str]) -> list[_Source]:
        from thematic.store.corpus import questions_answered_with

        sources: list[_Source] = []
        skipped = 0
        seen: dict[tuple[str, str], int] = {}
        renamed: list[str] = []
        for group in _children(root, "Sources"):
            for element in group:
                kind = _local(element.tag)
                if kind != "TextSource":
                    skipped += 1
                    continue
                guid = _key(element.get("guid"))
                label = " ".join((element.get("name") or "").split()) or guid  # one line in messages
                raw = self._source_text(element, label)
                text, mapping = normalise(raw)
                if not text:
                    continue
                question = None
                for vv in _children(element, "VariableValue"):
                    ref = _child(vv, "VariableRef")
                    if ref is not None and _key(ref.get("targetGUID")) in self.question_vars:
                        question = _text(_child(vv, "TextValue")).strip() or question
                respondent = respondent_of.get(guid) or label
                if question and respondent.endswith(f" ({question})") and guid not in respondent_of:
                    respondent = respondent[: -len(f" ({question})")]  # thematic names "R001 (q1)"
                if question is None:  # no question variable: the question of the same answer, if known
                    known = questions_answered_with(self.project, respondent, text)
                    question = known[0] if len(known) == 1 else self.question
                count = seen.get((respondent, question), 0)
                seen[(respondent, question)] = count + 1
                if count:
                    renamed.append(f"{respondent} -> {respondent} ({count + 1})")
                    respondent = f"{respondent} ({count + 1})"
                units = None
                desc = _text(_child(element, "Description"))
                if desc.startswith(UNITS_PREFIX):
                    units = self._unit_bounds(desc[len(UNITS_PREFIX) :], label, len(text))
                sources.append(
                    _Source(guid, label, respondent, question, text, mapping, len(raw), units, element)
                )
        if skipped:
            self.notes.append(f"left out {_plural(skipped, 'non-text source')} (PDF, picture, audio, video)")
        if renamed:
            self.notes.append(
                f"several sources answer the same respondent and question, so they got new "
                f"respondent ids: {', '.join(renamed)}"
            )
        return sources

    def _source_text(self, element: ET.Element, label: str) -> str:
        inline = _child(element, "PlainTextContent")
        if inline is not None:
            return _text(inline)
        where = element.get("plainTextPath")
        if not where:
            raise ThematicError(
                f"{self.path.name}: source '{label}' has no plain text (thematic reads plain text "
                f"sources; {REEXPORT} with plain text)"
            )
        if not where.startswith("internal://"):
            raise ThematicError(
                f"{self.path.name}: source '{label}' points to a file outside the archive ({where}) "
                f"(thematic reads only sources inside the .qdpx; {REEXPORT})"
            )
        name = where[len("internal://") :]
        if "/" in name or _unsafe(name) or not name:
            raise ThematicError(
                f"{self.path.name}: source '{label}' has the unsafe path {where} ({REEXPORT})"
            )
        data = self.archive.read(f"Sources/{name}")
        if data is None:
            raise ThematicError(
                f"{self.path.name}: source '{label}' is missing from the archive (Sources/{name}; {REEXPORT})"
            )
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ThematicError(
                f"{self.path.name}: source '{label}' (Sources/{name}) is not UTF-8 text ({REEXPORT})"
            ) from None

    def _unit_bounds(self, listed: str, label: str, length: int) -> list[tuple[int, int]]:
        bounds = []
        for part in [p.strip() for p in listed.split(",") if p.strip()]:
            match = _UNITS_RE.match(part)
            if not match or not 0 <= int(match.group(1)) < int(match.group(2)) <= length:
                shown = " ".join(part.split())
                raise ThematicError(
                    f"{self.path.name}: source '{label}' lists the unit '{shown}', which is not "
                    f"within its {length} characters ({REEXPORT})"
                )
            bounds.append((int(match.group(1)), int(match.group(2))))
        return bounds

    # writing
    def _respondents(
        self, attributes: dict[str, dict], sources: list[_Source], source_id: int, summary: RefiImportSummary
    ) -> None:
        from thematic.store import corpus

        known = corpus.respondent_attributes(self.project)
        new = {}
        for rid, attrs in attributes.items():
            if rid not in known:
                new[rid] = attrs
        for s in sources:
            if s.respondent not in known and s.respondent not in new:
                new[s.respondent] = {}
        corpus.insert_respondents(self.project, [(rid, attrs, source_id) for rid, attrs in new.items()])
        summary.respondents_new = len(new)

    def _responses(
        self, sources: list[_Source], unit_kind: str, source_id: int, summary: RefiImportSummary
    ) -> dict[str, list]:
        """Insert the new responses and their units; {source guid: [Unit]}."""
        from thematic.ingest.segment import Segment, sentences, unit_rows, whole_response
        from thematic.store import corpus
        from thematic.store.exports import find_response, response_units

        units: dict[str, list] = {}
        pending: list[tuple[_Source, int]] = []
        for s in sources:
            corpus.ensure_question(self.project, s.question, None)
            found = find_response(self.project, s.respondent, s.question)
            if found is not None:
                if found[1] != s.text:
                    raise ThematicError(
                        f"{self.path.name}: source '{s.name}' holds an answer of respondent "
                        f"'{s.respondent}' to '{s.question}' that differs from the one already in "
                        "the project (import it into a new project)"
                    )
                summary.responses_present += 1
                units[s.guid] = response_units(self.project, found[0])
                continue
            self.new_sources.add(s.guid)
            pending.append(
                (s, corpus.insert_response(self.project, s.respondent, s.question, s.text, source_id))
            )
        summary.responses_new = len(pending)
        need_split = [s.text for s, _ in pending if s.units is None and unit_kind == "sentence"]
        split = iter(sentences(need_split)) if need_split else iter(())
        rows = []
        for s, response_id in pending:
            if s.units is not None:
                segments = [Segment(a, b, s.text[a:b]) for a, b in s.units]
            elif unit_kind == "sentence":
                segments = next(split)
            else:
                segments = whole_response(s.text)
            rows += unit_rows(response_id, s.respondent, s.question, segments)
        corpus.insert_units(self.project, rows)
        summary.units_new = len(rows)
        for s, response_id in pending:
            units[s.guid] = response_units(self.project, response_id)
        return units

    def _keep_foreign_guids(self, codebook, sources: list[_Source]) -> None:
        """Another tool's GUIDs for codes (and its categories), sources and users, for the next export."""
        from thematic.export.refi import default_source_guid, default_user_guid

        try:
            kept = json.loads(self.project.meta(FOREIGN_GUIDS) or "{}")
        except ValueError:
            kept = {}
        # only for what this import created: an existing project keeps the GUIDs it already exports
        if codebook is not None and self.foreign["codes"] and self.summary.codebook_new:
            kept[codebook.codebook] = self.foreign
        for s in sources:
            if s.guid not in self.new_sources:
                continue
            raw = (s.element.get("guid") or "").strip()
            if is_guid(raw) and _key(raw) != default_source_guid(s.respondent, s.question):
                kept.setdefault(FOREIGN_SOURCES, {})[f"{s.respondent}\x1f{s.question}"] = raw
        for coder, raw in self.coder_guids.items():
            if coder not in self.coders_before and is_guid(raw) and _key(raw) != default_user_guid(coder):
                kept.setdefault(FOREIGN_USERS, {})[coder] = raw
        if kept:
            self.project.set_meta(FOREIGN_GUIDS, json.dumps(kept, sort_keys=True))

    def _use_codebook(self, codebook, summary: RefiImportSummary):
        """Make ``codebook`` the project's current one unless it is that already; returns the codebook
        the decisions refer to. Another tool's file whose codebook differs only in colours (QualCoder
        moves every colour onto its own palette) keeps the project's current codebook."""
        from dataclasses import replace

        from thematic.store.codebooks import current_version, use_codebook, version_by_hash

        summary.themes = len(codebook.themes)
        current = current_version(self.project)
        if current is not None and current.content_hash == codebook.content_hash():
            summary.codebook_version = current.number
            return current.codebook

        # Another tool may not keep what it has no place for: colours move onto its palette, and a file
        # with no structure at all (QualCoder drops REFI Sets) says nothing about exclusive groups or
        # residual themes, rather than that they were removed.
        def colourless(book):
            return replace(book, themes=tuple(replace(t, colour=None) for t in book.themes))

        def structureless(book):
            themes = tuple(replace(t, residual=False) for t in book.themes)
            return replace(book, themes=themes, exclusive=False, required=False, declared_groups=())

        if current is not None and not summary.from_thematic:
            mine, theirs = colourless(current.codebook), colourless(codebook)
            plain = theirs == structureless(theirs)
            if mine == theirs or (plain and structureless(mine) == theirs):
                summary.codebook_version = current.number
                lost = "its colours" if mine == theirs else (
                    "its colours and structure (exclusive groups, residual themes: the file has none)"
                )
                self.notes.append(
                    f"the file's codebook differs from version {current.number} only in {lost}; the project "
                    "keeps its own codebook version"
                )
                return current.codebook
        existed = version_by_hash(self.project, codebook.content_hash()) is not None
        version = use_codebook(self.project, codebook)
        summary.codebook_version = version.number
        summary.codebook_new = not existed
        if current is not None:
            self.notes.append(
                f"the imported codebook is now the current one (version {version.number}; it was "
                f"version {current.number})"
            )
        return codebook

    def _decisions(
        self,
        sources: list[_Source],
        units: dict[str, list],
        users: dict[str, str],
        theme_of: dict[str, str],
        codebook,
        sha: str,
        summary: RefiImportSummary,
    ) -> None:
        """The file's codings as decisions, in steps: whose they are, what each selection and each
        whole-source coding codes, one decision per coder x unit, then what was recorded and left out."""
        from thematic.store.decisions import by_uuid, record_many
        from thematic.store.decisions import coders as log_coders

        self.coders_before = set(log_coders(self.project))
        who = _Coders(self, users)
        tally = _Tally()
        acts: dict[tuple[str, str], list[_Act]] = {}
        for s in sources:
            whole = [_selection(c, s.element, who.coder_of) for c in _children(s.element, "Coding")]
            self._check_selections(s)
            self._selection_acts(s, units.get(s.guid, []), theme_of, who.coder_of, acts, tally, summary)
            self._whole_source_acts(whole, units.get(s.guid, []), theme_of, acts, tally)
        cb_hash = codebook.content_hash() if codebook is not None else None
        decisions = decisions_from_acts(acts, sha=sha, codebook_hash=cb_hash, now=utc_now())
        summary.selections = sum(len(_children(s.element, "PlainTextSelection")) for s in sources)
        summary.coders = sorted({d.coder for d in decisions})
        present = by_uuid(self.project, [d.uuid for d in decisions])
        fresh = self._changes([d for d in decisions if d.uuid not in present], summary)
        summary.decisions_new = record_many(self.project, fresh)
        summary.decisions_present = len(present)
        self.notes += tally.notes(who.renamed, summary)

    def _check_selections(self, s: _Source) -> None:
        """Every selection of the source lies within its text; a ThematicError names the first that
        does not."""
        for sel in _children(s.element, "PlainTextSelection"):
            start, end = self._offset(sel, "startPosition"), self._offset(sel, "endPosition")
            if not 0 <= start <= end <= s.raw_length:
                raise ThematicError(
                    f"{self.path.name}: a selection in source '{s.name}' runs from {start} to "
                    f"{end}, outside its {s.raw_length} characters ({REEXPORT})"
                )

    def _selection_acts(self, s: _Source, source_units: list, theme_of: dict[str, str], coder_of,
                        acts: dict, tally: _Tally, summary: RefiImportSummary) -> None:
        """Each selection of the source: the units it overlaps, the themes its codings name (a selection
        whose every code is unknown is left out: it does not say "no theme applies"), and whose it is."""
        from thematic.review.decisions import MACHINE

        for sel in _children(s.element, "PlainTextSelection"):
            a = s.mapping[self._offset(sel, "startPosition")]
            b = s.mapping[self._offset(sel, "endPosition")]
            hit = [u for u in source_units if a < u.end and b > u.start]
            exact = [(u.start, u.end) for u in hit] == [(a, b)]
            if not exact:
                tally.misaligned += 1
            codings = _children(sel, "Coding")
            themes, known = self._coded_themes(codings, theme_of, tally)
            if codings and not known:  # codes the codebook lacks: not "no theme applies"
                continue
            first = codings[0].get("creatingUser") if codings else None
            coder = coder_of(sel, sel.get("creatingUser"), sel.get("modifyingUser"), first)
            if coder == MACHINE:
                tally.machine_skipped += 1
                continue
            if not hit:
                tally.unplaced += 1
                continue
            if len(hit) > 1:
                summary.selections_split += 1
                summary.overlaps += [
                    {"selection": _key(sel.get("guid")), "coder": coder, "unit": u.id,
                     "start": max(a, u.start), "end": min(b, u.end)}
                    for u in hit
                ]
            note = self._note(sel)
            for u in hit:
                acts.setdefault((coder, u.id), []).append(
                    _Act(_key(sel.get("guid")), themes, _at(sel.get("creationDateTime")), note, exact)
                )

    def _coded_themes(self, codings: list[ET.Element], theme_of: dict[str, str],
                      tally: _Tally) -> tuple[set[str], bool]:
        """(the themes a selection's codings name, whether any of its codes is known: a theme, or the
        no-theme code); codes of case nodes and unknown codes are tallied."""
        themes: set[str] = set()
        known = False
        for coding in codings:
            ref = _child(coding, "CodeRef")
            target = _key(ref.get("targetGUID") if ref is not None else None)
            if target in theme_of:
                themes.add(theme_of[target])
                known = True
            elif target in self.no_theme:
                known = True
            elif target in self.case_codes:
                tally.case_codings += 1
            else:
                tally.unknown_codes.add(target)
        return themes, known

    def _whole_source_acts(self, whole: list[tuple[str, str, str, str | None]], source_units: list,
                           theme_of: dict[str, str], acts: dict, tally: _Tally) -> None:
        """Codings on the whole source (no selection; ``whole``: (GUID, coder, code GUID, time) each):
        each codes every unit of the source."""
        from thematic.review.decisions import MACHINE

        for guid, coder, target, at in whole:
            if coder == MACHINE:
                tally.machine_skipped += 1
                continue
            if target in self.no_theme:
                found: set[str] = set()
            elif target in self.case_codes:
                tally.case_codings += 1
                continue
            elif target in theme_of:
                found = {theme_of[target]}
            else:
                tally.unknown_codes.add(target)
                continue
            for u in source_units:
                acts.setdefault((coder, u.id), []).append(_Act(guid, found, at, "", len(source_units) == 1))

    def _changes(self, decisions: list, summary: RefiImportSummary) -> list:
        """The decisions that change something: one that repeats the coder's standing decision on the
        unit (same themes; same note, or none) adds nothing, so merging a file twice, or the same
        codings back from another tool under new GUIDs, leaves the log as it was."""
        from thematic.store.decisions import current_codings, latest_notes

        standing: dict[str, tuple[dict, dict]] = {}
        kept = []
        for d in decisions:
            if d.coder not in standing:
                standing[d.coder] = (
                    current_codings(self.project, d.coder),
                    latest_notes(self.project, d.coder),
                )
            codings, notes = standing[d.coder]
            if (
                d.unit_id in codings
                and codings[d.unit_id] == d.themes
                and d.note in (None, notes.get(d.unit_id))
            ):
                summary.decisions_same += 1
                continue
            kept.append(d)
        return kept

    def _note(self, selection: ET.Element) -> str:
        """A selection's note: its Description (QualCoder's coding memo), else the Notes it refers to."""
        described = _text(_child(selection, "Description")).strip()
        if described:
            return described
        refs = [self.note_texts.get(_key(r.get("targetGUID"))) for r in _children(selection, "NoteRef")]
        return "\n".join(t for t in refs if t)

    def _offset(self, selection: ET.Element, attribute: str) -> int:
        value = selection.get(attribute)
        if value is None or not re.fullmatch(r"\s*\d{1,12}\s*", value):
            what = f'has {attribute}="{value[:40]}"' if value is not None else f"has no {attribute}"
            raise ThematicError(
                f"{self._line(selection)}: {self._where(selection)} {what}, not a character offset (a "
                f"whole number from 0) ({REEXPORT})"
            )
        return int(value)


_SOURCE_KINDS = frozenset({"TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource"})
_REFERENCES = {
    "CodeRef": (frozenset({"Code"}), "the code"),
    "MemberCode": (frozenset({"Code"}), "the code"),
    "SourceRef": (_SOURCE_KINDS, "the source"),
    "MemberSource": (_SOURCE_KINDS, "the source"),
    "NoteRef": (frozenset({"Note"}), "the note"),
    "MemberNote": (frozenset({"Note"}), "the note"),
    "VariableRef": (frozenset({"Variable"}), "the variable"),
}


@dataclass(frozen=True)
class _Act:
    """What one selection (or whole-source coding) says about one unit."""

    guid: str  # the selection's (coding's) GUID
    themes: set[str]
    at: str | None
    note: str
    alone: bool  # the selection is exactly this one unit


@dataclass
class _Tally:
    """What the import left out or bent, for its notes."""

    misaligned: int = 0
    unplaced: int = 0
    case_codings: int = 0
    machine_skipped: int = 0
    unknown_codes: set[str] = field(default_factory=set)

    def notes(self, renamed: list[str], summary: RefiImportSummary) -> list[str]:
        notes = []
        if renamed:
            notes.append(f"user names became coder names: {', '.join(renamed)}")
        if self.machine_skipped:
            notes.append(
                f"left out {_plural(self.machine_skipped, 'coding')} by 'machine' (machine suggestions "
                "are not decisions; run `thematic suggest` to make them again)"
            )
        if self.unknown_codes:
            notes.append(
                f"left out the codings of {_plural(len(self.unknown_codes), 'code')} that the codebook "
                "does not hold"
            )
        if self.case_codings:
            notes.append(
                f"left out {_plural(self.case_codings, 'coding')} of case nodes (a code that shares its GUID "
                "with a case marks that case's text; thematic links respondents to answers itself)"
            )
        if self.unplaced:
            notes.append(
                f"left out {_plural(self.unplaced, 'selection')} that cover no unit's text (empty, or only "
                "white space between units)"
            )
        if summary.selections_split:
            notes.append(
                f"{_plural(summary.selections_split, 'selection')} spanned several units; each coded every "
                f"unit it overlaps ({len(summary.overlaps)} units; the exact overlaps are in the import's "
                "summary, `--json`)"
            )
        if self.misaligned and not summary.from_thematic:
            notes.append(
                f"{_plural(self.misaligned, 'selection')} did not line up with unit boundaries; each "
                "one coded every unit it overlaps"
            )
        if summary.decisions_same:
            notes.append(
                f"{_plural(summary.decisions_same, 'decision')} agreed with the coder's standing decision "
                "on the unit, so nothing was added for them"
            )
        return notes


class _Coders:
    """Whose a coding is: the file's user (by GUID) as a coder name, or ``--coder``; two users that would
    share a name, or a coding with no user and no ``--coder``, are refused."""

    def __init__(self, job: _Import, users: dict[str, str]):
        self.job = job
        self.users = users
        self.names: dict[str, str] = {}
        self.owner_of: dict[str, str] = {}  # coder name -> the user (GUID, or --coder) it stands for
        self.raw = {_key(g): g.strip() for g in job.user_guids}
        self.renamed: list[str] = []

    def coder_of(self, element: ET.Element, *guids: str | None) -> str:
        job = self.job
        for guid in guids:
            if guid and guid.strip() and _key(guid) in self.users:
                who, raw = _key(guid), self.users[_key(guid)]
                break
        else:
            if job.coder is None:
                raise ThematicError(
                    f"{job._line(element)}: {job._where(element)} names no user (no creatingUser), so "
                    f"nobody can tell whose coding it is (pass --coder NAME to record such codings as "
                    f"NAME's, or {REEXPORT} with its users)"
                )
            who, raw = "--coder", job.coder
        if who not in self.names:
            name = _coder_name(raw) if raw.strip() else f"user-{who[:8]}"
            if self.owner_of.setdefault(name, who) != who:
                raise ThematicError(
                    f"{job._line(element)}: two different users would both be coder '{name}' "
                    f"(user names '{raw}' and '{self.users.get(self.owner_of[name], job.coder)}'); their "
                    f"codings must not be merged (give them distinct names, then {REEXPORT})"
                )
            self.names[who] = name
            if who != "--coder":
                job.coder_guids[name] = self.raw.get(who, "")
            if name != raw:
                self.renamed.append(f"'{raw}' -> {name}")
        return self.names[who]


def decisions_from_acts(acts: dict[tuple[str, str], list[_Act]], *, sha: str, codebook_hash: str | None,
                        now: str) -> list:
    """One decision per (coder, unit): the union of what its selections code, their notes, the latest
    time. Its uuid is the selection's GUID when one selection is exactly the unit (an export of a
    thematic decision comes back as itself), else derived from the file and the selections."""
    from thematic.review.decisions import Decision, derived_uuid

    decisions = []
    for (coder, unit), parts in sorted(acts.items()):
        guids = sorted(p.guid for p in parts)
        if len(parts) == 1 and parts[0].alone and is_guid(guids[0]):
            uuid = guids[0]
        else:
            uuid = derived_uuid("refi", sha, coder, unit, *guids)
        times = [p.at for p in parts if p.at]
        themes = set().union(*(p.themes for p in parts))
        note = "\n".join(dict.fromkeys(p.note for p in parts if p.note)) or None
        decisions.append(Decision.new(coder, unit, themes, uuid=uuid, at=max(times) if times else now,
                                      codebook_hash=codebook_hash, note=note))
    return decisions


def _selection(coding: ET.Element, source: ET.Element, coder_of) -> tuple[str, str, str, str | None]:
    ref = _child(coding, "CodeRef")
    return (
        _key(coding.get("guid")),
        coder_of(coding, coding.get("creatingUser"), coding.get("modifyingUser"), source.get("creatingUser")),
        _key(ref.get("targetGUID") if ref is not None else None),
        _at(coding.get("creationDateTime")),
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _strip(element: ET.Element) -> ET.Element:
    """A deep copy of ``element`` with namespaces taken off every tag."""
    copy = ET.Element(_local(element.tag), dict(element.attrib))
    copy.text, copy.tail = element.text, None
    for child in element:
        copy.append(_strip(child))
    return copy


def _default_name(text: str) -> str:
    from thematic.codebook.model import slugify

    return slugify(text)[:60].strip("-") or "imported"
