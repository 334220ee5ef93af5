/**
 * The schema of `chipset.db`, one entry per `PRAGMA user_version` step: entry `i` moves the
 * database from version `i` to `i + 1`. Entries are never edited once released; append new ones.
 */
export const migrations: readonly string[] = [
  // 1: the registry (installed module versions, their dependencies, keyword search) and usage.
  `
  CREATE TABLE modules (
    id           TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    keywords     TEXT    NOT NULL DEFAULT '[]',  -- JSON array of strings
    manifest     TEXT    NOT NULL,               -- JSON: the chipset field
    dir          TEXT,                           -- absolute path of the installed copy
    entry        TEXT,                           -- entry file relative to dir
    digest       TEXT,                           -- sha256 hex of the installed files
    source       TEXT    NOT NULL,
    installed_at INTEGER NOT NULL,               -- ms since epoch
    PRIMARY KEY (id, version)
  );
  CREATE INDEX modules_kind ON modules (kind);

  CREATE TABLE module_deps (
    id       TEXT    NOT NULL,
    version  TEXT    NOT NULL,
    dep_id   TEXT    NOT NULL,
    range    TEXT    NOT NULL,
    optional INTEGER NOT NULL CHECK (optional IN (0, 1)),
    PRIMARY KEY (id, version, dep_id),
    FOREIGN KEY (id, version) REFERENCES modules (id, version) ON DELETE CASCADE
  );
  CREATE INDEX module_deps_dep ON module_deps (dep_id);

  -- A standalone FTS5 table (not external-content): the rowids of modules may change on VACUUM.
  CREATE VIRTUAL TABLE modules_fts USING fts5 (
    id, description, keywords, version UNINDEXED, tokenize = 'unicode61'
  );
  CREATE TRIGGER modules_fts_insert AFTER INSERT ON modules BEGIN
    INSERT INTO modules_fts (id, description, keywords, version)
    VALUES (new.id, new.description, new.keywords, new.version);
  END;
  CREATE TRIGGER modules_fts_delete AFTER DELETE ON modules BEGIN
    DELETE FROM modules_fts WHERE id = old.id AND version = old.version;
  END;
  CREATE TRIGGER modules_fts_update AFTER UPDATE ON modules BEGIN
    DELETE FROM modules_fts WHERE id = old.id AND version = old.version;
    INSERT INTO modules_fts (id, description, keywords, version)
    VALUES (new.id, new.description, new.keywords, new.version);
  END;

  CREATE TABLE usage (
    id           TEXT    PRIMARY KEY,
    count        INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL                -- ms since epoch
  );
  `,
  // 2: supervision. The last checkpoint of each module (v8-serialised), and its crash history.
  `
  CREATE TABLE checkpoints (
    id       TEXT    PRIMARY KEY,
    version  TEXT    NOT NULL,
    state    BLOB    NOT NULL,                   -- v8.serialize (structured clone)
    saved_at INTEGER NOT NULL                    -- ms since epoch
  );

  CREATE TABLE crashes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    at         INTEGER NOT NULL,                 -- ms since epoch
    kind       TEXT    NOT NULL,                 -- CrashKind
    message    TEXT    NOT NULL,
    action     TEXT    NOT NULL,                 -- restart | none | gave-up
    delay_ms   INTEGER                           -- backoff before the restart
  );
  CREATE INDEX crashes_id ON crashes (id, seq);
  `,
  // 3: the error monitor. Recent errors (the writer keeps the newest N) and all-time counts.
  `
  CREATE TABLE errors (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,                  -- ms since epoch
    code      TEXT    NOT NULL,                  -- CHIP_ERR_* or UNKNOWN
    name      TEXT    NOT NULL,                  -- ChipsetError, TypeError, NonError, ...
    category  TEXT    NOT NULL,
    severity  TEXT    NOT NULL,
    transient INTEGER NOT NULL CHECK (transient IN (0, 1)),
    message   TEXT    NOT NULL,
    module    TEXT    NOT NULL,                  -- module id, or '(runtime)' for none
    version   TEXT,
    method    TEXT,
    attempt   INTEGER,
    host      TEXT,                              -- inline | worker | process
    call_id   INTEGER,
    causes    TEXT    NOT NULL DEFAULT '[]'      -- JSON array: first line of each cause, at most 5
  );
  CREATE INDEX errors_module ON errors (module, seq);

  CREATE TABLE error_counts (
    code   TEXT    NOT NULL,
    module TEXT    NOT NULL,                     -- module id, or '(runtime)' for none
    count  INTEGER NOT NULL,
    PRIMARY KEY (code, module)
  ) WITHOUT ROWID;
  `,
  // 4: leases. Which running runtime (by process id) has a module version loaded, so that a
  // `remove` from another process does not delete the files under it.
  `
  CREATE TABLE leases (
    id          TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL,                -- ms since epoch
    PRIMARY KEY (id, version, pid)
  ) WITHOUT ROWID;
  `,
  // 5: installed copies found intact, by a fingerprint of their files' metadata (sizes, inodes,
  // modification and change times), so that a later runtime need not hash them again to know.
  `
  CREATE TABLE verified (
    dir         TEXT    PRIMARY KEY,             -- store directory, relative to the data directory
    digest      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL
  ) WITHOUT ROWID;
  `,
  // 6: desired state of updates. The version of each module that serves (the one a restarted
  // host loads), and the one it replaced (for rollback); the update and rollback requests a CLI
  // leaves for a running host, with their progress and outcome; and the hosts that take them.
  `
  CREATE TABLE active_versions (
    id         TEXT    PRIMARY KEY,
    version    TEXT    NOT NULL,
    previous   TEXT,                             -- the version this one replaced, for rollback
    reason     TEXT    NOT NULL,                 -- update | rollback | rolled-back | loaded
    changed_at INTEGER NOT NULL                  -- ms since epoch
  ) WITHOUT ROWID;

  CREATE TABLE update_requests (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('update', 'rollback')),
    options      TEXT    NOT NULL,               -- JSON: from, version, integrity, registry, timings
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    step         TEXT,                           -- the step under way, while running
    result       TEXT,                           -- JSON: the report, or the error
    requested_by INTEGER NOT NULL,               -- pid of the process that asked
    taken_by     INTEGER,                        -- pid of the host that runs it
    requested_at INTEGER NOT NULL,               -- ms since epoch
    finished_at  INTEGER
  );
  CREATE INDEX update_requests_status ON update_requests (status, seq);

  CREATE TABLE hosts (
    pid        INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL                  -- ms since epoch
  );
  `,
  // 7: one checkpoint per module version, so versions side by side keep theirs apart.
  `
  CREATE TABLE checkpoints_by_version (
    id       TEXT    NOT NULL,
    version  TEXT    NOT NULL,
    state    BLOB    NOT NULL,                   -- v8.serialize (structured clone)
    saved_at INTEGER NOT NULL,                   -- ms since epoch
    PRIMARY KEY (id, version)
  );
  INSERT INTO checkpoints_by_version (id, version, state, saved_at) SELECT id, version, state, saved_at FROM checkpoints;
  DROP TABLE checkpoints;
  ALTER TABLE checkpoints_by_version RENAME TO checkpoints;
  `,
  // 8: desired state of operators. Whether each module an operator started or stopped through
  // the host should run, so that a host started again (after a reboot) brings it back as it was.
  `
  CREATE TABLE desired_runs (
    id     TEXT    PRIMARY KEY,
    state  TEXT    NOT NULL CHECK (state IN ('running', 'stopped')),
    set_at INTEGER NOT NULL                      -- ms since epoch
  ) WITHOUT ROWID;
  `,
  // 9: resource history. Raw samples (kept resources.rawRetentionMs) and one-minute roll-ups
  // (kept resources.rollupRetentionMs): a roll-up keeps sums, counts and maxima, so a minute
  // written in several batches adds up, and averages over any period are exact.
  `
  CREATE TABLE resource_samples (
    id          TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    at          INTEGER NOT NULL,                -- end of the interval, ms since epoch
    interval_ms INTEGER NOT NULL,
    cpu         REAL,                            -- % of one CPU; null when not attributable
    memory      REAL,                            -- bytes (a process's RSS, a worker's heap)
    fs_read     REAL    NOT NULL,                -- bytes per second
    fs_write    REAL    NOT NULL,
    net_in      REAL    NOT NULL,
    net_out     REAL    NOT NULL
  );
  CREATE INDEX resource_samples_at ON resource_samples (at);
  CREATE INDEX resource_samples_module ON resource_samples (id, version, at);

  CREATE TABLE resource_minutes (
    id         TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    minute     INTEGER NOT NULL,                 -- start of the minute, ms since epoch
    samples    INTEGER NOT NULL,
    cpu_n      INTEGER NOT NULL,                 -- samples with a CPU figure
    cpu_sum    REAL    NOT NULL,
    cpu_max    REAL,
    memory_n   INTEGER NOT NULL,
    memory_sum REAL    NOT NULL,
    memory_max REAL,
    disk_sum   REAL    NOT NULL,                 -- read + write, bytes per second
    disk_max   REAL    NOT NULL,
    net_sum    REAL    NOT NULL,                 -- in + out, bytes per second
    net_max    REAL    NOT NULL,
    PRIMARY KEY (id, version, minute)
  );
  CREATE INDEX resource_minutes_minute ON resource_minutes (minute);
  `,
  // 10: one checkpoint per replica, so each replica of a module restarts from its own state.
  `
  CREATE TABLE checkpoints_by_replica (
    id       TEXT    NOT NULL,
    version  TEXT    NOT NULL,
    replica  INTEGER NOT NULL,                   -- 0 for a module that runs as one instance
    state    BLOB    NOT NULL,                   -- v8.serialize (structured clone)
    saved_at INTEGER NOT NULL,                   -- ms since epoch
    PRIMARY KEY (id, version, replica)
  );
  INSERT INTO checkpoints_by_replica (id, version, replica, state, saved_at)
    SELECT id, version, 0, state, saved_at FROM checkpoints;
  DROP TABLE checkpoints;
  ALTER TABLE checkpoints_by_replica RENAME TO checkpoints;
  `,
  // 11: update history. Every update and rollback a runtime ran (the API's, the CLI's through a
  // host, the watcher's automatic ones) and how it ended, with its report; the newest 200 per
  // module are kept (pruned on insert).
  `
  CREATE TABLE update_history (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('update', 'rollback')),
    strategy     TEXT    NOT NULL,               -- 'blue-green' | 'canary'
    from_version TEXT,                           -- null: none was loaded
    to_version   TEXT,                           -- null: it failed before one was known
    outcome      TEXT    NOT NULL,               -- UpdateReport.outcome: completed, installed, unchanged, rolled-back, failed
    code         TEXT,                           -- the CHIP_ERR_* it failed with; null when it did not
    message      TEXT,                           -- that error's message
    started_at   INTEGER NOT NULL,               -- ms since epoch
    finished_at  INTEGER NOT NULL,               -- ms since epoch
    report       TEXT    NOT NULL                -- JSON: the UpdateReport
  );
  CREATE INDEX update_history_module ON update_history (id, seq);
  `,
  // 12: calls beside the resources in their history (the dashboard's charts): per raw sample, the
  // calls served and failed over its interval and the p99 of their latencies; per minute, their
  // sums and the p99s' sum, count and maximum. Null in rows written before.
  `
  ALTER TABLE resource_samples ADD COLUMN calls INTEGER;      -- calls served over the interval
  ALTER TABLE resource_samples ADD COLUMN failures INTEGER;   -- of the version, by the module's doing
  ALTER TABLE resource_samples ADD COLUMN p99_ms REAL;        -- of the interval's successful calls
  ALTER TABLE resource_minutes ADD COLUMN calls_sum INTEGER;
  ALTER TABLE resource_minutes ADD COLUMN failures_sum INTEGER;
  ALTER TABLE resource_minutes ADD COLUMN p99_n INTEGER;      -- samples with a p99
  ALTER TABLE resource_minutes ADD COLUMN p99_sum REAL;
  ALTER TABLE resource_minutes ADD COLUMN p99_max REAL;
  `,
  // 13: the shared registry's record of what this node has put in its cluster's catalogue (the
  // outbox by difference: a local version missing here, or here with another digest, is still to
  // publish; a row whose version left the registry is a removal still to publish). A diff rather
  // than a queue of events, so `chipset add` from another process and adds while NATS is down are
  // published too.
  `
  CREATE TABLE cluster_published (
    cluster  TEXT    NOT NULL,                   -- the cluster's name
    id       TEXT    NOT NULL,
    version  TEXT    NOT NULL,
    digest   TEXT    NOT NULL,                   -- the tree digest published (sha256 hex)
    at       INTEGER NOT NULL,                   -- ms since epoch
    PRIMARY KEY (cluster, id, version)
  );
  `,
];
