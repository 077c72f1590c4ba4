import XCTest
import Foundation
@testable import LGStore
@testable import LGNet
import LGDaemon

/// A job that depends on another receives, with its claim, the dependency's
/// final checkpoint, and may download it (and only it) over the protocol.
final class DependencyCheckpointTests: XCTestCase {
    let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    func testDependentJobFetchesItsDependencysCheckpointOnly() throws {
        let dir = NSTemporaryDirectory() + "lgq-dep-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try JobStore(path: dir + "/q.sqlite")
        let few = NewJob(grid: "few", kind: "train_fewshot", params: ["n": .int(1)])
        let scs = NewJob(grid: "scs", kind: "scs", params: ["n": .int(1)], needs: [few.key])
        let other = NewJob(grid: "x", kind: "test_sleep", params: ["i": .int(0)])
        _ = try store.enqueue([few, scs, other])
        var cfg = CoordinatorConfig(); cfg.host = "127.0.0.1"; cfg.port = 0
        let c = Coordinator(store: store, root: dir, secret: secret, config: cfg)
        try c.start()
        defer { c.stop() }
        let client = try QueueClient(address: "127.0.0.1:\(c.port)", secret: secret, worker: "dep")
        defer { client.close() }

        // The few-shot job finishes with a checkpoint.
        let f = try XCTUnwrap(try client.claim(limit: 1, kinds: ["train_fewshot"]).first)
        XCTAssertNil(f.needs)
        let payload = [UInt8]((0..<300_000).map { UInt8($0 % 251) })
        let file = dir + "/final.ckpt"
        try Data(payload).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(try client.uploadCheckpoint(job: f.id, fence: f.fence, path: file).outcome, "ok")
        XCTAssertEqual(try client.complete(job: f.id, fence: f.fence, metrics: ["mIoU": 0.5]).outcome, "ok")

        // The scs job's claim names that checkpoint; the download matches it byte for byte.
        let s = try XCTUnwrap(try client.claim(limit: 1, kinds: ["scs"]).first)
        let need = try XCTUnwrap(s.needs?.first)
        XCTAssertEqual(need.jobID, f.id)
        XCTAssertEqual(need.size, payload.count)
        let got = dir + "/dep.ckpt"
        try client.downloadCheckpoint(job: s.id, fence: s.fence, expected: need, to: got, of: f.id)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: got))), payload)

        // A job that does not depend on it cannot read it; a stale lease cannot either.
        let o = try XCTUnwrap(try client.claim(limit: 1, kinds: ["test_sleep"]).first)
        XCTAssertThrowsError(try client.downloadCheckpoint(job: o.id, fence: o.fence, expected: need, to: dir + "/no.ckpt", of: f.id)) {
            guard case ClientError.server(.notFound, _) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try client.downloadCheckpoint(job: s.id, fence: s.fence + 1, expected: need, to: dir + "/no.ckpt", of: f.id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/no.ckpt"))
        XCTAssertEqual(try store.integrityCheck(), "ok")
    }
}
