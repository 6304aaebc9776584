"""Queries for machine coding: the embedding cache, suggest runs and their scores.

Vectors are stored as little-endian float32 blobs. A suggest run stores its parameters as JSON and one
``scores`` row per unit x theme: the score and whether the theme's threshold assigned it, and in
``suggest_run_questions`` the questions whose units it scored (none listed: every question, as runs before
schema version 3 did). A run scores one codebook version; with a codebook per question, ``thematic
suggest`` makes one run per version. The coder ``machine`` is, for each unit, the assigned themes of the
latest run that covers the unit's question (:func:`current_runs`, :func:`machine_codings`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from thematic.store.project import Project

# Bound parameters per statement: well under SQLite's and PostgreSQL's limits.
_IN_CHUNK = 500


def _chunks(items: list, size: int = _IN_CHUNK):
    for start in range(0, len(items), size):
        yield items[start: start + size]


# -- embeddings ------------------------------------------------------------------------------------------
def cached_vectors(project: Project, fingerprint: str, shas: list[str]) -> dict[str, bytes]:
    """The cached vectors (little-endian float32 bytes) of the given text hashes under one model; hashes
    not in the cache are left out."""
    found: dict[str, bytes] = {}
    cursor = project.conn.cursor()
    cursor.row_factory = None  # plain tuples: this reads tens of thousands of rows
    for chunk in _chunks(shas):
        marks = ", ".join("?" * len(chunk))
        cursor.execute(
            f"SELECT text_sha256, vector FROM embeddings WHERE model = ? AND text_sha256 IN ({marks})",
            (fingerprint, *chunk),
        )
        found.update(cursor.fetchall())
    cursor.close()
    return found


_INSERT_VECTOR = ("INSERT INTO embeddings (model, text_sha256, dim, vector) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (model, text_sha256) DO NOTHING")


def _vector_rows(fingerprint: str, rows: Iterable[tuple[str, bytes | np.ndarray]]):
    for sha, vector in rows:
        blob = vector if isinstance(vector, bytes) else np.asarray(vector, dtype="<f4").tobytes()
        yield fingerprint, sha, len(blob) // 4, blob


def insert_vectors(project: Project, fingerprint: str,
                   rows: Iterable[tuple[str, bytes | np.ndarray]]) -> None:
    """Add (text sha256, vector) pairs to the cache; a pair already there is kept as it is."""
    project.conn.executemany(_INSERT_VECTOR, _vector_rows(fingerprint, rows))


class VectorWriter:
    """Stores vectors as they are made, one transaction per :meth:`put`.

    With ``background=True`` the writes run on a thread with its own connection, so the model never waits
    for the disk; :meth:`close` waits for them and re-raises any error. Use it only outside an open
    transaction of ``project`` (the thread would wait for that transaction's lock): otherwise, and by
    default, it writes through the project's own connection.
    """

    def __init__(self, project: Project, fingerprint: str, *, background: bool = False):
        self.project = project
        self.fingerprint = fingerprint
        self.background = background and project._depth == 0
        self._error: BaseException | None = None
        if self.background:
            import queue
            import threading

            self._queue: queue.Queue = queue.Queue(maxsize=4)
            self._thread = threading.Thread(target=self._work, name="thematic-vector-writer", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        engine = self.project.engine
        conn = engine.connect()
        try:
            while True:
                rows = self._queue.get()
                if rows is None:
                    return
                if self._error is not None:
                    continue
                try:
                    conn.execute(engine.begin_write)
                    conn.executemany(_INSERT_VECTOR, _vector_rows(self.fingerprint, rows))
                    conn.execute("COMMIT")
                except BaseException as exc:  # kept for close() to raise in the caller's thread
                    self._error = exc
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
        finally:
            conn.close()

    def put(self, rows: list[tuple[str, bytes]]) -> None:
        if not self.background:
            with self.project.transaction():
                insert_vectors(self.project, self.fingerprint, rows)
            return
        if self._error is not None:
            raise self._error
        self._queue.put(rows)

    def close(self) -> None:
        if self.background:
            self._queue.put(None)
            self._thread.join()
            self.background = False
            if self._error is not None:
                raise self._error

    def __enter__(self) -> VectorWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def cached_count(project: Project, fingerprint: str | None = None) -> int:
    if fingerprint is None:
        return int(project.scalar("SELECT COUNT(*) FROM embeddings"))
    return int(project.scalar("SELECT COUNT(*) FROM embeddings WHERE model = ?", (fingerprint,)))


# -- suggest runs ----------------------------------------------------------------------------------------
def insert_suggest_run(project: Project, *, codebook_version: int, model: str, parameters: dict,
                       created_at: str, questions: Iterable[str] | None = None) -> int:
    """A new run; ``questions``: the questions whose units it scores (None: every question)."""
    run_id = project.insert_id(
        "INSERT INTO suggest_runs (codebook_version_id, model, parameters, created_at) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        (codebook_version, model, json.dumps(parameters, sort_keys=True, ensure_ascii=False), created_at),
    )
    if questions is not None:
        project.conn.executemany(
            "INSERT INTO suggest_run_questions (run_id, question_id) VALUES (?, ?)",
            [(run_id, q) for q in dict.fromkeys(questions)],
        )
    return run_id


def insert_scores(project: Project, run_id: int, rows: Iterable[tuple[str, str, float, bool]]) -> None:
    """rows: (unit id, theme id, score, assigned)."""
    project.conn.executemany(
        "INSERT INTO scores (run_id, unit_id, theme_id, score, assigned) VALUES (?, ?, ?, ?, ?)",
        ((run_id, unit_id, theme_id, float(score), 1 if assigned else 0)
         for unit_id, theme_id, score, assigned in rows),
    )


_RUN_COLUMNS = "id, codebook_version_id, model, parameters, created_at"


def insert_score_matrix(project: Project, run_id: int, unit_ids: list[str], theme_ids: list[str],
                        scores: np.ndarray, assigned: np.ndarray) -> None:
    """Every unit x theme of a run: ``scores`` and ``assigned`` are units x themes arrays.

    Rows go in primary-key order (unit id, then theme id), so the index grows at its end.
    """
    rows = sorted(range(len(unit_ids)), key=unit_ids.__getitem__)
    cols = sorted(range(len(theme_ids)), key=theme_ids.__getitem__)
    scores = np.asarray(scores, dtype=np.float64)[np.ix_(rows, cols)]
    assigned = np.asarray(assigned, dtype=np.int64)[np.ix_(rows, cols)]
    n_themes = len(cols)
    project.conn.executemany(
        "INSERT INTO scores (run_id, unit_id, theme_id, score, assigned) VALUES (?, ?, ?, ?, ?)",
        zip([run_id] * scores.size, [unit_ids[r] for r in rows for _ in range(n_themes)],
            [theme_ids[c] for c in cols] * len(rows), scores.ravel().tolist(), assigned.ravel().tolist(),
            strict=True),
    )


def run_unit_counts(project: Project, run_id: int) -> tuple[int, int]:
    """(units the run scored, units it assigned no theme)."""
    scored = project.scalar("SELECT COUNT(DISTINCT unit_id) FROM scores WHERE run_id = ?", (run_id,))
    coded = project.scalar("SELECT COUNT(DISTINCT unit_id) FROM scores WHERE run_id = ? AND assigned = 1",
                           (run_id,))
    return int(scored), int(scored) - int(coded)


@dataclass(frozen=True)
class SuggestRunRecord:
    """A stored suggest run, as ``suggest_runs`` holds it (its scores are read separately)."""

    id: int
    codebook_version: int  # the codebook version number the run scored against
    model: str  # the model fingerprint
    parameters: dict  # everything the run was asked and chose: seed, thresholds, settings, ...
    created_at: str
    questions: tuple[str, ...] | None = None  # the questions whose units it scored; None: every question

    def covers(self, question: str) -> bool:
        return self.questions is None or question in self.questions


def _run_questions(project: Project, run_ids: list[int]) -> dict[int, tuple[str, ...]]:
    listed: dict[int, list[str]] = {}
    for chunk in _chunks(run_ids):
        marks = ", ".join("?" * len(chunk))
        for run_id, question in project.execute(
            f"SELECT run_id, question_id FROM suggest_run_questions WHERE run_id IN ({marks}) "
            "ORDER BY run_id, question_id", chunk,
        ):
            listed.setdefault(int(run_id), []).append(question)
    return {k: tuple(v) for k, v in listed.items()}


def _run_records(project: Project, rows) -> list[SuggestRunRecord]:
    rows = list(rows)
    listed = _run_questions(project, [int(r[0]) for r in rows]) if rows else {}
    return [SuggestRunRecord(int(run_id), version, model, json.loads(parameters), created_at,
                             listed.get(int(run_id)))
            for run_id, version, model, parameters, created_at in rows]


def get_suggest_run(project: Project, run_id: int) -> SuggestRunRecord | None:
    row = project.conn.execute(
        f"SELECT {_RUN_COLUMNS} FROM suggest_runs WHERE id = ?", (run_id,)
    ).fetchone()
    return None if row is None else _run_records(project, [row])[0]


def latest_suggest_run(project: Project, *, question: str | None = None) -> SuggestRunRecord | None:
    """The newest suggest run (that covers ``question``, when given), or None when there is none."""
    if question is None:
        row = project.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM suggest_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _run_records(project, [row])[0]
    row = project.conn.execute(
        f"""SELECT {_RUN_COLUMNS} FROM suggest_runs s
            WHERE NOT EXISTS (SELECT 1 FROM suggest_run_questions q WHERE q.run_id = s.id)
               OR EXISTS (SELECT 1 FROM suggest_run_questions q WHERE q.run_id = s.id AND q.question_id = ?)
            ORDER BY id DESC LIMIT 1""",
        (question,),
    ).fetchone()
    return None if row is None else _run_records(project, [row])[0]


def current_runs(project: Project) -> dict[str, SuggestRunRecord]:
    """Question id -> the latest suggest run that covers it: the run whose assignments are the coder
    ``machine`` on that question's units. Questions no run covers are left out."""
    runs = _run_records(project, project.execute(f"SELECT {_RUN_COLUMNS} FROM suggest_runs ORDER BY id DESC"))
    out: dict[str, SuggestRunRecord] = {}
    for (question,) in project.execute("SELECT id FROM questions ORDER BY position"):
        found = next((run for run in runs if run.covers(question)), None)
        if found is not None:
            out[question] = found
    return out


def suggest_run_count(project: Project) -> int:
    return int(project.scalar("SELECT COUNT(*) FROM suggest_runs"))


def run_scores(project: Project, run_id: int) -> dict[str, dict[str, tuple[float, bool]]]:
    """unit id -> theme id -> (score, assigned) for every unit x theme the run scored."""
    out: dict[str, dict[str, tuple[float, bool]]] = {}
    for unit_id, theme_id, score, assigned in project.execute(
        "SELECT unit_id, theme_id, score, assigned FROM scores WHERE run_id = ?", (run_id,)
    ):
        out.setdefault(unit_id, {})[theme_id] = (score, bool(assigned))
    return out


def current_pairs(project: Project, question: str | None = None) -> list[tuple[int, list[str]]]:
    """(run id, the questions it is current for), one per current run (of ``question`` only, when
    given), oldest run first."""
    per_run: dict[int, list[str]] = {}
    for q, run in current_runs(project).items():
        if question is None or q == question:
            per_run.setdefault(run.id, []).append(q)
    return sorted(per_run.items())


def _scored_rows(project: Project, run_id: int, questions: list[str] | None, *, assigned_only: bool):
    """(unit id, theme id, score, assigned) of a run, limited to the units of ``questions`` when given."""
    sql = "SELECT s.unit_id, s.theme_id, s.score, s.assigned FROM scores s"
    params: list = [run_id]
    if questions is None:
        sql += " WHERE s.run_id = ?"
    else:
        marks = ", ".join("?" * len(questions))
        sql += (" JOIN units u ON u.id = s.unit_id JOIN responses r ON r.id = u.response_id"
                f" WHERE s.run_id = ? AND r.question_id IN ({marks})")
        params += questions
    if assigned_only:
        sql += " AND s.assigned = 1"
    cursor = project.conn.cursor()
    cursor.row_factory = None
    try:
        yield from cursor.execute(sql, params)
    finally:
        cursor.close()


def machine_codings(project: Project, run_id: int | None = None, *,
                    question: str | None = None) -> dict[str, frozenset[str]]:
    """The coder ``machine``: unit id -> the themes a suggest run assigned. By default, each unit's
    themes come from the latest run that covers its question (:func:`current_runs`); ``run_id`` reads one
    run instead; ``question`` keeps that question's units only.

    Every unit scored is present; an empty set means the machine found no theme for it. No run yet: an
    empty dict.
    """
    pairs = [(run_id, None if question is None else [question])] if run_id is not None else \
        current_pairs(project, question)
    codings: dict[str, set[str]] = {}
    for run, questions in pairs:
        if run_id is None and len(pairs) == 1 and question is None and _covers_all(project, run):
            questions = None  # one run is current everywhere: no join needed
        for unit_id, theme_id, _score, flag in _scored_rows(project, run, questions, assigned_only=False):
            themes = codings.setdefault(unit_id, set())
            if flag:
                themes.add(theme_id)
    return {unit_id: frozenset(themes) for unit_id, themes in codings.items()}


def machine_scores(project: Project, *, question: str | None = None
                   ) -> dict[str, dict[str, tuple[float, bool]]]:
    """unit id -> theme id -> (score, assigned), each unit from the latest run that covers its question
    (of ``question``'s units only, when given)."""
    out: dict[str, dict[str, tuple[float, bool]]] = {}
    for run, questions in current_pairs(project, question):
        for unit_id, theme_id, score, flag in _scored_rows(project, run, questions, assigned_only=False):
            out.setdefault(unit_id, {})[theme_id] = (score, bool(flag))
    return out


def _covers_all(project: Project, run_id: int) -> bool:
    """Whether every question of the project is current under this one run (no other run's units mix in)."""
    listed = project.scalar("SELECT COUNT(*) FROM suggest_run_questions WHERE run_id = ?", (run_id,))
    if not listed:
        return True
    return int(listed) >= int(project.scalar("SELECT COUNT(*) FROM questions"))


def list_suggestions(project: Project, run_id: int, *, theme_id: str | None = None,
                     min_score: float | None = None, limit: int | None = None,
                     questions: list[str] | None = None) -> list[dict]:
    """Scored pairs of a run, best first within each theme: the assigned ones, or with ``min_score``
    every pair scoring at least that (of the units of ``questions`` only, when given)."""
    sql = """SELECT s.theme_id, s.unit_id, s.score, s.assigned, r.respondent_id, r.question_id, u.text
             FROM scores s JOIN units u ON u.id = s.unit_id JOIN responses r ON r.id = u.response_id
             WHERE s.run_id = ?"""
    params: list = [run_id]
    if questions is not None:
        sql += f" AND r.question_id IN ({', '.join('?' * len(questions))})"
        params += questions
    if theme_id is not None:
        sql += " AND s.theme_id = ?"
        params.append(theme_id)
    if min_score is None:
        sql += " AND s.assigned = 1"
    else:
        sql += " AND s.score >= ?"
        params.append(float(min_score))
    sql += " ORDER BY s.theme_id, s.score DESC, s.unit_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [
        {"theme": theme, "unit": unit, "score": score, "assigned": bool(flag), "respondent": respondent,
         "question": question, "text": text}
        for theme, unit, score, flag, respondent, question, text in project.execute(sql, params)
    ]


def theme_totals(project: Project, run_id: int) -> dict[str, dict]:
    """theme id -> units assigned, respondents assigned, and an exemplar: of the units assigned this theme
    and the fewest others, the best-scoring (id, text, score)."""
    totals: dict[str, dict] = {}
    for theme, n_units, n_respondents in project.execute(
        """SELECT s.theme_id, COUNT(*), COUNT(DISTINCT r.respondent_id)
           FROM scores s JOIN units u ON u.id = s.unit_id JOIN responses r ON r.id = u.response_id
           WHERE s.run_id = ? AND s.assigned = 1 GROUP BY s.theme_id""",
        (run_id,),
    ):
        totals[theme] = {"units": n_units, "respondents": n_respondents, "exemplar": None}
    for theme, unit_id, text, score in project.execute(
        """SELECT s.theme_id, s.unit_id, u.text, s.score FROM scores s JOIN units u ON u.id = s.unit_id
           WHERE s.run_id = ? AND s.assigned = 1
           ORDER BY s.theme_id,
                    (SELECT COUNT(*) FROM scores o
                      WHERE o.run_id = s.run_id AND o.unit_id = s.unit_id AND o.assigned = 1),
                    s.score DESC, s.unit_id""",
        (run_id,),
    ):
        if totals[theme]["exemplar"] is None:
            totals[theme]["exemplar"] = {"unit": unit_id, "text": text, "score": score}
    return totals


def unit_count(project: Project) -> int:
    return int(project.scalar("SELECT COUNT(*) FROM units"))


def answering_respondents(project: Project, questions: Iterable[str] | None = None) -> int:
    """Respondents with at least one coding unit (in one of ``questions``, when given)."""
    sql = "SELECT COUNT(DISTINCT r.respondent_id) FROM units u JOIN responses r ON r.id = u.response_id"
    if questions is None:
        return int(project.scalar(sql))
    questions = list(questions)
    if not questions:
        return 0
    marks = ", ".join("?" * len(questions))
    return int(project.scalar(sql + f" WHERE r.question_id IN ({marks})", questions))
