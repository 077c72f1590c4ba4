// `collector plots`' PNG figures: drawn from the SVG by LGReports.Raster.
import Foundation
import XCTest
import LGStore
import LGCodec
@testable import LGReports

final class PlotPNGTests: XCTestCase {
    func rgb(_ img: PNG.Image, _ x: Int, _ y: Int) -> [UInt8] {
        let c = img.channels
        return Array(img.samples[(y * img.width + x) * c..<(y * img.width + x) * c + 3])
    }

    func colour(_ hex: String) -> [UInt8] {
        let n = UInt32(hex.dropFirst(), radix: 16)!
        return [UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)]
    }

    func attributes(_ tag: Substring) -> [String: String] {
        var out: [String: String] = [:]
        let re = try! NSRegularExpression(pattern: #"([a-z-]+)="([^"]*)""#)
        let s = String(tag)
        for m in re.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
            out[String(s[Range(m.range(at: 1), in: s)!])] = String(s[Range(m.range(at: 2), in: s)!])
        }
        return out
    }

    /// Every bar of the SVG is in the PNG, in its series' colour, at its place and size.
    func testBarsDrawnWhereTheSVGPutsThem() throws {
        let jobs = try CompletedJobs()
        for (se, v) in [("LSE", 0.5), ("NSE-1", 0.8), ("NSE-2", 0.3)] {
            try jobs.add("train", ["G": "stylegan2_ffhq", "SE": .string(se), "loss_type": "normal", "layer_weight": "softplus"],
                         ["mIoU": v, "iou/skin": v, "iou/hair": v / 2])
        }
        let plot = try XCTUnwrap(try Reports(store: jobs.store).plots().plots.first)
        let png = try plot.png()
        XCTAssertEqual(try plot.png(), png, "deterministic bytes")
        let img = try PNG.decode(png)
        let svgAttrs = attributes(plot.svg[plot.svg.range(of: "<svg ")!.lowerBound...].prefix { $0 != ">" })
        XCTAssertEqual(Double(img.width), Double(svgAttrs["width"]!)!.rounded(.up))
        XCTAssertEqual(Double(img.height), Double(svgAttrs["height"]!)!.rounded(.up))
        let bars = plot.svg.split(separator: "\n").filter { $0.hasPrefix("<rect class=\"bar\"") }.map(attributes)
        XCTAssertEqual(bars.count, 9)
        for b in bars {
            let (x, y, w, h) = (Double(b["x"]!)!, Double(b["y"]!)!, Double(b["width"]!)!, Double(b["height"]!)!)
            // Inside: the fill colour; just above the top: not it.
            XCTAssertEqual(rgb(img, Int(x + w / 2), Int(y + h / 2)), colour(b["fill"]!), "\(b)")
            XCTAssertEqual(rgb(img, Int(x + w / 2), Int(y + h - 1.5)), colour(b["fill"]!), "\(b)")
            XCTAssertNotEqual(rgb(img, Int(x + w / 2), Int(y - 5)), colour(b["fill"]!), "\(b)")
        }
        // The title is drawn: dark pixels along its line, white at the corner.
        let dark = (0..<img.width).filter { x in (8..<22).contains { rgb(img, x, $0).allSatisfy { $0 < 100 } } }
        XCTAssertGreaterThan(dark.count, 40)
        XCTAssertEqual(rgb(img, 1, 1), [255, 255, 255])
    }

    /// A training curve's points are drawn in its colour.
    func testCurvePointsDrawn() throws {
        let jobs = try CompletedJobs()
        try jobs.add("train", ["G": "dcgan_face64", "SE": "LSE"], ["loss@100": 0.9, "loss@20": 1.5, "loss@300": 0.5])
        let plot = try XCTUnwrap(try Reports(store: jobs.store).plots().plots.first { $0.kind == "curve" })
        let img = try PNG.decode(try plot.png())
        let dots = plot.svg.split(separator: "\n").filter { $0.hasPrefix("<circle") }.map(attributes)
        XCTAssertEqual(dots.count, 3)
        for d in dots { XCTAssertEqual(rgb(img, Int(Double(d["cx"]!)!), Int(Double(d["cy"]!)!)), colour(d["fill"]!), "\(d)") }
    }

    /// Only the subset SVG.swift writes is drawn; anything else is a clear error.
    func testUnsupportedSVGIsAnError() {
        let head = #"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">"#
        XCTAssertThrowsError(try Raster.png(svg: head + #"<ellipse cx="1" cy="1" rx="1" ry="1"/></svg>"#)) {
            XCTAssertTrue("\($0)".contains("element <ellipse>"), "\($0)")
        }
        XCTAssertThrowsError(try Raster.png(svg: head + #"<rect x="0" y="0" width="1" height="1" fill="red"/></svg>"#)) {
            XCTAssertTrue("\($0)".contains("colour \"red\""), "\($0)")
        }
        XCTAssertThrowsError(try Raster.png(svg: "<g></g>"))
        XCTAssertThrowsError(try Raster.png(svg: head + #"<rect x="0"#))
        XCTAssertNoThrow(try Raster.png(svg: head + #"<text x="0" y="8">&lt;é&gt;</text></svg>"#))
    }

    func testEveryGlyphIsSevenRowsOfFive() {
        for u in 32...126 {
            let rows = BitmapFont.rows(Character(UnicodeScalar(u)!))
            XCTAssertEqual(rows.count, 7)
            XCTAssertTrue(rows.allSatisfy { $0 < 32 })
            XCTAssertEqual(rows.contains { $0 != 0 }, u != 32, "glyph \(u)")
        }
    }
}
