// /api/grids, /api/results (+ CSV: the collector's numbers), /api/workers,
// /metrics, the HTML pages and their assets.
import Foundation
import XCTest
import HummingbirdTesting
import LGStore
import LGReports
@testable import LGDashboard

final class PagesAndReportsTests: XCTestCase {
    func testGrids() async throws {
        let f = try DashboardFixture()
        try f.enqueue(4, grid: "a")
        try f.enqueue(2, grid: "b", start: 10)
        _ = try f.runOne(metrics: [:])
        _ = try f.store.cancel(ids: [6])
        try await f.test { c in
            let o = try json(try await c.execute(uri: "/api/grids", method: .get))
            let gs = o["grids"] as! [[String: Any]]
            XCTAssertEqual(gs.map { $0["grid"] as! String }, ["a", "b"])
            let a = gs[0]["counts"] as! [String: Int]
            XCTAssertEqual(a["succeeded"], 1); XCTAssertEqual(a["queued"], 3)
            XCTAssertEqual(gs[0]["fractionDone"] as? Double, 0.25)
            XCTAssertEqual((gs[1]["counts"] as! [String: Int])["cancelled"], 1)
            XCTAssertEqual(gs[1]["total"] as? Int, 1)
        }
    }

    func testResultsAreTheCollectorsTables() async throws {
        let f = try DashboardFixture()
        for (se, m) in [("LSE", 0.612), ("NSE-1", 0.655)] {
            _ = try f.store.enqueue([NewJob(grid: "sr", kind: "train", params: ["G": "stylegan2_ffhq", "SE": .string(se)])])
            _ = try f.runOne(metrics: ["mIoU": m, "iou/1": 0.5])
        }
        let expected = try Reports(store: f.store).namedTables(all: true)
        let se = try XCTUnwrap(expected.first { $0.name == "SE" })
        XCTAssertTrue(se.table.markdown().contains("61.2"), se.table.markdown())
        try await f.test { c in
            let o = try json(try await c.execute(uri: "/api/results", method: .get))
            let tables = o["tables"] as! [[String: Any]]
            XCTAssertEqual(tables.map { $0["name"] as! String }, expected.map(\.name))
            let apiSE = try XCTUnwrap(tables.first { $0["name"] as? String == "SE" })
            let rows = (apiSE["rows"] as! [[Any]]).map { $0.map { $0 as? String } }
            XCTAssertEqual(rows, se.table.rows)
            XCTAssertTrue(rows.flatMap { $0 }.contains("61.2"))
            XCTAssertEqual(apiSE["csv"] as? String, "/api/results/SE.csv")

            var r = try await c.execute(uri: "/api/results/SE.csv", method: .get)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(r.headers[.contentType], "text/csv; charset=utf-8")
            XCTAssertEqual(text(r), se.table.csv())
            XCTAssertTrue(text(r).contains("61.2"))
            r = try await c.execute(uri: "/api/results/nope.csv", method: .get)
            XCTAssertEqual(r.status, .notFound)
            r = try await c.execute(uri: "/api/results/SE.txt", method: .get)
            XCTAssertEqual(r.status, .notFound)
        }
    }

    func testWorkers() async throws {
        let f = try DashboardFixture()
        try f.store.workerConnected(name: "w1", info: WorkerInfo(host: "node7", slots: 4, pid: 99, slurmJobID: "1234", slurmArrayTaskID: "3"))
        try f.enqueue(2)
        _ = try f.store.claim(owner: "w1", limit: 2, leaseSeconds: 60)
        try await f.test { c in
            let ws = try json(try await c.execute(uri: "/api/workers", method: .get))["workers"] as! [[String: Any]]
            XCTAssertEqual(ws.count, 1)
            XCTAssertEqual(ws[0]["host"] as? String, "node7")
            XCTAssertEqual(ws[0]["slots"] as? Int, 4)
            XCTAssertEqual(ws[0]["slurmJobID"] as? String, "1234")
            XCTAssertEqual(ws[0]["slurmArrayTaskID"] as? String, "3")
            XCTAssertEqual(ws[0]["running"] as? Int, 2)
            XCTAssertEqual(ws[0]["connected"] as? Bool, true)
        }
    }

    func testMetricsExposition() async throws {
        let f = try DashboardFixture()
        try f.enqueue(3, grid: "g\"x")
        try f.store.workerConnected(name: "w1", info: WorkerInfo(host: "h", slots: 2))
        _ = try f.store.claim(owner: "w1", limit: 1, leaseSeconds: 60)
        f.counters.claimed(jobs: 1, seconds: 0.003)
        f.counters.claimed(jobs: 0, seconds: 0.2)
        f.counters.completed()
        f.counters.failed(requeued: true)
        f.counters.leaseExpired(requeued: false)
        f.counters.uploaded(bytes: 4096)
        f.counters.labelServed(hit: true)
        f.counters.labelServed(hit: false)
        f.counters.labelServed(hit: false)
        f.counters.labelStored(bytes: 900)
        try await f.test { c in
            let r = try await c.execute(uri: "/metrics", method: .get)
            XCTAssertEqual(r.status, .ok)
            XCTAssertTrue(r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") ?? false)
            let t = text(r)
            for line in [
                #"lg_jobs{grid="g\"x",state="queued"} 2"#, #"lg_jobs{grid="g\"x",state="running"} 1"#,
                "lg_workers_connected 1", "lg_slots 2", "lg_slots_busy 1",
                "lg_claim_requests_total 2", "lg_claims_total 1", "lg_completions_total 1", "lg_failures_total 1",
                "lg_retries_total 1", "lg_lease_expiries_total 1", "lg_upload_bytes_total 4096",
                #"lg_claim_latency_seconds_bucket{le="0.0025"} 0"#, #"lg_claim_latency_seconds_bucket{le="0.005"} 1"#,
                #"lg_claim_latency_seconds_bucket{le="0.25"} 2"#, #"lg_claim_latency_seconds_bucket{le="+Inf"} 2"#,
                "lg_claim_latency_seconds_count 2",
                #"lg_label_requests_total{result="hit"} 1"#, #"lg_label_requests_total{result="miss"} 2"#,
                "lg_label_stored_total 1", "lg_label_stored_bytes_total 900", "# TYPE lg_claim_latency_seconds histogram", "# TYPE lg_claims_total counter",
            ] {
                XCTAssertTrue(t.split(separator: "\n").contains(Substring(line)), "missing \(line) in\n\(t)")
            }
            // Every sample line: name{labels} value.
            for l in t.split(separator: "\n") where !l.hasPrefix("#") {
                XCTAssertNotNil(l.range(of: #"^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$|^[a-z_]+(\{[^}]*\})? \+Inf$"#, options: .regularExpression), String(l))
            }
        }
    }

    func testPagesAndAssets() async throws {
        let f = try DashboardFixture()
        try f.enqueue(1)
        let token = f.token
        try await f.test { c in
            for (path, page) in [("/", "jobs"), ("/grids", "grids"), ("/results", "results"), ("/workers", "workers"), ("/jobs/1", "job")] {
                let r = try await c.execute(uri: path, method: .get)
                XCTAssertEqual(r.status, .ok, path)
                XCTAssertEqual(r.headers[.contentType], "text/html; charset=utf-8")
                let html = text(r)
                XCTAssertTrue(html.contains("data-page=\"\(page)\""), path)
                XCTAssertTrue(html.contains("<script src=\"/assets/dashboard.js\"></script>"))
                XCTAssertTrue(html.contains("<meta name=\"lg-token\" content=\"\(token)\">"))
                XCTAssertFalse(html.contains("http://") || html.contains("https://"), "\(path) loads something from elsewhere")
            }
            let jobPage = try await c.execute(uri: "/jobs/1", method: .get)
            XCTAssertTrue(text(jobPage).contains("data-job=\"1\""))
            let js = try await c.execute(uri: "/assets/dashboard.js", method: .get)
            XCTAssertEqual(js.headers[.contentType], "text/javascript; charset=utf-8")
            XCTAssertTrue(text(js).contains("function jobsPage()"))
            XCTAssertFalse(text(js).contains("http://") || text(js).contains("https://"))
            let css = try await c.execute(uri: "/assets/dashboard.css", method: .get)
            XCTAssertEqual(css.headers[.contentType], "text/css; charset=utf-8")
        }
    }
}
