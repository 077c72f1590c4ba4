import XCTest
import Foundation
import LGStore
import LGNet

/// Real coordinator and worker processes on 127.0.0.1 with ephemeral ports,
/// in a temporary folder.
final class LiveCluster {
    let dir: String
    let db: String
    var port = 0
    var coordinator: Process?
    var workers: [Process] = []
    let lease: Double
    let heartbeat: Double

    static var products: URL {
        // The test bundle sits in the build products folder beside the executables.
        let candidates = [Bundle.main.executableURL, Bundle(for: LiveCluster.self).bundleURL,
                          URL(fileURLWithPath: CommandLine.arguments[0])].compactMap { $0 }
        for c in candidates {
            var d = c.deletingLastPathComponent()
            for _ in 0..<3 {
                if FileManager.default.fileExists(atPath: d.appendingPathComponent("lg-queue-worker").path) { return d }
                d = d.deletingLastPathComponent()
            }
        }
        return candidates[0].deletingLastPathComponent()
    }

    init(lease: Double = 3, heartbeat: Double = 0.3) throws {
        dir = NSTemporaryDirectory() + "lgq-live-\(UUID().uuidString)"
        db = dir + "/expr/queue.sqlite"
        self.lease = lease; self.heartbeat = heartbeat
        try FileManager.default.createDirectory(atPath: dir + "/expr", withIntermediateDirectories: true)
    }

    func env() -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["LINEARGAN_TEST_KINDS"] = "1"
        return e
    }

    /// Starts a built product; with `namespace`, inside that network
    /// namespace (`ip netns exec` execs the tool, so the pid is the tool's).
    func spawn(_ tool: String, _ args: [String], log: String, environment extra: [String: String] = [:],
               namespace: String? = nil) throws -> Process {
        let p = Process()
        let exe = LiveCluster.products.appendingPathComponent(tool)
        if let ns = namespace {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            p.arguments = ["netns", "exec", ns, exe.path] + args
        } else {
            p.executableURL = exe
            p.arguments = args
        }
        p.environment = env().merging(extra) { _, new in new }
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        _ = FileManager.default.createFile(atPath: dir + "/" + log, contents: nil)
        let fh = FileHandle(forWritingAtPath: dir + "/" + log)!
        fh.seekToEndOfFile()
        p.standardOutput = fh; p.standardError = fh
        try p.run()
        return p
    }

    /// Starts the coordinator (on `port`, or an ephemeral one the first time).
    func startCoordinator() throws {
        let portFile = dir + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        coordinator = try spawn("coordinator", ["serve", "--db", db, "--listen", "127.0.0.1:\(port)", "--port-file", portFile,
                                                "--lease", "\(lease)", "--heartbeat", "\(heartbeat)", "--rescue-interval", "0.2", "--verbose"],
                                log: "coordinator.log")
        try waitFor("coordinator to listen", timeout: 10) { FileManager.default.fileExists(atPath: portFile) }
        port = Int((try String(contentsOfFile: portFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Starts a worker dialling the coordinator (or `port`, e.g. a proxy's).
    func startWorker(slots: Int, exitWhenIdle: Bool = false, port dial: Int? = nil,
                     environment: [String: String] = [:], extraArguments: [String] = []) throws -> Process {
        var args = extraArguments + ["--connect", "127.0.0.1:\(dial ?? port)", "--secret", dir + "/expr/secret",
                    "--workdir", dir + "/work", "--quiet", "--poll", "0.1", "--max-backoff", "0.5"]
        // `extraArguments` may say `--slots auto` instead.
        if !extraArguments.contains("--slots") { args += ["--slots", "\(slots)"] }
        if exitWhenIdle { args.append("--exit-when-idle") }
        let p = try spawn("lg-queue-worker", args, log: "worker-\(workers.count).log", environment: environment)
        workers.append(p)
        return p
    }

    func store() throws -> JobStore { try JobStore(path: db) }

    func enqueue(_ n: Int, _ params: [String: JSONValue]) throws {
        let jobs = (0..<n).map { i -> NewJob in
            var p = params; p["i"] = .int(i)
            return NewJob(grid: "live", kind: "test_sleep", params: p)
        }
        _ = try store().enqueue(jobs)
    }

    func waitFor(_ what: String, timeout: Double, _ cond: () throws -> Bool) throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if try cond() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw NSError(domain: "LiveCluster", code: 1, userInfo: [NSLocalizedDescriptionKey: "timed out waiting for \(what); logs in \(dir)"])
    }

    func kill9(_ p: Process) { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }

    func shutdown() {
        for w in workers where w.isRunning { kill9(w) }
        if let c = coordinator, c.isRunning { c.terminate(); c.waitUntilExit() }
    }

    func logs() -> String {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".log") }.sorted().map {
            "== \($0)\n" + ((try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }
}
