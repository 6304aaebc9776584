"""Agreement speed: thematic's Krippendorff's alpha against the krippendorff package, same matrix.

Run: .venv/bin/python benchmarks/bench_agreement.py [--units 100000] [--coders 3] [--repeat 5] [--json]

One generated units x coders matrix (4 categories, each coder agreeing with a hidden truth 80% of the
time, 5% of codes missing) is timed in one process: thematic's alpha at every level against the
krippendorff package (``level_of_measurement`` given explicitly) on the same matrix, both checked to
agree; then thematic's other coefficients and a 1,000-resample bootstrap, which have no baseline here.
Each figure is the best of ``--repeat`` runs, after one warm-up run.

The last row times ``agreement_table`` (what `thematic agree` computes) on a project file with
``--table-units`` units coded by two coders: reading the decisions, four themes, four coefficients
each with a 1,000-resample bootstrap interval (``--table-units 0`` leaves it out).
"""

from __future__ import annotations

import argparse
import json
import time

import krippendorff
import numpy as np

from thematic.agreement import (
    LEVELS,
    bootstrap_ci,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac1_ci,
    krippendorff_alpha,
    percent_agreement,
)


def generate(units: int, coders: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, units)
    columns = [np.where(rng.random(units) < 0.8, truth, rng.integers(0, 4, units)) for _ in range(coders)]
    matrix = np.stack(columns, axis=1).astype(float)
    matrix[rng.random(matrix.shape) < 0.05] = np.nan
    return matrix


def coded_project(units: int, folder: str, seed: int = 0):
    """A project with ``units`` one-unit responses and the ai-therapy codebook, coded by ana and ben
    (each theme present 30% of the time; ben flips each of ana's theme choices 10% of the time)."""
    import random
    from pathlib import Path

    from thematic.clock import utc_now
    from thematic.codebook.load import load_codebook
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store import decisions as store
    from thematic.store.codebooks import use_codebook
    from thematic.store.project import create_project

    project, _ = create_project(Path(folder) / "bench.db")
    with project.transaction():
        source = corpus.insert_source(project, name="synthetic", sha256="0" * 64, options="{}",
                                      imported_at=utc_now())
        corpus.ensure_question(project, "answer", None)
        corpus.insert_respondents(project, [(f"R{i:06d}", {}, source) for i in range(units)])
        rows = []
        for i in range(units):
            response = corpus.insert_response(project, f"R{i:06d}", "answer", "text", source)
            rows.append((f"R{i:06d}.u", response, 0, 0, 4, "text", "0" * 64))
        corpus.insert_units(project, rows)
    codebook = load_codebook(Path(__file__).resolve().parents[1] / "codebooks" / "ai-therapy.yaml")
    use_codebook(project, codebook)
    rng = random.Random(seed)
    decisions = []
    for i in range(units):
        ana = {t for t in codebook.ids() if rng.random() < 0.3}
        ben = {t for t in codebook.ids() if (t in ana) != (rng.random() < 0.1)}
        decisions += [Decision.new("ana", f"R{i:06d}.u", ana), Decision.new("ben", f"R{i:06d}.u", ben)]
    store.record_many(project, decisions)
    return project


def best(compute, repeat: int) -> tuple[float, object]:
    value = compute()  # warm-up
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = compute()
        timings.append(time.perf_counter() - start)
    return min(timings), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--table-units", type=int, default=10_000,
                        help="units of the project agreement_table is timed on (0: leave it out)")
    args = parser.parse_args()

    matrix = generate(args.units, args.coders)
    rows = []
    for level in LEVELS:
        ours, ours_value = best(lambda level=level: krippendorff_alpha(matrix, level=level), args.repeat)
        theirs, theirs_value = best(
            lambda level=level: krippendorff.alpha(matrix.T, level_of_measurement=level), args.repeat
        )
        if not np.isclose(ours_value, theirs_value, rtol=0, atol=1e-9):
            raise SystemExit(
                f"alpha ({level}) differs: thematic {ours_value!r}, krippendorff {theirs_value!r}"
            )
        rows.append(
            {
                "coefficient": f"alpha {level}",
                "value": ours_value,
                "thematic_s": ours,
                "krippendorff_s": theirs,
                "ratio": ours / theirs,
            }
        )
    complete = np.nan_to_num(matrix, nan=0.0)
    others = [
        ("gwet AC1", lambda: gwet_ac1(matrix)),
        ("gwet AC1 + SE/CI", lambda: gwet_ac1_ci(matrix).estimate),
        ("conger kappa", lambda: conger_kappa(matrix)),
        ("cohen kappa (2 coders)", lambda: cohen_kappa(matrix[:, :2])),
        ("fleiss kappa (complete)", lambda: fleiss_kappa(complete)),
        ("percent agreement", lambda: percent_agreement(matrix)),
        ("bootstrap alpha, 1000", lambda: bootstrap_ci(krippendorff_alpha, matrix, n_boot=1000).low),
    ]
    for name, compute in others:
        seconds, value = best(compute, max(1, args.repeat if "bootstrap" not in name else 1))
        rows.append({"coefficient": name, "value": value, "thematic_s": seconds, "krippendorff_s": None})

    if args.table_units:
        import tempfile

        from thematic.agreement.table import agreement_table

        with tempfile.TemporaryDirectory() as folder:
            project = coded_project(args.table_units, folder)
            seconds, table = best(lambda: agreement_table(project), max(1, min(args.repeat, 3)))
            project.close()
        rows.append(
            {
                "coefficient": f"agreement_table, 2 coders x {args.table_units:,} units, 4 themes",
                "value": table.exact_match.estimate,
                "thematic_s": seconds,
                "krippendorff_s": None,
            }
        )

    if args.json:
        print(json.dumps({"units": args.units, "coders": args.coders, "rows": rows}, indent=2))
        return
    print(f"{args.units:,} units x {args.coders} coders, 4 categories, 5% missing; best of {args.repeat}")
    print()
    print("| coefficient | value | thematic s | krippendorff s | thematic / krippendorff |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        theirs = f"{row['krippendorff_s']:.4f}" if row["krippendorff_s"] is not None else "-"
        ratio = f"{row['ratio']:.2f}" if row.get("ratio") is not None else "-"
        print(f"| {row['coefficient']} | {row['value']:.4f} | {row['thematic_s']:.4f} | {theirs} | {ratio} |")


if __name__ == "__main__":
    main()
