// Numbered, forward-only schema migrations, one transaction each. The
// database's PRAGMA user_version is the number of migrations applied.
import Foundation

enum Migrations {
    /// Append only; never edit a shipped entry.
    static let all: [String] = [
        // 1: jobs, dependencies, metrics, artifacts.
        """
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            grid TEXT NOT NULL,
            kind TEXT NOT NULL,
            params TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
            priority INTEGER NOT NULL DEFAULT 0,
            attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
            max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
            lease_owner TEXT,
            lease_expires_at REAL,
            fence INTEGER NOT NULL DEFAULT 0,
            progress REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
            rate REAL,
            note TEXT,
            last_error TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            heartbeat_at REAL,
            finished_at REAL,
            CHECK ((state IN ('succeeded','failed','cancelled')) = (finished_at IS NOT NULL)),
            CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
        );
        CREATE INDEX jobs_claimable ON jobs(priority DESC, id) WHERE state = 'queued';
        CREATE INDEX jobs_lease ON jobs(lease_expires_at) WHERE state = 'running';
        CREATE INDEX jobs_grid_state ON jobs(grid, state);
        CREATE TABLE job_deps (
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            needs_id INTEGER NOT NULL REFERENCES jobs(id),
            PRIMARY KEY (job_id, needs_id),
            CHECK (job_id != needs_id)
        ) WITHOUT ROWID;
        CREATE TABLE metrics (
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (job_id, key)
        ) WITHOUT ROWID;
        CREATE TABLE artifacts (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
            created_at REAL NOT NULL,
            UNIQUE (job_id, kind, path)
        );
        """,
        // 2: the worker's estimate of the seconds left, as of heartbeat_at.
        """
        ALTER TABLE jobs ADD COLUMN eta_seconds REAL CHECK (eta_seconds IS NULL OR eta_seconds >= 0);
        """,
        // 3: what a succeeded job's result was made with (e.g. the predictor
        // that labelled its images), as text facts written with its metrics.
        """
        CREATE TABLE provenance (
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (job_id, key)
        ) WITHOUT ROWID;
        """,
        // 4: the workers that connected: where they run (host, Slurm job and
        // array task), their slots, and when they were last heard from.
        """
        CREATE TABLE workers (
            name TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            slots INTEGER NOT NULL CHECK (slots >= 1),
            pid INTEGER,
            slurm_job_id TEXT,
            slurm_array_task_id TEXT,
            connections INTEGER NOT NULL DEFAULT 0 CHECK (connections >= 0),
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL
        );
        """,
        // 5: each job's state history (job_events, written by triggers on
        // every insert and state change, whoever makes it: daemon, CLI,
        // dashboard) and indexes for the dashboard's paged job queries
        // (filter by state, grid or kind, in id order). Jobs that existed
        // before get one event: their state as of the migration.
        """
        CREATE TABLE job_events (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            at REAL NOT NULL,
            from_state TEXT,
            to_state TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            worker TEXT,
            error TEXT
        );
        CREATE INDEX job_events_job ON job_events(job_id, id);
        INSERT INTO job_events(job_id, at, from_state, to_state, attempt, worker, error)
            SELECT id, COALESCE(finished_at, started_at, created_at), NULL, state, attempt, lease_owner, last_error FROM jobs ORDER BY id;
        CREATE TRIGGER jobs_event_insert AFTER INSERT ON jobs BEGIN
            INSERT INTO job_events(job_id, at, from_state, to_state, attempt, worker, error)
            VALUES (NEW.id, NEW.created_at, NULL, NEW.state, NEW.attempt, NULL, NULL);
        END;
        CREATE TRIGGER jobs_event_state AFTER UPDATE OF state ON jobs WHEN OLD.state IS NOT NEW.state BEGIN
            INSERT INTO job_events(job_id, at, from_state, to_state, attempt, worker, error)
            VALUES (NEW.id, (julianday('now') - 2440587.5) * 86400.0, OLD.state, NEW.state, NEW.attempt,
                    COALESCE(NEW.lease_owner, OLD.lease_owner),
                    CASE WHEN NEW.last_error IS NOT OLD.last_error THEN NEW.last_error END);
        END;
        CREATE INDEX jobs_state ON jobs(state);
        CREATE INDEX jobs_grid ON jobs(grid);
        CREATE INDEX jobs_kind ON jobs(kind);
        """,
        // 6: the jobs' log lines (their processes' stderr), sent with the
        // heartbeats, the newest `JobStore.logLinesKept` per job, for the
        // dashboard's live tail.
        """
        CREATE TABLE job_logs (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            at REAL NOT NULL,
            attempt INTEGER NOT NULL,
            line TEXT NOT NULL
        );
        CREATE INDEX job_logs_job ON job_logs(job_id, id);
        """,
    ]

    static func apply(_ db: Database) throws {
        for (i, sql) in all.enumerated() {
            try db.transaction {
                let v = try db.query("PRAGMA user_version")[0][0].int ?? 0
                guard v == i else { return }
                try db.execute(sql)
                try db.execute("PRAGMA user_version = \(i + 1)")
            }
        }
        let v = try db.query("PRAGMA user_version")[0][0].int ?? 0
        if v > all.count {
            throw StoreError.newerSchema(found: v, known: all.count)
        }
    }
}
