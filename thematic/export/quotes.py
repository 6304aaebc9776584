"""The quote bank a results section is written from: `thematic export quotes`.

One sheet (xlsx) or section (markdown) per theme, in codebook order: the theme's name and definition,
then every excerpt (coding unit) the coder coded with it, with the respondent's id and attributes.
An index sheet (or the top of the markdown) lists the themes with their counts.

In markdown, survey text is escaped (backslashes before ``* _ [ ] < > ` |`` and the like), so an answer
that contains markup, HTML or a ``<script>`` shows as typed and is never run or rendered.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from thematic.errors import ThematicError
from thematic.export.data import Coded, CodedUnit, ThemeInfo, load_coded
from thematic.export.writers import (
    add_sheet,
    atomic_write,
    choose_format,
    count_guarded,
    new_workbook,
    sheet_title,
)
from thematic.outfile import check_output
from thematic.store.project import Project

FORMATS = ("xlsx", "md")
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~&])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MD_LINE_START = re.compile(r"^(\s*)([-=+#]|\d+[.)])", re.MULTILINE)


@dataclass(frozen=True)
class QuotesSummary:
    path: str
    format: str
    coder: str
    themes: int
    excerpts: int
    guarded: int

    def to_dict(self) -> dict:
        return asdict(self)


def md_escape(text: str, *, inline: bool = False) -> str:
    r"""Survey text for markdown: shown exactly as typed, never read as markup or HTML.

    Backslashes go before the characters that could start markup (``\ ` * _ [ ] < > | ~ &``; an
    underscore inside a word is left alone), and, unless ``inline``, before what would start a
    heading, list or rule at the start of a line.

    >>> print(md_escape("<script>alert(1)</script> [b]bold[/b] *x* would_consider"))
    \<script\>alert(1)\</script\> \[b\]bold\[/b\] \*x\* would_consider
    >>> print(md_escape("- not a list"))
    \- not a list
    >>> print(md_escape("0.1.0", inline=True))
    0.1.0
    """
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)
    if inline:
        return text
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def theme_excerpts(coded: Coded) -> list[tuple[ThemeInfo, list[CodedUnit]]]:
    """(theme, the units coded with it, in corpus order) for every theme, in codebook order."""
    return [(t, [cu for cu in coded.coded if t.id in cu.themes]) for t in coded.themes]


def _attributes_text(attributes: dict, names: list[str]) -> str:
    return "; ".join(f"{k}: {attributes[k]}" for k in names if attributes.get(k) not in (None, ""))


def export_quotes(
    project: Project,
    out: str | Path,
    *,
    coder: str,
    fmt: str | None = None,
    question: str | None = None,
    attributes: list[str] | None = None,
    force: bool = False,
) -> QuotesSummary:
    """Write the quote bank of ``coder`` to ``out`` (.xlsx or .md). ``attributes`` picks the respondent
    attributes shown beside each excerpt (default: all)."""
    out = Path(out)
    fmt = choose_format(out, fmt, FORMATS)
    check_output(out, project=project, force=force)
    coded = load_coded(project, coder, question=question)
    names = coded.attribute_names
    if attributes:
        unknown = [a for a in attributes if a not in names]
        if unknown:
            raise ThematicError(
                f"attribute '{unknown[0]}' not found (attributes are: {', '.join(names) or 'none'})"
            )
        names = list(attributes)
    banks = theme_excerpts(coded)
    if not coded.themes:
        raise ThematicError(f"coder '{coder}' has coded no theme yet (nothing to quote)")
    excerpts = sum(len(units) for _, units in banks)
    guarded = 0

    if fmt == "md":
        text = quotes_markdown(coded, banks, names)
        atomic_write(out, lambda path: path.write_text(text, encoding="utf-8"))
    else:
        index_header = ["theme_id", "theme_name", "excerpts", "respondents", "sheet"]
        used: set[str] = {"index"}
        titles = [sheet_title(t.name, used) for t, _ in banks]
        index_rows = [
            [t.id, t.name, len(units), len({cu.unit.respondent_id for cu in units}), title]
            for (t, units), title in zip(banks, titles, strict=True)
        ]
        sheets = []
        for (theme, units), title in zip(banks, titles, strict=True):
            header = ["respondent_id", *names, "excerpt", "unit_id", "question_id"]
            rows = [
                [
                    cu.unit.respondent_id,
                    *(cu.attributes.get(a) for a in names),
                    cu.unit.text,
                    cu.unit.id,
                    cu.unit.question_id,
                ]
                for cu in units
            ]
            preamble = [
                [theme.name],
                [theme.definition or "(not in the current codebook)"],
                [
                    f"{len(units)} excerpts from {len({cu.unit.respondent_id for cu in units})} respondents; "
                    f"coder {coder}"
                ],
            ]
            guarded += count_guarded(rows)
            sheets.append((title, header, rows, preamble))

        def write(path: Path) -> None:
            wb = new_workbook()
            add_sheet(wb, "index", index_header, index_rows, widths={"theme_name": 32})
            for title, header, rows, preamble in sheets:
                add_sheet(wb, title, header, rows, preamble=preamble, widths={"excerpt": 80})
            wb.save(path)

        atomic_write(out, write)
    return QuotesSummary(str(out), fmt, coder, len(banks), excerpts, guarded)


def quotes_markdown(coded: Coded, banks: list[tuple[ThemeInfo, list[CodedUnit]]], names: list[str]) -> str:
    title = coded.codebook_title or coded.codebook_name or "themes"
    lines = [
        f"# Quote bank: {md_escape(title)}",
        "",
        f"Coder: {md_escape(coded.coder)}. {sum(len(u) for _, u in banks)} excerpts under "
        f"{len(banks)} themes" + (f" (question {md_escape(coded.question)})." if coded.question else "."),
        "",
        "| theme | excerpts | respondents |",
        "| --- | ---: | ---: |",
    ]
    for theme, units in banks:
        lines.append(
            f"| {md_escape(theme.name)} | {len(units)} | {len({cu.unit.respondent_id for cu in units})} |"
        )
    for theme, units in banks:
        lines += ["", f"## {md_escape(theme.name)}", ""]
        if theme.definition:
            lines += [f"*{md_escape(' '.join(theme.definition.split()))}*", ""]
        if not theme.in_codebook:
            lines += ["(This theme id is not in the current codebook.)", ""]
        if not units:
            lines.append("No excerpts.")
            continue
        for cu in units:
            lines += ["> " + line if line else ">" for line in md_escape(cu.unit.text).split("\n")]
            about = _attributes_text(cu.attributes, names)
            lines += [
                ">",
                f"> — {md_escape(cu.unit.respondent_id)}" + (f" ({md_escape(about)})" if about else ""),
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
