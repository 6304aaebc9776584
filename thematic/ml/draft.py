"""A draft codebook from a discovery run, for a researcher who starts with no codebook.

Each cluster (not the unclustered units) becomes a theme: its id a slug of its top two keywords, its
name its top three keywords, a definition that says where it came from and asks to be rewritten, its
exemplars as examples and its keywords as keywords. The text is YAML in the codebook format of
DESIGN.md, and :func:`thematic.codebook.load.parse_codebook` reads it (the tests check it).
"""

from __future__ import annotations

import re

from thematic.errors import ThematicError

MAX_EXAMPLE_CHARS = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _one_line(text: str, limit: int | None = None) -> str:
    text = " ".join(_CONTROL.sub(" ", text).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def _slug(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def draft_codebook(run, *, name: str = "draft") -> str:
    """YAML text of a draft codebook with one theme per cluster of ``run`` (a DiscoverRun)."""
    import yaml

    clusters = [c for c in run.clusters if c.cluster >= 0]
    if not clusters:
        raise ThematicError("the run has no clusters to draft a codebook from "
                            "(rerun with --method agglomerative or kmeans)")
    themes, used = [], set()
    for c in clusters:
        words = [w for w in (_one_line(k) for k in c.keywords) if w]
        slug = _slug("-".join(words[:2]))[:40].strip("-") or f"cluster-{c.cluster}"
        if slug in used:
            slug = f"{slug}-{c.cluster}"
        used.add(slug)
        label = ", ".join(words[:3]) if words else f"Cluster {c.cluster}"
        nearest = (f" Nearest theme of the codebook in use: {c.nearest_theme} (cosine {c.similarity:.2f}"
                   + ("; a candidate new theme)." if c.is_candidate else ").")) if c.nearest_theme else ""
        theme = {
            "id": slug,
            "name": label[:1].upper() + label[1:],
            "definition": (f"Draft from discovery run {run.id}, cluster {c.cluster} ({c.size} "
                           f"{'unit' if c.size == 1 else 'units'}): answers about "
                           f"{', '.join(words[:5]) or 'the exemplars below'}.{nearest} "
                           "Rewrite this as a rule a second coder can apply."),
        }
        examples = [_one_line(e.text, MAX_EXAMPLE_CHARS) for e in c.exemplars]
        examples = list(dict.fromkeys(t for t in examples if t))
        if examples:
            theme["examples"] = examples
        if words:
            theme["keywords"] = words
        themes.append(theme)
    p = run.parameters
    document = {
        "codebook": _slug(name) or "draft",
        "title": f"Draft codebook from discovery run {run.id}",
        "description": (f"{len(themes)} themes drafted from the clusters of discovery run {run.id} "
                        f"({p.get('method')}, k={p.get('k')}, random_state={p.get('random_state')}, "
                        f"model {p.get('model_name') or run.model}). Names, definitions and ids are machine "
                        "drafts: rename, merge, split and rewrite them before coding with this codebook."),
        "themes": themes,
    }
    header = (f"# Draft codebook written by `thematic discover --draft-codebook` from run {run.id}.\n"
              "# Every definition is a placeholder: rewrite each before anyone codes with it.\n")
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
