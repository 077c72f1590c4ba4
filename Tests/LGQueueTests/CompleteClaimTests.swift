import XCTest
import Foundation
@testable import LGStore
@testable import LGNet
import LGDaemon

/// `complete_claim`: store, state machine, loopback.
final class CompleteClaimTests: XCTestCase {
    let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    func tempStore() throws -> (JobStore, String) {
        let dir = NSTemporaryDirectory() + "lgq-cc-\(UUID().uuidString)"
        return (try JobStore(path: dir + "/q.sqlite"), dir)
    }

    func testStoreCompletesAndClaimsInOneCall() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.enqueue((0..<3).map { NewJob(grid: "g", kind: "test_sleep", params: ["i": .int($0)]) })
        let a = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        let (o, next) = try store.completeAndClaim(jobID: a.id, fence: a.fence, metrics: ["x": 1], owner: "w", limit: 1, leaseSeconds: 10)
        XCTAssertEqual(o, .ok)
        XCTAssertEqual(next.map(\.id), [a.id + 1])
        XCTAssertEqual(try store.job(id: a.id)!.state, .succeeded)
        XCTAssertEqual(try store.metrics(jobID: a.id), ["x": 1])
        XCTAssertEqual(try store.job(id: next[0].id)!.state, .running)
        // A stale token changes nothing about its job; the claim still happens.
        let (o2, next2) = try store.completeAndClaim(jobID: next[0].id, fence: next[0].fence + 5, metrics: ["x": 2], owner: "w", limit: 1, leaseSeconds: 10)
        guard case .stale = o2 else { return XCTFail("\(o2)") }
        XCTAssertEqual(try store.job(id: next[0].id)!.state, .running)
        XCTAssertEqual(try store.metrics(jobID: next[0].id), [:])
        XCTAssertEqual(next2.map(\.id), [a.id + 2])
        // limit 0: only the complete.
        let (o3, none) = try store.completeAndClaim(jobID: next[0].id, fence: next[0].fence, metrics: [:], owner: "w", limit: 0, leaseSeconds: 10)
        XCTAssertEqual(o3, .ok); XCTAssertEqual(none, [])
        XCTAssertEqual(try store.integrityCheck(), "ok")
    }

    func testMachineValidatesCompleteClaim() {
        var cc = Message(.completeClaim, id: 1); cc.job = 1; cc.fence = 1; cc.metrics = ["x": 1]; cc.limit = 1
        var m = ServerMachine(secret: secret)
        var client = MachineClient(secret: secret)
        _ = m.receive(client.hello(m))
        XCTAssertEqual(m.version, 3)
        XCTAssertEqual(m.receive(client.frame(cc)),
                       [.dispatch(.completeClaim(LeaseRef(job: 1, fence: 1), metrics: ["x": 1], provenance: [:], limit: 1, kinds: nil),
                                  id: 1, worker: "w1")])

        var noLimit = cc; noLimit.limit = nil
        var bigLimit = cc; bigLimit.limit = 1001
        var noFence = cc; noFence.fence = nil
        for bad: Message in [noLimit, bigLimit, noFence] {
            var m = ServerMachine(secret: secret)
            var client = MachineClient(secret: secret)
            _ = m.receive(client.hello(m))
            let r = m.receive(client.frame(bad))
            if case .send(let e) = r.first { XCTAssertEqual(e.code, .malformed) } else { XCTFail("\(r)") }
            XCTAssertEqual(m.state, .closed)
        }
    }

    func testEncodingRoundTrip() throws {
        var m = Message(.jobs, id: 7)
        m.job = 3; m.outcome = "stale"; m.message = "quote \" backslash \\ newline \n tab \t ctl \u{01} unicode é 🚀 slash /"
        m.metrics = ["a": 1.5, "b": -2e-7, "c": 1e300]
        m.jobs = [ClaimedJob(id: 4, key: "k", grid: "g", kind: "test_sleep",
                             params: ["i": .int(-3), "d": .double(0.25), "s": .string("x\"y"), "n": .null, "b": .bool(true),
                                      "arr": .array([.int(1), .object(["z": .string("")])])],
                             attempt: 2, maxAttempts: 3, fence: 9,
                             checkpoint: Artifact(jobID: 4, kind: "checkpoint", path: "checkpoints/job-4/latest.ckpt", size: 10, sha256: String(repeating: "a", count: 64)))]
        m.beats = [Beat(job: 1, fence: 2, progress: 0.5, rate: nil, note: "n")]
        m.results = [LeaseReply(job: 1, .stale("old"))]
        m.versions = [1, 2]; m.kinds = ["a", "b"]; m.retryable = false; m.last = true
        m.leaseSeconds = 60; m.heartbeatSeconds = 0.25; m.code = .notFound
        XCTAssertEqual(try Message.decode(m.encoded()), m)
        var cc = Message(.completeClaim, id: 1); cc.job = 1; cc.fence = 1; cc.metrics = [:]; cc.limit = 0
        XCTAssertEqual(try Message.decode(cc.encoded()), cc)
        XCTAssertTrue(String(decoding: cc.encoded(), as: UTF8.self).contains("\"type\":\"complete_claim\""))
    }

    func testMalformedCompleteClaimFramesCloseTheConnection() {
        for text in [#"{"type":"complete_claim","id":1,"job":"one","fence":1,"limit":1}"#,
                     #"{"type":"complete_claim","id":1,"job":1,"fence":1,"limit":1,"metrics":{"x":"y"}}"#,
                     #"{"type":"complete_claim","id":1,"job":1,"fence":1,"limit":1"#,
                     #"{"type":"complete_clam","id":1}"#] {
            var m = ServerMachine(secret: secret)
            var client = MachineClient(secret: secret)
            _ = m.receive(client.hello(m))
            let r = m.receive(client.frame(text: text))
            if case .send(let e) = r.first { XCTAssertEqual(e.code, .malformed, text) } else { XCTFail(text) }
            XCTAssertEqual(m.state, .closed, text)
        }
    }

    func testCompleteClaimOverLoopback() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.enqueue((0..<5).map { NewJob(grid: "g", kind: "test_sleep", params: ["i": .int($0)]) })
        var cfg = CoordinatorConfig(); cfg.host = "127.0.0.1"; cfg.port = 0
        let c = Coordinator(store: store, root: dir, secret: secret, config: cfg)
        try c.start()
        defer { c.stop() }
        let client = try QueueClient(address: "127.0.0.1:\(c.port)", secret: secret, worker: "cc")
        XCTAssertEqual(client.version, 3)
        var next = try client.claim(limit: 1, kinds: ["test_sleep"]).first
        var done: [Int] = []
        while let j = next {
            let (r, more) = try client.completeAndClaim(job: j.id, fence: j.fence, metrics: ["v": Double(j.id)], limit: 1, kinds: ["test_sleep"])
            XCTAssertEqual(r.outcome, "ok")
            done.append(j.id); next = more.first
        }
        XCTAssertEqual(done, [1, 2, 3, 4, 5])
        // A stale completion is reported; nothing changes.
        let (r, more) = try client.completeAndClaim(job: 1, fence: 99, metrics: [:], limit: 1, kinds: nil)
        XCTAssertEqual(r.outcome, "stale"); XCTAssertEqual(more, [])
        client.close()
        XCTAssertEqual(try store.counts()[.succeeded], 5)
        for id in 1...5 { XCTAssertEqual(try store.metrics(jobID: id), ["v": Double(id)]) }
    }
}
