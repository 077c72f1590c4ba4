// The jobs' log lines (table job_logs, schema 6): what each job's process
// wrote to stderr, sent by its worker with the heartbeats, the newest
// `logLinesKept` per job, read by the dashboard's live tail.
import Foundation

/// One line of a job's log.
public struct JobLogLine: Codable, Sendable, Equatable {
    /// Increasing across all jobs: ask for lines `after` the last one seen.
    public var seq: Int
    public var at: Double
    public var attempt: Int
    public var line: String
}

extension JobStore {
    /// Lines kept per job (older ones are dropped as new ones arrive).
    public static let logLinesKept = 2000

    /// Appends lines under the caller's transaction (the heartbeat's, after
    /// its lease check) and drops the job's lines beyond `logLinesKept`.
    func appendLog(jobID: Int, lines: [String], at: Double) throws {
        let id = SQLValue.int(Int64(jobID))
        let attempt = try db.query("SELECT attempt FROM jobs WHERE id = ?", [id]).first?[0].int ?? 0
        for line in lines {
            try db.query("INSERT INTO job_logs(job_id, at, attempt, line) VALUES (?, ?, ?, ?)",
                         [id, .double(at), .int(Int64(attempt)), .text(line)])
        }
        try db.query("""
            DELETE FROM job_logs WHERE job_id = ?1 AND id <= (
                SELECT id FROM job_logs WHERE job_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
            """, [id, .int(Int64(Self.logLinesKept))])
    }

    /// The newest `limit` lines of a job's log with a sequence number above
    /// `after`, oldest first.
    public func logTail(jobID: Int, after: Int = 0, limit: Int = 200) throws -> [JobLogLine] {
        try locked {
            try db.query("""
                SELECT id, at, attempt, line FROM job_logs WHERE job_id = ? AND id > ? ORDER BY id DESC LIMIT ?
                """, [.int(Int64(jobID)), .int(Int64(after)), .int(Int64(max(0, limit)))]).reversed().map { r in
                JobLogLine(seq: r[0].int ?? 0, at: r[1].double ?? 0, attempt: r[2].int ?? 0, line: r[3].text ?? "")
            }
        }
    }
}
