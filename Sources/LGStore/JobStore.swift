// The job table as the source of truth: one SQLite connection in WAL mode,
// every call serialised by a lock (one writer). Lease operations live here;
// enqueue/report/admin operations in JobStore+Admin.swift.
import Foundation

/// Every call is serialised by `lock` (one writer), so threads share one store.
public final class JobStore: @unchecked Sendable {
    /// The one connection; SQL lives in this target only.
    let db: Database
    public let clock: WallClock
    public let path: String
    let lock = NSLock()

    /// Opens or creates the store at `path` and applies pending migrations.
    /// `busyTimeoutMs`: how long a command waits for another process's write
    /// lock (the daemon's transactions are short) before giving up.
    public init(path: String, clock: WallClock = SystemWallClock(), busyTimeoutMs: Int32 = 60_000) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        self.path = path
        self.clock = clock
        db = try Database(path: path, busyTimeoutMs: busyTimeoutMs)
        try db.query("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        try Migrations.apply(db)
    }

    /// Runs `body` holding the store lock.
    @discardableResult
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    public var schemaVersion: Int {
        locked { ((try? db.query("PRAGMA user_version"))?.first?[0].int) ?? 0 }
    }

    // MARK: leases

    /// Atomically hands up to `limit` claimable jobs to `owner`: queued, every
    /// dependency succeeded, kind in `kinds` (nil = any). Highest priority,
    /// then oldest first. Each claim starts an attempt with a new fencing token.
    public func claim(owner: String, limit: Int, leaseSeconds: Double, kinds: [String]? = nil,
                      cells: CellRule? = nil) throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        if let kinds, kinds.isEmpty { return [] }
        return try locked {
            try db.transaction {
                try claimInTransaction(owner: owner, limit: limit, leaseSeconds: leaseSeconds, kinds: kinds, cells: cells)
            }
        }
    }

    /// `complete` of one job and `claim` of the next ones in one transaction
    /// (one commit): the completion is durable together with the new leases.
    /// The claim happens whatever the completion's outcome (a stale token
    /// changes nothing about that job).
    public func completeAndClaim(jobID: Int, fence: Int, metrics: [String: Double], provenance: [String: String] = [:],
                                 owner: String, limit: Int,
                                 leaseSeconds: Double, kinds: [String]? = nil, cells: CellRule? = nil) throws -> (LeaseOutcome, [ClaimedJob]) {
        try locked {
            try db.transaction {
                let o = try completeInTransaction(jobID: jobID, fence: fence, metrics: metrics, provenance: provenance)
                guard limit > 0, kinds.map({ !$0.isEmpty }) ?? true else { return (o, []) }
                return (o, try claimInTransaction(owner: owner, limit: limit, leaseSeconds: leaseSeconds, kinds: kinds, cells: cells))
            }
        }
    }

    /// The claim itself; the caller holds the lock and a transaction.
    func claimInTransaction(owner: String, limit: Int, leaseSeconds: Double, kinds: [String]?,
                            cells: CellRule? = nil) throws -> [ClaimedJob] {
        let now = clock.now()
        var args: [SQLValue] = [.text(owner), .double(now + leaseSeconds), .double(now), .int(Int64(limit))]
        if let kinds { args += kinds.map { .text($0) } }
        func decode(_ rows: [Row]) -> [ClaimedJob] {
            rows.map { r in
                ClaimedJob(id: r[0].int ?? 0, key: r[1].text ?? "", grid: r[2].text ?? "", kind: r[3].text ?? "",
                           params: JSONValue.decodeObject(r[4].text ?? "{}"), attempt: r[5].int ?? 0,
                           maxAttempts: r[6].int ?? 1, fence: r[7].int ?? 0, checkpoint: nil)
            }
        }
        var jobs = decode(try db.query(Self.claimSQL(kindCount: kinds?.count), args))
        jobs.sort { $0.id < $1.id }
        if let cells, cells.size > 1 {
            // Each claimed job brings the queued jobs of its cell, up to the
            // cell size, listed right after it.
            var grouped: [ClaimedJob] = []
            for j in jobs {
                grouped.append(j)
                guard let key = cells.key(j.kind, j.params) else { continue }
                let mates = try cellMates(of: j, key: key, rule: cells, kinds: kinds)
                if mates.isEmpty { continue }
                let ids = mates.map { SQLValue.int(Int64($0)) }
                let marks = ids.indices.map { "?\($0 + 4)" }.joined(separator: ",")
                grouped += decode(try db.query(Self.claimUpdate + " WHERE state = 'queued' AND id IN (\(marks)) " + Self.claimReturning,
                                               [.text(owner), .double(now + leaseSeconds), .double(now)] + ids)).sorted { $0.id < $1.id }
            }
            jobs = grouped
        }
        // Any stored checkpoint: from an earlier attempt, and also from a
        // released lease (a worker's SIGTERM), which gives the attempt back.
        for i in jobs.indices {
            jobs[i].checkpoint = try latestArtifactUnlocked(jobID: jobs[i].id, kind: "checkpoint")
        }
        for i in jobs.indices {
            let deps = try dependencyCheckpointsUnlocked(jobID: jobs[i].id)
            if !deps.isEmpty { jobs[i].needs = deps }
        }
        return jobs
    }

    /// The claim: one UPDATE over the first claimable jobs in priority, id
    /// order (?1 owner, ?2 lease end, ?3 now, ?4 limit, ?5... kinds).
    /// `INDEXED BY jobs_claimable`: the partial index on queued jobs already
    /// holds that order; without the hint SQLite may pick the state or kind
    /// index (schema 5, for the dashboard) and sort every queued job per claim.
    static func claimSQL(kindCount: Int?) -> String {
        let kindFilter = kindCount.map { n in " AND j.kind IN (" + (0..<n).map { "?\($0 + 5)" }.joined(separator: ",") + ")" } ?? ""
        return claimUpdate + """
             WHERE id IN (
                SELECT j.id FROM jobs j INDEXED BY jobs_claimable
                WHERE j.state = 'queued'\(kindFilter) AND \(depsMet)
                ORDER BY j.priority DESC, j.id LIMIT ?4)
            """ + claimReturning
    }

    /// What a claim does to a job (?1 owner, ?2 lease end, ?3 now).
    static let claimUpdate = """
        UPDATE jobs SET state = 'running', attempt = attempt + 1, fence = fence + 1,
            lease_owner = ?1, lease_expires_at = ?2, started_at = ?3, heartbeat_at = ?3,
            rate = NULL, note = NULL, eta_seconds = NULL
        """
    static let claimReturning = " RETURNING id, key, grid, kind, params, attempt, max_attempts, fence"
    /// Every job that `j` needs has succeeded.
    static let depsMet = """
        NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs n ON n.id = d.needs_id WHERE d.job_id = j.id AND n.state != 'succeeded')
        """

    /// Queued, claimable jobs of `j`'s kind in `j`'s cell (`key`), in claim
    /// order, at most `rule.size - 1`. The candidates are the first
    /// `rule.scan` queued jobs of the kind; their keys are computed here.
    func cellMates(of j: ClaimedJob, key: String, rule: CellRule, kinds: [String]?) throws -> [Int] {
        if let kinds, !kinds.contains(j.kind) { return [] }
        let rows = try db.query("""
            SELECT j.id, j.params FROM jobs j INDEXED BY jobs_claimable
            WHERE j.state = 'queued' AND j.kind = ?1 AND \(Self.depsMet)
            ORDER BY j.priority DESC, j.id LIMIT ?2
            """, [.text(j.kind), .int(Int64(rule.scan))])
        var out: [Int] = []
        for r in rows where out.count < rule.size - 1 {
            if rule.key(j.kind, JSONValue.decodeObject(r[1].text ?? "{}")) == key, let id = r[0].int { out.append(id) }
        }
        return out
    }

    /// SQLite's plan for the claim (`EXPLAIN QUERY PLAN` details), for tests.
    public func explainClaim(kinds: [String]?) throws -> [String] {
        try locked {
            let args: [SQLValue] = [.text("w"), .double(0), .double(0), .int(1)] + (kinds ?? []).map { .text($0) }
            return try db.query("EXPLAIN QUERY PLAN " + Self.claimSQL(kindCount: kinds?.count), args).map { $0[3].text ?? "" }
        }
    }

    /// Checks that (jobID, fence) is the job's live lease. Caller holds the lock.
    func checkLease(_ jobID: Int, _ fence: Int) throws -> LeaseOutcome {
        let rows = try db.query("SELECT state, fence FROM jobs WHERE id = ?", [.int(Int64(jobID))])
        guard let r = rows.first else { return .stale("no job \(jobID)") }
        let state = r[0].text ?? "", current = r[1].int ?? 0
        guard current == fence else { return .stale("job \(jobID): fencing token \(fence) is stale (current \(current))") }
        if state == "cancelled" { return .cancelled }
        guard state == "running" else { return .stale("job \(jobID) is \(state), not running") }
        return .ok
    }

    /// Renews the lease and records progress. Stale tokens change nothing.
    /// Renews a lease and records progress. `progress`, `rate` and `note`
    /// keep their stored values when nil; `etaSeconds` is the worker's
    /// current estimate and is replaced (nil: none yet, e.g. a new phase).
    public func heartbeat(jobID: Int, fence: Int, progress: Double?, rate: Double?, note: String?,
                          etaSeconds: Double? = nil, log: [String] = [], leaseSeconds: Double) throws -> LeaseOutcome {
        try locked {
            try db.transaction {
                let c = try checkLease(jobID, fence)
                guard c == .ok else { return c }
                let now = clock.now()
                let p = progress.map { min(1, max(0, $0.isFinite ? $0 : 0)) }
                let eta = etaSeconds.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
                try db.query("""
                    UPDATE jobs SET lease_expires_at = ?, heartbeat_at = ?, progress = COALESCE(?, progress),
                        rate = COALESCE(?, rate), note = COALESCE(?, note), eta_seconds = ? WHERE id = ?
                    """, [.double(now + leaseSeconds), .double(now), p.map { .double($0) } ?? .null,
                          rate.map { .double($0) } ?? .null, note.map { .text($0) } ?? .null,
                          eta.map { .double($0) } ?? .null, .int(Int64(jobID))])
                if !log.isEmpty { try appendLog(jobID: jobID, lines: log, at: now) }
                return .ok
            }
        }
    }

    /// Records metric rows (upsert by key) under a live lease.
    public func recordMetrics(jobID: Int, fence: Int, metrics: [String: Double]) throws -> LeaseOutcome {
        try locked {
            try db.transaction {
                let c = try checkLease(jobID, fence)
                guard c == .ok else { return c }
                try insertMetrics(jobID, metrics)
                return .ok
            }
        }
    }

    func insertMetrics(_ jobID: Int, _ metrics: [String: Double]) throws {
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) where v.isFinite {
            try db.query("INSERT INTO metrics(job_id, key, value) VALUES (?, ?, ?) ON CONFLICT(job_id, key) DO UPDATE SET value = excluded.value",
                         [.int(Int64(jobID)), .text(k), .double(v)])
        }
    }

    /// Marks the job succeeded and replaces its metric set and its
    /// provenance (text facts such as `predictor`), atomically.
    public func complete(jobID: Int, fence: Int, metrics: [String: Double],
                         provenance: [String: String] = [:]) throws -> LeaseOutcome {
        try locked {
            try db.transaction { try completeInTransaction(jobID: jobID, fence: fence, metrics: metrics, provenance: provenance) }
        }
    }

    func completeInTransaction(jobID: Int, fence: Int, metrics: [String: Double],
                               provenance: [String: String]) throws -> LeaseOutcome {
        let c = try checkLease(jobID, fence)
        guard c == .ok else { return c }
        try db.query("DELETE FROM metrics WHERE job_id = ?", [.int(Int64(jobID))])
        try insertMetrics(jobID, metrics)
        try db.query("DELETE FROM provenance WHERE job_id = ?", [.int(Int64(jobID))])
        for (k, v) in provenance.sorted(by: { $0.key < $1.key }) {
            try db.query("INSERT INTO provenance(job_id, key, value) VALUES (?, ?, ?)", [.int(Int64(jobID)), .text(k), .text(v)])
        }
        try db.query("""
            UPDATE jobs SET state = 'succeeded', progress = 1, finished_at = ?, lease_owner = NULL,
                lease_expires_at = NULL, last_error = NULL WHERE id = ?
            """, [.double(clock.now()), .int(Int64(jobID))])
        return .ok
    }

    /// A daemon starting up gives every running lease one more lease period,
    /// so workers can reconnect after a coordinator restart.
    public func extendRunningLeases(by seconds: Double) throws {
        try locked {
            try db.query("UPDATE jobs SET lease_expires_at = MAX(lease_expires_at, ?) WHERE state = 'running'",
                         [.double(clock.now() + seconds)])
        }
    }

    /// Records a failed attempt. With `retryable` and attempts left the job
    /// goes back to `queued`; otherwise it becomes `failed`.
    public func fail(jobID: Int, fence: Int, error: String, retryable: Bool) throws -> LeaseOutcome {
        try locked {
            try db.transaction {
                let c = try checkLease(jobID, fence)
                guard c == .ok else { return c }
                let now = clock.now()
                try db.query("""
                    UPDATE jobs SET
                        state = CASE WHEN ? AND attempt < max_attempts THEN 'queued' ELSE 'failed' END,
                        finished_at = CASE WHEN ? AND attempt < max_attempts THEN NULL ELSE ? END,
                        last_error = ?, lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = ?
                    """, [.int(retryable ? 1 : 0), .int(retryable ? 1 : 0), .double(now),
                          .text(String(error.suffix(8000))), .int(Int64(jobID))])
                return .ok
            }
        }
    }

    /// Gives the job back without using up an attempt (worker shutdown).
    public func release(jobID: Int, fence: Int, note: String? = nil) throws -> LeaseOutcome {
        try locked {
            try db.transaction {
                let c = try checkLease(jobID, fence)
                guard c == .ok else { return c }
                try db.query("""
                    UPDATE jobs SET state = 'queued', attempt = MAX(0, attempt - 1), lease_owner = NULL,
                        lease_expires_at = NULL, note = COALESCE(?, note) WHERE id = ?
                    """, [note.map { .text($0) } ?? .null, .int(Int64(jobID))])
                return .ok
            }
        }
    }

    /// Jobs whose lease ran out go back to `queued` (attempt kept: the next
    /// claim counts the next attempt) or to `failed` after the last attempt.
    /// Returns the ids rescued.
    @discardableResult
    public func rescueExpired() throws -> [(id: Int, state: JobState)] {
        try locked {
            let now = clock.now()
            let rows = try db.transaction {
                try db.query("""
                    UPDATE jobs SET
                        state = CASE WHEN attempt < max_attempts THEN 'queued' ELSE 'failed' END,
                        finished_at = CASE WHEN attempt < max_attempts THEN NULL ELSE ?1 END,
                        last_error = 'lease expired (worker ' || lease_owner || ' stopped renewing it)',
                        lease_owner = NULL, lease_expires_at = NULL
                    WHERE state = 'running' AND lease_expires_at < ?1
                    RETURNING id, state
                    """, [.double(now)])
            }
            return rows.map { (id: $0[0].int ?? 0, state: JobState(rawValue: $0[1].text ?? "") ?? .queued) }
        }
    }

    // MARK: artifacts

    /// Records an artifact (replacing one with the same job, kind and path)
    /// under a live lease.
    public func addArtifact(_ a: Artifact, fence: Int) throws -> LeaseOutcome {
        try locked {
            try db.transaction {
                let c = try checkLease(a.jobID, fence)
                guard c == .ok else { return c }
                try db.query("""
                    INSERT INTO artifacts(job_id, kind, path, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(job_id, kind, path) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256,
                        created_at = excluded.created_at
                    """, [.int(Int64(a.jobID)), .text(a.kind), .text(a.path), .int(Int64(a.size)), .text(a.sha256),
                          .double(clock.now())])
                return .ok
            }
        }
    }

    /// Whether `jobID` depends on `neededID`.
    public func dependsOn(jobID: Int, neededID: Int) throws -> Bool {
        try locked {
            !(try db.query("SELECT 1 FROM job_deps WHERE job_id = ? AND needs_id = ?",
                           [.int(Int64(jobID)), .int(Int64(neededID))])).isEmpty
        }
    }

    /// The latest checkpoint of each dependency of `jobID` that has one. Caller holds the lock.
    func dependencyCheckpointsUnlocked(jobID: Int) throws -> [Artifact] {
        let rows = try db.query("SELECT needs_id FROM job_deps WHERE job_id = ? ORDER BY needs_id", [.int(Int64(jobID))])
        return try rows.compactMap { r in try latestArtifactUnlocked(jobID: r[0].int ?? 0, kind: "checkpoint") }
    }

    public func latestArtifact(jobID: Int, kind: String) throws -> Artifact? {
        try locked { try latestArtifactUnlocked(jobID: jobID, kind: kind) }
    }

    func latestArtifactUnlocked(jobID: Int, kind: String) throws -> Artifact? {
        let rows = try db.query("SELECT job_id, kind, path, size, sha256 FROM artifacts WHERE job_id = ? AND kind = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                                [.int(Int64(jobID)), .text(kind)])
        return rows.first.map { Artifact(jobID: $0[0].int ?? 0, kind: $0[1].text ?? "", path: $0[2].text ?? "", size: $0[3].int ?? 0, sha256: $0[4].text ?? "") }
    }

    /// Checks that a lease is live without changing anything.
    public func validateLease(jobID: Int, fence: Int) throws -> LeaseOutcome {
        try locked { try checkLease(jobID, fence) }
    }
}
