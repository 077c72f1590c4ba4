// Rows of the job store as Swift values.
import Foundation
import LGWire

public enum JobState: String, CaseIterable, Codable, Sendable {
    case queued, running, succeeded, failed, cancelled
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A job to insert. `key` is unique over kind and parameters; `needs` are
/// keys of jobs that must succeed first (they must exist or be in the batch).
public struct NewJob: Sendable {
    public var key: String
    public var grid: String
    public var kind: String
    public var params: [String: JSONValue]
    public var priority: Int
    public var maxAttempts: Int
    public var needs: [String]

    public init(key: String? = nil, grid: String, kind: String, params: [String: JSONValue],
                priority: Int = 0, maxAttempts: Int = 3, needs: [String] = []) {
        self.key = key ?? NewJob.key(kind: kind, params: params)
        self.grid = grid; self.kind = kind; self.params = params
        self.priority = priority; self.maxAttempts = maxAttempts; self.needs = needs
    }

    /// The canonical key: kind + sorted-key JSON of the parameters.
    public static func key(kind: String, params: [String: JSONValue]) -> String {
        kind + ":" + JSONValue.canonical(.object(params))
    }
}

/// A row of the jobs table.
public struct JobRecord: Codable, Sendable {
    public var id: Int
    public var key: String
    public var grid: String
    public var kind: String
    public var params: [String: JSONValue]
    public var state: JobState
    public var priority: Int
    public var attempt: Int
    public var maxAttempts: Int
    public var leaseOwner: String?
    public var leaseExpiresAt: Double?
    public var fence: Int
    public var progress: Double
    public var rate: Double?
    public var note: String?
    /// The worker's estimate of the seconds left, as of `heartbeatAt`.
    public var etaSeconds: Double?
    public var heartbeatAt: Double?
    public var lastError: String?
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?

    static let columns = "id, key, grid, kind, params, state, priority, attempt, max_attempts, lease_owner, lease_expires_at, fence, progress, rate, note, last_error, created_at, started_at, finished_at, eta_seconds, heartbeat_at"

    init(row r: Row) {
        id = r[0].int ?? 0; key = r[1].text ?? ""; grid = r[2].text ?? ""; kind = r[3].text ?? ""
        params = JSONValue.decodeObject(r[4].text ?? "{}")
        state = JobState(rawValue: r[5].text ?? "") ?? .queued
        priority = r[6].int ?? 0; attempt = r[7].int ?? 0; maxAttempts = r[8].int ?? 1
        leaseOwner = r[9].text; leaseExpiresAt = r[10].double; fence = r[11].int ?? 0
        progress = r[12].double ?? 0; rate = r[13].double; note = r[14].text; lastError = r[15].text
        createdAt = r[16].double ?? 0; startedAt = r[17].double; finishedAt = r[18].double
        etaSeconds = r[19].double; heartbeatAt = r[20].double
    }
}

extension JobRecord {
    /// Seconds left of a running job: the worker's own estimate (measured
    /// over this attempt and phase) counted down since its heartbeat; else
    /// extrapolated from the progress since the attempt started; nil when
    /// neither is known.
    public func secondsLeft(now: Double) -> Double? {
        if let eta = etaSeconds {
            return max(0, eta - max(0, now - (heartbeatAt ?? now)))
        }
        guard progress > 0.001, let started = startedAt else { return nil }
        return max(0, now - started) * (1 - progress) / progress
    }
}

public struct MetricRow: Codable, Sendable, Equatable {
    public var jobID: Int
    public var key: String
    public var value: Double
}

public struct EnqueueResult: Sendable, Equatable {
    public var added: Int
    public var existing: Int
}

public enum StoreError: Error, CustomStringConvertible {
    case newerSchema(found: Int, known: Int)
    case unknownDependency(job: String, needs: String)
    case noSuchJob(Int)

    public var description: String {
        switch self {
        case .newerSchema(let f, let k):
            return "the database has schema version \(f) but this build knows \(k) migrations; use a newer coordinator"
        case .unknownDependency(let j, let n):
            return "job \(j) needs \(n), which is neither queued nor in this batch"
        case .noSuchJob(let id):
            return "no job with id \(id)"
        }
    }
}

/// A grid's jobs by state and how far the grid has got (`coordinator status`).
public struct GridSummary: Sendable, Equatable {
    public var grid: String
    public var counts: [JobState: Int] = [:]
    /// Sum of the running jobs' progress fractions.
    public var runningProgress: Double = 0

    public init(grid: String, counts: [JobState: Int] = [:], runningProgress: Double = 0) {
        self.grid = grid; self.counts = counts; self.runningProgress = runningProgress
    }

    public func count(_ s: JobState) -> Int { counts[s] ?? 0 }
    /// Jobs that count toward the grid (cancelled ones do not).
    public var total: Int { counts.filter { $0.key != .cancelled }.values.reduce(0, +) }
    /// Succeeded jobs plus the running ones' progress, over the total.
    public var fractionDone: Double {
        total == 0 ? 1 : (Double(count(.succeeded)) + runningProgress) / Double(total)
    }
}

/// How a claim groups jobs into cells (fused cells, docs/architecture.md):
/// each job the claim hands out brings up to `size - 1` queued jobs with
/// the same cell key, which the worker runs in one process. The key comes
/// from the kinds' tables (`KindTable.cellKey`), injected by the coordinator.
public struct CellRule: Sendable {
    /// Jobs per cell, at most.
    public var size: Int
    /// How many queued jobs of the kind a claim looks through for a job's cell mates.
    public var scan: Int
    /// A job's cell (kind, parameters); nil: it runs alone.
    public var key: @Sendable (String, [String: JSONValue]) -> String?

    public init(size: Int, scan: Int = 200, key: @escaping @Sendable (String, [String: JSONValue]) -> String?) {
        self.size = size; self.scan = scan; self.key = key
    }
}
