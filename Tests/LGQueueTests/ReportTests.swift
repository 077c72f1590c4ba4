import XCTest
import LGStore
@testable import LGReports

final class ReportTests: XCTestCase {
    func testTablesFromStoredMetrics() throws {
        let jobs = try CompletedJobs(), store = jobs.store
        let run = { (k: String, p: [String: JSONValue], m: [String: Double]) in try jobs.add(k, p, m) }
        try run("train", ["G": "stylegan2_ffhq", "SE": "LSE", "loss_type": "normal", "layer_weight": "softplus"], ["mIoU": 0.797, "iou/skin": 0.9, "iou/hair": 0.8])
        try run("train", ["G": "pggan_bedroom", "SE": "NSE-1", "loss_type": "normal", "layer_weight": "softplus"], ["mIoU": 0.343])
        for (r, v) in [0.55, 0.60, 0.52, 0.58, 0.53].enumerated() {
            try run("train_fewshot", ["G": "stylegan2_ffhq", "num_sample": .int(1), "repeat_ind": .int(r)], ["mIoU": v])
        }
        let rep = Reports(store: store)
        let se = try rep.seTable()
        XCTAssertEqual(se.rows[2][1], "79.7")           // StyleGAN2 / Face / LSE
        XCTAssertEqual(se.rows[0][5], "34.3")           // PGGAN / Bedroom / NSE-1
        XCTAssertNil(se.rows[1][1])                     // missing
        XCTAssertTrue(se.markdown().contains("missing"))
        XCTAssertTrue(se.latex().contains("\\multicolumn{3}{c}{Face}"))
        let few = try rep.fewshotTable()
        XCTAssertEqual(few.rows[0][1], "55.6 (69.8) ± 4.4")
        XCTAssertNil(few.rows[1][1])
        let cls = try rep.classTable(G: "stylegan2_ffhq")
        XCTAssertEqual(cls.header, ["method", "hair", "skin", "mIoU"])
        XCTAssertEqual(cls.rows[0], ["LSE", "80.0", "90.0", "79.7"])
        let csv = try rep.csv()
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 3 + 1 + 5)
    }

    /// Generators outside the paper's grid get their own SE table and
    /// few-shot columns; empty tables say so.
    func testOtherGeneratorsGetTheirOwnRowsAndColumns() throws {
        let jobs = try CompletedJobs(), store = jobs.store
        let run = { (k: String, p: [String: JSONValue], m: [String: Double]) in try jobs.add(k, p, m) }
        let rep = Reports(store: store)
        XCTAssertTrue(try rep.otherSETable().isEmpty)
        XCTAssertTrue(try rep.seTable().isEmpty)
        for (se, v) in [("LSE", 0.28), ("NSE-1", 0.35), ("NSE-2", 0.30)] {
            try run("train", ["G": "dcgan_face64", "SE": .string(se)], ["mIoU": v])
        }
        try run("train_fewshot", ["G": "dcgan_face64", "num_sample": .int(8), "repeat_ind": .int(0)], ["mIoU": 0.21])
        let other = try rep.otherSETable()
        XCTAssertEqual(other.rows, [["dcgan_face64", "28.0", "35.0", "30.0", "20.0"]])
        XCTAssertTrue(try rep.seTable().isEmpty, "dcgan_face64 is not a cell of the paper's table")
        let few = try rep.fewshotTable()
        XCTAssertEqual(few.header, ["N", "stylegan2_ffhq", "stylegan2_bedroom", "stylegan2_church", "dcgan_face64"])
        XCTAssertEqual(few.rows[2][4], "21.0 (75.0) ± 0.0 [1/5]")
        XCTAssertEqual(few.rows[4][4], "28.0")
    }

    /// Zoo generators fill the zoo's table, not the paper's or SE_other.
    func testZooGeneratorsFillTheZooTable() throws {
        let jobs = try CompletedJobs(), store = jobs.store
        let run = { (p: [String: JSONValue], m: [String: Double]) in try jobs.add("train", p, m) }
        try run(["G": "stylegan2_toyface32", "SE": "LSE"], ["mIoU": 0.61])
        try run(["G": "pggan_toychurch32", "SE": "NSE-2"], ["mIoU": 0.455])
        try run(["G": "stylegan2_toyfacex", "SE": "LSE"], ["mIoU": 0.1])
        let rep = Reports(store: store)
        let zoo = try rep.zooSETable()
        XCTAssertEqual(zoo.rows[2][1], "61.0")          // StyleGAN2 / toyface / LSE
        XCTAssertEqual(zoo.rows[0][9], "45.5")          // PGGAN / toychurch / NSE-2
        XCTAssertNil(zoo.rows[1][1])
        XCTAssertEqual(zoo.groups.map(\.label), ["toyface (Face)", "toybedroom (Bedroom)", "toychurch (Church)"])
        XCTAssertTrue(try rep.seTable().isEmpty)
        XCTAssertEqual(try rep.otherSETable().rows.map { $0[0] }, ["stylegan2_toyfacex"])
    }

    /// Each table names what labelled the runs its cells were read from,
    /// and warns where one generator's cells mix predictors or one name
    /// stands for different weight files; the CSV has a predictor column.
    func testTablesNameTheirLabels() throws {
        let jobs = try CompletedJobs(), store = jobs.store
        let wide = ["predictor": "toyface_seg32_wide", "predictor_sha256": "aa"]
        try jobs.add("train", ["G": "stylegan2_toyface32", "SE": "LSE"], ["mIoU": 0.2], provenance: wide)
        try jobs.add("train", ["G": "stylegan2_toyface32", "SE": "NSE-1"], ["mIoU": 0.5], provenance: wide)
        try jobs.add("train", ["G": "pggan_toychurch32", "SE": "LSE"], ["mIoU": 0.3],
                     provenance: ["predictor": "toychurch_seg32_wide"])
        try jobs.add("train", ["G": "stylegan_toybedroom32", "SE": "LSE"], ["mIoU": 0.3])
        let rep = Reports(store: store)
        let zoo = try rep.zooSETable()
        XCTAssertEqual(zoo.note, "Labels: toychurch_seg32_wide: pggan_toychurch32; toyface_seg32_wide: stylegan2_toyface32; "
                       + "not recorded (finished before the queue kept provenance): stylegan_toybedroom32.")
        XCTAssertTrue(zoo.markdown().contains("Labels: toychurch_seg32_wide"))
        XCTAssertTrue(zoo.latex().contains("% Labels: toychurch_seg32_wide"))
        XCTAssertNil(try rep.seTable().note, "no cell read, nothing to name")
        // A rerun under other labels replaces its cell; only then do the cells mix.
        try jobs.add("train", ["G": "stylegan2_toyface32", "SE": "LSE", "predictor": "toyface_seg32"], ["mIoU": 0.25],
                     provenance: ["predictor": "toyface_seg32", "predictor_sha256": "bb"])
        let mixed = try XCTUnwrap(try rep.zooSETable().note)
        XCTAssertTrue(mixed.contains("Mixed labels: stylegan2_toyface32 (toyface_seg32, toyface_seg32_wide)"), mixed)
        XCTAssertEqual(try rep.zooSETable().rows[2][1], "25.0")
        try jobs.add("train", ["G": "stylegan2_toyface32", "SE": "NSE-2"], ["mIoU": 0.6],
                     provenance: ["predictor": "toyface_seg32_wide", "predictor_sha256": "cc"])
        let changed = try XCTUnwrap(try rep.zooSETable().note)
        XCTAssertTrue(changed.contains("Different weight files under one name: toyface_seg32_wide"), changed)
        XCTAssertFalse(changed.contains("Different generator files"), changed)
        // A generator trained again under its name: its cells come from two networks.
        try jobs.add("train", ["G": "pggan_toychurch32", "SE": "NSE-1"], ["mIoU": 0.4],
                     provenance: ["predictor": "toychurch_seg32_wide", "generator_sha256": "g1"])
        try jobs.add("train", ["G": "pggan_toychurch32", "SE": "NSE-2"], ["mIoU": 0.5],
                     provenance: ["predictor": "toychurch_seg32_wide", "generator_sha256": "g2"])
        let retrained = try XCTUnwrap(try rep.zooSETable().note)
        XCTAssertTrue(retrained.contains("Different generator files under one name: pggan_toychurch32 (trained or registered again between runs)"), retrained)
        let csv = try rep.csv().split(separator: "\n")
        XCTAssertEqual(csv[0], "job_id,grid,kind,G,SE,predictor,params,key,value")
        XCTAssertTrue(csv.contains { $0.hasPrefix("1,g,train,stylegan2_toyface32,LSE,toyface_seg32_wide,") })
        XCTAssertTrue(csv.contains { $0.hasPrefix("4,g,train,stylegan_toybedroom32,LSE,,") })
        XCTAssertEqual(csv.count, 1 + 8, "one row per metric of the eight jobs")
    }

    /// The LSE under other layer weightings gets its own table and class
    /// rows; a probe at another layer-weight learning rate is no Table-1 cell.
    func testLayerWeightingTableAndProbes() throws {
        let jobs = try CompletedJobs(), store = jobs.store
        let run = { (p: [String: JSONValue], m: [String: Double]) in try jobs.add("train", p, m) }
        let rep = Reports(store: store)
        XCTAssertTrue(try rep.layerWeightTable().rows.isEmpty)
        try run(["G": "pggan_toybedroom32", "SE": "LSE", "layer_weight": "softplus", "layer_weight_lr_scale": .int(10)],
                ["mIoU": 0.269, "iou/bed": 0.41, "iou/floor": 0.73])
        try run(["G": "pggan_toybedroom32", "SE": "NSE-1", "layer_weight": "softplus"], ["mIoU": 0.300, "iou/bed": 0.46, "iou/floor": 0.75])
        try run(["G": "pggan_toybedroom32", "SE": "NSE-2"], ["mIoU": 0.363])
        try run(["G": "pggan_toybedroom32", "SE": "LSE", "layer_weight": "none", "layer_weight_lr_scale": .int(10)],
                ["mIoU": 0.290, "iou/bed": 0.42, "iou/floor": 0.74])
        // A probe (lr scale 1) finishing last does not replace the Table-1 cell.
        try run(["G": "pggan_toybedroom32", "SE": "LSE", "layer_weight": "softplus", "layer_weight_lr_scale": .int(1)], ["mIoU": 0.5])
        try run(["G": "pggan_toybedroom32", "SE": "LSE", "layer_weight": "none", "layer_weight_lr_scale": .int(1)], ["mIoU": 0.6])
        XCTAssertEqual(try rep.zooSETable().rows[0][4], "26.9")  // PGGAN / toybedroom / LSE
        let lw = try rep.layerWeightTable()
        // Weightings without any run (sigmoid here) get no column.
        XCTAssertEqual(lw.header, ["GAN", "LSE softplus", "LSE none", "NSE-1", "NSE-2", "best LSE gap to NSE-1 (%)"])
        XCTAssertEqual(lw.rows, [["pggan_toybedroom32", "26.9", "29.0", "30.0", "36.3", "3.3"]])
        try run(["G": "stylegan_toyface32", "SE": "LSE", "layer_weight": "sigmoid"], ["mIoU": 0.40])
        let withSigmoid = try rep.layerWeightTable()
        XCTAssertEqual(withSigmoid.header[1...3], ["LSE softplus", "LSE sigmoid", "LSE none"])
        XCTAssertEqual(withSigmoid.rows[1], ["stylegan_toyface32", nil, "40.0", nil, nil, nil, nil])
        let cls = try rep.classTable(G: "pggan_toybedroom32")
        XCTAssertEqual(cls.header, ["method", "bed", "floor", "mIoU"])
        XCTAssertEqual(cls.rows.map { $0[0] }, ["LSE", "NSE-1", "NSE-2", "LSE (none)"])
        XCTAssertEqual(cls.rows[3], ["LSE (none)", "42.0", "74.0", "29.0"])
        XCTAssertEqual(cls.rows[0], ["LSE", "41.0", "73.0", "26.9"])
    }
}
