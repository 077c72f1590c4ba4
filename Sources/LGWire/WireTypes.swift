// The values that cross the wire between coordinator and workers: a claimed
// job, an artifact, a lease outcome, what a worker says about itself. No
// SQLite here: the worker links this target, the store builds on it.
import Foundation

/// A job handed to a worker by `claim`.
public struct ClaimedJob: Codable, Sendable, Equatable {
    public var id: Int
    public var key: String
    public var grid: String
    public var kind: String
    public var params: [String: JSONValue]
    public var attempt: Int
    public var maxAttempts: Int
    public var fence: Int
    public var checkpoint: Artifact?
    /// The latest checkpoint of each job this one depends on (a few-shot
    /// extractor for an `scs` job); workers fetch them with `ckpt_get` + `of`.
    public var needs: [Artifact]? = nil

    public init(id: Int, key: String, grid: String, kind: String, params: [String: JSONValue], attempt: Int, maxAttempts: Int,
                fence: Int, checkpoint: Artifact? = nil, needs: [Artifact]? = nil) {
        self.id = id; self.key = key; self.grid = grid; self.kind = kind; self.params = params; self.attempt = attempt
        self.maxAttempts = maxAttempts; self.fence = fence; self.checkpoint = checkpoint; self.needs = needs
    }
}

/// A file recorded for a job, relative to the artifact root (`expr/`).
public struct Artifact: Codable, Sendable, Equatable {
    public var jobID: Int
    public var kind: String
    public var path: String
    public var size: Int
    public var sha256: String
    public init(jobID: Int, kind: String, path: String, size: Int, sha256: String) {
        self.jobID = jobID; self.kind = kind; self.path = path; self.size = size; self.sha256 = sha256
    }
}

/// Result of a message that must hold the job's current lease.
public enum LeaseOutcome: Equatable, Sendable {
    case ok
    /// The fencing token is not the job's current one, or the job is no
    /// longer running: the message changed nothing.
    case stale(String)
    /// The job was cancelled while this lease was held; stop working on it.
    case cancelled
}

/// A job lease a worker holds: the job and its fencing token.
public struct HeldLease: Codable, Sendable, Equatable, Hashable {
    public var job: Int
    public var fence: Int
    public init(job: Int, fence: Int) { self.job = job; self.fence = fence }
}

/// What a worker says about itself after each handshake.
public struct WorkerInfo: Codable, Sendable, Equatable {
    public var host: String
    public var slots: Int
    public var pid: Int?
    /// `SLURM_JOB_ID` and `SLURM_ARRAY_TASK_ID` when Slurm started the worker.
    public var slurmJobID: String?
    public var slurmArrayTaskID: String?
    /// The leases the worker holds now. A job leased to this worker but not
    /// listed was claimed by a reply that never arrived (a cut connection):
    /// the coordinator gives it back to the queue at once.
    public var holding: [HeldLease]?

    public init(host: String, slots: Int, pid: Int? = nil, slurmJobID: String? = nil, slurmArrayTaskID: String? = nil,
                holding: [HeldLease]? = nil) {
        self.host = host; self.slots = slots; self.pid = pid
        self.slurmJobID = slurmJobID; self.slurmArrayTaskID = slurmArrayTaskID; self.holding = holding
    }

    /// This process, with the Slurm ids from the environment.
    public static func current(slots: Int, holding: [HeldLease],
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> WorkerInfo {
        func v(_ k: String) -> String? { environment[k].flatMap { $0.isEmpty ? nil : $0 } }
        return WorkerInfo(host: ProcessInfo.processInfo.hostName, slots: slots, pid: Int(getpid()),
                          slurmJobID: v("SLURM_JOB_ID"), slurmArrayTaskID: v("SLURM_ARRAY_TASK_ID"), holding: holding)
    }
}

