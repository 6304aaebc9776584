"""Real-client interop: every .qdpx and .qdc that thematic writes in its tests, imported by QualCoder's
own REFI-QDA import (the referee, ../shared/tools/qualcoder_check.py), and the round trip thematic ->
QualCoder -> thematic (QualCoder's own import, then its own export, then `import-refi`).

Opt-in (`make interop`): QualCoder is not on PyPI and needs several GB; see the referee's docstring and
docs/exports.md for the setup. Environment:

    QUALCODER_SRC     the extracted QualCoder source tree
    QUALCODER_PYTHON  the python of the virtual environment made from QualCoder's requirements
    QUALCODER_CHECK   the referee script (default ../shared/tools/qualcoder_check.py)

    python benchmarks/bench_interop.py [--out DIR] [--only NAME ...] [--no-big]

Prints one table of what QualCoder kept per file and one of the round trips; writes interop.json in
--out (default out/interop). Exits 0 when every check and round trip holds, 1 otherwise, 3 when
QualCoder is not set up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def qualcoder_setup() -> tuple[str, str, str] | str:
    """(python, source tree, referee) or the reason QualCoder cannot run here."""
    src = os.environ.get("QUALCODER_SRC")
    python = os.environ.get("QUALCODER_PYTHON")
    check = os.environ.get("QUALCODER_CHECK") or str(REPO.parent / "shared" / "tools" / "qualcoder_check.py")
    if not src or not Path(src, "src", "qualcoder", "refi.py").is_file():
        return "QUALCODER_SRC is not set to an extracted QualCoder source tree (see docs/exports.md)"
    if not python or not Path(python).is_file():
        return "QUALCODER_PYTHON is not set to the python of QualCoder's virtual environment"
    if not Path(check).is_file():
        return f"the referee {check} is missing (set QUALCODER_CHECK)"
    return python, src, check


def referee(setup, path: Path) -> dict:
    python, src, check = setup
    env = dict(os.environ, QUALCODER_SRC=src, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([python, check, str(path)], capture_output=True, text=True, env=env, timeout=900)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        report = {"ok": False, "error": run.stderr[-2000:]}
    report["exit"] = run.returncode
    return report


def qualcoder_round_trip(setup, path: Path, out: Path) -> dict:
    python, src, check = setup
    env = dict(os.environ, QUALCODER_SRC=src, QUALCODER_CHECK=check, QT_QPA_PLATFORM="offscreen")
    driver = REPO / "benchmarks" / "interop" / "qualcoder_roundtrip.py"
    run = subprocess.run(
        [python, str(driver), str(path), str(out)], capture_output=True, text=True, env=env, timeout=900
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"ok": False, "error": run.stderr[-2000:]}


# -- what thematic writes in its tests --------------------------------------------------------------------
def written_files(folder: Path, big: bool) -> dict[str, tuple[Path, Path | None]]:
    """{label: (file, the project it came from or None)}."""
    from tests.export.conftest import build_study
    from tests.export.refi_interop import build_interop
    from thematic.codebook.load import load_codebook
    from thematic.codebook.qdc import read_qdc, to_qdc
    from thematic.export.refi import export_refi
    from thematic.export.refi_import import import_refi
    from thematic.store.project import create_project, open_project

    files: dict[str, tuple[Path, Path | None]] = {}
    for yaml_file in sorted((REPO / "codebooks").glob("*.yaml")):
        qdc = folder / f"{yaml_file.stem}.qdc"
        qdc.write_text(to_qdc(load_codebook(yaml_file)), encoding="utf-8")
        files[f"codebook export {yaml_file.stem}.qdc"] = (qdc, None)
    fixtures = REPO / "tests" / "fixtures" / "refi-qda" / "examples"
    for example in sorted(fixtures.glob("*-style.qdc")) + [fixtures / "taguette-real.qdc"]:
        qdc = folder / f"from-{example.name}"
        qdc.write_text(to_qdc(read_qdc(example).codebook), encoding="utf-8")
        files[f"{example.name} read, then exported by thematic"] = (qdc, None)
    mini = folder / "mini.db"
    with create_project(mini)[0] as project:
        import_refi(project, fixtures / "mini-project.qdpx")
    study = build_study(folder / "study.db")
    hostile = build_study(folder / "hostile.db", hostile=True)
    interop = folder / "interop.db"
    build_interop(interop).close()
    projects = [("demo study (response units)", study, False), ("demo study --machine", study, True)]
    projects += [("hostile answers (markup, formulas, emoji)", hostile, False)]
    projects += [("interop (2 questions, sentence units, notes, non-BMP)", interop, False)]
    projects += [("mini-project.qdpx (another tool's) imported, then exported", mini, False)]
    if big:
        bigger = folder / "big.db"
        build_interop(bigger, copies=91).close()
        projects.append(("1,001 units, 3 coders", bigger, False))
    for i, (label, db, machine) in enumerate(projects):
        out = folder / f"p{i}.qdpx"
        with open_project(db) as project:
            export_refi(project, out, machine=machine)
        files[label] = (out, db)
    return files


def kept(report: dict) -> dict:
    imported = report.get("imported", {})
    checks = report.get("checks", {})
    codes = checks.get("codes", checks)
    return {
        "passed": bool(report.get("ok")),
        "crash": report.get("error")
        or [u.get("error") for u in report.get("messages", {}).get("uncaught", [])],
        "counts": imported.get("counts"),
        "codings_missing": len(checks.get("codings_missing", [])),
        "codings_extra": len(checks.get("codings_extra", [])),
        "colours_moved": sum(
            1 for c in codes.get("colours", []) if c["file"] and c["file"] != c["qualcoder"]
        ),
        "description_changed": len(codes.get("description_changed", [])),
        "codable_changed": len(codes.get("codable_changed", [])),
    }


# -- the round trip ---------------------------------------------------------------------------------------
def compare(original: Path, back: Path, work: Path) -> dict:
    """Merge the file QualCoder exported into a copy of the original project, twice, and import it into
    a new project; count what was lost, duplicated or changed."""
    from thematic.export.refi_import import import_refi
    from thematic.store import corpus
    from thematic.store.codebooks import current_version
    from thematic.store.decisions import coders, current_codings, decisions, latest_notes
    from thematic.store.project import create_project, open_project

    merged = work / "merged.db"
    shutil.copyfile(original, merged)
    with open_project(original) as o, open_project(merged) as m:
        n_before, v_before = len(decisions(m)), current_version(m).number
        first = import_refi(m, back)
        n_once, units_once = len(decisions(m)), len(corpus.list_units(m))
        second_copy = work / "again.qdpx"
        shutil.copyfile(back, second_copy)
        with second_copy.open("ab") as fh:  # a different file with the same content: not "already imported"
            fh.write(b"\0")
        again = import_refi(m, second_copy)
        merge = {
            "decisions_added": n_once - n_before,
            "units_added": first.units_new,
            "codebook_version": [v_before, current_version(m).number],
            "notes": first.notes,
            "second_merge_added": len(decisions(m)) - n_once + (len(corpus.list_units(m)) - units_once),
            "second_merge_notes": again.notes,
        }
        fresh_path = work / "fresh.db"
        fresh, _ = create_project(fresh_path)
        with fresh:
            summary = import_refi(fresh, back)
            people = coders(o)
            lost = duplicated = changed = notes_changed = 0
            for c in people:
                a, b = current_codings(o, c), current_codings(fresh, c)
                lost += len(set(a) - set(b))
                duplicated += len(set(b) - set(a))
                changed += sum(1 for u in set(a) & set(b) if a[u] != b[u])
                na, nb = latest_notes(o, c), latest_notes(fresh, c)
                notes_changed += sum(1 for u in set(na) | set(nb) if na.get(u) != nb.get(u))

            def units(p):
                return [(u.id, u.text) for u in corpus.list_units(p)]

            def colourless(book):
                return replace(book, themes=tuple(replace(t, colour=None) for t in book.themes))

            new = {
                "decisions_lost": lost,
                "decisions_extra": duplicated,
                "decisions_changed": changed,
                "notes_changed": notes_changed,
                "unit_ids_same": units(fresh) == units(o),
                "attributes_same": corpus.respondent_attributes(fresh) == corpus.respondent_attributes(o),
                "codebook_same_but_colours": colourless(current_version(fresh).codebook)
                == colourless(current_version(o).codebook),
                "notes": summary.notes,
            }
    return {"merge": merge, "new_project": new}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "out" / "interop"))
    parser.add_argument("--only", nargs="*", help="labels (substrings) to run")
    parser.add_argument("--no-big", action="store_true", help="leave out the 1,001-unit project")
    args = parser.parse_args(argv)
    setup = qualcoder_setup()
    if isinstance(setup, str):
        print(f"skipped: {setup}", file=sys.stderr)
        return 3
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    files = written_files(out, big=not args.no_big)
    results: dict[str, dict] = {}
    ok = True
    print(
        "| file thematic writes | QualCoder import | sources | codes | codings | annotations "
        "| colours moved |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, (path, db) in files.items():
        if args.only and not any(o in label for o in args.only):
            continue
        started = time.perf_counter()
        report = referee(setup, path)
        entry = {
            "file": path.name,
            "referee": kept(report),
            "seconds": round(time.perf_counter() - started, 1),
        }
        ok &= entry["referee"]["passed"]
        counts = entry["referee"]["counts"] or {}
        print(
            f"| {label} | {'passed' if entry['referee']['passed'] else 'FAILED'} | "
            f"{counts.get('sources', '-')} | "
            f"{counts.get('codes', '-')} | {counts.get('codings', '-')} | {counts.get('annotations', '-')} | "
            f"{entry['referee']['colours_moved']} |",
            flush=True,
        )
        if db is not None and path.suffix == ".qdpx" and "machine" not in label:
            back = out / f"{path.stem}-qualcoder.qdpx"
            trip = qualcoder_round_trip(setup, path, back)
            entry["round_trip"] = trip
            if trip.get("ok"):
                work = out / f"{path.stem}-work"
                work.mkdir()
                entry["round_trip"].update(compare(db, back, work))
        results[label] = entry
    print()
    print(
        "| round trip | lost | extra | changed | notes changed | unit ids same | merge adds | version "
        "| merge twice adds |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |")
    for label, entry in results.items():
        trip = entry.get("round_trip")
        if not trip:
            continue
        if not trip.get("ok"):
            ok = False
            print(f"| {label} | QualCoder round trip failed: {trip.get('error')} |")
            continue
        new, merge = trip["new_project"], trip["merge"]
        holds = (
            new["decisions_lost"] == new["decisions_extra"] == new["decisions_changed"] == 0
            and new["notes_changed"] == 0
            and new["unit_ids_same"]
            and merge["decisions_added"] == merge["units_added"] == merge["second_merge_added"] == 0
            and merge["codebook_version"][0] == merge["codebook_version"][1]
        )
        ok &= holds
        print(
            f"| {label} | {new['decisions_lost']} | {new['decisions_extra']} | {new['decisions_changed']} | "
            f"{new['notes_changed']} | {'yes' if new['unit_ids_same'] else 'NO'} | "
            f"{merge['decisions_added']} | "
            f"{merge['codebook_version'][0]} -> {merge['codebook_version'][1]} | "
            f"{merge['second_merge_added']} |"
        )
    (out / "interop.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {out / 'interop.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
