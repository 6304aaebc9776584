"""Codebook versions in the project store."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DEMO_CODEBOOK
from thematic.codebook.load import load_codebook
from thematic.codebook.model import Codebook, Theme
from thematic.errors import ThematicError
from thematic.store.codebooks import (
    current_version,
    get_version,
    list_versions,
    previous_version,
    record_use,
    require_current,
    use_codebook,
    version_by_hash,
    version_history,
)


def book(definition: str = "Unsafe.") -> Codebook:
    return Codebook(
        "demo",
        themes=(
            Theme("risk", "Risk", definition, keywords=("danger",), colour="#aabbcc"),
            Theme("crisis", "Crisis", "Crisis handling.", parent_id="risk"),
        ),
    )


def test_no_codebook_yet(project):
    assert current_version(project) is None
    assert list_versions(project) == [] and version_history(project) == []
    with pytest.raises(
        ThematicError, match=re.escape("no codebook in use (run `thematic codebook use FILE` first)")
    ):
        require_current(project)
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "codebook version 1 not found (no codebook has been used in this project; run `thematic codebook "
            "use FILE` first)"
        ),
    ):
        get_version(project, 1)


def test_use_stores_a_version_once_per_content(project):
    v1 = use_codebook(project, book())
    assert (v1.number, v1.codebook, v1.name) == (1, book(), "demo")
    assert v1.content_hash == book().content_hash()
    assert use_codebook(project, book()) == v1  # same content: same version
    v2 = use_codebook(project, book("Unsafe for clients."))
    assert v2.number == 2 and current_version(project) == v2
    assert use_codebook(project, book()) == v1  # going back makes version 1 current again
    assert require_current(project) == v1
    assert previous_version(project) == v2
    assert [v.number for v in list_versions(project)] == [1, 2]
    assert version_by_hash(project, v2.content_hash) == v2
    assert version_by_hash(project, "0" * 64) is None
    history = version_history(project)
    assert [(h.version.number, h.uses, h.current) for h in history] == [(1, 3, True), (2, 1, False)]
    assert project.scalar("SELECT COUNT(*) FROM codebook_uses") == 4


def test_get_version_not_found(project):
    use_codebook(project, book())
    use_codebook(project, book("Other."))
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "codebook version 7 not found (this project has versions 1 to 2; list them with `thematic "
            "codebook versions`)"
        ),
    ):
        get_version(project, 7)


def test_theme_rows(project):
    v = use_codebook(project, book())
    rows = project.query(
        "SELECT id, position, parent_id, name, keywords, include_rules, colour FROM themes WHERE version_id "
        "= ? ORDER BY position",
        (v.number,),
    )
    assert [tuple(r) for r in rows] == [
        ("risk", 0, None, "Risk", '["danger"]', "[]", "#aabbcc"),
        ("crisis", 1, "risk", "Crisis", "[]", "[]", None),
    ]
    assert json.loads(rows[0]["keywords"]) == ["danger"]


def test_yaml_text_is_kept_as_written(project):
    text = DEMO_CODEBOOK.read_text(encoding="utf-8")
    cb = load_codebook(DEMO_CODEBOOK)
    use = record_use(project, cb, yaml_text=text)
    assert use.created and use.previous is None
    assert get_version(project, 1).yaml_text == text  # comments included
    assert get_version(project, 1).codebook == cb
    with pytest.raises(ValueError):
        record_use(project, book(), yaml_text=text)


def test_use_joins_an_outer_transaction(project):
    with pytest.raises(RuntimeError):
        with project.transaction():
            use_codebook(project, book())
            assert current_version(project).number == 1
            raise RuntimeError("the command failed later")
    assert current_version(project) is None
    assert project.scalar("SELECT COUNT(*) FROM themes") == 0


def test_works_in_a_project_with_units(demo_project):
    version = use_codebook(demo_project, load_codebook(DEMO_CODEBOOK))
    assert version.number == 1 and require_current(demo_project).codebook.ids()[0] == "negative-responses"
