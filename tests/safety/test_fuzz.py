"""Issue 14, the fuzz: random decision lines and random CSV bytes fed to the importers.

Properties, for every example:
* no internal error (exit 1 with "this is a bug in thematic"), no traceback;
* a refusal (exit 2) leaves the project byte for byte as it was (compared as an SQL dump);
* an accepted decisions file leaves a log that `thematic check` finds clean (so nothing slipped
  past the validator);
* an accepted CSV stored exactly the answers that were meant (nothing shifted, swallowed, lost or
  mis-decoded).

Set THEMATIC_FUZZ_EXAMPLES to run more examples (the counts are printed with `pytest -s`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import uuid as uuid_module
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.safety.conftest import snapshot

EXAMPLES = int(os.environ.get("THEMATIC_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
BUG = "this is a bug in thematic"


def _fresh(small, name: str):
    path = small.folder / f"{name}-{uuid_module.uuid4().hex[:8]}.db"
    shutil.copy(small.path, path)
    return path


def _report(counts: Counter, what: str) -> None:
    print(
        f"\nfuzz {what}: {counts['tried']} tried, {counts['accepted']} accepted, {counts['refused']} refused "
        f"cleanly, {counts['internal']} internal errors, {counts['silent']} silent changes"
    )


# -- decision lines -----------------------------------------------------------------------------------


def _decision_lines(base: dict, units: list[str], themes: list[str]):
    text = st.text(max_size=12)
    uuids = st.one_of(st.uuids().map(str), text, st.just(base["uuid"]))
    record = st.fixed_dictionaries(
        {
            "uuid": uuids,
            "coder": st.one_of(
                st.sampled_from(["ana", "ANA", "ben", "consensus", "Machine", "=cmd", "@x", ""]), text
            ),
            "unit_id": st.one_of(st.sampled_from(units), text),
            "themes": st.lists(st.one_of(st.sampled_from(themes), text), max_size=3),
            "kind": st.one_of(st.sampled_from(["code", "skip", "flag", "undo"]), text),
            "target_uuid": st.one_of(st.none(), uuids),
            "note": st.one_of(st.none(), text),
            "codebook_hash": st.one_of(st.just(base["codebook_hash"]), st.none(), text),
            "suggestions": st.one_of(st.none(), st.just({}), st.integers()),
            "at": st.one_of(
                st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
                st.just("9999-12-31T00:00:00.000000Z"),
                text,
            ),
        }
    )
    line = st.one_of(
        record.map(lambda r: json.dumps(r).encode()),
        record.map(lambda r: json.dumps({k: v for k, v in r.items() if k != "at"}).encode()),
        st.binary(max_size=40),
        st.just(b"[" * 3000),
    )
    return st.lists(line, min_size=1, max_size=5)


def test_fuzz_decision_lines(small, cli):
    out = small.folder / "base.jsonl"
    assert cli("decisions", "export", "--out", out).exit_code == 0
    base = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    themes = ["negative-responses", "possibilities-of-ai", "mixed-support", "therapeutic-risks"]
    counts: Counter = Counter()

    @FUZZ
    @given(lines=_decision_lines(base, small.units, themes), skip_bad=st.booleans())
    def run(lines, skip_bad):
        project = _fresh(small, "d")
        path = small.folder / "fuzz.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        before = snapshot(project)
        result = cli("decisions", "import", path, *(["--skip-bad"] if skip_bad else []), project=project)
        counts["tried"] += 1
        if BUG in result.stderr or "Traceback" in result.stderr:
            counts["internal"] += 1
        elif result.exit_code == 0:
            counts["accepted"] += 1
            check = cli("check", project=project)
            if check.exit_code != 0:
                counts["silent"] += 1
        else:
            counts["refused"] += 1
            if snapshot(project) != before:
                counts["silent"] += 1
        assert BUG not in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert result.exit_code in (0, 2), result.stderr
        if result.exit_code == 0:
            assert cli("check", project=project).exit_code == 0, cli("check", project=project).stdout
        else:
            assert snapshot(project) == before
        project.unlink()

    run()
    _report(counts, "decision lines")
    assert counts["internal"] == counts["silent"] == 0


# -- CSV bytes ----------------------------------------------------------------------------------------

ANSWER = st.text(
    alphabet=st.sampled_from(list("ab ,;\"'\n\r\t=+-@\x00\x1béï’–ç🙂") + ["x"] * 6), max_size=12
)


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _broken_unquoted(answer: str) -> bool:
    """An unquoted answer with a line break: the file then holds two lines, and when the second has the
    header's number of fields (or none), no reader can tell it from a real row. Most are refused (too
    few fields); the fuzz only requires those not refused to be read as CSV reads them."""
    return "\n" in answer or "\r" in answer


@st.composite
def _survey(draw):
    """(bytes, the answers meant: id -> text), written carelessly on purpose: some fields unquoted."""
    answers = draw(st.lists(ANSWER, min_size=1, max_size=5))
    meant = {f"R{i}": a for i, a in enumerate(answers)}
    lines = ["respondent_id,answer"]
    ambiguous = False
    for rid, answer in meant.items():
        if draw(st.booleans()):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow([rid, answer])
            lines.append(buffer.getvalue())
        else:
            lines.append(f"{rid},{answer}")
            if answer.startswith('"') or _broken_unquoted(answer):
                ambiguous = True  # unquoted but starting with a quote (CSV reads it as quoted, rightly)
    text = "\n".join(lines) + "\n"
    if ambiguous:
        meant = None  # still: no internal error, and a refusal changes nothing
    how = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "mixed", "bytes"]))
    if how == "bytes":
        return draw(st.binary(max_size=80)), None
    if how == "mixed":
        parts, kinds = [], set()
        for line in text.splitlines(keepends=True):
            encoding = "cp1252" if draw(st.booleans()) else "utf-8"
            try:
                parts.append(line.encode(encoding))
            except UnicodeEncodeError:
                encoding = "utf-8"
                parts.append(line.encode(encoding))
            if not line.isascii():
                kinds.add(encoding)
        return b"".join(parts), "mixed" if len(kinds) == 2 else meant
    try:
        return text.encode(how), meant
    except UnicodeEncodeError:
        return text.encode("utf-8"), meant


def _stored(project) -> dict[str, str]:
    conn = sqlite3.connect(project)
    try:
        return dict(conn.execute("SELECT respondent_id, text FROM responses WHERE respondent_id LIKE 'R_'"))
    finally:
        conn.close()


def test_fuzz_csv_bytes(cli, tmp_path):
    counts: Counter = Counter()
    empty = tmp_path / "empty.db"
    assert cli("init", project=empty).exit_code == 0

    @FUZZ
    @given(survey=_survey())
    def run(survey):
        raw, meant = survey
        project = tmp_path / f"c-{uuid_module.uuid4().hex[:8]}.db"
        shutil.copy(empty, project)
        path = tmp_path / "fuzz.csv"
        path.write_bytes(raw)
        before = snapshot(project)
        result = cli("import", path, "--id", "respondent_id", "--text", "answer", project=project)
        counts["tried"] += 1
        internal = BUG in result.stderr or "Traceback" in result.stderr or result.exit_code not in (0, 2)
        wrong = False
        if internal:
            counts["internal"] += 1
        elif result.exit_code == 0:
            counts["accepted"] += 1
            if meant == "mixed":
                wrong = True  # a file mixing encodings must never be read
            elif meant is not None:
                wrong = _stored(project) != {r: _clean(a) for r, a in meant.items() if _clean(a)}
        else:
            counts["refused"] += 1
            wrong = snapshot(project) != before
        counts["silent"] += wrong
        assert not internal, result.stderr
        assert not wrong, (raw, meant, _stored(project), result.stderr)
        project.unlink()

    run()
    _report(counts, "CSV bytes")
