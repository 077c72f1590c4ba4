// The label cache's coordinator tier as a job's process reaches it: the
// worker hands its children the coordinator's address and the secret file
// (LG_LABEL_SERVER, LG_LABEL_SERVER_SECRET); the child opens one connection
// of its own on first use. Best effort: a request that fails on a
// connection the coordinator may have closed while the job trained on
// cached labels (its idle timeout) is tried once more on a new one; after a
// failure on a new connection the tier stays off for the rest of the job, so
// an unreachable or older coordinator costs one timeout, not one per sample.
import Foundation
import Synchronization
import LGNet

public final class QueueLabelRemote: LabelRemote {
    public let address: String
    let secret: [UInt8]
    let name: String
    let timeout: Double
    private struct State: ~Copyable {
        var client: QueueClient?
        var off = false
    }
    private let state = Mutex(State())

    public init(address: String, secret: [UInt8], name: String, timeout: Double = 10) {
        self.address = address; self.secret = secret; self.name = name; self.timeout = timeout
    }

    /// The tier the worker passed down, nil when it passed none
    /// (`LG_LABEL_SERVER` unset or `off`, or the secret unreadable).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment,
                                       name: String = "\(ProcessInfo.processInfo.hostName):\(getpid()):labels") -> QueueLabelRemote? {
        guard let a = env["LG_LABEL_SERVER"], !a.isEmpty, a != "off",
              let path = env["LG_LABEL_SERVER_SECRET"], let key = try? SecretFile.load(path) else { return nil }
        return QueueLabelRemote(address: a, secret: key, name: name)
    }

    /// Whether a failure has turned the tier off.
    public var isOff: Bool { state.withLock { $0.off } }

    public func fetch(digest: String) -> [UInt8]? {
        using { try $0.labelGet(digest: digest) } ?? nil
    }

    public func store(digest: String, bytes: [UInt8]) {
        _ = using { try $0.labelPut(digest: digest, bytes: bytes) }
    }

    private func using<T>(_ body: (QueueClient) throws -> T) -> T? {
        state.withLock { s -> T? in
            if s.off { return nil }
            if let c = s.client {
                if let r = try? body(c) { return r }
                c.connection.socket.close()  // closed by the coordinator while idle, or broken: one new try
                s.client = nil
            }
            do {
                let c = try QueueClient(address: address, secret: secret, worker: name, timeout: timeout)
                s.client = c
                return try body(c)
            } catch {
                s.off = true
                s.client?.connection.socket.close()
                s.client = nil
                FileHandle.standardError.write(Data("label cache: the coordinator's copy at \(address) is off for this job: \(error)\n".utf8))
                return nil
            }
        }
    }
}
