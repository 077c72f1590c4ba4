import XCTest
import LGStore
@testable import LGReports

final class SCSReportTests: XCTestCase {
    func testSCSTableAndGroupedMarkdownHeader() throws {
        let dir = NSTemporaryDirectory() + "lgq-scs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try JobStore(path: dir + "/q.sqlite")
        func run(_ p: [String: JSONValue], _ miou: Double) throws {
            _ = try store.enqueue([NewJob(grid: "scs", kind: "scs", params: p)])
            let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
            XCTAssertEqual(try store.complete(jobID: c.id, fence: c.fence, metrics: ["mIoU": miou]), .ok)
        }
        for (r, v) in [0.40, 0.44, 0.42].enumerated() {
            try run(["G": "stylegan2_church", "extractor": "fewshot_lse", "num_sample": .int(8), "repeat": .int(r)], v)
        }
        try run(["G": "stylegan2_church", "extractor": "predictor"], 0.31)
        let t = try Reports(store: store).scsTable()
        XCTAssertEqual(t.header, ["N", "stylegan2_bedroom", "stylegan2_church", "stylegan2_ffhq"])
        XCTAssertEqual(t.rows[2][2], "42.0 ± 2.0 [3/5]")   // N = 8, three of five repeats done
        XCTAssertNil(t.rows[0][2])                          // N = 1 not run
        XCTAssertEqual(t.rows[4], ["baseline", nil, "31.0", nil])
        XCTAssertTrue(t.latex().contains("42.0 $\\pm$ 2.0"))
        // Markdown has no multicolumn: group labels go in front of each header cell.
        let se = try Reports(store: store).seTable().markdown()
        XCTAssertTrue(se.contains("| GAN | Face LSE | Face NSE-1 | Face NSE-2 | Bedroom LSE |"), se)
    }
}
