import XCTest
import LGStore
@testable import LGReports

final class SCSReportTests: XCTestCase {
    func testSCSTableAndGroupedMarkdownHeader() throws {
        let jobs = try CompletedJobs(), store = jobs.store
        let run = { (p: [String: JSONValue], miou: Double) in try jobs.add("scs", p, ["mIoU": miou], grid: "scs") }
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
        XCTAssertEqual(t.rows[5], ["random", nil, nil, nil])
        // Another generator (the zoo's) gets its own column; random draws have their row.
        try jobs.add("scs", ["G": "stylegan2_toyface32", "extractor": "fewshot_lse", "num_sample": .int(8), "repeat": .int(0)],
                     ["mIoU": 0.35, "random_mIoU": 0.21], grid: "scs_zoo")
        let z = try Reports(store: store).scsTable()
        XCTAssertEqual(z.header.last, "stylegan2_toyface32")
        XCTAssertEqual(z.rows[2][4], "35.0 ± 0.0 [1/5]")
        XCTAssertEqual(z.rows[5][4], "21.0")
        // Markdown has no multicolumn: group labels go in front of each header cell.
        let se = try Reports(store: store).seTable().markdown()
        XCTAssertTrue(se.contains("| GAN | Face LSE | Face NSE-1 | Face NSE-2 | Bedroom LSE |"), se)
    }
}
