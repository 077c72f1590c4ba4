// The daemon's counts for the dashboard's /metrics (LGDaemon.DaemonMetrics):
// claims with their latency, completions, failures (re-queued or not),
// lease expiries and upload bytes, over a real loopback connection.
import Foundation
import XCTest
import LGStore
import LGNet
import LGDaemon

/// A sink that records what the daemon reports.
final class RecordingMetrics: DaemonMetrics, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var claims: [Int] = [], latencies: [Double] = [], completions = 0
    private(set) var failures: [Bool] = [], expiries: [Bool] = [], uploaded = 0
    func claimed(jobs: Int, seconds: Double) { lock.lock(); claims.append(jobs); latencies.append(seconds); lock.unlock() }
    func completed() { lock.lock(); completions += 1; lock.unlock() }
    func failed(requeued: Bool) { lock.lock(); failures.append(requeued); lock.unlock() }
    func leaseExpired(requeued: Bool) { lock.lock(); expiries.append(requeued); lock.unlock() }
    func uploaded(bytes: Int) { lock.lock(); uploaded += bytes; lock.unlock() }
    private(set) var labelHits: [Bool] = [], labelBytes = 0
    func labelServed(hit: Bool) { lock.lock(); labelHits.append(hit); lock.unlock() }
    func labelStored(bytes: Int) { lock.lock(); labelBytes += bytes; lock.unlock() }
    func snapshot() -> (claims: [Int], completions: Int, failures: [Bool], expiries: [Bool], uploaded: Int, latencies: [Double]) {
        lock.lock(); defer { lock.unlock() }
        return (claims, completions, failures, expiries, uploaded, latencies)
    }
}

final class DaemonMetricsTests: XCTestCase {
    let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    func testDaemonCountsWhatHappens() throws {
        let dir = NSTemporaryDirectory() + "lgq-metrics-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try JobStore(path: dir + "/q.sqlite")
        _ = try store.enqueue((0..<4).map { NewJob(grid: "g", kind: "test_sleep", params: ["i": .int($0)], maxAttempts: 2) })
        var cfg = CoordinatorConfig(); cfg.host = "127.0.0.1"; cfg.port = 0; cfg.leaseSeconds = 2; cfg.heartbeatSeconds = 1
        cfg.rescueInterval = 0.2
        let c = Coordinator(store: store, root: dir, secret: secret, config: cfg)
        let sink = RecordingMetrics()
        c.metrics = sink
        try c.start()
        defer { c.stop() }
        let client = try QueueClient(address: "127.0.0.1:\(c.port)", secret: secret, worker: "m")
        defer { client.close() }

        let a = try XCTUnwrap(client.claim(limit: 2, kinds: ["test_sleep"]).first)   // jobs 1, 2
        let file = dir + "/ck.bin"
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(try client.uploadCheckpoint(job: a.id, fence: a.fence, path: file).outcome, "ok")
        let (r, more) = try client.completeAndClaim(job: a.id, fence: a.fence, metrics: [:], limit: 1, kinds: ["test_sleep"])  // job 3
        XCTAssertEqual(r.outcome, "ok")
        XCTAssertEqual(try client.fail(job: 2, fence: 1, error: "x", retryable: true).outcome, "ok")        // back to queued
        let j3 = try XCTUnwrap(more.first)
        XCTAssertEqual(try client.fail(job: j3.id, fence: j3.fence, error: "x", retryable: false).outcome, "ok")  // failed
        XCTAssertEqual(try client.complete(job: 1, fence: 1, metrics: [:]).outcome, "stale")          // not counted
        _ = try client.claim(limit: 1, kinds: ["test_sleep"])   // job 2 again, then its lease runs out
        let deadline = Date().addingTimeInterval(10)
        while sink.snapshot().expiries.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }

        let s = sink.snapshot()
        XCTAssertEqual(s.claims, [2, 1, 1])
        XCTAssertEqual(s.completions, 1)
        XCTAssertEqual(s.failures, [true, false])
        XCTAssertEqual(s.expiries, [false])      // attempt 2 of 2 used: failed, not re-queued
        XCTAssertEqual(s.uploaded, 1000)
        XCTAssertTrue(s.latencies.allSatisfy { $0 >= 0 && $0 < 5 }, "\(s.latencies)")
        XCTAssertEqual(try store.job(id: 2)?.state, .failed)
        XCTAssertEqual(sink.labelHits, [])  // no label-cache copy: label requests are not counted

        // The label cache's copy: a miss, a stored entry, a hit; an entry already there is not stored again.
        c.stop()
        let c2 = Coordinator(store: store, root: dir, secret: secret, config: cfg)
        c2.labels = DigestStore(directory: URL(fileURLWithPath: dir + "/label-cache"), maxBytes: 1 << 20)
        let sink2 = RecordingMetrics()
        c2.metrics = sink2
        try c2.start()
        defer { c2.stop() }
        let l = try QueueClient(address: "127.0.0.1:\(c2.port)", secret: secret, worker: "l")
        defer { l.close() }
        let d = String(repeating: "e", count: 64)
        XCTAssertNil(try l.labelGet(digest: d))
        try l.labelPut(digest: d, bytes: [1, 2, 3, 4, 5])
        try l.labelPut(digest: d, bytes: [1, 2, 3, 4, 5])
        XCTAssertEqual(try l.labelGet(digest: d), [1, 2, 3, 4, 5])
        XCTAssertEqual(sink2.labelHits, [false, true])
        XCTAssertEqual(sink2.labelBytes, 5)
    }
}
