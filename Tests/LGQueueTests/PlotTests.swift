// `collector plots`: the SVG figures from the metric rows (LGReports/Plots).
import Foundation
import XCTest
import LGStore
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import LGReports

final class PlotTests: XCTestCase {
    /// The bars of an SVG: (series, group, value, height) per <rect class="bar">.
    func bars(_ svg: String) throws -> [(series: String, group: String, value: Double, height: Double)] {
        let re = try NSRegularExpression(pattern: #"<rect class="bar" data-series="([^"]*)" data-group="([^"]*)" data-value="([^"]*)" x="[^"]*" y="[^"]*" width="[^"]*" height="([^"]*)""#)
        return re.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { m in
            func g(_ i: Int) -> String { String(svg[Range(m.range(at: i), in: svg)!]) }
            return (g(1), g(2), Double(g(3))!, Double(g(4))!)
        }
    }

    func testIoUBarsOneBarPerClassAndMethodProportional() throws {
        let jobs = try CompletedJobs()
        let lw: [String: JSONValue] = ["loss_type": "normal", "layer_weight": "softplus"]
        func p(_ se: String) -> [String: JSONValue] { lw.merging(["G": "stylegan2_ffhq", "SE": .string(se)]) { a, _ in a } }
        try jobs.add("train", p("LSE"), ["mIoU": 0.5, "iou/skin": 0.8, "iou/hair": 0.4, "iou/<eye&\"brow>": 0.2])
        try jobs.add("train", p("NSE-1"), ["mIoU": 0.6, "iou/skin": 0.9, "iou/hair": 0.45, "iou/<eye&\"brow>": -1])
        try jobs.add("train", p("NSE-2"), ["mIoU": 0.55, "iou/skin": 0.85, "iou/hair": 0.3, "iou/<eye&\"brow>": 0.1])
        let rep = Reports(store: jobs.store)
        let set = try rep.plots()
        XCTAssertEqual(set.plots.map(\.name), ["iou_stylegan2_ffhq"])
        let svg = set.plots[0].svg
        let bs = try bars(svg)
        // 3 methods x (3 classes + mIoU), minus the undefined class IoU (-1) of NSE-1.
        XCTAssertEqual(bs.count, 3 * 4 - 1)
        let classes = ["&lt;eye&amp;&quot;brow&gt;", "hair", "skin", "mIoU"]
        for m in ["LSE", "NSE-1", "NSE-2"] {
            XCTAssertEqual(bs.filter { $0.series == m }.map(\.group), m == "NSE-1" ? Array(classes.dropFirst()) : classes)
        }
        // Heights proportional to the values (IoU in %), and the same numbers as SE_{G}.
        let top = try XCTUnwrap(bs.max { $0.value < $1.value })
        let k = top.height / top.value
        XCTAssertGreaterThan(k, 0)
        for b in bs { XCTAssertEqual(b.height, b.value * k, accuracy: 0.011, "\(b)") }
        let skinLSE = try XCTUnwrap(bs.first { $0.series == "LSE" && $0.group == "skin" })
        XCTAssertEqual(skinLSE.value, 80, accuracy: 1e-9)
        let table = try rep.classTable(G: "stylegan2_ffhq")
        for (r, row) in table.rows.enumerated() {
            for (c, cell) in row.dropFirst().enumerated() {
                let b = bs.first { $0.series == table.rows[r][0]! && $0.group == SVG.esc(table.header[c + 1]) }
                XCTAssertEqual(b.map { Reports.fmt($0.value) }, cell, "row \(r) column \(c)")
            }
        }
        // Labels escaped: no raw class name anywhere, the escaped one as a group label.
        XCTAssertFalse(svg.contains("<eye"))
        XCTAssertTrue(svg.contains(">&lt;eye&amp;&quot;brow&gt;</text>"))
        // Well-formed XML.
        XCTAssertNoThrow(try XMLDocument(data: Data(svg.utf8)))
        // Deterministic bytes.
        XCTAssertEqual(try Reports(store: jobs.store).plots().plots.map(\.svg), [svg])
    }

    func testEmptyStoreHasNoFigures() throws {
        let jobs = try CompletedJobs()
        let set = try Reports(store: jobs.store).plots()
        XCTAssertTrue(set.plots.isEmpty)
        XCTAssertTrue(PlotSet.emptyMessage.hasPrefix("no figures yet"))
    }

    /// Metric rows `NAME@STEP` make one curve per job and name; points in step order.
    func testTrainingCurvesFromStepRows() throws {
        let jobs = try CompletedJobs()
        try jobs.add("train", ["G": "dcgan_face64", "SE": "LSE"], ["loss@100": 0.9, "loss@20": 1.5, "loss@300": 0.5, "mIoU@300": 0.4, "mIoU": 0.4])
        let set = try Reports(store: jobs.store).plots()
        let curves = set.plots.filter { $0.kind == "curve" }
        XCTAssertEqual(curves.map(\.name), ["curve_job1_loss", "curve_job1_mIoU"])
        let svg = curves[0].svg
        let pts = try XCTUnwrap(svg.range(of: #"points="([^"]*)""#, options: .regularExpression)).lowerBound
        let list = svg[pts...].dropFirst(8).prefix { $0 != "\"" }.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertEqual(list.count, 3)
        // x grows with the step; y falls with the loss (SVG y points down).
        XCTAssertEqual(list.map { $0[0] }, list.map { $0[0] }.sorted())
        XCTAssertEqual(list.map { $0[1] }, list.map { $0[1] }.sorted())
        // Equal step gaps 20 -> 100 -> 300 give x gaps 80 : 200.
        XCTAssertEqual((list[1][0] - list[0][0]) / (list[2][0] - list[1][0]), 0.4, accuracy: 0.001)
        XCTAssertTrue(svg.contains("<title>job 1 (train dcgan_face64 LSE): loss</title>"))
        XCTAssertNoThrow(try XMLDocument(data: Data(svg.utf8)))
    }

    /// layer_weights_{G}: softplus(theta) / sum, read from the job's last checkpoint.
    func testLayerWeightsFromTheCheckpoint() throws {
        let jobs = try CompletedJobs(), store = jobs.store
        _ = try store.enqueue([NewJob(grid: "g", kind: "train", params: ["G": "stylegan2_ffhq", "SE": "LSE"])])
        let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        let theta: [Float] = [0, 1, -1, 2]
        let state = #"{"arch":{"type":"LSE","n_class":3,"dims":[8,8,8,8],"layers":[0,2,4,6],"lw_type":"softplus"},"kind":"train"}"#
        let blob = Self.safetensors(["param/layer_weight": theta, "param/other": [5, 5]],
                                    metadata: ["format": "lineargan-job-checkpoint", "state": state])
        let rel = "checkpoints/job-\(c.id)/latest.ckpt"
        let path = jobs.directory + "/" + rel
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try blob.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try store.addArtifact(Artifact(jobID: c.id, kind: "checkpoint", path: rel, size: blob.count, sha256: String(repeating: "0", count: 64)), fence: c.fence), .ok)
        XCTAssertEqual(try store.complete(jobID: c.id, fence: c.fence, metrics: ["mIoU": 0.5, "iou/skin": 0.5]), .ok)

        let set = try Reports(store: store).plots()
        XCTAssertEqual(set.plots.map(\.name), ["iou_stylegan2_ffhq", "layer_weights_stylegan2_ffhq"])
        XCTAssertEqual(set.notes, [])
        guard set.plots.count == 2 else { return }
        let bs = try bars(set.plots[1].svg)
        let sp = theta.map { log1p(exp(Double($0))) }, sum = sp.reduce(0, +)
        XCTAssertEqual(bs.map(\.group), ["layer 0", "layer 2", "layer 4", "layer 6"])
        XCTAssertEqual(bs.map(\.series), Array(repeating: "LSE (softplus) job \(c.id)", count: 4))
        for (b, s) in zip(bs, sp) { XCTAssertEqual(b.value, s / sum, accuracy: 1e-6) }

        // A checkpoint that is not one: a note, no figure.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        let bad = try Reports(store: store).plots()
        XCTAssertEqual(bad.plots.map(\.name), ["iou_stylegan2_ffhq"])
        XCTAssertEqual(bad.notes.count, 1)
        XCTAssertTrue(bad.notes[0].contains("job \(c.id)"), bad.notes[0])
    }

    func testScalesAndEscaping() {
        XCTAssertEqual(SVG.esc("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&#39; ")
        let s = LinearScale(min: 0, max: 87, range: 100, 0)
        XCTAssertEqual(s.ticks, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(s(50), 50, accuracy: 1e-9)
        let t = LinearScale(min: 0.013, max: 0.41, range: 0, 1)
        XCTAssertEqual(t.label(0.1), "0.1")
        XCTAssertEqual(Safetensors.half(0x3c00), 1)
        XCTAssertEqual(Safetensors.half(0xc000), -2)
    }

    /// A safetensors file of F32 tensors.
    static func safetensors(_ tensors: [String: [Float]], metadata: [String: String]) -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var body = Data(), offset = 0
        for name in tensors.keys.sorted() {
            let v = tensors[name]!
            header[name] = ["dtype": "F32", "shape": [v.count], "data_offsets": [offset, offset + 4 * v.count]]
            for f in v { withUnsafeBytes(of: f.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            offset += 4 * v.count
        }
        let h = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Data()
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
        return out + h + body
    }
}
