import Foundation
import LGTensor
import LGSemantics

/// The studio: one model, bounded per-browser sessions, and one compute
/// lock under which every network runs (requests and trainer threads take
/// turns; the generator and extractors are not shared across threads).
public final class Studio: @unchecked Sendable {
    public struct Options: Sendable {
        /// Seed of the session sample streams (`RandomStreams(seed, "session-i")`).
        public var seed: UInt64 = 0
        public var maxSessions = 8
        /// Where trained extractors are saved (`extractors/`) and the token lives.
        public var outDirectory: URL
        /// Largest request body in bytes (413 beyond).
        public var maxBodyBytes = 4 << 20
        /// Bearer token required on every request (nil: none, loopback).
        public var token: String?
        /// Upper bounds of request parameters.
        public var maxEditIterations = 500
        public var maxTrainSteps = 100_000
        public var maxValidationSamples = 16

        public init(outDirectory: URL, seed: UInt64 = 0, maxSessions: Int = 8, token: String? = nil) {
            self.outDirectory = outDirectory; self.seed = seed; self.maxSessions = maxSessions; self.token = token
        }
    }

    public let model: StudioModel
    public let options: Options
    let compute = NSLock()
    let sessions: SessionStore

    public init(model: StudioModel, options: Options) {
        self.model = model
        self.options = options
        sessions = SessionStore(capacity: options.maxSessions)
    }

    /// Default class names of a new `/train` session: the predictor's when
    /// there is one, else the extractor's.
    var defaultTrainClasses: [String] { model.predictor?.classNames ?? model.classNames }

    /// Runs `work` under the compute lock on a thread of its own (not on
    /// the server's executor), returning its value.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            let t = Thread { [self] in
                c.resume(with: Result { try self.compute.withLock { try work() } })
            }
            t.stackSize = 16 << 20
            t.start()
        }
    }

    /// The session of `id` (under the lock).
    func session(_ id: String?) throws -> StudioSession {
        guard let id, !id.isEmpty else {
            throw StudioError(.badRequest, "no studio session: open /edit or /train first, or POST /api/session")
        }
        guard let s = sessions.get(id) else {
            throw StudioError(.notFound, "unknown studio session '\(id.prefix(40))' (expired, evicted, or from another server)")
        }
        return s
    }

    func newSession() -> StudioSession {
        sessions.create(seed: options.seed, classNames: defaultTrainClasses)
    }

    /// Number of live sessions.
    public var sessionCount: Int { compute.withLock { sessions.count } }

    /// Stops every trainer thread (server shutdown).
    public func stopAll() {
        compute.withLock {
            for s in sessions.sessions.values { s.train.generation += 1; s.train.setPhase(.stopped) }
        }
    }
}
