// The workers table: who is (or was) connected, from where, with how many
// slots, and under which Slurm job. Written by the daemon, read by
// `coordinator workers` and `coordinator status`.
import Foundation

/// A row of the workers table.
public struct WorkerRecord: Codable, Sendable, Equatable {
    public var name: String
    public var info: WorkerInfo
    /// Open connections now (0: disconnected).
    public var connections: Int
    public var firstSeen: Double
    public var lastSeen: Double
    public var connected: Bool { connections > 0 }
}

extension JobStore {
    /// A worker authenticated and described itself (a reconnect updates the row).
    public func workerConnected(name: String, info: WorkerInfo) throws {
        let now = clock.now()
        try locked {
            try db.query("""
                INSERT INTO workers (name, host, slots, pid, slurm_job_id, slurm_array_task_id, connections, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
                ON CONFLICT(name) DO UPDATE SET host = excluded.host, slots = excluded.slots, pid = excluded.pid,
                    slurm_job_id = excluded.slurm_job_id, slurm_array_task_id = excluded.slurm_array_task_id,
                    connections = connections + 1, last_seen = excluded.last_seen
                """, [.text(name), .text(info.host), .int(Int64(info.slots)), info.pid.map { .int(Int64($0)) } ?? .null,
                      info.slurmJobID.map { .text($0) } ?? .null, info.slurmArrayTaskID.map { .text($0) } ?? .null,
                      .double(now), .double(now)])
        }
    }

    /// Gives back to the queue, without spending an attempt, every job leased
    /// to `owner` that it does not hold (a claim whose reply was lost).
    /// Returns their ids.
    public func releaseUnheld(owner: String, holding: [HeldLease]) throws -> [Int] {
        let held = Set(holding)
        return try locked {
            try db.transaction {
                let leased = try db.query("SELECT id, fence FROM jobs WHERE state = 'running' AND lease_owner = ?", [.text(owner)])
                    .map { HeldLease(job: $0[0].int ?? 0, fence: $0[1].int ?? 0) }
                let orphans = leased.filter { !held.contains($0) }.map(\.job)
                for id in orphans {
                    try db.query("""
                        UPDATE jobs SET state = 'queued', attempt = MAX(0, attempt - 1), lease_owner = NULL,
                            lease_expires_at = NULL, note = 'claim reply lost; back in the queue' WHERE id = ?
                        """, [.int(Int64(id))])
                }
                return orphans
            }
        }
    }

    /// The worker was heard from (a heartbeat or a claim).
    public func workerSeen(name: String) throws {
        try locked { try db.query("UPDATE workers SET last_seen = ? WHERE name = ?", [.double(clock.now()), .text(name)]) }
    }

    /// One of the worker's connections closed.
    public func workerDisconnected(name: String) throws {
        try locked {
            try db.query("UPDATE workers SET connections = MAX(0, connections - 1), last_seen = ? WHERE name = ?",
                         [.double(clock.now()), .text(name)])
        }
    }

    /// A daemon that starts has no connections yet, whatever the table says
    /// (a killed daemon could not count its connections down).
    public func resetWorkerConnections() throws {
        try locked { try db.query("UPDATE workers SET connections = 0 WHERE connections > 0") }
    }

    /// Workers, connected first, then by last contact.
    public func workers() throws -> [WorkerRecord] {
        try locked {
            try db.query("""
                SELECT name, host, slots, pid, slurm_job_id, slurm_array_task_id, connections, first_seen, last_seen
                FROM workers ORDER BY connections > 0 DESC, last_seen DESC
                """).map { r in
                WorkerRecord(name: r[0].text ?? "", info: WorkerInfo(host: r[1].text ?? "", slots: r[2].int ?? 1, pid: r[3].int,
                                                                      slurmJobID: r[4].text, slurmArrayTaskID: r[5].text),
                             connections: r[6].int ?? 0, firstSeen: r[7].double ?? 0, lastSeen: r[8].double ?? 0)
            }
        }
    }
}
