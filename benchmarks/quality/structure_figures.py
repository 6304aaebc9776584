"""End to end through the CLI: the figures a researcher would publish, in the shape of the codebook.

Two real coded data sets (read-only, in ../shared/data/; nothing here is tuned on them, every setting is
thematic's default):

- Counsel Chat (``--data counsel``): 815 questions, each filed by its author under one topic. The codebook
  (benchmarks/quality/counsel-chat-codebook.yaml) is used with ``exclusive: true`` and ``required: true``
  added: one topic per question. The author's topics go in as coder ``author``; `thematic suggest` codes
  zero-shot; `thematic agree --coders author,machine` gives the topic as one nominal variable; `thematic
  evaluate --from author` the cross-validated learned figures.
- NHS Friends and Family Test (``--data nhs``): 6,205 answers to five questions, each coded by a labeller
  with one or more of 50 categories (multi-label: independent themes). One codebook (names only, as the
  data set has no definitions) bound to every question; the labels go in as coder ``labeller`` through
  `decisions import-wide` per question; `suggest`, then `agree --coders labeller,machine --question Q`
  for each question: MASI alpha, exact match, per-theme table, themes with fewer than 10 positives apart.

Usage: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/quality/structure_figures.py --data counsel|nhs
[--workdir DIR] [--no-evaluate]. Prints the commands it runs and a JSON summary.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"


def thematic(*args: str, project: Path) -> str:
    """Run `thematic ARGS` in-process; the command's stdout (stderr is echoed); stop on failure."""
    from thematic.cli.app import main

    print("$ thematic " + " ".join(str(a) for a in args), flush=True)
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--project", str(project), *map(str, args)])
    sys.stderr.write(err.getvalue()[-2000:])
    print(f"  ({time.perf_counter() - started:.1f} s, exit {code})", flush=True)
    if code != 0:
        raise SystemExit(f"thematic {' '.join(map(str, args))} failed: {err.getvalue()}")
    return out.getvalue()


def summary_of(table: dict) -> dict:
    """The overall figures of an `agree --format json`, and the per-theme means the old table printed."""
    out: dict = {"n_units": table["n_units"], "exact_match": table["exact_match"]["estimate"]}
    for g in table["groups"]:
        out[f"group {g['group']}"] = {
            "n_units": g["n_units"],
            "n_invalid": g["n_invalid"],
            **{e["coefficient"]: [e["estimate"], e["low"], e["high"], e["band"]] for e in g["estimates"]},
        }
    ind = table["independent"]
    if ind:
        out["independent"] = {
            "themes": len(ind["themes"]),
            **{e["coefficient"]: [e["estimate"], e["low"], e["high"], e["band"]] for e in ind["estimates"]},
            "covered": len(ind["covered"]),
            "rare": len(ind["rare"]),
            **{e["coefficient"]: e["estimate"] for e in ind["mean_of_per_theme"]},
        }
    for name in ("percent_agreement", "gwet_ac1", "cohen_kappa"):
        values = [
            e["estimate"]
            for t in table["themes"]
            for e in t["estimates"]
            if e["coefficient"] == name and e["estimate"] is not None
        ]
        out[f"mean over all themes of binary {name} (what agree printed before)"] = (
            sum(values) / len(values) if values else None
        )
    return out


def themes_per_unit(project: Path, coder: str) -> float:
    from thematic.store import decisions as store
    from thematic.store.ml import machine_codings
    from thematic.store.project import open_project

    with open_project(project) as p:
        codings = machine_codings(p) if coder == "machine" else store.current_codings(p, coder)
    return sum(len(t) for t in codings.values()) / len(codings)


def counsel(work: Path, evaluate: bool) -> dict:
    rows = list(csv.DictReader((SHARED / "counsel_chat" / "questions.csv").open(encoding="utf-8")))
    survey = work / "counsel.csv"
    with survey.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["question_id", "question"])
        out.writerows(
            [r["question_id"], (r["title"].strip() + "\n" + r["text"].strip()).strip()] for r in rows
        )
    codebook = work / "counsel-chat-single.yaml"
    text = (HERE / "counsel-chat-codebook.yaml").read_text(encoding="utf-8")
    codebook.write_text(
        text.replace("\nthemes:\n", "\nexclusive: true\nrequired: true\nthemes:\n", 1), "utf-8"
    )
    topics = work / "author.csv"
    with topics.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["question_id", "Code 1"])
        out.writerows([r["question_id"], r["topic"]] for r in rows)
    project = work / "counsel.db"
    thematic("init", project=project)
    thematic("import", survey, "--id", "question_id", "--text", "question", project=project)
    thematic("codebook", "use", codebook, project=project)
    thematic(
        "decisions",
        "import-wide",
        topics,
        "--coder",
        "author",
        "--id",
        "question_id",
        "--question",
        "question",
        project=project,
    )
    thematic("suggest", project=project)
    agree = json.loads(thematic("agree", "--coders", "author,machine", "--format", "json", project=project))
    result = {
        "agree author vs machine (zero-shot)": summary_of(agree),
        "themes per unit": {
            "author": themes_per_unit(project, "author"),
            "machine": themes_per_unit(project, "machine"),
        },
    }
    if evaluate:
        data = json.loads(thematic("evaluate", "--from", "author", "--format", "json", project=project))
        result["evaluate --from author (learned, 5-fold CV)"] = data["headline"]
        result["evaluate mean of per-theme kappa"] = data["macro_kappa"]
    return result


QUESTIONS = {
    "How could we improve?": "improve",
    "FFT Why?": "why",
    "What was good?": "good",
    "What could we do better?": "better",
    "Please describe any things about the 111 service that you were particularly satisfied and/or "
    "dissatisfied with": "service-111",
}


def nhs(work: Path, evaluate: bool) -> dict:
    from thematic.codebook.model import slugify

    base = SHARED / "nhs_fft"
    items = list(csv.DictReader((base / "items.csv").open(encoding="utf-8")))
    categories = [r["category"] for r in csv.DictReader((base / "categories.csv").open(encoding="utf-8"))]
    ids = {c: slugify(c) for c in categories}
    codebook = work / "nhs-fft.yaml"
    lines = [
        "codebook: nhs-fft",
        "title: NHS Friends and Family Test, framework v6 (categories by name only)",
        "description: >",
        "  One or more categories per answer (multi-label): the themes are independent. The data set gives",
        "  names only, so each definition repeats the name.",
        "themes:",
    ]
    for c in categories:
        lines += [f"  - id: {ids[c]}", f"    name: {json.dumps(c)}", f"    definition: {json.dumps(c + '.')}"]
    codebook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    survey = work / "fft.csv"
    by_respondent: dict[str, dict] = {}
    for r in items:
        by_respondent.setdefault(r["id"], {})[QUESTIONS[r["question"]]] = r["text"]
    with survey.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["id", *QUESTIONS.values()])
        out.writerows(
            [rid, *(answers.get(q, "") for q in QUESTIONS.values())] for rid, answers in by_respondent.items()
        )
    project = work / "fft.db"
    thematic("init", project=project)
    thematic(
        "import",
        survey,
        "--id",
        "id",
        *[x for q in QUESTIONS.values() for x in ("--text", q)],
        project=project,
    )
    thematic("codebook", "use", codebook, project=project)
    most = max(int(r["n_labels"]) for r in items)
    for question in QUESTIONS.values():
        wide = work / f"labels-{question}.csv"
        with wide.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["id", *(f"Code {i}" for i in range(1, most + 1))])
            for r in items:
                if QUESTIONS[r["question"]] == question:
                    labels = [ids[x] for x in r["labels"].split("|") if x]
                    out.writerow([r["id"], *labels, *([""] * (most - len(labels)))])
        thematic(
            "decisions",
            "import-wide",
            wide,
            "--coder",
            "labeller",
            "--id",
            "id",
            "--question",
            question,
            project=project,
        )
    thematic("suggest", project=project)
    result: dict = {
        "themes per unit": {
            "labeller": themes_per_unit(project, "labeller"),
            "machine": themes_per_unit(project, "machine"),
        }
    }
    agree = json.loads(thematic("agree", "--coders", "labeller,machine", "--format", "json", project=project))
    result["agree labeller vs machine, all questions"] = summary_of(agree)
    for question in QUESTIONS.values():
        agree = json.loads(
            thematic(
                "agree",
                "--coders",
                "labeller,machine",
                "--question",
                question,
                "--format",
                "json",
                project=project,
            )
        )
        result[f"agree labeller vs machine, question {question}"] = summary_of(agree)
    if evaluate:
        data = json.loads(thematic("evaluate", "--from", "labeller", "--format", "json", project=project))
        result["evaluate --from labeller (learned, 5-fold CV)"] = data["headline"]
        result["evaluate mean of per-theme kappa"] = data["macro_kappa"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("counsel", "nhs"), required=True)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-evaluate", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = (counsel if args.data == "counsel" else nhs)(work, not args.no_evaluate)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
