import Foundation
import LGTensor

/// One browser's studio state, named by a random id in a cookie.
final class StudioSession {
    let id: String
    let index: Int
    var lastUsed: Date
    let edit = EditSession()
    let train: TrainSession
    /// The session's own sample stream (seed and session index).
    var rng: SeededRandom

    init(id: String, index: Int, seed: UInt64, classNames: [String]) {
        self.id = id; self.index = index; lastUsed = Date()
        train = TrainSession(classNames: classNames)
        rng = RandomStreams.make(seed, "session-\(index)")
    }
}

/// At most `capacity` sessions; a new one evicts the least recently used
/// (its training, if any, is stopped). Used under the studio's compute lock.
final class SessionStore {
    let capacity: Int
    private(set) var sessions: [String: StudioSession] = [:]
    private var created = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { sessions.count }

    func get(_ id: String) -> StudioSession? {
        guard let s = sessions[id] else { return nil }
        s.lastUsed = Date()
        return s
    }

    func create(seed: UInt64, classNames: [String]) -> StudioSession {
        while sessions.count >= capacity, let oldest = sessions.values.min(by: { $0.lastUsed < $1.lastUsed }) {
            oldest.train.generation += 1
            oldest.train.setPhase(.stopped)
            sessions[oldest.id] = nil
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        var g = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = g.next() }
        let id = bytes.map { String(format: "%02x", $0) }.joined()
        let s = StudioSession(id: id, index: created, seed: seed, classNames: classNames)
        created += 1
        sessions[id] = s
        return s
    }
}
