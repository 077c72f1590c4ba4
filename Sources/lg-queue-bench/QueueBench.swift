// lg-queue-bench: the queue under load over loopback, against an in-process
// coordinator on a temporary database; SHA-256 of a weight file. Run in release mode:
//   swift run -c release lg-queue-bench [--connections 500] [--active 16] [--queued 1000000] [--seconds 10]
import ArgumentParser
import Foundation
import Synchronization
import LGStore
import LGNet
import LGDaemon

@main
struct QueueBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lg-queue-bench",
        abstract: "The queue under load: authenticated connections held open, claim+complete throughput, claim latency, memory and database size; SHA-256 of a 256 MiB file.",
        discussion: """
        Phase 1 enqueues --queued jobs, opens --connections authenticated connections (each a \
        worker's: the coordinator holds a thread and a socket per connection), and drives \
        complete_claim cycles over all of them from --active threads for --seconds, while a probe \
        connection measures claim round trips every 5 ms. Phase 2 measures claim latency on an idle \
        coordinator. Phase 3 hashes a 256 MiB file.
        """)

    @Option(help: "Authenticated connections held open during the load phase.")
    var connections = 500
    @Option(help: "Threads driving complete_claim cycles over those connections.")
    var active = 16
    @Option(help: "Jobs queued before the load phase.")
    var queued = 1_000_000
    @Option(help: "Seconds of load.")
    var seconds = 10

    func validate() throws {
        guard connections >= 1, active >= 1, active <= connections, queued >= connections, seconds >= 1 else {
            throw ValidationError("need 1 <= --active <= --connections <= --queued and --seconds >= 1")
        }
    }

    func run() throws {
        try runBench(connections: connections, active: active, seconds: seconds, queued: queued)
    }
}

let secret = Array(Hex.random(32).utf8)

func makeCoordinator(jobs: Int) throws -> (Coordinator, String) {
    let dir = NSTemporaryDirectory() + "lg-queue-bench-\(UUID().uuidString)"
    let store = try JobStore(path: dir + "/queue.sqlite")
    var batch: [NewJob] = []
    for i in 0..<jobs {
        batch.append(NewJob(grid: "bench", kind: "test_sleep", params: ["i": .int(i)]))
        if batch.count == 10_000 { _ = try store.enqueue(batch); batch = [] }
    }
    if !batch.isEmpty { _ = try store.enqueue(batch) }
    var cfg = CoordinatorConfig()
    cfg.host = "127.0.0.1"; cfg.port = 0; cfg.leaseSeconds = 600; cfg.rescueInterval = 5; cfg.idleTimeout = 600
    let c = Coordinator(store: store, root: dir, secret: secret, config: cfg)
    try c.start()
    return (c, dir)
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted(); return s[min(s.count - 1, Int(Double(s.count) * p))]
}

/// Resident memory and open descriptors of this process (daemon and clients).
func processFootprint() -> (rssMiB: Double, fds: Int) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let kb = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) } ?? 0
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    return (kb / 1024, fds)
}

func fileMiB(_ path: String) -> Double {
    Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1048576
}

func runBench(connections: Int, active: Int, seconds: Int, queued: Int) throws {
    // 1. Load: `queued` jobs, `connections` authenticated connections held
    //    open, complete_claim cycles from `active` threads, claim probes.
    let before = processFootprint()
    let tEnqueue = Date()
    let (c1, d1) = try makeCoordinator(jobs: queued)
    let db = d1 + "/queue.sqlite"
    print(String(format: "enqueued %d jobs in %.1f s; database %.0f MiB (+ WAL %.0f MiB)", queued, Date().timeIntervalSince(tEnqueue),
                 fileMiB(db), fileMiB(db + "-wal")))
    let t1 = Date()
    let clients = try (0..<connections).map { i in
        try QueueClient(address: "127.0.0.1:\(c1.port)", secret: secret, worker: "bench-\(i)")
    }
    let held = processFootprint()
    print(String(format: "%d authenticated connections opened in %.1f s; process RSS %.0f -> %.0f MiB, open descriptors %d -> %d",
                 connections, Date().timeIntervalSince(t1), before.rssMiB, held.rssMiB, before.fds, held.fds))
    // Every connection holds one claimed job.
    var current: [ClaimedJob?] = try clients.map { try $0.claim(limit: 1, kinds: nil).first }
    let tally = Mutex((cycles: 0, errors: 0))
    let slots = Mutex(current)
    let deadline = Date().addingTimeInterval(Double(seconds))
    let start = Date()
    let probe = try QueueClient(address: "127.0.0.1:\(c1.port)", secret: secret, worker: "probe")
    let probeLatency = Mutex<[Double]>([])
    let probeThread = Thread {
        while Date() < deadline {
            let t = DispatchTime.now().uptimeNanoseconds
            if let j = try? probe.claim(limit: 1, kinds: nil).first {
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6
                probeLatency.withLock { $0.append(ms) }
                _ = try? probe.release(job: j.id, fence: j.fence)
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }
    probeThread.start()
    DispatchQueue.concurrentPerform(iterations: active) { k in
        var mine = Array(stride(from: k, to: connections, by: active))
        var n = 0
        do {
            while Date() < deadline && !mine.isEmpty {
                for (pos, i) in mine.enumerated().reversed() {
                    guard let j = slots.withLock({ $0[i] }) else { mine.remove(at: pos); continue }
                    let (r, more) = try clients[i].completeAndClaim(job: j.id, fence: j.fence, metrics: ["value": 1],
                                                                    limit: Date() < deadline ? 1 : 0, kinds: nil)
                    guard r.outcome == "ok" else { throw ClientError.protocolViolation("complete: \(r.outcome)") }
                    slots.withLock { $0[i] = more.first }
                    n += 1
                }
            }
        } catch { tally.withLock { $0.errors += 1 }; print("thread \(k): \(error)") }
        tally.withLock { $0.cycles += n }
    }
    let elapsed = Date().timeIntervalSince(start)
    probeThread.cancel()
    while probeThread.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
    let (cycles, errors) = tally.withLock { $0 }
    let loaded = processFootprint()
    let lat = probeLatency.withLock { $0 }
    current = slots.withLock { $0 }
    print(String(format: "claim+complete (complete_claim) over %d held connections from %d threads: %d cycles in %.2f s = %.0f cycles/s (%d errors)",
                 connections, active, cycles, elapsed, Double(cycles) / elapsed, errors))
    if !lat.isEmpty {
        print(String(format: "claim latency under that load (probe connection, %d claims): p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                     lat.count, percentile(lat, 0.5), percentile(lat, 0.99), lat.max()!))
    }
    let succeeded = try c1.store.counts()[.succeeded] ?? -1
    print(String(format: "after the load: process RSS %.0f MiB, open descriptors %d; %d jobs succeeded in the store (cycles counted: %d); database %.0f MiB (+ WAL %.0f MiB)",
                 loaded.rssMiB, loaded.fds, succeeded, cycles, fileMiB(db), fileMiB(db + "-wal")))
    print("integrity_check: \(try c1.store.integrityCheck())")
    for c in clients { c.close() }
    probe.close()
    c1.stop(); try? FileManager.default.removeItem(atPath: d1)

    // 2. Claim latency on an idle coordinator with `queued` jobs waiting.
    let (c2, d2) = try makeCoordinator(jobs: min(queued, 100_000))
    let client = try QueueClient(address: "127.0.0.1:\(c2.port)", secret: secret, worker: "latency")
    var idle: [Double] = []
    for _ in 0..<2000 {
        let t = DispatchTime.now().uptimeNanoseconds
        let j = try client.claim(limit: 1, kinds: ["test_sleep"])
        idle.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
        if let j = j.first { _ = try client.release(job: j.id, fence: j.fence) }
    }
    print(String(format: "claim latency, idle coordinator, %d queued (2000 claims): p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                 min(queued, 100_000), percentile(idle, 0.5), percentile(idle, 0.99), idle.max()!))
    client.close()
    c2.stop(); try? FileManager.default.removeItem(atPath: d2)

    // 3. SHA-256 of a weight file (the digest each train / evaluate / scs job
    //    records for its generator and predictor files): this project's
    //    implementation against coreutils' `sha256sum` on the same 256 MiB file.
    let path = NSTemporaryDirectory() + "lg-queue-bench-\(UUID().uuidString).bin"
    var rng = SystemRandomNumberGenerator()
    guard FileManager.default.createFile(atPath: path, contents: Data((0..<(256 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) })) else {
        throw CocoaError(.fileWriteUnknown)
    }
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t0 = Date()
    let ours = try SHA256Hex.ofFile(path)
    let oursSeconds = Date().timeIntervalSince(t0)
    print(String(format: "sha256 of 256 MiB: %.2f s (%.0f MiB/s)", oursSeconds, 256 / oursSeconds))
    let tool = Process()
    tool.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    tool.arguments = [path]
    let pipe = Pipe()
    tool.standardOutput = pipe
    if (try? tool.run()) != nil {
        let t1 = Date()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tool.waitUntilExit()
        let toolSeconds = Date().timeIntervalSince(t1)
        print(String(format: "sha256sum (coreutils) on the same file: %.2f s; ours / sha256sum time ratio %.2f; digests %@",
                     toolSeconds, oursSeconds / toolSeconds, out.hasPrefix(ours) ? "agree" : "DIFFER"))
    }
}
