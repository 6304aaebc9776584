"""REFI-QDA codebook exchange (``.qdc``): what NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette read.

Export writes one ``<Code>`` per theme (nested as the themes are), with a GUID that is a uuid5 of the
theme id (the same id gives the same GUID in every export) and a ``<Description>`` in a fixed layout::

    <definition>

    Include:
    - <rule>

    Exclude:
    - <rule>

    Examples:
    - <example>

    Counterexamples:
    - <counterexample>

    Keywords: <keyword>, <keyword>

    Id: <theme id>

Empty sections are left out; an item that runs over several lines continues on lines indented by two
spaces; a definition line that could be read as a section heading (or that starts with a backslash)
is written with a backslash in front. One ``<Set>``, whose GUID is a uuid5 of the codebook's name,
carries the name, title and description (``Title: <title>``, a blank line, the description) and
lists every code. Import reads that layout back exactly, so thematic -> .qdc -> thematic loses nothing.

A ``.qdc`` from another tool is read for what it holds: names, free-text descriptions (the
definition), nesting, colours, ``isCodable="false"`` category nodes (parent themes) and Sets (kept in
the codebook's description, since thematic has no sets). XML is parsed with defusedxml: a file that
declares entities is refused, and nothing is ever expanded or fetched.

>>> from thematic.codebook.model import Theme
>>> risk = Theme("risk", "Risk", "Says it is unsafe.", include=("crisis",), keywords=("risk", "unsafe"))
>>> print(describe(risk))
Says it is unsafe.
<BLANKLINE>
Include:
- crisis
<BLANKLINE>
Keywords: risk, unsafe
<BLANKLINE>
Id: risk
>>> theme_guid("risk")
'621830af-43cd-5ddc-9e6e-ff5eda80a4c0'
"""

from __future__ import annotations

import json
import uuid
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.etree import ElementTree as ET

from thematic.codebook.load import COLOUR_RE, bad_character, clean_text
from thematic.codebook.model import LIST_FIELDS, Codebook, Theme, ThemeGroup, is_slug, slugify
from thematic.errors import ThematicError

NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
THEME_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:thematic:theme")
CODEBOOK_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:thematic:codebook")
HEADERS = {
    "include": "Include:",
    "exclude": "Exclude:",
    "examples": "Examples:",
    "counterexamples": "Counterexamples:",
    "keywords": "Keywords:",
}
ID_PREFIX = "Id: "
TITLE_PREFIX = "Title: "
STRUCTURE_PREFIXES = ("Exclusive: ", "Required: ", "Residual: ", "Group: ")
MAX_DEPTH = 100
MAX_PROJECT_BYTES = 50_000_000
REEXPORT = "export the codebook again from your QDA tool"


def theme_guid(theme_id: str) -> str:
    """The GUID a theme's ``<Code>`` gets: stable per theme id across exports."""
    return str(uuid.uuid5(THEME_NAMESPACE, theme_id))


def codebook_guid(name: str) -> str:
    return str(uuid.uuid5(CODEBOOK_NAMESPACE, name))


def _same_guid(a: str, b: str) -> bool:
    return a.strip().strip("{}").lower() == b.strip().strip("{}").lower()


# -- the description layout -----------------------------------------------------------------------
def _special(line: str) -> bool:
    return (
        line in HEADERS.values()
        or line.startswith(("\\", HEADERS["keywords"] + " ", ID_PREFIX))
        or line.startswith(TITLE_PREFIX)
        or line.startswith(STRUCTURE_PREFIXES)
    )


def _escape(text: str) -> list[str]:
    return ["\\" + line if _special(line) else line for line in text.split("\n")]


def _inline_keywords(keywords: tuple[str, ...]) -> bool:
    return all("," not in k and "\n" not in k and k == k.strip() for k in keywords)


def describe(theme: Theme) -> str:
    """A theme's ``<Description>`` text, in the layout :func:`parse_description` reads back."""
    lines = _escape(theme.definition)
    for name in LIST_FIELDS:
        items = getattr(theme, name)
        if not items:
            continue
        lines.append("")
        if name == "keywords" and _inline_keywords(items):
            lines.append(f"{HEADERS[name]} {', '.join(items)}")
            continue
        lines.append(HEADERS[name])
        for item in items:
            first, *rest = item.split("\n")
            lines.append("- " + first)
            lines.extend("  " + line for line in rest)
    lines += ["", ID_PREFIX + theme.id]
    return "\n".join(lines)


@dataclass(frozen=True)
class Description:
    """What a ``<Description>`` says: the definition, the rule lists, and a theme id where one is given."""

    definition: str
    lists: dict = field(default_factory=dict)
    id: str | None = None


def parse_description(text: str) -> Description:
    """Read a description back. thematic's own layout (it ends with ``Id: <slug>``) is read exactly;
    any other text is the definition, unless it happens to follow the same layout of sections."""
    text = clean_text(text)
    lines = text.split("\n")
    ours = (
        len(lines) >= 2
        and lines[-1].startswith(ID_PREFIX)
        and lines[-2] == ""
        and is_slug(lines[-1][len(ID_PREFIX) :])
    )
    if ours:
        parsed = _parse_sections(lines[:-2], unescape=True)
        if parsed is not None:
            return Description(parsed[0], parsed[1], lines[-1][len(ID_PREFIX) :])
    parsed = _parse_sections(lines, unescape=False)
    if parsed is not None and parsed[0]:
        return Description(parsed[0], parsed[1])
    return Description(text)


def _header(line: str) -> str | None:
    for name, header in HEADERS.items():
        if line == header or (name == "keywords" and line.startswith(header + " ")):
            return name
    return None


def _parse_sections(lines: list[str], *, unescape: bool) -> tuple[str, dict] | None:
    """(definition, {field: items}) or None when the lines do not follow the layout."""
    start = next((i for i, line in enumerate(lines) if i > 0 and lines[i - 1] == "" and _header(line)), None)
    head = lines if start is None else lines[: start - 1]
    if unescape:
        head = [line[1:] if line.startswith("\\") else line for line in head]
    definition = "\n".join(head).strip()
    lists: dict = {}
    i = start if start is not None else len(lines)
    while i < len(lines):
        name = _header(lines[i])
        if name is None or name in lists:
            return None
        if lines[i] != HEADERS[name]:  # Keywords: a, b
            lists[name] = tuple(lines[i][len(HEADERS[name]) + 1 :].split(", "))
            i += 1
        else:
            items: list[str] = []
            i += 1
            while i < len(lines) and lines[i] != "":
                if lines[i].startswith("- "):
                    items.append(lines[i][2:])
                elif lines[i].startswith("  ") and items:
                    items[-1] += "\n" + lines[i][2:]
                else:
                    return None
                i += 1
            if not items:
                return None
            lists[name] = tuple(items)
        if i < len(lines):
            if lines[i] != "" or i + 1 == len(lines):
                return None
            i += 1
    if any(not item.strip() for items in lists.values() for item in items):
        return None
    return definition, lists


# -- export ---------------------------------------------------------------------------------------
def codes_element(codebook: Codebook) -> ET.Element:
    """The ``<Codes>`` element for a codebook, its tags unqualified: the document's root declares the
    default namespace (``xmlns="urn:QDA-XML:codebook:1.0"`` here, the project's in a ``.qde``)."""
    codes = ET.Element("Codes")

    def add(parent: ET.Element, theme: Theme) -> None:
        attrs = {"guid": theme_guid(theme.id), "name": theme.name, "isCodable": "true"}
        if theme.colour:
            attrs["color"] = theme.colour.upper()
        code = ET.SubElement(parent, "Code", attrs)
        ET.SubElement(code, "Description").text = describe(theme)
        for child in codebook.children(theme.id):
            add(code, child)

    for theme in codebook.children(None):
        add(codes, theme)
    return codes


def _group_dict(group: ThemeGroup) -> dict:
    return {
        "id": group.id,
        "name": group.name,
        "exclusive": group.exclusive,
        "required": group.required,
        "themes": list(group.themes),
    }


def group_guid(codebook: str, group: str) -> str:
    return str(uuid.uuid5(CODEBOOK_NAMESPACE, f"{codebook}/group/{group}"))


def _set_description(codebook: Codebook) -> str | None:
    lines = []
    if codebook.exclusive:
        lines.append("Exclusive: yes")
    if codebook.required:
        lines.append("Required: yes")
    for group in codebook.declared_groups:  # here too, since a .qdpx carries only this set
        lines.append("Group: " + json.dumps(_group_dict(group), ensure_ascii=False))
    residual = [t.id for t in codebook.themes if t.residual]
    if residual:
        lines.append("Residual: " + ", ".join(residual))
    if codebook.title:
        lines.append(TITLE_PREFIX + codebook.title)
    if codebook.description:
        if lines:
            lines.append("")
        lines += _escape(codebook.description)
    return "\n".join(lines) or None


def to_qdc(codebook: Codebook) -> str:
    """The codebook as a REFI-QDA ``.qdc`` document (valid against Codebook.xsd)."""
    from thematic import __version__

    root = ET.Element("CodeBook", {"xmlns": NS, "origin": f"thematic {__version__}"})
    root.append(codes_element(codebook))
    sets = ET.SubElement(root, "Sets")
    the_set = ET.SubElement(
        sets, "Set", {"guid": codebook_guid(codebook.codebook), "name": codebook.codebook}
    )
    description = _set_description(codebook)
    if description is not None:
        ET.SubElement(the_set, "Description").text = description
    for theme in codebook.themes:
        ET.SubElement(the_set, "MemberCode", {"guid": theme_guid(theme.id)})
    for group in codebook.declared_groups:  # REFI has sets but no exclusivity: it is said in words
        node = ET.SubElement(
            sets, "Set", {"guid": group_guid(codebook.codebook, group.id), "name": group.name or group.id}
        )
        ET.SubElement(node, "Description").text = "\n".join(
            [
                f"Group: {group.id}",
                f"Exclusive: {'yes' if group.exclusive else 'no'}",
                f"Required: {'yes' if group.required else 'no'}",
            ]
        )
        for theme_id in group.themes:
            ET.SubElement(node, "MemberCode", {"guid": theme_guid(theme_id)})
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


# -- import ---------------------------------------------------------------------------------------
@dataclass
class _Node:
    tag: str
    attrib: dict
    line: int | None
    children: list = field(default_factory=list)
    parts: list = field(default_factory=list)

    @property
    def ns(self) -> str:
        return self.tag[1:].split("}")[0] if self.tag.startswith("{") else ""

    @property
    def local(self) -> str:
        return self.tag.split("}")[-1]

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, local: str) -> list[_Node]:
        return [c for c in self.children if c.local == local]


class _Builder:
    """An ElementTree parser target that keeps each element's line number."""

    def __init__(self, source: str):
        self.source = source
        self.stack: list[_Node] = []
        self.root: _Node | None = None
        self.expat = None

    def start(self, tag, attrib):
        node = _Node(tag, dict(attrib), self.expat.CurrentLineNumber if self.expat is not None else None)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)
        if len(self.stack) > MAX_DEPTH + 4:
            raise ThematicError(
                f"{self.source}:{node.line}: elements are nested more than {MAX_DEPTH} deep ({REEXPORT})"
            )
        return node

    def end(self, tag):
        return self.stack.pop()

    def data(self, text):
        if self.stack:
            self.stack[-1].parts.append(text)

    def close(self):
        return self.root


def _parse_xml(data: bytes, source: str) -> _Node:
    from thematic.xmlsafe import parse_untrusted

    builder = _Builder(source)
    malformed = (
        f"not a REFI-QDA codebook: the file is not well-formed XML ({{reason}}) (a .qdc is the "
        f"XML codebook a QDA tool exports; {REEXPORT})"
    )
    root = parse_untrusted(data, builder, source, forbid_dtd=False, advice=REEXPORT, malformed=malformed,
                           unreadable="not a REFI-QDA codebook: the XML cannot be read")
    if root is None:  # pragma: no cover - expat reports an empty document as a ParseError
        raise ThematicError(f"{source}: the file holds no XML ({REEXPORT})")
    return root


@dataclass
class QdcImport:
    """A codebook read from a ``.qdc``, and what the reading changed (for the researcher to check)."""

    codebook: Codebook
    origin: str | None
    from_thematic: bool
    notes: list[str] = field(default_factory=list)

    def to_yaml(self, source: str) -> str:
        """The codebook as YAML, under comments that say where it came from and what to check."""
        import textwrap

        origin = f" ({' '.join(self.origin.split())})" if self.origin else ""
        header = [f"Imported from {source}{origin} by thematic."] + self.notes
        lines = [line for text in header for line in textwrap.wrap(text, 98)]
        return "".join(f"# {line}\n" for line in lines) + self.codebook.to_yaml()


def read_qdc(path: str | Path, *, name: str | None = None, default_name: str = "imported") -> QdcImport:
    """Read a ``.qdc`` (or the codebook inside a ``.qde`` / ``.qdpx`` project) into a codebook.

    ``name`` sets the codebook's name; without it, a thematic export keeps its own name and another
    tool's codebook gets ``default_name``.
    """
    path = Path(path)
    if not path.exists():
        raise ThematicError(f"file {path} not found (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder, not a .qdc file (pass the file)")
    if zipfile.is_zipfile(path):
        data = _project_from_zip(path)
    else:
        data = path.read_bytes()
    return parse_qdc(data, path.name, name=name, default_name=default_name)


def _project_from_zip(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:  # only project.qde is read; nothing is extracted
        try:
            info = archive.getinfo("project.qde")
        except KeyError:
            raise ThematicError(
                f"{path} is a zip file without project.qde (pass a .qdc codebook or a .qdpx project)"
            ) from None
        if info.file_size > MAX_PROJECT_BYTES:
            raise ThematicError(
                f"{path}: project.qde is {info.file_size} bytes, more than a codebook import reads "
                f"({MAX_PROJECT_BYTES}) (export the codebook alone as .qdc)"
            )
        return archive.read(info)


def parse_qdc(
    data: bytes, source: str = "<qdc>", *, name: str | None = None, default_name: str = "imported"
) -> QdcImport:
    root = _parse_xml(data, source)
    if root.local == "Project":
        books = root.find("CodeBook")
        if not books:
            raise ThematicError(f"{source}: the REFI-QDA project has no codebook (nothing to import)")
        book = books[0]
    elif root.local == "CodeBook":
        book = root
    else:
        raise ThematicError(
            f"{source}:{root.line}: not a REFI-QDA codebook: the document is <{root.local}>, not <CodeBook> "
            f"({REEXPORT} as .qdc)"
        )
    codes = book.find("Codes")
    if not codes:
        raise ThematicError(f"{source}:{book.line}: the codebook has no <Codes> element ({REEXPORT})")
    return _Importer(source, root.attrib.get("origin")).run(book, codes[0], name, default_name)


@dataclass
class _Code:
    guid: str
    name: str
    codable: bool
    colour: str | None
    description: str | None
    line: int | None
    children: list = field(default_factory=list)
    parsed: Description | None = None


class _Importer:
    def __init__(self, source: str, origin: str | None):
        self.source = source
        self.origin = origin
        self.notes: list[str] = []
        self.guids: dict[str, int | None] = {}
        self.bad_colours: list[str] = []
        self.ids_by_guid: dict[str, str] = {}

    def run(self, book: _Node, codes: _Node, name: str | None, default_name: str) -> QdcImport:
        tree = [self.code(node, 0) for node in codes.find("Code")]
        if not tree:
            raise ThematicError(f"{self.source}:{codes.line}: the codebook has no codes (nothing to import)")
        own_set, other_sets = self.sets(book)
        from_thematic = own_set is not None
        if not from_thematic:
            tree = self.nest_dotted(tree)
        themes: list[Theme] = []
        used: set[str] = set()
        self.missing: list[str] = []
        self.categories: list[str] = []
        for code in tree:
            self.themes(code, None, themes, used)
        if self.missing:
            self.notes.append(
                f"{_count(len(self.missing), 'code')} had no description, so each one's definition repeats "
                f"its name: {', '.join(self.missing)} (write real definitions before coding)"
            )
        if self.categories:
            self.notes.append(
                f'{_count(len(self.categories), "category code")} (isCodable="false") became '
                f"parent themes: {', '.join(self.categories)}"
            )
        if self.bad_colours:
            self.notes.append(f"colours that are not #RRGGBB were left out: {', '.join(self.bad_colours)}")
        title = description = None
        codebook_name = name
        structure: dict = {}
        if own_set is not None:
            codebook_name = codebook_name or own_set.attrib["name"]
            title, description, structure = self.own_set_text(own_set)
            other_sets = [s for s in other_sets if not self.group_set(s, own_set.attrib["name"])]
            if other_sets:
                description = ((description or "") + "\n\n" + self.provenance(other_sets, themes)).strip()
        else:
            description = self.provenance(other_sets, themes)
        codebook_name = codebook_name or default_name
        if not is_slug(codebook_name):
            raise ThematicError(
                f"codebook name '{codebook_name}' is not a slug (pass --name with lowercase letters, digits "
                f"and single hyphens, e.g. '{slugify(codebook_name) or 'imported'}')"
            )
        residual = set(structure.get("residual", ()))
        if residual:
            themes = [replace(t, residual=True) if t.id in residual else t for t in themes]
        codebook = Codebook(
            codebook=codebook_name,
            title=title,
            description=description,
            themes=tuple(themes),
            exclusive=structure.get("exclusive", False),
            required=structure.get("required", False),
            declared_groups=tuple(structure.get("groups", ())),
        )
        return QdcImport(codebook, self.origin, from_thematic, self.notes)

    # reading <Code> elements
    def code(self, node: _Node, depth: int) -> _Code:
        where = f"{self.source}:{node.line}"
        if depth > MAX_DEPTH:
            raise ThematicError(f"{where}: codes are nested more than {MAX_DEPTH} deep ({REEXPORT})")
        name = node.attrib.get("name")
        label = f"code '{' '.join(name.split())}'" if name else "a <Code>"
        guid = node.attrib.get("guid")
        if guid is None or not guid.strip():
            raise ThematicError(
                f"{where}: {label} has no guid attribute (every <Code> needs one; {REEXPORT})"
            )
        if name is None or not name.strip():
            raise ThematicError(f"{where}: the code with guid {guid} has no name ({REEXPORT})")
        key = guid.strip().strip("{}").lower()
        if key in self.guids:
            raise ThematicError(
                f"{where}: {label} has the guid {guid}, which the code at line {self.guids[key]} has too "
                f"(every code needs its own guid; {REEXPORT})"
            )
        self.guids[key] = node.line
        codable = node.attrib.get("isCodable", "true").strip().lower() not in ("false", "0")
        descriptions = node.find("Description")
        description = clean_text(descriptions[0].text) if descriptions else None
        for text in (name, description or ""):
            bad = bad_character(text)
            if bad:
                raise ThematicError(f"{where}: {label} holds the control character {bad} ({REEXPORT})")
        code = _Code(
            guid.strip(),
            " ".join(name.split()),
            codable,
            self.colour(node.attrib.get("color"), name),
            description or None,
            node.line,
        )
        code.parsed = parse_description(code.description) if code.description else None
        code.children = [self.code(child, depth + 1) for child in node.find("Code")]
        return code

    def colour(self, value: str | None, name: str) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not COLOUR_RE.match(value):
            self.bad_colours.append(f"{value} ({' '.join(name.split())})")
            return None
        value = value.lower()
        return "#" + "".join(c * 2 for c in value[1:]) if len(value) == 4 else value

    def nest_dotted(self, tree: list[_Code]) -> list[_Code]:
        """Taguette writes sub-tags as flat codes named ``parent.child``: nest them under the parent."""
        by_name = {code.name: code for code in tree}
        top, moved = [], []
        for code in tree:
            parent = None
            if code.parsed is None or code.parsed.id is None:
                parts = code.name.split(".")
                for cut in range(len(parts) - 1, 0, -1):
                    parent = by_name.get(".".join(parts[:cut]))
                    if parent is not None and parent is not code:
                        code.name = ".".join(parts[cut:]).strip() or code.name
                        break
                    parent = None
            if parent is None:
                top.append(code)
            else:
                parent.children.append(code)
                moved.append(f"{code.name} (under {parent.name})")
        if moved:
            self.notes.append(f"dotted names became sub-themes: {', '.join(moved)}")
        return top

    # building themes
    def themes(self, code: _Code, parent: str | None, out: list[Theme], used: set[str]) -> None:
        parsed = code.parsed or Description("")
        theme_id = parsed.id if parsed.id and parsed.id not in used else self.new_id(code, used)
        used.add(theme_id)
        self.ids_by_guid[code.guid.strip("{}").lower()] = theme_id
        definition = parsed.definition
        if not definition:
            if not code.codable and code.children:
                definition = "A category that groups " + ", ".join(c.name for c in code.children) + "."
            else:
                definition = code.name
                self.missing.append(code.name)
        if not code.codable:
            self.categories.append(code.name)
        out.append(
            Theme(
                id=theme_id,
                name=code.name,
                definition=definition,
                colour=code.colour,
                parent_id=parent,
                **{k: parsed.lists.get(k, ()) for k in LIST_FIELDS},
            )
        )
        for child in code.children:
            self.themes(child, theme_id, out, used)

    def new_id(self, code: _Code, used: set[str]) -> str:
        base = slugify(code.name)[:60].strip("-") or "code-" + code.guid.strip("{}").lower()[:8]
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    # sets
    def sets(self, book: _Node) -> tuple[_Node | None, list[_Node]]:
        own, others = None, []
        for sets in book.find("Sets"):
            for node in sets.find("Set"):
                set_name = node.attrib.get("name", "")
                if (
                    own is None
                    and is_slug(set_name)
                    and _same_guid(node.attrib.get("guid", ""), codebook_guid(set_name))
                ):
                    own = node
                else:
                    others.append(node)
        return own, others

    def group_set(self, node: _Node, codebook: str) -> bool:
        """True for a group Set that thematic wrote (the own set's ``Group:`` lines carry the group)."""
        descriptions = node.find("Description")
        lines = clean_text(descriptions[0].text).split("\n") if descriptions else []
        if not lines or not lines[0].startswith("Group: "):
            return False
        return _same_guid(node.attrib.get("guid", ""), group_guid(codebook, lines[0][len("Group: ") :]))

    def own_set_text(self, node: _Node) -> tuple[str | None, str | None, dict]:
        descriptions = node.find("Description")
        if not descriptions:
            return None, None, {}
        lines = clean_text(descriptions[0].text).split("\n")
        structure: dict = {}
        while lines and lines[0].startswith(("Exclusive: yes", "Required: yes", "Residual: ", "Group: {")):
            line = lines.pop(0)
            if line.startswith("Residual: "):
                structure["residual"] = line[len("Residual: ") :].split(", ")
            elif line.startswith("Group: "):
                try:
                    g = json.loads(line[len("Group: ") :])
                    group = ThemeGroup(
                        str(g["id"]), tuple(g["themes"]), bool(g["exclusive"]), bool(g["required"]), g["name"]
                    )
                except (ValueError, KeyError, TypeError):
                    raise ThematicError(
                        f"{self.source}: the codebook's set has a group that cannot be read: {line[:80]} "
                        f"({REEXPORT})"
                    ) from None
                structure.setdefault("groups", []).append(group)
            else:
                structure[line.split(":")[0].lower()] = True
        title = None
        if lines and lines[0].startswith(TITLE_PREFIX):
            title = lines[0][len(TITLE_PREFIX) :].strip() or None
            lines = lines[2:] if len(lines) > 1 and lines[1] == "" else lines[1:]
        description = "\n".join(line[1:] if line.startswith("\\") else line for line in lines).strip()
        return title, description or None, structure

    def provenance(self, sets: list[_Node], themes: list[Theme]) -> str:
        origin = f" ({' '.join(self.origin.split())})" if self.origin else ""
        lines = [f"Imported from {self.source}{origin}."]
        if sets:
            lines += ["", "Sets in the imported codebook:"]
            for node in sets:
                members = [
                    self.ids_by_guid.get(m.attrib.get("guid", "").strip().strip("{}").lower())
                    for m in node.find("MemberCode")
                ]
                desc = node.find("Description")
                text = " ".join(clean_text(desc[0].text).split()) if desc else ""
                listed = f" ({', '.join(m for m in members if m)})" if any(members) else ""
                lines.append(
                    f"- {' '.join(node.attrib.get('name', '').split())}{listed}"
                    + (f": {text}" if text else "")
                )
            self.notes.append(
                f"{_count(len(sets), 'set')} kept in the codebook's description (thematic has no sets)"
            )
        return "\n".join(lines)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
