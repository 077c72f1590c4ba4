import XCTest
import Foundation
import LGStore
import LGDaemon
import LGRunner
@testable import LGNet

/// The label cache's tier on the coordinator (`label_get` / `label_put`):
/// validated by the machine, stored atomically and bounded, reached over
/// real sockets by two workers' processes that share nothing else.
final class LabelTierTests: XCTestCase {
    let secret = Array("label-tier-secret-0123456789".utf8)
    let digestA = String(repeating: "a", count: 64), digestB = String(repeating: "b", count: 63) + "c"

    func testMachineValidatesLabelRequests() {
        func send(_ msg: Message) -> [ServerMachine.Action] {
            var m = ServerMachine(secret: secret)
            var client = MachineClient(secret: secret)
            _ = m.receive(client.hello(m))
            return m.receive(client.frame(msg))
        }
        var get = Message(.labelGet, id: 1); get.label = digestA
        XCTAssertEqual(send(get), [.dispatch(.labelGet(digest: digestA), id: 1, worker: "w1")])
        var put = Message(.labelPut, id: 2); put.label = digestA; put.data = Data([1, 2, 3]).base64EncodedString()
        XCTAssertEqual(send(put), [.dispatch(.labelPut(digest: digestA, bytes: [1, 2, 3]), id: 2, worker: "w1")])
        // Names that are not a lowercase SHA-256 (no paths), no data, too much data, not base64: malformed, connection closed.
        for bad in ["../../secret", String(repeating: "A", count: 64), String(repeating: "a", count: 63), ""] {
            var g = Message(.labelGet, id: 3); g.label = bad
            guard case .send(let e)? = send(g).first else { return XCTFail(bad) }
            XCTAssertEqual(e.code, .malformed, bad)
        }
        for data in [nil, "", "not base64!", Data(count: ServerMachine.maxLabelBytes + 1).base64EncodedString()] as [String?] {
            var p = Message(.labelPut, id: 4); p.label = digestA; p.data = data
            let r = send(p)
            guard case .send(let e)? = r.first else { return XCTFail("\(String(describing: data?.prefix(20)))") }
            XCTAssertEqual(e.code, .malformed)
            XCTAssertEqual(r.last, .close)
        }
        // label_data is the server's answer, never a request.
        let codes: [ErrorCode] = send(Message(.labelData, id: 5)).compactMap { if case .send(let e) = $0 { return e.code } else { return nil } }
        XCTAssertEqual(codes, [.unknownType])
    }

    func testEntriesTravelThroughTheCoordinator() throws {
        let dir = NSTemporaryDirectory() + "lg-label-tier-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try JobStore(path: dir + "/queue.sqlite")
        var cfg = CoordinatorConfig(); cfg.host = "127.0.0.1"; cfg.port = 0
        let c = Coordinator(store: store, root: dir, secret: secret, config: cfg)
        c.labels = DigestStore(directory: URL(fileURLWithPath: dir + "/label-cache"), maxBytes: 1 << 20)
        try c.start()
        defer { c.stop() }
        // Two job processes on different hosts: each its own connection.
        let here = QueueLabelRemote(address: "127.0.0.1:\(c.port)", secret: secret, name: "host1:job")
        let there = QueueLabelRemote(address: "127.0.0.1:\(c.port)", secret: secret, name: "host2:job")
        XCTAssertNil(there.fetch(digest: digestA))
        here.store(digest: digestA, bytes: Array("LGLABEL1 entry".utf8))
        XCTAssertEqual(there.fetch(digest: digestA), Array("LGLABEL1 entry".utf8))
        XCTAssertNil(there.fetch(digest: digestB))
        XCTAssertFalse(here.isOff || there.isOff)
        // On the coordinator's disk, named by the digest, no temporary files left.
        let file = dir + "/label-cache/aa/\(digestA).lbl"
        XCTAssertEqual(FileManager.default.contents(atPath: file), Data("LGLABEL1 entry".utf8))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/label-cache/aa")
        XCTAssertEqual(names, ["\(digestA).lbl"])
        // The typed client too; an existing entry is not written again.
        let client = try QueueClient(address: "127.0.0.1:\(c.port)", secret: secret, worker: "t")
        try client.labelPut(digest: digestA, bytes: [9])
        XCTAssertEqual(try client.labelGet(digest: digestA), Array("LGLABEL1 entry".utf8))
        client.close()

        // A coordinator that keeps no labels answers "none" and takes offers without storing them.
        let dir2 = dir + "/plain"
        try FileManager.default.createDirectory(atPath: dir2, withIntermediateDirectories: true)
        let plain = Coordinator(store: try JobStore(path: dir2 + "/queue.sqlite"), root: dir2, secret: secret, config: cfg)
        try plain.start()
        defer { plain.stop() }
        let none = QueueLabelRemote(address: "127.0.0.1:\(plain.port)", secret: secret, name: "host3:job")
        none.store(digest: digestA, bytes: [1])
        XCTAssertNil(none.fetch(digest: digestA))
        XCTAssertFalse(none.isOff)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir2 + "/label-cache"))
    }

    /// A connection the coordinator closed while the job trained on cached
    /// labels (its idle timeout) is replaced, not taken for a failure.
    func testAConnectionClosedWhileIdleIsReplaced() throws {
        let dir = NSTemporaryDirectory() + "lg-label-idle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var cfg = CoordinatorConfig(); cfg.host = "127.0.0.1"; cfg.port = 0; cfg.idleTimeout = 0.5
        let c = Coordinator(store: try JobStore(path: dir + "/queue.sqlite"), root: dir, secret: secret, config: cfg)
        c.labels = DigestStore(directory: URL(fileURLWithPath: dir + "/label-cache"), maxBytes: 1 << 20)
        try c.start()
        defer { c.stop() }
        let r = QueueLabelRemote(address: "127.0.0.1:\(c.port)", secret: secret, name: "idle")
        r.store(digest: digestA, bytes: [7])
        Thread.sleep(forTimeInterval: 2)  // the coordinator closes the idle connection
        XCTAssertEqual(r.fetch(digest: digestA), [7])
        XCTAssertFalse(r.isOff)
    }

    /// An unreachable coordinator, or a wrong secret, turns the tier off
    /// after the first try: the job goes on computing its own labels.
    func testAFailingTierTurnsItselfOff() throws {
        let (listener, port) = try Socket.listen(host: "127.0.0.1", port: 0)
        listener.close()  // nobody listens there now
        let gone = QueueLabelRemote(address: "127.0.0.1:\(port)", secret: secret, name: "x", timeout: 2)
        XCTAssertNil(gone.fetch(digest: digestA))
        XCTAssertTrue(gone.isOff)
        let t0 = Date()
        XCTAssertNil(gone.fetch(digest: digestA))
        gone.store(digest: digestA, bytes: [1])
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.5)

        let dir = NSTemporaryDirectory() + "lg-label-tier-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var cfg = CoordinatorConfig(); cfg.host = "127.0.0.1"; cfg.port = 0
        let c = Coordinator(store: try JobStore(path: dir + "/queue.sqlite"), root: dir, secret: secret, config: cfg)
        try c.start()
        defer { c.stop() }
        let wrong = QueueLabelRemote(address: "127.0.0.1:\(c.port)", secret: Array("another-secret-entirely-42".utf8), name: "y")
        XCTAssertNil(wrong.fetch(digest: digestA))
        XCTAssertTrue(wrong.isOff)
    }

    /// What the worker hands its job processes, and what they make of it.
    func testEnvironmentNamesTheTier() throws {
        let dir = NSTemporaryDirectory() + "lg-label-env-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/secret"
        try "0123456789abcdef0123456789abcdef\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = QueueLabelRemote.fromEnvironment(["LG_LABEL_SERVER": "10.0.0.5:7700", "LG_LABEL_SERVER_SECRET": path])
        XCTAssertEqual(r?.address, "10.0.0.5:7700")
        XCTAssertNil(QueueLabelRemote.fromEnvironment([:]))
        XCTAssertNil(QueueLabelRemote.fromEnvironment(["LG_LABEL_SERVER": "off", "LG_LABEL_SERVER_SECRET": path]))
        XCTAssertNil(QueueLabelRemote.fromEnvironment(["LG_LABEL_SERVER": "10.0.0.5:7700", "LG_LABEL_SERVER_SECRET": dir + "/none"]))
    }
}
