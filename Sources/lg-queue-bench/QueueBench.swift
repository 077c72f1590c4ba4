// lg-queue-bench: queue throughput and claim latency over loopback, against
// an in-process coordinator on a temporary database; SHA-256 of a weight file. Run in release mode:
//   swift run -c release lg-queue-bench [--connections 32] [--seconds 5] [--queued 100000]
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
        abstract: "Queue throughput and claim latency over loopback against an in-process coordinator; SHA-256 of a 256 MiB file.")

    @Option(help: "Concurrent client connections in the throughput phases.")
    var connections = 32
    @Option(help: "Seconds per throughput phase.")
    var seconds = 5
    @Option(help: "Jobs queued while claim latency is measured.")
    var queued = 100_000

    func run() throws {
        try runBench(connections: connections, seconds: seconds, queued: queued)
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
    cfg.host = "127.0.0.1"; cfg.port = 0; cfg.leaseSeconds = 600; cfg.rescueInterval = 5
    let c = Coordinator(store: store, root: dir, secret: secret, config: cfg)
    try c.start()
    return (c, dir)
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted(); return s[min(s.count - 1, Int(Double(s.count) * p))]
}

func runBench(connections: Int, seconds: Int, queued: Int) throws {
    // 1. Claim + complete cycles with N concurrent connections: first with
    //    separate `claim` and `complete` requests (two round trips and two
    //    transactions per job), then with `complete_claim` (the
    //    complete of one job and the claim of the next in one round trip and
    //    one transaction). Every job is really claimed and really completed.
    for combined in [false, true] {
        let t0 = Date()
        let (c1, d1) = try makeCoordinator(jobs: 200_000)
        print(String(format: "enqueued 200000 jobs in %.1f s", Date().timeIntervalSince(t0)))
        let tally = Mutex((cycles: 0, errors: 0))
        let deadline = Date().addingTimeInterval(Double(seconds))
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: connections) { w in
            do {
                let client = try QueueClient(address: "127.0.0.1:\(c1.port)", secret: secret, worker: "bench-\(w)")
                var n = 0
                var next = try client.claim(limit: 1, kinds: nil).first
                while let j = next {
                    if combined {
                        let (r, more) = try client.completeAndClaim(job: j.id, fence: j.fence, metrics: ["value": 1],
                                                                    limit: Date() < deadline ? 1 : 0, kinds: nil)
                        guard r.outcome == "ok" else { throw ClientError.protocolViolation("complete: \(r.outcome)") }
                        next = more.first
                    } else {
                        let r = try client.complete(job: j.id, fence: j.fence, metrics: ["value": 1])
                        guard r.outcome == "ok" else { throw ClientError.protocolViolation("complete: \(r.outcome)") }
                        next = Date() < deadline ? try client.claim(limit: 1, kinds: nil).first : nil
                    }
                    n += 1
                }
                client.close()
                tally.withLock { $0.cycles += n }
            } catch { tally.withLock { $0.errors += 1 }; print("connection \(w): \(error)") }
        }
        let elapsed = Date().timeIntervalSince(start)
        let (cycles, errors) = tally.withLock { $0 }
        let succeeded = try c1.store.locked { try c1.store.db.query("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'") }.first?[0].int ?? -1
        print(String(format: "claim+complete (%@): %d cycles in %.2f s over %d connections = %.0f cycles/s (%d errors, %d jobs succeeded in the store)",
                     combined ? "complete_claim" : "separate claim / complete", cycles, elapsed, connections,
                     Double(cycles) / elapsed, errors, succeeded))
        print("integrity_check: \(try c1.store.integrityCheck())")
        c1.stop(); try? FileManager.default.removeItem(atPath: d1)
    }

    // 2. Claim latency with `queued` jobs waiting.
    let (c2, d2) = try makeCoordinator(jobs: queued)
    let client = try QueueClient(address: "127.0.0.1:\(c2.port)", secret: secret, worker: "latency")
    var lat: [Double] = []
    for _ in 0..<2000 {
        let t = DispatchTime.now().uptimeNanoseconds
        let j = try client.claim(limit: 1, kinds: ["test_sleep"])
        lat.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
        if let j = j.first { _ = try client.release(job: j.id, fence: j.fence) }
    }
    print(String(format: "claim latency with %d queued (network round trip, 2000 claims): p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                 queued, percentile(lat, 0.5), percentile(lat, 0.99), lat.max()!))
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
