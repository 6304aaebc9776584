"""Discovery quality: clusters against the Counsel Chat topics, side by side with BERTopic's defaults.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/quality/discovery.py [--project PATH] [--json FILE]
(needs the ``bench`` extra for BERTopic: pip install -c constraints.txt -e '.[bench]'; without it the
BERTopic columns say "not installed").

Data: ../shared/data/counsel_chat/questions.csv (real questions, each filed by its author under one
topic; title and text embedded together, "title\\ntext"). Vectors: thematic's default model through
thematic's own embedding cache (``--project`` keeps the cache between runs).

Protocol (the data set's README): every setting is chosen on ``split in (train, val)`` only.

1. Selection, on the train+val questions clustered together: for each method, the rule for
   ``--clusters auto`` (thematic.ml.discover.RULES) with the best mean of NMI and ARI against the
   topics; and the candidate-theme cut-off (below) with the best balanced accuracy.
2. Test: the test questions clustered on their own with the chosen rule; NMI and ARI.
3. Cross-validation over train+val (5 folds, shuffled with the seed): for each fold, rule and cut-off
   are chosen on the other four folds (clustered together) and the held-out fold is clustered on its
   own and scored. Mean and standard deviation over folds.
4. All 815 questions clustered together, for scale (not held out: train+val are 95% of them).

BERTopic runs with its defaults on the same vectors in the same process (``BERTopic().fit_transform(docs,
embeddings)``), except that its default UMAP (n_neighbors=15, n_components=5, min_dist=0.0, cosine) is
given ``random_state=seed`` so the figures repeat; its outlier topic (-1) counts as one cluster. Wall
times: thematic's is ``cluster`` + ``cluster_keywords`` (c-TF-IDF labels); BERTopic's is its
``fit_transform`` (UMAP + HDBSCAN + c-TF-IDF), after one untimed warm-up fit that compiles numba.

Candidate themes: for each cluster, the nearest theme of benchmarks/quality/counsel-chat-codebook.yaml
(prototypes by thematic.ml.suggest.theme_prototypes). In each of 40 draws (seeded) half the themes are
removed from the codebook; a cluster whose majority topic was removed should be flagged a candidate new
theme, the others not. Balanced accuracy over all draws and clusters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "counsel_chat" / "questions.csv"
CODEBOOK = REPO / "benchmarks" / "quality" / "counsel-chat-codebook.yaml"
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from thematic.ml import discover as D  # noqa: E402

SPEED_SIZES = (5_000, 10_000, 20_000, 40_000)

METHODS = ("agglomerative", "kmeans", "hdbscan")
CUTOFFS = np.round(np.arange(0.20, 0.701, 0.01), 2)
DRAWS = 40


def load(project_path: Path):
    import pandas as pd

    from thematic.codebook.load import load_codebook
    from thematic.ml.embed import embed_texts
    from thematic.ml.suggest import theme_prototypes
    from thematic.store.project import create_project

    frame = pd.read_csv(DATA)
    texts = (frame["title"].str.strip() + "\n" + frame["text"].str.strip()).tolist()
    project, _ = create_project(project_path)
    start = time.perf_counter()
    vectors = embed_texts(project, texts)
    embed_seconds = time.perf_counter() - start
    codebook = load_codebook(CODEBOOK)
    themes = list(codebook.themes)
    prototypes = theme_prototypes(project, themes)
    project.close()
    return frame, texts, vectors, [t.id for t in themes], prototypes, embed_seconds


def scores(truth, labels) -> dict:
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score

    nmi = float(normalized_mutual_info_score(truth, labels))
    ari = float(adjusted_rand_score(truth, labels))
    ami = float(adjusted_mutual_info_score(truth, labels))  # NMI corrected for chance: NMI grows with k
    return {"nmi": nmi, "ari": ari, "ami": ami, "mean": (nmi + ari) / 2}


def ours(vectors, texts, method, rule, seed):
    start = time.perf_counter()
    found = D.cluster(vectors, method, "auto", random_state=seed, rule=rule or D.AUTO_RULE)
    D.cluster_keywords(texts, found.labels)
    return found.labels, time.perf_counter() - start


def bertopic(vectors, texts, seed):
    try:
        from bertopic import BERTopic
        from umap import UMAP
    except ImportError:
        return None, None, "not installed"
    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False, random_state=seed
    )
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            topics, _ = BERTopic(umap_model=umap_model).fit_transform(list(texts), np.asarray(vectors))
    except Exception as exc:  # tiny sets: UMAP/HDBSCAN may refuse them
        return None, time.perf_counter() - start, f"{type(exc).__name__}: {str(exc)[:80]}"
    return np.asarray(topics), time.perf_counter() - start, None


def candidate_outcomes(vectors, labels, truth, theme_ids, prototypes, seed):
    """Per draw and cluster: (should be a candidate, best similarity to the kept themes)."""
    rng = np.random.default_rng(seed)
    centres = {c: v for c, v in D.centroids(vectors, labels).items() if c != D.UNCLUSTERED}
    majority = {}
    for c in centres:
        values, counts = np.unique(truth[labels == c], return_counts=True)
        majority[c] = values[int(np.argmax(counts))]
    outcomes = []
    for _ in range(DRAWS):
        keep = rng.random(len(theme_ids)) < 0.5
        kept = [t for t, k in zip(theme_ids, keep, strict=True) if k]
        if not kept:
            continue
        sims = prototypes[keep] @ np.stack([centres[c] for c in centres]).T
        for j, c in enumerate(centres):
            outcomes.append((majority[c] not in kept, float(sims[:, j].max())))
    return outcomes


def balanced_accuracy(outcomes, cutoff) -> float:
    should = np.array([o[0] for o in outcomes])
    flagged = np.array([o[1] < cutoff for o in outcomes])
    parts = [float((flagged[should == v] == v).mean()) for v in (True, False) if (should == v).any()]
    return sum(parts) / len(parts)


def choose_cutoff(outcomes) -> float:
    """The cut-off with the best balanced accuracy (several tie: the middle one)."""
    accuracy = [round(balanced_accuracy(outcomes, c), 9) for c in CUTOFFS]
    ties = [i for i, a in enumerate(accuracy) if a == max(accuracy)]
    return float(CUTOFFS[ties[len(ties) // 2]])


def select(vectors, texts, truth, seed, theme_ids, prototypes):
    """On one selection set: every (method, rule) scored; the best rule per method; the cut-off."""
    table = {}
    for method in METHODS:
        for rule in D.RULES if method != "hdbscan" else (None,):
            labels, seconds = ours(vectors, texts, method, rule, seed)
            table[(method, rule)] = {
                **scores(truth, labels),
                "k": int(len(set(labels.tolist()))),
                "seconds": seconds,
                "labels": labels,
            }
    chosen = {}
    for method in METHODS:
        rules = [r for (m, r) in table if m == method]
        chosen[method] = max(
            rules, key=lambda r: (table[(method, r)]["mean"], -(D.RULES.index(r) if r else 0))
        )
    best = table[("agglomerative", chosen["agglomerative"])]["labels"]
    cutoff = choose_cutoff(candidate_outcomes(vectors, best, truth, theme_ids, prototypes, seed))
    return table, chosen, cutoff


def evaluate(vectors, texts, truth, chosen, cutoff, seed, theme_ids, prototypes, with_bertopic=True):
    row = {}
    for method in METHODS:
        labels, seconds = ours(vectors, texts, method, chosen[method], seed)
        row[method] = {**scores(truth, labels), "k": int(len(set(labels.tolist()))), "seconds": seconds}
        if method == "agglomerative":
            outcomes = candidate_outcomes(vectors, labels, truth, theme_ids, prototypes, seed)
            row["candidate_balanced_accuracy"] = balanced_accuracy(outcomes, cutoff)
    if with_bertopic:
        topics, seconds, problem = bertopic(vectors, texts, seed)
        if topics is None:
            row["bertopic"] = {"problem": problem, "seconds": seconds}
        else:
            row["bertopic"] = {
                **scores(truth, topics),
                "k": int(len(set(topics.tolist()))),
                "seconds": seconds,
                "outliers": float((topics == -1).mean()),
            }
    return row


def fmt(cell) -> str:
    if cell is None:
        return "-"
    if "problem" in cell:
        return f"failed ({cell['problem']})"
    return (
        f"NMI {cell['nmi']:.3f} ARI {cell['ari']:.3f} (AMI {cell['ami']:.3f}) k={cell['k']} "
        f"{cell['seconds']:.2f} s"
    )


def speed(sizes, seed: int) -> list[dict]:
    """Seconds for discover_project (embeddings cached) on projects of ``sizes`` units.

    Units are made of 1 to 3 Counsel Chat sentences (plus a number, so each text is distinct); their
    cached vectors are real Counsel Chat question vectors plus Gaussian noise (sd 0.03 per dimension),
    written straight into the embedding cache, so nothing is embedded and the clusters have the shape
    of real ones. Timed: the whole discover_project call (read units and vectors, cluster, keywords,
    exemplars, themes, PCA, store the run), and cluster() alone on the same vectors.
    """
    import csv
    import re

    import pandas as pd

    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.ml import embed
    from thematic.store import ml as store_ml
    from thematic.store.project import create_project

    frame = pd.read_csv(DATA)
    sentences = [
        s.strip() for text in frame["text"] for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20
    ]
    with tempfile.TemporaryDirectory() as folder:
        cache, _ = create_project(Path(folder) / "vectors.db")
        base = embed.embed_texts(
            cache, (frame["title"].str.strip() + "\n" + frame["text"].str.strip()).tolist()
        )
        cache.close()
        fingerprint = embed.model_fingerprint(None)
        rows = []
        for n in sizes:
            rng = np.random.default_rng(seed)
            path = Path(folder) / f"units-{n}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "answer"])
                for i in range(n):
                    picked = rng.choice(len(sentences), rng.integers(1, 4), replace=False)
                    writer.writerow([f"R{i:06d}", " ".join(sentences[j] for j in picked) + f" ({i})"])
            project, _ = create_project(Path(folder) / f"p-{n}.db")
            import_file(project, path, ImportOptions(id_column="id", text_columns=["answer"]))
            texts = [t for (t,) in project.query("SELECT text FROM units ORDER BY rowid")]
            vectors = base[rng.integers(0, len(base), len(texts))] + rng.normal(
                0, 0.03, (len(texts), base.shape[1])
            )
            vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
            with project.transaction():
                store_ml.insert_vectors(
                    project, fingerprint, zip([embed.text_sha256(t) for t in texts], vectors, strict=True)
                )
            for method in ("agglomerative", "kmeans"):
                start = time.perf_counter()
                run = D.discover_project(project, method=method, random_state=seed)
                total = time.perf_counter() - start
                start = time.perf_counter()
                D.cluster(vectors, method, "auto", random_state=seed)
                alone = time.perf_counter() - start
                rows.append(
                    {"units": n, "method": method, "k": run.k, "seconds": total, "cluster_seconds": alone}
                )
                print(f"| {n:,} | {method} | {run.k} | {total:.1f} | {alone:.1f} |", flush=True)
            project.close()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--project", type=Path, help="project file for the embedding cache (default: temporary)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--speed",
        nargs="*",
        type=int,
        metavar="UNITS",
        help=f"instead: time discover on projects of these sizes (default {SPEED_SIZES})",
    )
    args = parser.parse_args(argv)
    if args.speed is not None:
        print("| units | method | k | discover_project s | cluster() alone s |")
        print("| ---: | --- | ---: | ---: | ---: |")
        rows = speed(args.speed or SPEED_SIZES, args.seed)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))
        return 0

    from sklearn.model_selection import KFold

    tmp = tempfile.TemporaryDirectory()
    project_path = args.project or Path(tmp.name) / "counsel-chat.db"
    frame, texts, vectors, theme_ids, prototypes, embed_seconds = load(project_path)
    truth = frame["topic"].to_numpy()
    texts = np.array(texts, dtype=object)
    dev = np.flatnonzero(frame["split"].to_numpy() != "test")
    test = np.flatnonzero(frame["split"].to_numpy() == "test")
    print(
        f"{len(texts)} questions, {len(set(truth))} topics; train+val {len(dev)}, test {len(test)}; "
        f"embedded in {embed_seconds:.1f} s (cache: {project_path})"
    )
    bertopic(vectors[:200], texts[:200], args.seed)  # warm-up: numba compiles UMAP here, untimed
    D.lemmatizer()  # and spaCy loads its tables here

    report: dict = {"seed": args.seed, "questions": len(texts), "topics": len(set(truth))}
    # 1. selection on train+val
    table, chosen, cutoff = select(vectors[dev], texts[dev], truth[dev], args.seed, theme_ids, prototypes)
    print("\n## Selection on train+val (clustered together): every rule, NMI / ARI / k")
    print("| method | rule | NMI | ARI | AMI | mean of NMI, ARI | k | seconds |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (method, rule), cell in table.items():
        mark = " (chosen)" if chosen[method] == rule else ""
        print(
            f"| {method} | {rule or 'own'}{mark} | {cell['nmi']:.3f} | {cell['ari']:.3f} | {cell['ami']:.3f} "
            f"| {cell['mean']:.3f} "
            f"| {cell['k']} | {cell['seconds']:.2f} |"
        )
    print(f"candidate cut-off chosen on train+val: {cutoff:.2f}")
    report["selection"] = {
        f"{m}/{r}": {k: v for k, v in c.items() if k != "labels"} for (m, r), c in table.items()
    }
    report["chosen"] = {"rules": chosen, "candidate_below": cutoff}

    # 2. test
    test_row = evaluate(
        vectors[test], texts[test], truth[test], chosen, cutoff, args.seed, theme_ids, prototypes
    )
    report["test"] = test_row
    # 3. cross-validation
    folds = []
    for k, (fit_idx, held_idx) in enumerate(
        KFold(args.folds, shuffle=True, random_state=args.seed).split(dev)
    ):
        fit, held = dev[fit_idx], dev[held_idx]
        _, fold_chosen, fold_cutoff = select(
            vectors[fit], texts[fit], truth[fit], args.seed, theme_ids, prototypes
        )
        row = evaluate(
            vectors[held],
            texts[held],
            truth[held],
            fold_chosen,
            fold_cutoff,
            args.seed,
            theme_ids,
            prototypes,
        )
        row["chosen"] = {"rules": fold_chosen, "candidate_below": fold_cutoff}
        folds.append(row)
        print(f"fold {k + 1}: rules {fold_chosen}, cut-off {fold_cutoff:.2f}", flush=True)
    report["folds"] = folds
    # 4. all questions
    everything = np.arange(len(texts))
    report["all"] = evaluate(vectors, texts, truth, chosen, cutoff, args.seed, theme_ids, prototypes)

    print("\n## Held-out figures (rule and cut-off chosen without the scored questions)")
    print("| set | n | thematic agglomerative | thematic kmeans | thematic hdbscan | BERTopic defaults |")
    print("| --- | ---: | --- | --- | --- | --- |")
    print(
        f"| test | {len(test)} | " + " | ".join(fmt(test_row.get(m)) for m in (*METHODS, "bertopic")) + " |"
    )
    for k, row in enumerate(folds):
        print(
            f"| CV fold {k + 1} | {len(dev) // args.folds}+ | "
            + " | ".join(fmt(row.get(m)) for m in (*METHODS, "bertopic"))
            + " |"
        )
    summary = {}
    for m in (*METHODS, "bertopic"):
        cells = [row[m] for row in folds if m in row and "problem" not in row[m]]
        if cells:
            summary[m] = {
                s: (float(np.mean([c[s] for c in cells])), float(np.std([c[s] for c in cells])))
                for s in ("nmi", "ari", "ami", "k", "seconds")
            }
    report["cv_summary"] = summary
    print(
        f"| CV mean ± sd | {len(dev)} | "
        + " | ".join(
            (
                f"NMI {summary[m]['nmi'][0]:.3f} ± {summary[m]['nmi'][1]:.3f}, "
                f"ARI {summary[m]['ari'][0]:.3f} ± "
                f"{summary[m]['ari'][1]:.3f} (AMI {summary[m]['ami'][0]:.3f}), k {summary[m]['k'][0]:.1f}, "
                f"{summary[m]['seconds'][0]:.2f} s"
            )
            if m in summary
            else "-"
            for m in (*METHODS, "bertopic")
        )
        + " |"
    )
    print(
        f"| all (not held out) | {len(everything)} | "
        + " | ".join(fmt(report["all"].get(m)) for m in (*METHODS, "bertopic"))
        + " |"
    )
    cand_cv = [row["candidate_balanced_accuracy"] for row in folds]
    print(
        f"\ncandidate new theme flag (agglomerative), balanced accuracy: test "
        f"{test_row['candidate_balanced_accuracy']:.3f}, CV {np.mean(cand_cv):.3f} ± {np.std(cand_cv):.3f}"
    )
    bt = [row["bertopic"].get("outliers") for row in (test_row, *folds, report["all"]) if "bertopic" in row]
    print(
        "BERTopic outlier share (test, folds..., all): "
        + ", ".join("-" if o is None else f"{o:.2f}" for o in bt)
    )
    if args.json:
        args.json.write_text(
            json.dumps(report, indent=2, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
