import Foundation
import Synchronization

/// Where a job's checkpoints go. The job saves an opaque blob every few
/// minutes (and when cancelled); on start it asks for the latest one and,
/// when there is one, resumes from it exactly.
public protocol JobCheckpointing: AnyObject {
    /// Stores `data` as the newest checkpoint (replacing older ones is fine).
    func save(_ data: Data) throws
    /// The newest checkpoint saved, or nil to start fresh.
    func latest() throws -> Data?
}

/// Checkpoints in one file, written atomically.
public final class FileCheckpointer: JobCheckpointing {
    public let url: URL
    public init(url: URL) { self.url = url }

    public func save(_ data: Data) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    public func latest() throws -> Data? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Data(contentsOf: url)
    }
}

/// Checkpoints kept in memory (tests, or a caller that forwards them).
public final class MemoryCheckpointer: JobCheckpointing, Sendable {
    private let saved: Mutex<[Data]>
    public init(initial: Data? = nil) { saved = Mutex(initial.map { [$0] } ?? []) }

    public func save(_ data: Data) throws { saved.withLock { $0.append(data) } }
    public func latest() throws -> Data? { saved.withLock { $0.last } }
    /// How many checkpoints were saved.
    public var count: Int { saved.withLock { $0.count } }
}

/// A progress report. Training reports every step; evaluation every sample.
public struct JobProgress: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable { case training, evaluating, done }
    public var phase: Phase
    /// Steps (training) or samples (evaluation) completed.
    public var step: Int
    /// Steps or samples in this phase.
    public var total: Int
    /// Training epoch (0-based).
    public var epoch: Int?
    /// Loss of the last training step (not divided by the accumulation).
    public var loss: Float?
    /// mIoU of the current epoch's training samples so far (training), or of
    /// the samples evaluated so far (evaluation).
    public var runningMIoU: Float?
    public var pixelAccuracy: Float?
    public var learningRate: Float?
    /// Seconds spent in this phase, including earlier runs before a resume.
    public var elapsedSeconds: Double

    public init(phase: Phase, step: Int, total: Int, epoch: Int? = nil, loss: Float? = nil, runningMIoU: Float? = nil,
                pixelAccuracy: Float? = nil, learningRate: Float? = nil, elapsedSeconds: Double) {
        self.phase = phase; self.step = step; self.total = total; self.epoch = epoch; self.loss = loss
        self.runningMIoU = runningMIoU; self.pixelAccuracy = pixelAccuracy; self.learningRate = learningRate
        self.elapsedSeconds = elapsedSeconds
    }
}

/// When checkpoints are written.
public struct CheckpointPolicy: Sendable, Equatable {
    /// Seconds between checkpoints (wall clock); nil: never by time.
    public var intervalSeconds: Double?
    /// Steps (training steps or evaluation samples) between checkpoints; nil: never by count.
    public var everySteps: Int?

    public init(intervalSeconds: Double? = 300, everySteps: Int? = nil) {
        self.intervalSeconds = intervalSeconds; self.everySteps = everySteps
    }

    /// Whether a training loop that has completed `completedSteps` steps,
    /// `secondsSinceLast` after its previous checkpoint, should write one now:
    /// when the interval has passed, or at every multiple of `everySteps`.
    public func isDue(completedSteps: Int, secondsSinceLast: Double) -> Bool {
        if let s = intervalSeconds, secondsSinceLast >= s { return true }
        if let n = everySteps, n > 0, completedSteps % n == 0 { return true }
        return false
    }
}

/// What a job gets from whoever runs it: checkpoint storage, a progress
/// sink, a cancellation check and a clock.
public struct JobRunContext {
    public var checkpointer: (any JobCheckpointing)?
    public var policy: CheckpointPolicy
    /// Called after every step; keep it cheap (throttle printing there).
    public var progress: (JobProgress) -> Void
    /// Checked before every step; when true the job checkpoints and throws `JobError.cancelled`.
    public var isCancelled: () -> Bool
    /// Seconds on a monotonic clock.
    public var now: () -> Double
    /// Where the predictor's labels of shareable samples are kept (nil: always computed).
    public var labelCache: LabelCache? = nil
    /// Hands a named file of the job (`label_sheet.png`) to whoever runs it
    /// (the queue worker uploads it to the coordinator); nil: not kept.
    public var saveArtifact: ((String, Data) throws -> Void)? = nil
    /// Metric rows while the job runs (the training curves' points at each
    /// epoch end); the queue worker sends them to the coordinator at once.
    public var metrics: (([String: Double]) -> Void)? = nil
    /// Diagnostic lines (model loading, phase changes).
    public var log: (String) -> Void

    public init(checkpointer: (any JobCheckpointing)? = nil, policy: CheckpointPolicy = CheckpointPolicy(),
                progress: @escaping (JobProgress) -> Void = { _ in },
                isCancelled: @escaping () -> Bool = { false },
                now: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime },
                log: @escaping (String) -> Void = { _ in }) {
        self.checkpointer = checkpointer; self.policy = policy; self.progress = progress
        self.isCancelled = isCancelled; self.now = now; self.log = log
    }
}

/// Errors of running jobs.
public enum JobError: Error, CustomStringConvertible, Equatable {
    /// Stopped by the context's cancellation check after `step` steps of `phase`; a checkpoint was saved when a checkpointer was given.
    case cancelled(phase: String, step: Int)
    case badParameter(name: String, value: String, expected: String)
    case unknownParameters(kind: String, names: [String], known: [String])
    case missingParameter(kind: String, name: String)
    /// The checkpoint handed back by the checkpointer does not belong to this job.
    case checkpointMismatch(String)
    case corruptCheckpoint(String)

    public var description: String {
        switch self {
        case let .cancelled(phase, step):
            return "cancelled during \(phase) after \(step) steps; the job resumes from its checkpoint when run again"
        case let .badParameter(name, value, expected):
            return "parameter \(name)=\(value): expected \(expected)"
        case let .unknownParameters(kind, names, known):
            return "unknown parameter(s) \(names.joined(separator: ", ")) for a \(kind) job; known: \(known.joined(separator: ", "))"
        case let .missingParameter(kind, name):
            return "a \(kind) job needs the parameter \(name) (--set \(name)=...)"
        case let .checkpointMismatch(m):
            return "the checkpoint does not belong to this job: \(m); remove it to start afresh"
        case let .corruptCheckpoint(m):
            return "unreadable job checkpoint: \(m)"
        }
    }
}
