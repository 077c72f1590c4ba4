// The coordinator daemon: accepts TCP connections (one thread each), runs
// each through a ServerMachine, and carries out requests on the JobStore.
// A rescuer thread returns jobs with expired leases to the queue.
import Foundation
import Synchronization
import LGStore
import LGNet
import Logging

public struct CoordinatorConfig {
    public var host = "0.0.0.0"
    public var port = 7700
    public var leaseSeconds = 60.0
    public var heartbeatSeconds = 10.0
    public var rescueInterval = 2.0
    public var maxFrame = Framing.defaultMaxFrame
    /// Connections idle longer than this are closed.
    public var idleTimeout = 120.0
    /// A job's cell (kind, parameters), for claims that ask for cell mates
    /// (`fuse`); the coordinator program sets the kinds' tables' `cellKey`.
    /// Nil: no job has cell mates.
    public var cellKey: (@Sendable (String, [String: JSONValue]) -> String?)?
    public init() {}

    /// The claim's cell rule for a worker asking for `fuse` jobs per cell.
    func cells(_ fuse: Int) -> CellRule? {
        guard fuse > 1, let cellKey else { return nil }
        return CellRule(size: fuse, key: cellKey)
    }
}

/// Shared by the accept, rescuer and connection threads: the open
/// connections and the stopping flag live in `live` (a `Mutex`); the rest
/// is set before the threads start.
public final class Coordinator: @unchecked Sendable {
    public let store: JobStore
    public let root: String
    let secret: [UInt8]
    public let config: CoordinatorConfig
    public private(set) var port = 0

    private var listener: Socket?
    private struct Live {
        var connections: [ObjectIdentifier: Socket] = [:]
        var stopping = false
    }
    private let live = Mutex(Live())
    private let activeGroup = DispatchGroup()
    private var threads: [Thread] = []

    /// `root` is the artifact directory (checkpoints are stored under it).
    public init(store: JobStore, root: String, secret: [UInt8], config: CoordinatorConfig,
                logger: Logger = Logger(label: "coordinator")) {
        self.store = store; self.root = root; self.secret = secret; self.config = config; self.logger = logger
    }

    /// Claims and completions at debug, failures and lease expiries at
    /// info, refused connections at notice, store errors at error.
    let logger: Logger

    /// Counts for /metrics (claims, completions, failures, lease expiries,
    /// upload bytes). Set before `start`.
    public var metrics: (any DaemonMetrics)?

    /// The label cache's tier for workers on other hosts (`label_get` /
    /// `label_put`); nil: the coordinator keeps none. Set before `start`.
    public var labels: DigestStore?

    /// Binds and starts serving in background threads. Running leases get
    /// one lease period of grace so workers can reconnect after a restart.
    public func start() throws {
        try store.extendRunningLeases(by: config.leaseSeconds)
        try store.resetWorkerConnections()
        let (s, p) = try Socket.listen(host: config.host, port: config.port)
        listener = s; port = p
        let a = Thread { [weak self] in self?.acceptLoop() }
        a.name = "accept"; a.start()
        let r = Thread { [weak self] in self?.rescueLoop() }
        r.name = "rescuer"; r.start()
    }

    /// Stops accepting, closes connections after their current request,
    /// and folds the WAL. Idempotent.
    public func stop() {
        let conns: [Socket]? = live.withLock { l in
            if l.stopping { return nil }
            l.stopping = true
            return Array(l.connections.values)
        }
        guard let conns else { return }
        listener?.shutdown()
        for c in conns { c.shutdown() }
        _ = activeGroup.wait(timeout: .now() + 10)
        store.checkpointWAL()
    }

    var isStopping: Bool { live.withLock { $0.stopping } }

    private func acceptLoop() {
        while !isStopping {
            guard let l = listener else { return }
            let c: Socket?
            do { c = try l.accept(timeout: 0.5) } catch { if isStopping { break }; Thread.sleep(forTimeInterval: 0.05); continue }
            guard let c else { continue }
            let admitted = live.withLock { l in
                if l.stopping { return false }
                l.connections[ObjectIdentifier(c)] = c
                activeGroup.enter()
                return true
            }
            if !admitted { c.close(); break }
            let t = Thread { [weak self] in
                self?.serve(c)
                _ = self?.live.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(c)) }
                c.close()
                self?.activeGroup.leave()
            }
            t.stackSize = 512 * 1024
            t.start()
        }
        listener?.close()
    }

    private func rescueLoop() {
        while !isStopping {
            Thread.sleep(forTimeInterval: config.rescueInterval)
            if isStopping { break }
            do {
                for r in try store.rescueExpired() {
                    logger.info("lease of job \(r.id) expired -> \(r.state.rawValue)")
                    metrics?.leaseExpired(requeued: r.state == .queued)
                }
            } catch { logger.error("rescue failed: \(error)") }
        }
    }

    /// One connection, start to end.
    func serve(_ sock: Socket) {
        var machine = ServerMachine(secret: secret, maxFrame: config.maxFrame, leaseSeconds: config.leaseSeconds,
                                    heartbeatSeconds: config.heartbeatSeconds)
        sock.setTimeouts(send: 10, receive: 10)  // the handshake must be quick
        var uploads = UploadFiles(root: root)
        var announced = false
        defer {
            uploads.discard()
            if announced, let w = machine.workerName { try? store.workerDisconnected(name: w) }
        }
        do { try sock.send(machine.frame(machine.greeting())) } catch { return }
        while true {
            let bytes: [UInt8]
            do { bytes = try sock.receive() } catch { return }
            if bytes.isEmpty { return }
            for action in machine.receive(bytes) {
                switch action {
                case .send(let m):
                    if m.type == .error { logger.notice("closing connection: \(m.code?.rawValue ?? "error"): \(m.message ?? "")") }
                    try? sock.send(machine.frame(m))
                    if m.type == .welcome { sock.setTimeouts(send: 10, receive: config.idleTimeout) }
                case .close:
                    return
                case .appendUpload(let u, let data, let id):
                    let reply: Message
                    do { try uploads.append(u, data); reply = Message(.ok, id: id); metrics?.uploaded(bytes: data.count) }
                    catch { machine.abort(); reply = .error(.internalError, "cannot write upload: \(error)", id: id) }
                    try? sock.send(machine.frame(reply))
                case .dispatch(let request, let id, let worker):
                    let reply = handle(request, id: id, worker: worker, machine: &machine, uploads: &uploads, announced: &announced)
                    do { try sock.send(machine.frame(reply)) } catch { return }
                }
            }
        }
    }
}
