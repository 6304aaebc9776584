-- thematic project schema, version 3: a suggest run per codebook.
-- With a codebook per question, `thematic suggest` makes one run per codebook version, over the units of
-- the questions that version codes; suggest_run_questions lists them. A run with no rows here (every run
-- before version 3) scored the units of every question. The machine's coding of a unit is the latest run
-- that covers the unit's question.
-- Plain, portable SQL (no SQLite-only syntax), so a PostgreSQL port can run it as written.

CREATE TABLE suggest_run_questions (
    run_id       INTEGER NOT NULL REFERENCES suggest_runs(id),
    question_id  TEXT NOT NULL REFERENCES questions(id),
    PRIMARY KEY (run_id, question_id)
);
