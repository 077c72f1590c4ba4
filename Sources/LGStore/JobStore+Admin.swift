// Enqueueing, listing, retrying and cancelling jobs; reading metrics.
import Foundation

extension JobStore {
    /// Inserts the jobs that are not there yet (by key) with their
    /// dependency edges. Existing jobs are left untouched and counted.
    public func enqueue(_ jobs: [NewJob]) throws -> EnqueueResult {
        try locked {
            try db.transaction {
                let now = clock.now()
                var added = 0
                for j in jobs {
                    try db.query("""
                        INSERT INTO jobs(key, grid, kind, params, priority, max_attempts, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING
                        """, [.text(j.key), .text(j.grid), .text(j.kind), .text(JSONValue.canonical(.object(j.params))),
                              .int(Int64(j.priority)), .int(Int64(max(1, j.maxAttempts))), .double(now)])
                    added += db.changes
                }
                for j in jobs where !j.needs.isEmpty {
                    for need in j.needs {
                        let r = try db.query("""
                            INSERT INTO job_deps(job_id, needs_id)
                            SELECT a.id, b.id FROM jobs a, jobs b WHERE a.key = ? AND b.key = ?
                            ON CONFLICT DO NOTHING RETURNING needs_id
                            """, [.text(j.key), .text(need)])
                        if r.isEmpty {
                            let exists = try db.query("SELECT 1 FROM jobs WHERE key = ?", [.text(need)])
                            if exists.isEmpty { throw StoreError.unknownDependency(job: j.key, needs: need) }
                        }
                    }
                }
                return EnqueueResult(added: added, existing: jobs.count - added)
            }
        }
    }

    /// Job counts by state (all states present, zeros included).
    public func counts(grid: String? = nil) throws -> [JobState: Int] {
        try locked {
            var out: [JobState: Int] = [:]
            for s in JobState.allCases { out[s] = 0 }
            let rows = grid == nil
                ? try db.query("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                : try db.query("SELECT state, COUNT(*) FROM jobs WHERE grid = ? GROUP BY state", [.text(grid!)])
            for r in rows { if let s = JobState(rawValue: r[0].text ?? "") { out[s] = r[1].int ?? 0 } }
            return out
        }
    }

    /// One line per grid: counts by state and the fraction done, in grid
    /// name order.
    public func gridSummaries() throws -> [GridSummary] {
        try locked {
            var byGrid: [String: GridSummary] = [:]
            for r in try db.query("SELECT grid, state, COUNT(*), SUM(progress) FROM jobs GROUP BY grid, state") {
                let g = r[0].text ?? ""
                guard let state = JobState(rawValue: r[1].text ?? "") else { continue }
                var summary = byGrid[g] ?? GridSummary(grid: g)
                summary.counts[state] = r[2].int ?? 0
                if state == .running { summary.runningProgress = r[3].double ?? 0 }
                byGrid[g] = summary
            }
            return byGrid.keys.sorted().map { byGrid[$0]! }
        }
    }

    /// Jobs, optionally filtered, in id order.
    public func jobs(state: JobState? = nil, grid: String? = nil, ids: [Int]? = nil, limit: Int? = nil) throws -> [JobRecord] {
        try locked {
            var conds: [String] = [], args: [SQLValue] = []
            if let state { conds.append("state = ?"); args.append(.text(state.rawValue)) }
            if let grid { conds.append("grid = ?"); args.append(.text(grid)) }
            if let ids { conds.append("id IN (" + ids.map { String($0) }.joined(separator: ",") + ")") }
            var sql = "SELECT \(JobRecord.columns) FROM jobs"
            if !conds.isEmpty { sql += " WHERE " + conds.joined(separator: " AND ") }
            sql += " ORDER BY id"
            if let limit { sql += " LIMIT \(limit)" }
            return try db.query(sql, args).map(JobRecord.init(row:))
        }
    }

    public func job(id: Int) throws -> JobRecord? { try jobs(ids: [id]).first }

    /// Ids of the jobs `id` waits for that have not succeeded.
    public func unmetDependencies(of id: Int) throws -> [Int] {
        try locked {
            try db.query("SELECT d.needs_id FROM job_deps d JOIN jobs n ON n.id = d.needs_id WHERE d.job_id = ? AND n.state != 'succeeded'",
                         [.int(Int64(id))]).compactMap { $0[0].int }
        }
    }

    /// Failed (and, with `cancelled`, cancelled) jobs go back to `queued`
    /// with a fresh attempt budget. Returns how many.
    public func retry(grid: String? = nil, ids: [Int]? = nil, includeCancelled: Bool = false) throws -> Int {
        try locked {
            try db.transaction {
                var sql = "UPDATE jobs SET state = 'queued', attempt = 0, finished_at = NULL, progress = 0 WHERE state IN ('failed'\(includeCancelled ? ",'cancelled'" : ""))"
                var args: [SQLValue] = []
                if let grid { sql += " AND grid = ?"; args.append(.text(grid)) }
                if let ids { sql += " AND id IN (" + ids.map { String($0) }.joined(separator: ",") + ")" }
                try db.query(sql, args)
                return db.changes
            }
        }
    }

    /// Sets the priority of unfinished jobs (higher is claimed first; equal
    /// priorities go in id order). Returns how many jobs changed.
    public func setPriority(_ priority: Int, grid: String? = nil, ids: [Int]? = nil) throws -> Int {
        try locked {
            try db.transaction {
                var sql = "UPDATE jobs SET priority = ? WHERE state IN ('queued','running')"
                var args: [SQLValue] = [.int(Int64(priority))]
                if let grid { sql += " AND grid = ?"; args.append(.text(grid)) }
                if let ids { sql += " AND id IN (" + ids.map { String($0) }.joined(separator: ",") + ")" }
                try db.query(sql, args)
                return db.changes
            }
        }
    }

    /// Queued and running jobs become `cancelled` (a running job's worker
    /// learns it at its next heartbeat). Returns how many.
    public func cancel(grid: String? = nil, ids: [Int]? = nil, state: JobState? = nil) throws -> Int {
        try locked {
            try db.transaction {
                var sql = "UPDATE jobs SET state = 'cancelled', finished_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE state IN ('queued','running')"
                var args: [SQLValue] = [.double(clock.now())]
                if let grid { sql += " AND grid = ?"; args.append(.text(grid)) }
                if let state { sql += " AND state = ?"; args.append(.text(state.rawValue)) }
                if let ids { sql += " AND id IN (" + ids.map { String($0) }.joined(separator: ",") + ")" }
                try db.query(sql, args)
                return db.changes
            }
        }
    }

    public func metrics(jobID: Int) throws -> [String: Double] {
        try locked {
            var out: [String: Double] = [:]
            for r in try db.query("SELECT key, value FROM metrics WHERE job_id = ?", [.int(Int64(jobID))]) {
                out[r[0].text ?? ""] = r[1].double
            }
            return out
        }
    }

    /// What a succeeded job's result was made with (empty for a job that
    /// recorded nothing, such as one finished before schema 3).
    public func provenance(jobID: Int) throws -> [String: String] {
        try locked {
            var out: [String: String] = [:]
            for r in try db.query("SELECT key, value FROM provenance WHERE job_id = ?", [.int(Int64(jobID))]) {
                out[r[0].text ?? ""] = r[1].text ?? ""
            }
            return out
        }
    }

    /// The provenance of every job that recorded one (optionally of one
    /// grid), by job id: one query, for reports over many jobs.
    public func allProvenance(grid: String? = nil) throws -> [Int: [String: String]] {
        try locked {
            let rows = grid == nil
                ? try db.query("SELECT job_id, key, value FROM provenance")
                : try db.query("SELECT p.job_id, p.key, p.value FROM provenance p JOIN jobs j ON j.id = p.job_id WHERE j.grid = ?", [.text(grid!)])
            var out: [Int: [String: String]] = [:]
            for r in rows { out[r[0].int ?? 0, default: [:]][r[1].text ?? ""] = r[2].text ?? "" }
            return out
        }
    }

    /// Every metric row (optionally of one grid), in job then key order.
    public func allMetrics(grid: String? = nil) throws -> [MetricRow] {
        try locked {
            let rows = grid == nil
                ? try db.query("SELECT job_id, key, value FROM metrics ORDER BY job_id, key")
                : try db.query("SELECT m.job_id, m.key, m.value FROM metrics m JOIN jobs j ON j.id = m.job_id WHERE j.grid = ? ORDER BY m.job_id, m.key", [.text(grid!)])
            return rows.map { MetricRow(jobID: $0[0].int ?? 0, key: $0[1].text ?? "", value: $0[2].double ?? 0) }
        }
    }

    public func artifacts(jobID: Int) throws -> [Artifact] {
        try locked {
            try db.query("SELECT job_id, kind, path, size, sha256 FROM artifacts WHERE job_id = ? ORDER BY id", [.int(Int64(jobID))])
                .map { Artifact(jobID: $0[0].int ?? 0, kind: $0[1].text ?? "", path: $0[2].text ?? "", size: $0[3].int ?? 0, sha256: $0[4].text ?? "") }
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try locked { try db.query("PRAGMA integrity_check").map { $0[0].text ?? "" }.joined(separator: "; ") }
    }

    /// Folds the WAL into the main file (on clean shutdown).
    public func checkpointWAL() {
        locked { _ = try? db.query("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
