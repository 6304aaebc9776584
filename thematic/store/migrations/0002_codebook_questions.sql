-- thematic project schema, version 2: a codebook per question.
-- Each `codebook use` binds a codebook version either to every question (scope 'all', what every use
-- before version 2 did, so existing projects keep their meaning) or to the questions listed in
-- codebook_use_questions (scope 'questions'). The latest use that covers a question names its codebook.
-- Plain, portable SQL (no SQLite-only syntax), so a PostgreSQL port can run it as written.

ALTER TABLE codebook_uses ADD COLUMN scope TEXT NOT NULL DEFAULT 'all' CHECK (scope IN ('all', 'questions'));

CREATE TABLE codebook_use_questions (
    use_id       INTEGER NOT NULL REFERENCES codebook_uses(id),
    question_id  TEXT NOT NULL REFERENCES questions(id),
    PRIMARY KEY (use_id, question_id)
);
