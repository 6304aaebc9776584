-- thematic project schema, version 1.
-- Plain, portable SQL: ids and timestamps are made in Python; JSON is stored as TEXT.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    options      TEXT NOT NULL,          -- JSON: the import options
    imported_at  TEXT NOT NULL,
    summary      TEXT NOT NULL           -- JSON: what the import added and skipped
);

CREATE TABLE respondents (
    id          TEXT PRIMARY KEY,        -- the respondent id from the file
    attributes  TEXT NOT NULL,           -- JSON object
    source_id   INTEGER NOT NULL REFERENCES sources(id)
);

CREATE TABLE questions (
    id        TEXT PRIMARY KEY,          -- the column name
    text      TEXT,                      -- question wording where known (Qualtrics)
    position  INTEGER NOT NULL
);

CREATE TABLE responses (
    id             INTEGER PRIMARY KEY,
    respondent_id  TEXT NOT NULL REFERENCES respondents(id),
    question_id    TEXT NOT NULL REFERENCES questions(id),
    text           TEXT NOT NULL,
    source_id      INTEGER NOT NULL REFERENCES sources(id),
    UNIQUE (respondent_id, question_id)
);

CREATE TABLE units (
    id            TEXT PRIMARY KEY,      -- stable: derived from respondent, question and offsets
    response_id   INTEGER NOT NULL REFERENCES responses(id),
    seq           INTEGER NOT NULL,      -- position within the response
    start_offset  INTEGER NOT NULL,      -- code points into the response text
    end_offset    INTEGER NOT NULL,      -- exclusive
    text          TEXT NOT NULL,
    text_sha256   TEXT NOT NULL
);
CREATE INDEX units_by_response ON units (response_id, seq);
CREATE INDEX units_by_text ON units (text_sha256);

CREATE TABLE codebook_versions (
    id            INTEGER PRIMARY KEY,   -- version number: 1, 2, ...
    content_hash  TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    yaml          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Each `codebook use`; the latest row names the current version.
CREATE TABLE codebook_uses (
    id          INTEGER PRIMARY KEY,
    version_id  INTEGER NOT NULL REFERENCES codebook_versions(id),
    used_at     TEXT NOT NULL
);

CREATE TABLE themes (
    version_id       INTEGER NOT NULL REFERENCES codebook_versions(id),
    id               TEXT NOT NULL,
    position         INTEGER NOT NULL,   -- order in the codebook (depth first)
    parent_id        TEXT,
    name             TEXT NOT NULL,
    definition       TEXT NOT NULL,
    include_rules    TEXT NOT NULL,      -- JSON list
    exclude_rules    TEXT NOT NULL,      -- JSON list
    examples         TEXT NOT NULL,      -- JSON list
    counterexamples  TEXT NOT NULL,      -- JSON list
    keywords         TEXT NOT NULL,      -- JSON list
    colour           TEXT,
    PRIMARY KEY (version_id, id)
);

CREATE TABLE embeddings (
    model        TEXT NOT NULL,          -- model fingerprint
    text_sha256  TEXT NOT NULL,
    dim          INTEGER NOT NULL,
    vector       BLOB NOT NULL,          -- float32, little endian
    PRIMARY KEY (model, text_sha256)
);

CREATE TABLE suggest_runs (
    id                   INTEGER PRIMARY KEY,
    codebook_version_id  INTEGER NOT NULL REFERENCES codebook_versions(id),
    model                TEXT NOT NULL,
    parameters           TEXT NOT NULL,  -- JSON, including seed and thresholds
    created_at           TEXT NOT NULL
);

CREATE TABLE scores (
    run_id    INTEGER NOT NULL REFERENCES suggest_runs(id),
    unit_id   TEXT NOT NULL REFERENCES units(id),
    theme_id  TEXT NOT NULL,
    score     REAL NOT NULL,
    assigned  INTEGER NOT NULL,          -- 0/1 after the theme's threshold
    PRIMARY KEY (run_id, unit_id, theme_id)
);

CREATE TABLE discover_runs (
    id                   INTEGER PRIMARY KEY,
    codebook_version_id  INTEGER REFERENCES codebook_versions(id),
    model                TEXT NOT NULL,
    parameters           TEXT NOT NULL,  -- JSON, including method, k, random_state
    created_at           TEXT NOT NULL
);

CREATE TABLE clusters (
    run_id         INTEGER NOT NULL REFERENCES discover_runs(id),
    cluster        INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    keywords       TEXT NOT NULL,        -- JSON list
    exemplars      TEXT NOT NULL,        -- JSON list of unit ids
    nearest_theme  TEXT,
    similarity     REAL,
    is_candidate   INTEGER NOT NULL,     -- 1: no theme is near; a candidate new theme
    PRIMARY KEY (run_id, cluster)
);

CREATE TABLE cluster_members (
    run_id   INTEGER NOT NULL REFERENCES discover_runs(id),
    unit_id  TEXT NOT NULL REFERENCES units(id),
    cluster  INTEGER NOT NULL,
    x        REAL,
    y        REAL,
    PRIMARY KEY (run_id, unit_id)
);

-- The decision log: appended, never updated or deleted (triggers below).
CREATE TABLE decisions (
    seq            INTEGER PRIMARY KEY,  -- arrival order in this file
    uuid           TEXT NOT NULL UNIQUE,
    coder          TEXT NOT NULL,
    unit_id        TEXT NOT NULL REFERENCES units(id),
    themes         TEXT NOT NULL,        -- JSON sorted list of theme ids; [] = no theme applies
    kind           TEXT NOT NULL CHECK (kind IN ('code', 'skip', 'flag', 'undo')),
    target_uuid    TEXT,                 -- for undo: the decision it reverses
    note           TEXT,
    codebook_hash  TEXT,                 -- content hash of the codebook version seen
    suggestions    TEXT,                 -- JSON: what was on screen; NULL when blind
    at             TEXT NOT NULL         -- UTC, fixed-width ISO 8601
);
CREATE INDEX decisions_by_coder_unit ON decisions (coder, unit_id, at);

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only');
END;

CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only');
END;
