// /api/plots and /plots/NAME.svg: the collector's figures (`collector plots`).
import Foundation
import XCTest
import HummingbirdTesting
import LGStore
import LGReports
@testable import LGDashboard

final class PlotRoutesTests: XCTestCase {
    func testPlotsAreTheCollectorsFigures() async throws {
        let f = try DashboardFixture()
        for (se, m) in [("LSE", 0.612), ("NSE-1", 0.655)] {
            _ = try f.store.enqueue([NewJob(grid: "sr", kind: "train", params: ["G": "stylegan2_ffhq", "SE": .string(se)])])
            _ = try f.runOne(metrics: ["mIoU": m, "iou/hair": 0.5, "loss@10": 2, "loss@20": 1])
        }
        let expected = try Reports(store: f.store).plots()
        XCTAssertEqual(expected.plots.map(\.name), ["iou_stylegan2_ffhq", "curve_job1_loss", "curve_job2_loss"])
        try await f.test { c in
            let o = try json(try await c.execute(uri: "/api/plots", method: .get))
            let ps = o["plots"] as! [[String: Any]]
            XCTAssertEqual(ps.map { $0["name"] as! String }, expected.plots.map(\.name))
            XCTAssertEqual(ps[0]["url"] as? String, "/plots/iou_stylegan2_ffhq.svg")
            XCTAssertEqual(ps[0]["kind"] as? String, "iou")
            XCTAssertNil(o["message"] as? String)
            XCTAssertEqual((o["notes"] as? [String])?.count, 1, "no checkpoint for the LSE's layer weights")

            var r = try await c.execute(uri: "/plots/iou_stylegan2_ffhq.svg", method: .get)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(r.headers[.contentType], "image/svg+xml; charset=utf-8")
            XCTAssertEqual(text(r), expected.plots[0].svg)
            XCTAssertTrue(text(r).contains(#"data-series="NSE-1" data-group="hair" data-value="50.0""#))
            r = try await c.execute(uri: "/plots/curve_job2_loss.svg?v=3", method: .get)
            XCTAssertEqual(r.status, .ok)
            XCTAssertTrue(text(r).contains("<polyline"))
            r = try await c.execute(uri: "/plots/nope.svg", method: .get)
            XCTAssertEqual(r.status, .notFound)
            XCTAssertTrue((try json(r)["error"] as? String ?? "").contains("no figure nope"))
            // The same figure as PNG, as `collector plots` writes it.
            XCTAssertEqual(ps[0]["png"] as? String, "/plots/iou_stylegan2_ffhq.png")
            r = try await c.execute(uri: "/plots/iou_stylegan2_ffhq.png", method: .get)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(r.headers[.contentType], "image/png")
            XCTAssertEqual(Array(buffer: r.body), try expected.plots[0].png())
            r = try await c.execute(uri: "/plots/iou_stylegan2_ffhq.gif", method: .get)
            XCTAssertEqual(r.status, .notFound)
            // The results page's script shows them.
            r = try await c.execute(uri: "/assets/dashboard.js", method: .get)
            XCTAssertTrue(text(r).contains(#"api("/api/plots")"#))
        }
    }

    func testNoFiguresSaysSo() async throws {
        let f = try DashboardFixture()
        try await f.test { c in
            let o = try json(try await c.execute(uri: "/api/plots", method: .get))
            XCTAssertEqual((o["plots"] as? [Any])?.count, 0)
            XCTAssertEqual(o["message"] as? String, PlotSet.emptyMessage)
            let r = try await c.execute(uri: "/plots/iou_stylegan2_ffhq.svg", method: .get)
            XCTAssertEqual(r.status, .notFound)
        }
    }
}
