// The jobs page query pages (LIMIT/OFFSET) through an index for each
// filter, without sorting the table (EXPLAIN QUERY PLAN), and the
// job_events triggers of schema 5.
import Foundation
import XCTest
import LGStore
@testable import LGDashboard

final class QueryPlanTests: XCTestCase {
    func testPageQueryUsesAnIndexAndLimit() throws {
        let f = try DashboardFixture()
        try f.enqueue(200, grid: "a")
        try f.enqueue(200, grid: "b", kind: "train", start: 1000)
        let cases: [(JobPageQuery, String)] = [
            (JobPageQuery(state: .queued), "jobs_state"),
            (JobPageQuery(grid: "a"), "jobs_grid"),
            (JobPageQuery(kind: "train"), "jobs_kind"),
            (JobPageQuery(grid: "a", state: .queued), "jobs_grid_state"),
        ]
        for (q, index) in cases {
            let plan = try f.store.explainJobPage(q)
            let main = plan.filter { $0.contains(" jobs ") }
            XCTAssertTrue(main.contains { $0.contains("USING INDEX \(index)") || $0.contains("USING COVERING INDEX \(index)") },
                          "\(q): \(plan)")
            XCTAssertFalse(plan.contains { $0.contains("TEMP B-TREE") }, "\(q) sorts: \(plan)")
            XCTAssertFalse(plan.contains { $0 == "SCAN jobs" }, "\(q) scans the table: \(plan)")
        }
        // Unfiltered: the rowid order, no sort.
        let plain = try f.store.explainJobPage(JobPageQuery())
        XCTAssertFalse(plain.contains { $0.contains("TEMP B-TREE") }, "\(plain)")
        // The mIoU of each row is a primary-key lookup, not a scan of metrics.
        XCTAssertTrue(plain.contains { $0.hasPrefix("SEARCH m USING PRIMARY KEY") }, "\(plain)")
        // Paged: the SQL has LIMIT and OFFSET, and a page holds limit rows.
        let page = try f.store.jobPage(JobPageQuery(grid: "b", offset: 190, limit: 25))
        XCTAssertEqual(page.total, 200)
        XCTAssertEqual(page.jobs.count, 10)
        XCTAssertEqual(page.jobs.first?.id, 391)
    }

    /// The page indexes (state, kind) must not take over the claim: it
    /// reads the partial index on queued jobs in claim order, without a sort.
    func testClaimStillUsesTheClaimableIndex() throws {
        let f = try DashboardFixture()
        try f.enqueue(300)
        for kinds in [nil, ["test_sleep"], ["test_sleep", "train"]] as [[String]?] {
            let plan = try f.store.explainClaim(kinds: kinds)
            XCTAssertTrue(plan.contains { $0.contains("USING INDEX jobs_claimable") }, "\(String(describing: kinds)): \(plan)")
            XCTAssertFalse(plan.contains { $0.contains("TEMP B-TREE") }, "\(String(describing: kinds)): \(plan)")
        }
        // And it claims in priority, id order.
        _ = try f.store.setPriority(5, ids: [200])
        XCTAssertEqual(try f.store.claim(owner: "w", limit: 3, leaseSeconds: 60, kinds: ["test_sleep"]).map(\.id), [1, 2, 200])
    }

    func testEventsRecordEveryStateChange() throws {
        let f = try DashboardFixture()
        try f.enqueue(1)
        let c = try f.store.claim(owner: "w", limit: 1, leaseSeconds: -1)[0]   // expires at once
        XCTAssertEqual(try f.store.rescueExpired().map(\.id), [c.id])
        let c2 = try f.store.claim(owner: "w", limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual(try f.store.complete(jobID: c2.id, fence: c2.fence, metrics: [:]), .ok)
        let e = try f.store.events(jobID: c.id)
        XCTAssertEqual(e.map(\.to), [.queued, .running, .queued, .running, .succeeded])
        XCTAssertEqual(e.map(\.attempt), [0, 1, 1, 2, 2])
        XCTAssertTrue(e[2].error?.contains("lease expired") ?? false, "\(e[2])")
        XCTAssertEqual(e.map(\.from), [nil, .queued, .running, .queued, .running])
        let now = Date().timeIntervalSince1970
        XCTAssertTrue(e.allSatisfy { abs($0.at - now) < 60 }, "\(e.map(\.at)) vs \(now)")
    }
}
