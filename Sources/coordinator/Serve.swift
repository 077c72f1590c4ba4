import ArgumentParser
import Foundation
import LGStore
import LGNet
import LGJobKinds
import LGDaemon
import LGLogging
import LGDashboard
import Logging

/// `coordinator serve`: the daemon.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the coordinator daemon (workers connect here).")

    @OptionGroup var queue: QueueOptions

    @Option(help: "HOST:PORT to listen on (port 0 picks a free port).")
    var listen: String = "0.0.0.0:7700"

    @Option(help: "The shared secret file (created with mode 0600 if absent). Default: beside --db.")
    var secret: String?

    @Option(help: "Seconds a lease lasts without a heartbeat.")
    var lease: Double = 60

    @Option(help: "Seconds between worker heartbeats (told to workers).")
    var heartbeat: Double = 10

    @Option(help: "Seconds between checks for expired leases.")
    var rescueInterval: Double = 2

    @Option(help: "Write the bound port to this file once listening.")
    var portFile: String?

    @Option(help: "ADDR:PORT of the web dashboard, its JSON API and /metrics (docs/dashboard.md); none: no dashboard. Default 127.0.0.1:7780, skipped with a warning when that port is taken. Beyond loopback every request needs the token (file http-token beside --db).")
    var http: String?

    @Option(help: "Write the dashboard's bound port to this file (for --http ADDR:0).")
    var httpPortFile: String?

    @Option(help: "GiB of label-cache entries kept for workers on other hosts (ROOT/label-cache; label_get / label_put, docs/usage.md); 0: none.")
    var labelCacheGb: Double = 8

    @OptionGroup var logging: LogOptions

    @Flag(help: "Log claims and completions too (the same as --log-level debug).")
    var verbose = false

    func validate() throws {
        guard lease > 0, heartbeat > 0, heartbeat < lease else { throw ValidationError("need 0 < --heartbeat < --lease") }
        guard labelCacheGb >= 0, labelCacheGb.isFinite else { throw ValidationError("--label-cache-gb must be 0 or more") }
        if let http { do { _ = try Dashboard.parseListen(http) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        let root = (queue.db as NSString).deletingLastPathComponent.isEmpty ? "." : (queue.db as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // One daemon per folder, and so per database: checkpoints live in
        // ROOT/checkpoints/job-ID, and the job ids of two databases in one
        // folder would share those folders.
        let ckptDir = (root as NSString).appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(atPath: ckptDir, withIntermediateDirectories: true)
        let lfd = open((ckptDir as NSString).appendingPathComponent(".serve-lock"), O_RDWR | O_CREAT, 0o644)
        guard lfd >= 0, flock(lfd, LOCK_EX | LOCK_NB) == 0 else {
            throw CommandFailure("another `coordinator serve` is running in \(root) (on \(queue.db) or on another queue database there; its job checkpoints are in \(ckptDir)); give each queue database its own folder, e.g. --db expr/other/queue.sqlite")
        }
        let key = try SecretFile.loadOrCreate(secret ?? (root as NSString).appendingPathComponent("secret"))
        let store = try JobStore(path: queue.db)
        let (host, port) = try Socket.parse(listen)
        var cfg = CoordinatorConfig()
        cfg.host = host; cfg.port = port; cfg.leaseSeconds = lease; cfg.heartbeatSeconds = heartbeat
        cfg.rescueInterval = rescueInterval
        cfg.idleTimeout = max(60, heartbeat * 6)
        // Fused cells: jobs of one kind whose table's cell parameters agree.
        cfg.cellKey = { kind, params in JobKind(rawValue: kind)?.table.cellKey(json: params) }
        let logger = logging.bootstrap("coordinator", minimum: verbose ? .debug : nil)
        let c = Coordinator(store: store, root: root, secret: key, config: cfg, logger: logger)
        let counters = QueueCounters()
        c.metrics = counters
        if labelCacheGb > 0 {
            c.labels = DigestStore(directory: URL(fileURLWithPath: root).appendingPathComponent("label-cache"),
                                   maxBytes: UInt64(labelCacheGb * Double(1 << 30)))
        }
        try c.start()
        // Signals are handled before anyone can learn the port (a SIGTERM
        // right after the port file appears still shuts down cleanly).
        let watch = SignalWatch([SIGTERM, SIGINT]) { sig in
            logger.notice("signal \(sig): shutting down")
            c.stop()
            FileHandle.standardOutput.write(Data("coordinator: stopped cleanly\n".utf8))
            Foundation.exit(0)
        }
        FileHandle.standardOutput.write(Data("coordinator: serving \(queue.db) on \(host):\(c.port) (lease \(lease) s)\n".utf8))
        try startDashboard(root: root, counters: counters, logger: logger)
        if let portFile { try "\(c.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        withExtendedLifetime(watch) { dispatchMain() }
    }
}

extension Serve {
    /// The dashboard beside the daemon: its own connection to the database,
    /// the daemon's counters for /metrics.
    func startDashboard(root: String, counters: QueueCounters, logger: Logger) throws {
        guard let (host, port) = try Dashboard.parseListen(http ?? "127.0.0.1:7780") else { return }
        let tokenPath = (root as NSString).appendingPathComponent("http-token")
        // A new token is written (mode 0600) once the dashboard is listening.
        let stored = DashboardAuth.loadToken(at: tokenPath)
        let token = stored ?? DashboardAuth.newToken()
        let open = DashboardAuth.isLoopback(host)
        let dashboard = Dashboard(store: try JobStore(path: queue.db, busyTimeoutMs: 5_000), counters: counters,
                                  auth: DashboardAuth(token: token, openReads: open))
        let bound: Int
        do { bound = try dashboard.start(host: host, port: port, logger: logger) } catch {
            guard http == nil else { throw CommandFailure("dashboard: cannot listen on \(host):\(port): \(error)") }
            logger.warning("dashboard: cannot listen on \(host):\(port) (\(error)); running without it (--http ADDR:PORT picks another address, --http none silences this)")
            return
        }
        if stored == nil { try DashboardAuth.writeToken(token, at: tokenPath) }
        if let httpPortFile { try "\(bound)\n".write(toFile: httpPortFile, atomically: true, encoding: .utf8) }
        let shown = host.contains(":") ? "[\(host)]" : host
        var line = "coordinator: dashboard on http://\(shown):\(bound)/" + (open ? " (loopback: reads need no token)" : " (token required)")
        // The token is printed once, when it is made; later starts name its file.
        line += stored == nil ? "; new token in \(tokenPath): \(token)\n" : "; token in \(tokenPath)\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}

extension QueueCounters: DaemonMetrics {}
