// GET /api/jobs (paging, filters, sort, bad parameters), /api/jobs/:id
// (history from job_events, curves, checkpoints), /api/filters.
import Foundation
import XCTest
import HummingbirdTesting
import LGStore
@testable import LGDashboard

final class JobsAPITests: XCTestCase {
    func testPagingFiltersAndSort() async throws {
        let f = try DashboardFixture()
        try f.enqueue(30, grid: "a")
        try f.enqueue(12, grid: "b", kind: "train")
        let done = try f.runOne(metrics: ["mIoU": 0.625])
        _ = try f.store.claim(owner: "w2", limit: 1, leaseSeconds: 60)
        try await f.test { c in
            var r = try await c.execute(uri: "/api/jobs?limit=10&offset=5", method: .get)
            XCTAssertEqual(r.status, .ok)
            var o = try json(r)
            XCTAssertEqual(o["total"] as? Int, 42)
            var jobs = o["jobs"] as! [[String: Any]]
            XCTAssertEqual(jobs.map { $0["id"] as! Int }, Array(6...15))

            r = try await c.execute(uri: "/api/jobs?grid=b&limit=5&offset=10", method: .get)
            o = try json(r)
            XCTAssertEqual(o["total"] as? Int, 12)
            jobs = o["jobs"] as! [[String: Any]]
            XCTAssertEqual(jobs.map { $0["id"] as! Int }, [41, 42])
            XCTAssertEqual(Set(jobs.map { $0["kind"] as! String }), ["train"])

            r = try await c.execute(uri: "/api/jobs?state=succeeded", method: .get)
            o = try json(r)
            jobs = o["jobs"] as! [[String: Any]]
            XCTAssertEqual(jobs.count, 1)
            XCTAssertEqual(jobs[0]["id"] as? Int, done)
            XCTAssertEqual(jobs[0]["mIoU"] as? Double, 0.625)
            XCTAssertEqual(jobs[0]["worker"] as? String, nil)

            r = try await c.execute(uri: "/api/jobs?state=running", method: .get)
            jobs = try json(r)["jobs"] as! [[String: Any]]
            XCTAssertEqual(jobs.map { $0["worker"] as? String }, ["w2"])
            XCTAssertEqual(jobs[0]["attempt"] as? Int, 1)

            r = try await c.execute(uri: "/api/jobs?kind=train&sort=id&order=desc&limit=3", method: .get)
            jobs = try json(r)["jobs"] as! [[String: Any]]
            XCTAssertEqual(jobs.map { $0["id"] as! Int }, [42, 41, 40])

            // Sort by state: running and succeeded sort after queued (ascending text).
            r = try await c.execute(uri: "/api/jobs?sort=state&order=desc&limit=2", method: .get)
            jobs = try json(r)["jobs"] as! [[String: Any]]
            XCTAssertEqual(jobs.map { $0["state"] as! String }, ["succeeded", "running"])
        }
    }

    func testBadQueryParametersAre400() async throws {
        let f = try DashboardFixture()
        try f.enqueue(3)
        try await f.test { c in
            for q in ["state=done", "sort=params", "order=up", "limit=0", "limit=100000", "offset=-1", "offset=x", "limit=abc"] {
                let r = try await c.execute(uri: "/api/jobs?\(q)", method: .get)
                XCTAssertEqual(r.status, .badRequest, q)
                let message = try json(r)["error"] as? String ?? ""
                XCTAssertTrue(message.contains("query parameter"), "\(q): \(message)")
            }
        }
    }

    func testJobDetailHistoryMetricsCurvesCheckpoints() async throws {
        let f = try DashboardFixture()
        try f.enqueue(2)
        let c1 = try f.store.claim(owner: "w1", limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual(try f.store.fail(jobID: c1.id, fence: c1.fence, error: "boom", retryable: true), .ok)
        let c2 = try f.store.claim(owner: "w2", limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual(c2.id, c1.id)
        XCTAssertEqual(try f.store.recordMetrics(jobID: c2.id, fence: c2.fence, metrics: ["loss@10": 2.0, "loss@2": 3.5, "loss@30": 1.0]), .ok)
        XCTAssertEqual(try f.store.addArtifact(Artifact(jobID: c2.id, kind: "checkpoint", path: "checkpoints/job-1/latest.ckpt", size: 12,
                                                        sha256: String(repeating: "a", count: 64)), fence: c2.fence), .ok)
        try await f.test { c in
            let r = try await c.execute(uri: "/api/jobs/\(c1.id)", method: .get)
            XCTAssertEqual(r.status, .ok)
            let o = try json(r)
            let job = o["job"] as! [String: Any]
            XCTAssertEqual(job["state"] as? String, "running")
            XCTAssertEqual(job["attempt"] as? Int, 2)
            XCTAssertEqual((o["params"] as? [String: Any])?["i"] as? Int, 0)
            let history = (o["history"] as! [[String: Any]]).map { "\($0["from"] as? String ?? "-")>\($0["to"] as! String)" }
            XCTAssertEqual(history, ["->queued", "queued>running", "running>queued", "queued>running"])
            let failed = (o["history"] as! [[String: Any]])[2]
            XCTAssertEqual(failed["error"] as? String, "boom")
            XCTAssertEqual(failed["worker"] as? String, "w1")
            let curve = (o["curves"] as! [String: Any])["loss"] as! [[Double]]
            XCTAssertEqual(curve, [[2, 3.5], [10, 2], [30, 1]])
            let ck = o["checkpoints"] as! [[String: Any]]
            XCTAssertEqual(ck.first?["path"] as? String, "checkpoints/job-1/latest.ckpt")
        }
    }

    func testUnknownAndMalformedJobIDs() async throws {
        let f = try DashboardFixture()
        try f.enqueue(1)
        try await f.test { c in
            var r = try await c.execute(uri: "/api/jobs/999", method: .get)
            XCTAssertEqual(r.status, .notFound)
            XCTAssertEqual(try json(r)["error"] as? String, "no job with id 999")
            r = try await c.execute(uri: "/api/jobs/abc", method: .get)
            XCTAssertEqual(r.status, .badRequest)
            r = try await c.execute(uri: "/jobs/999", method: .get)
            XCTAssertEqual(r.status, .notFound)
            r = try await c.execute(uri: "/api/nothing", method: .get)
            XCTAssertEqual(r.status, .notFound)
        }
    }

    /// The live log tail: lines sent with heartbeats, polled with `after`.
    func testJobLogTail() async throws {
        let f = try DashboardFixture()
        try f.enqueue(2)
        let c = try f.store.claim(owner: "w1", limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual(try f.store.heartbeat(jobID: c.id, fence: c.fence, progress: 0.1, rate: nil, note: nil,
                                             log: ["loading stylegan2_ffhq", "epoch 1/2 <b>"], leaseSeconds: 60), .ok)
        try await f.test { client in
            var r = try await client.execute(uri: "/api/jobs/\(c.id)/log", method: .get)
            XCTAssertEqual(r.status, .ok)
            let lines = try XCTUnwrap(try json(r)["lines"] as? [[String: Any]])
            XCTAssertEqual(lines.map { $0["line"] as? String }, ["loading stylegan2_ffhq", "epoch 1/2 <b>"])
            XCTAssertEqual(lines.map { $0["attempt"] as? Int }, [1, 1])
            let last = try XCTUnwrap(lines.last?["seq"] as? Int)
            r = try await client.execute(uri: "/api/jobs/\(c.id)/log?after=\(last)", method: .get)
            XCTAssertEqual((try json(r)["lines"] as? [Any])?.count, 0)
            r = try await client.execute(uri: "/api/jobs/\(c.id)/log?limit=1", method: .get)
            XCTAssertEqual(((try json(r)["lines"] as? [[String: Any]])?.first?["line"]) as? String, "epoch 1/2 <b>")
            // The other job has none; bad input is a 400, an unknown job a 404.
            r = try await client.execute(uri: "/api/jobs/2/log", method: .get)
            XCTAssertEqual((try json(r)["lines"] as? [Any])?.count, 0)
            r = try await client.execute(uri: "/api/jobs/\(c.id)/log?after=-1", method: .get)
            XCTAssertEqual(r.status, .badRequest)
            r = try await client.execute(uri: "/api/jobs/\(c.id)/log?limit=0", method: .get)
            XCTAssertEqual(r.status, .badRequest)
            r = try await client.execute(uri: "/api/jobs/999/log", method: .get)
            XCTAssertEqual(r.status, .notFound)
        }
    }

    /// A job's named files (the label sheet) are served from where the upload put them.
    func testJobFiles() async throws {
        let f = try DashboardFixture()
        try f.enqueue(1)
        let c = try f.store.claim(owner: "w1", limit: 1, leaseSeconds: 60)[0]
        let rel = "checkpoints/job-\(c.id)/label_sheet.png"
        let png = Data([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])
        try FileManager.default.createDirectory(atPath: f.directory + "/checkpoints/job-\(c.id)", withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: f.directory + "/" + rel))
        XCTAssertEqual(try f.store.addArtifact(Artifact(jobID: c.id, kind: "label_sheet.png", path: rel, size: png.count, sha256: String(repeating: "0", count: 64)),
                                               fence: c.fence), .ok)
        XCTAssertEqual(try f.store.addArtifact(Artifact(jobID: c.id, kind: "checkpoint", path: "checkpoints/job-\(c.id)/latest.ckpt", size: 1,
                                                        sha256: String(repeating: "0", count: 64)), fence: c.fence), .ok)
        try await f.test { client in
            var r = try await client.execute(uri: "/api/jobs/\(c.id)/files/label_sheet.png", method: .get)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(r.headers[.contentType], "image/png")
            XCTAssertEqual(Data(r.body.readableBytesView), png)
            // Checkpoints are not served as files; unknown names and jobs are 404s.
            r = try await client.execute(uri: "/api/jobs/\(c.id)/files/checkpoint", method: .get)
            XCTAssertEqual(r.status, .notFound)
            r = try await client.execute(uri: "/api/jobs/\(c.id)/files/..%2F..%2Fq.sqlite", method: .get)
            XCTAssertEqual(r.status, .notFound)
            r = try await client.execute(uri: "/api/jobs/99/files/label_sheet.png", method: .get)
            XCTAssertEqual(r.status, .notFound)
        }
    }

    func testFilters() async throws {
        let f = try DashboardFixture()
        try f.enqueue(2, grid: "zeta")
        try f.enqueue(2, grid: "alpha", kind: "train", start: 10)
        try await f.test { c in
            let o = try json(try await c.execute(uri: "/api/filters", method: .get))
            XCTAssertEqual(o["grids"] as? [String], ["alpha", "zeta"])
            XCTAssertEqual(o["kinds"] as? [String], ["test_sleep", "train"])
        }
    }
}
