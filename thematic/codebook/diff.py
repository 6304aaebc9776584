"""What changed between two codebooks, theme by theme (themes are matched by id).

>>> from thematic.codebook.model import Codebook, Theme
>>> old = Codebook("demo", themes=(Theme("risk", "Risk", "Unsafe."), Theme("cost", "Cost", "Cheap.")))
>>> new = Codebook("demo", themes=(Theme("risk", "Risks", "Unsafe for clients."),
...                                 Theme("access", "Access", "Reach.")))
>>> d = diff_codebooks(old, new)
>>> [t.id for t in d.added], [t.id for t in d.removed], d.renamed
(['access'], ['cost'], (('risk', 'Risk', 'Risks'),))
>>> [(c.id, [f.field for f in c.changes]) for c in d.changed]
[('risk', ['definition'])]
"""

from __future__ import annotations

from dataclasses import dataclass

from thematic.codebook.model import LIST_FIELDS, Codebook, Theme

COMPARED_FIELDS = ("definition", *LIST_FIELDS, "colour", "parent_id", "residual")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object

    def to_dict(self) -> dict:
        def plain(v):
            return list(v) if isinstance(v, tuple) else v

        return {"field": self.field, "old": plain(self.old), "new": plain(self.new)}


@dataclass(frozen=True)
class ThemeChange:
    """A theme in both codebooks whose content other than its name changed."""

    id: str
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class CodebookDiff:
    added: tuple[Theme, ...]
    removed: tuple[Theme, ...]
    renamed: tuple[tuple[str, str, str], ...]  # (id, old name, new name)
    changed: tuple[ThemeChange, ...]
    metadata: tuple[FieldChange, ...]  # codebook name, title, description
    reordered: bool  # the themes both codebooks share come in a different order
    id_changes: tuple[tuple[str, str], ...] = ()  # (removed id, added id) with the same name or definition

    @property
    def same(self) -> bool:
        return not (
            self.added or self.removed or self.renamed or self.changed or self.metadata or self.reordered
        )

    def summary(self) -> str:
        """One line: ``1 added, 1 removed, 1 renamed, 2 changed`` (or ``no changes``)."""
        parts = [
            f"{len(x)} {word}"
            for x, word in (
                (self.added, "added"),
                (self.removed, "removed"),
                (self.renamed, "renamed"),
                (self.changed, "changed"),
            )
            if x
        ]
        if self.metadata:
            parts.append(", ".join(f.field for f in self.metadata) + " changed")
        if self.reordered:
            parts.append("themes reordered")
        return ", ".join(parts) or "no changes"

    def to_dict(self) -> dict:
        return {
            "added": [{"id": t.id, "name": t.name} for t in self.added],
            "removed": [{"id": t.id, "name": t.name} for t in self.removed],
            "renamed": [{"id": i, "old": a, "new": b} for i, a, b in self.renamed],
            "changed": [
                {"id": c.id, "name": c.name, "changes": [f.to_dict() for f in c.changes]}
                for c in self.changed
            ],
            "metadata": [f.to_dict() for f in self.metadata],
            "reordered": self.reordered,
            "id_changes": [{"old": a, "new": b} for a, b in self.id_changes],
        }


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    old_ids, new_ids = old.ids(), new.ids()
    added = tuple(t for t in new.themes if t.id not in old_ids)
    removed = tuple(t for t in old.themes if t.id not in new_ids)
    renamed, changed = [], []
    for theme in new.themes:
        if theme.id not in old_ids:
            continue
        before = old.theme(theme.id)
        if before.name != theme.name:
            renamed.append((theme.id, before.name, theme.name))
        changes = tuple(
            FieldChange(f, getattr(before, f), getattr(theme, f))
            for f in COMPARED_FIELDS
            if getattr(before, f) != getattr(theme, f)
        )
        if changes:
            changed.append(ThemeChange(theme.id, theme.name, changes))
    metadata = tuple(
        FieldChange(f, getattr(old, f), getattr(new, f))
        for f in ("codebook", "title", "description")
        if getattr(old, f) != getattr(new, f)
    )
    if _structure(old) != _structure(new):  # groups, exclusive, required: one line each side
        metadata += (FieldChange("structure", old.structure_summary(), new.structure_summary()),)
    shared = [i for i in old_ids if i in new_ids]
    reordered = shared != [i for i in new_ids if i in old_ids]
    id_changes = []
    for gone in removed:
        match = next((t for t in added if t.name == gone.name or t.definition == gone.definition), None)
        if match is not None and match.id not in [b for _, b in id_changes]:
            id_changes.append((gone.id, match.id))
    return CodebookDiff(
        added, removed, tuple(renamed), tuple(changed), metadata, reordered, tuple(id_changes)
    )


def _structure(codebook: Codebook) -> tuple:
    return codebook.exclusive, codebook.required, codebook.declared_groups


def word_diff(old: str, new: str, *, context: int = 5) -> list[str]:
    """The changed words of a long text, ``git diff --word-diff`` style, a few words of context each side.

    >>> word_diff("The respondent weighs benefits and limits together in one answer.",
    ...           "The respondent weighs gains and limits together in one answer.", context=2)
    ['... respondent weighs [-benefits-]{+gains+} and limits ...']
    """
    import difflib

    a, b = old.split(), new.split()
    hunks = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(context):
        words = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                words += a[i1:i2]
                continue
            change = ""
            if i2 > i1:
                change += "[-" + " ".join(a[i1:i2]) + "-]"
            if j2 > j1:
                change += "{+" + " ".join(b[j1:j2]) + "+}"
            words.append(change)
        first, last = group[0], group[-1]
        lead = "... " if first[1] > 0 else ""
        tail = " ..." if last[2] < len(a) else ""
        hunks.append(lead + " ".join(words) + tail)
    return hunks

