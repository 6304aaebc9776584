"""import-refi refuses a .qdpx that would attribute codings to the wrong source, coder or code, and
one whose archive or XML is built to hurt the reader. Each test builds the hostile file; each refusal
is one line naming the element, and leaves the project as it was."""

from __future__ import annotations

import stat
import zipfile

import pytest

from tests.export.test_refi import fresh, make_qdpx, snapshot
from thematic.errors import ThematicError
from thematic.export.refi_import import import_refi

USER_A = "11111111-1111-4111-8111-111111111111"
USER_B = "11111111-1111-4111-8111-2222222222bb"
CODE = "22222222-2222-4222-8222-222222222222"
SRC_1 = "33333333-3333-4333-8333-333333333301"
SRC_2 = "33333333-3333-4333-8333-333333333302"
AGAIN = "export the project again from your QDA tool"


def qde(sources: str, *, users: str | None = None, codes: str | None = None, extra: str = "") -> str:
    users = (
        users
        if users is not None
        else f'<User guid="{USER_A}" name="ana"/><User guid="{USER_B}" name="ben"/>'
    )
    codes = codes if codes is not None else f'<Code guid="{CODE}" name="Risk" isCodable="true"/>'
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="p">\n'
        f"<Users>{users}</Users>\n<CodeBook><Codes>{codes}</Codes></CodeBook>\n"
        f"<Sources>\n{sources}\n</Sources>{extra}</Project>"
    )


def text_source(guid: str, name: str, text: str, selections: str = "") -> str:
    return (
        f'<TextSource guid="{guid}" name="{name}"><PlainTextContent>{text}</PlainTextContent>'
        f"{selections}</TextSource>"
    )


def sel(guid: str, start="0", end="5", user: str | None = USER_A, code: str = CODE, coding_guid=None) -> str:
    who = f' creatingUser="{user}"' if user else ""
    coding_guid = coding_guid or guid[:-4] + "cccc"
    return (
        f'<PlainTextSelection guid="{guid}" name="s" startPosition="{start}" endPosition="{end}"{who}>'
        f'<Coding guid="{coding_guid}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


S1 = "44444444-4444-4444-8444-000000000001"
S2 = "44444444-4444-4444-8444-000000000002"


def refused(tmp_path, build, **options) -> str:
    path = tmp_path / "x.qdpx"
    build(path)
    project = fresh(tmp_path)
    before = snapshot(project)
    with pytest.raises(ThematicError) as info:
        import_refi(project, path, **options)
    assert snapshot(project) == before
    return info.value.message


def test_two_sources_with_one_guid_are_refused(tmp_path):
    doc = qde(text_source(SRC_1, "R001", "Risky stuff", sel(S1)) + "\n" + text_source(SRC_1, "R002", "Fine"))
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        f"x.qdpx/project.qde:7: Sources/TextSource 'R002' has the GUID {SRC_1}, which Sources/TextSource "
        f"'R001' (line 6) has too (every element needs its own GUID, or codings land on the wrong one; "
        f"{AGAIN})"
    )


def test_two_users_with_one_guid_are_refused(tmp_path):
    doc = qde(
        text_source(SRC_1, "R001", "Risky stuff", sel(S1)),
        users=f'<User guid="{USER_A}" name="ana"/><User guid="{USER_A.upper()}" name="ben"/>',
    )
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        f"x.qdpx/project.qde:3: Users/User 'ben' has the GUID {USER_A.upper()}, which Users/User 'ana' "
        f"(line 3) has too (every element needs its own GUID, or codings land on the wrong one; {AGAIN})"
    )


def test_a_code_and_a_selection_sharing_a_guid_are_refused(tmp_path):
    doc = qde(text_source(SRC_1, "R001", "Risky stuff", sel(CODE)))
    message = refused(tmp_path, lambda p: make_qdpx(p, doc))
    assert message.startswith(
        f"x.qdpx/project.qde:6: Sources/TextSource 'R001'/PlainTextSelection 's' has the GUID {CODE}, which "
        "CodeBook/Codes/Code 'Risk' (line 4) has too"
    )


def test_two_users_with_one_name_are_not_merged(tmp_path):
    doc = qde(
        text_source(
            SRC_1, "R001", "Risky stuff", sel(S1) + sel(S2, user=USER_B, coding_guid=S2[:-4] + "dddd")
        ),
        users=f'<User guid="{USER_A}" name="Jane Doe"/><User guid="{USER_B}" name="Jane-Doe"/>',
    )
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        "x.qdpx/project.qde:6: two different users would both be coder 'Jane-Doe' (user names 'Jane-Doe' "
        f"and 'Jane Doe'); their codings must not be merged (give them distinct names, then {AGAIN})"
    )


def test_an_unknown_code_is_refused_not_read_as_no_theme(tmp_path):
    doc = qde(text_source(SRC_1, "R001", "Risky stuff", sel(S1, code="99999999-9999-4999-8999-999999999999")))
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        "x.qdpx/project.qde:6: <CodeRef> in Sources/TextSource 'R001'/PlainTextSelection 's'/Coding refers "
        f"to the code 99999999-9999-4999-8999-999999999999, which the file does not hold ({AGAIN})"
    )


def test_an_unknown_source_in_a_case_is_refused(tmp_path):
    case = (
        '<Cases><Case guid="55555555-5555-4555-8555-555555555555" name="R001">'
        '<SourceRef targetGUID="66666666-6666-4666-8666-666666666666"/></Case></Cases>'
    )
    doc = qde(text_source(SRC_1, "R001", "Risky stuff"), extra=case)
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        "x.qdpx/project.qde:7: <SourceRef> in Cases/Case 'R001' refers to the source "
        f"66666666-6666-4666-8666-666666666666, which the file does not hold ({AGAIN})"
    )


def test_an_unknown_user_is_refused(tmp_path):
    doc = qde(text_source(SRC_1, "R001", "Risky stuff", sel(S1, user="77777777-7777-4777-8777-777777777777")))
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        "x.qdpx/project.qde:6: Sources/TextSource 'R001'/PlainTextSelection 's' was made by the user "
        f"77777777-7777-4777-8777-777777777777 (creatingUser), whom <Users> does not list ({AGAIN})"
    )


def test_a_selection_without_a_user_needs_an_explicit_coder(tmp_path):
    from thematic.store.decisions import coders

    doc = qde(text_source(SRC_1, "R001", "Risky stuff", sel(S1, user=None)))
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        "x.qdpx/project.qde:6: Sources/TextSource 'R001'/PlainTextSelection 's' names no user (no "
        "creatingUser), so nobody can tell whose coding it is (pass --coder NAME to record such codings as "
        f"NAME's, or {AGAIN} with its users)"
    )
    project = fresh(tmp_path, "named.db")
    summary = import_refi(project, tmp_path / "x.qdpx", coder="zoe")
    assert summary.coders == ["zoe"] and summary.decisions_new == 1 and coders(project) == ["zoe"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("abc", 'has startPosition="abc"'), (None, "has no startPosition"), ("-3", 'has startPosition="-3"')],
)
def test_offsets_must_be_whole_numbers(tmp_path, value, shown):
    selection = sel(S1, start=value or "0")
    if value is None:
        selection = selection.replace(' startPosition="0"', "")
    doc = qde(text_source(SRC_1, "R001", "Risky stuff", selection))
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        f"x.qdpx/project.qde:6: Sources/TextSource 'R001'/PlainTextSelection 's' {shown}, not a character "
        f"offset (a whole number from 0) ({AGAIN})"
    )


def test_deep_code_nesting_is_refused_without_recursion_error(tmp_path):
    depth = 10_000
    codes = "".join(f'<Code guid="{i:08d}-0000-4000-8000-000000000000" name="c{i}">' for i in range(depth))
    codes += "</Code>" * depth
    doc = qde(text_source(SRC_1, "R001", "Risky stuff"), codes=codes)
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        f"x.qdpx/project.qde:4: elements are nested more than 110 deep ({AGAIN})"
    )


def test_deep_description_is_refused(tmp_path):
    deep = "<Description>" + "<b>" * 5000 + "x" + "</b>" * 5000 + "</Description>"
    doc = qde(
        text_source(SRC_1, "R001", "Risky stuff"), codes=f'<Code guid="{CODE}" name="Risk">{deep}</Code>'
    )
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)).endswith(f"are nested more than 110 deep ({AGAIN})")


@pytest.mark.parametrize(
    ("doctype", "shown"),
    [
        (
            '<!DOCTYPE Project SYSTEM "http://evil.example/refi.dtd">',
            "<!DOCTYPE Project ... http://evil.example/refi.dtd>",
        ),
        ("<!DOCTYPE Project>", "<!DOCTYPE Project>"),
    ],
)
def test_any_doctype_is_refused(tmp_path, doctype, shown):
    doc = qde(text_source(SRC_1, "R001", "Risky stuff")).replace("\n<Project", f"\n{doctype}\n<Project", 1)
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)) == (
        f"x.qdpx/project.qde: refused: it has a document type declaration ({shown}), which REFI-QDA files "
        f"never need (thematic reads no DTDs, so nothing in one can expand or be fetched; {AGAIN})"
    )


def _with_entry(path, name: str, mode: int, data: bytes) -> None:
    doc = qde(f'<TextSource guid="{SRC_1}" name="R001" plainTextPath="internal://{name.split("/")[-1]}"/>')
    make_qdpx(path, doc)
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(info, data)


def test_a_symlink_entry_is_refused_not_read_as_answer_text(tmp_path):
    message = refused(
        tmp_path, lambda p: _with_entry(p, "Sources/a.txt", stat.S_IFLNK | 0o777, b"/etc/passwd")
    )
    assert message == (
        "x.qdpx: refused: the archive holds a symbolic link ('Sources/a.txt') (a .qdpx holds only plain "
        f"files; {AGAIN})"
    )


def test_a_special_entry_is_refused(tmp_path):
    message = refused(tmp_path, lambda p: _with_entry(p, "Sources/a.txt", stat.S_IFIFO | 0o644, b""))
    assert message == (
        "x.qdpx: refused: the archive holds a special file (device, pipe or socket) ('Sources/a.txt') "
        f"(a .qdpx holds only plain files; {AGAIN})"
    )


def test_a_plain_unix_entry_is_read(tmp_path):
    from thematic.store.corpus import list_units

    _with_entry(tmp_path / "x.qdpx", "Sources/a.txt", stat.S_IFREG | 0o644, b"Plain answer")
    project = fresh(tmp_path)
    import_refi(project, tmp_path / "x.qdpx")
    assert [u.text for u in list_units(project)] == ["Plain answer"]


def test_nvivo_case_nodes_are_not_duplicates_nor_themes(tmp_path):
    """NVivo gives a case and the code that marks its text one GUID: allowed, and not read as a theme."""
    from thematic.store.codebooks import current_version
    from thematic.store.decisions import current_codings

    node = "66666666-6666-4666-8666-666666666666"
    doc = qde(
        text_source(SRC_1, "R001", "Risky stuff", sel(S1) + sel(S2, code=node, coding_guid=S2[:-4] + "dddd")),
        codes=f'<Code guid="{CODE}" name="Risk" isCodable="true"/><Code guid="{node}" name="Ana"/>',
        extra=f'<Cases><Case guid="{node}" name="R001"><SourceRef targetGUID="{SRC_1}"/></Case></Cases>',
    )
    make_qdpx(tmp_path / "n.qdpx", doc)
    project = fresh(tmp_path)
    summary = import_refi(project, tmp_path / "n.qdpx")
    assert current_version(project).codebook.ids() == ["risk"]
    assert list(current_codings(project, "ana").values()) == [{"risk"}]
    assert (
        "left out 1 coding of case nodes (a code that shares its GUID with a case marks that case's text; "
        "thematic links respondents to answers itself)"
    ) in summary.notes


def test_a_case_and_a_source_sharing_a_guid_are_refused(tmp_path):
    doc = qde(
        text_source(SRC_1, "R001", "Risky stuff"),
        extra=f'<Cases><Case guid="{SRC_1}" name="R001"><SourceRef targetGUID="{SRC_1}"/></Case></Cases>',
    )
    assert refused(tmp_path, lambda p: make_qdpx(p, doc)).startswith(
        f"x.qdpx/project.qde:7: Cases/Case 'R001' has the GUID {SRC_1}, which Sources/TextSource 'R001'"
    )
