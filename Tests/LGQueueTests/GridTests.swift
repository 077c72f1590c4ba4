import XCTest
import LGJobKinds
@testable import LGGrid
import LGStore

final class GridTests: XCTestCase {
    var lib: GridLibrary {
        // Tests/LGQueueTests/GridTests.swift -> repository root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return GridLibrary(directory: root.appendingPathComponent("jobs").path)
    }

    func testEveryReferenceGridExpands() throws {
        let expected = ["sr_all_method": 27, "sr_all_method_face": 9, "sr_all_method_other": 18, "layerwise_LSE": 9,
                        "sr_LSE_arch": 24, "sr_NSE_arch": 24, "train_fewshot": 20,
                        "dcgan_face": 3, "dcgan_face_fewshot": 20, "train_zoo": 9, "sr_all_method_zoo": 27]
        for (g, n) in expected {
            let jobs = try lib.expand(g)
            XCTAssertEqual(jobs.count, n, g)
            XCTAssertEqual(Set(jobs.map(\.key)).count, n, g)
        }
        XCTAssertEqual(try lib.expand("train_fewshot", preset: "paper").count, 60)
        // NSE-2 keeps lr 0.001 where the quick presets raise LSE / NSE-1 to 0.01.
        for g in ["dcgan_face", "sr_all_method_zoo"] {
            for j in try lib.expand(g, preset: "quick") {
                XCTAssertEqual(j.params["lr"], j.params["SE"] == .string("NSE-2") ? .double(0.001) : .double(0.01), g)
            }
        }
        let scs = try lib.expand("scs")
        XCTAssertEqual(scs.filter { $0.grid == "scs" }.count, 63)
        XCTAssertEqual(scs.filter { $0.grid == "train_fewshot" }.count, 60)
        let dependent = scs.filter { $0.grid == "scs" && !$0.needs.isEmpty }
        XCTAssertEqual(dependent.count, 60)
        let few = Dictionary(uniqueKeysWithValues: scs.filter { $0.grid == "train_fewshot" }.map { ($0.key, $0) })
        for j in dependent {
            let n = few[j.needs[0]]!
            XCTAssertEqual(n.params["G"], j.params["G"]); XCTAssertEqual(n.params["num_sample"], j.params["num_sample"])
            XCTAssertEqual(n.params["repeat_ind"], j.params["repeat"])
        }
    }

    /// The segmenter fine-tune needs the wide segmenters of its domain and
    /// starts from their files.
    func testSegmenterGrids() throws {
        XCTAssertEqual(Set(try lib.expand("train_segmenters").map { $0.params["feature_scale"] }), [.int(4)])
        let wide = try lib.expand("train_segmenters", preset: "wide")
        XCTAssertEqual(wide.count, 3)
        XCTAssertEqual(Set(wide.map { $0.params["feature_scale"] }), [.int(2)])
        let jobs = try lib.expand("finetune_segmenters")
        let tunes = jobs.filter { $0.grid == "finetune_segmenters" }, bases = jobs.filter { $0.grid == "train_segmenters" }
        XCTAssertEqual(tunes.count, 3); XCTAssertEqual(bases.count, 3)
        XCTAssertEqual(Set(bases.map(\.key)), Set(wide.map(\.key)))
        let byKey = Dictionary(uniqueKeysWithValues: bases.map { ($0.key, $0) })
        for t in tunes {
            XCTAssertEqual(t.kind, "train_segmenter")
            XCTAssertEqual(t.needs.count, 1)
            let base = try XCTUnwrap(byKey[t.needs[0]])
            let d = try XCTUnwrap(t.params["domain"]?.stringValue)
            XCTAssertEqual(base.params["domain"], t.params["domain"])
            XCTAssertEqual(base.params["feature_scale"], .int(2))
            XCTAssertEqual(t.params["init"], .string("expr/zoo/segmenters/{domain}_unet32_fs2_15000.safetensors"), d)
            XCTAssertEqual(t.params["lovasz_weight"], .int(1))
        }
        let quick = try lib.expand("finetune_segmenters", preset: "quick")
        XCTAssertEqual(quick.count, 6)
        XCTAssertEqual(Set(quick.map { $0.params["feature_scale"] }), [.int(8)])
    }

    func testParametersFollowTheSpec() throws {
        let j = try lib.expand("sr_all_method", sets: ["G=stylegan2_ffhq", "SE=NSE-1"])
        XCTAssertEqual(j.count, 1)
        XCTAssertEqual(j[0].kind, "train")
        XCTAssertEqual(j[0].params["lr"], .double(0.001)); XCTAssertEqual(j[0].params["epochs"], .int(50))
        XCTAssertEqual(j[0].params["loss_type"], .string("normal"))
        let q = try lib.expand("sr_all_method", preset: "quick", sets: ["G=stylegan2_ffhq", "SE=LSE", "lr=0.01"])
        XCTAssertEqual(q[0].params["epochs"], .int(2)); XCTAssertEqual(q[0].params["lr"], .double(0.01))
        let seeds = try lib.expand("train_fewshot").map { $0.params["seed"]!.intValue! }
        XCTAssertEqual(Set(seeds), [19961116, 1997816, 1116, 816, 19980903])
        let lw = try lib.expand("layerwise_LSE")[0]
        XCTAssertEqual(lw.params["loss_type"], .string("normallayer")); XCTAssertEqual(lw.params["eval"], .bool(false))
    }

    /// Run-time choices a job kind takes (`winograd`) can be set on any grid
    /// of that kind; they make other jobs (other keys), and kinds that do not
    /// take them refuse them.
    func testAddableParametersMakeOtherJobs() throws {
        let plain = try lib.expand("sr_all_method", sets: ["G=stylegan2_ffhq", "SE=NSE-2"])
        let fast = try lib.expand("sr_all_method", sets: ["G=stylegan2_ffhq", "SE=NSE-2", "winograd=always"])
        XCTAssertNil(plain[0].params["winograd"])
        XCTAssertEqual(fast[0].params["winograd"], .string("always"))
        XCTAssertNotEqual(plain[0].key, fast[0].key)
        XCTAssertEqual(try lib.expand("train_fewshot", sets: ["winograd=off"]).first?.params["winograd"], .string("off"))
        XCTAssertThrowsError(try lib.expand("train_zoo", sets: ["winograd=always"])) { XCTAssertTrue("\($0)".contains("winograd")) }
        // A predictor other than the generator's: train, train_fewshot and scs
        // jobs take it (another key); train_gan does not.
        let narrow = try lib.expand("sr_all_method_zoo", sets: ["G=stylegan2_toyface32", "SE=LSE", "predictor=toyface_seg32"])
        XCTAssertEqual(narrow.map { $0.params["predictor"] }, [.string("toyface_seg32")])
        let registered = try lib.expand("sr_all_method_zoo", sets: ["G=stylegan2_toyface32", "SE=LSE"])
        XCTAssertNotEqual(narrow[0].key, registered[0].key)
        let scs = try lib.expand("scs_zoo", sets: ["G=stylegan2_toyface32", "predictor=toyface_seg32"])
        XCTAssertFalse(scs.isEmpty)
        for j in scs where j.kind == "scs" || j.kind == "train_fewshot" { XCTAssertEqual(j.params["predictor"], .string("toyface_seg32")) }
        XCTAssertThrowsError(try lib.expand("train_zoo", sets: ["predictor=toyface_seg32"])) { XCTAssertTrue("\($0)".contains("predictor")) }
    }

    func testErrorsListTheValidChoices() {
        XCTAssertThrowsError(try lib.expand("nope")) { XCTAssertTrue("\($0)".contains("sr_all_method")) }
        XCTAssertThrowsError(try lib.expand("sr_all_method", sets: ["G=biggan"])) { XCTAssertTrue("\($0)".contains("stylegan2_ffhq")) }
        XCTAssertThrowsError(try lib.expand("sr_all_method", sets: ["colour=red"])) { XCTAssertTrue("\($0)".contains("axes: G, SE")) }
        XCTAssertThrowsError(try lib.expand("sr_all_method", preset: "huge")) { XCTAssertTrue("\($0)".contains("quick")) }
    }

    func testTestKindsAreUnreachableFromGrids() throws {
        XCTAssertFalse(JobKind.production.contains(.testSleep))
        let dir = NSTemporaryDirectory() + "lgq-grid-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"grid":"t","kind":"test_sleep","axes":[{"name":"i","values":[1,2]}]}"#.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let saved = ProcessInfo.processInfo.environment["LINEARGAN_TEST_KINDS"]
        unsetenv("LINEARGAN_TEST_KINDS")
        defer { if let saved { setenv("LINEARGAN_TEST_KINDS", saved, 1) } }
        XCTAssertThrowsError(try GridLibrary(directory: dir).expand("t")) { XCTAssertTrue("\($0)".contains("allowed kinds")) }
        for g in lib.names() {
            for j in try lib.expand(g, preset: "quick") { XCTAssertTrue(JobKind.production.map(\.rawValue).contains(j.kind)) }
        }
    }
}

extension GridTests {
    /// A malformed grid file's error says where: line and column for a
    /// syntax error, the key path for a wrong type or a missing key.
    func testMalformedGridErrorsSayWhere() throws {
        let dir = NSTemporaryDirectory() + "lg-grids-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = [
            ("syntax", "{\n  \"grid\": \"syntax\",\n  \"kind\": \"train\",\n  \"axes\": [ {\"name\": \"G\", \"values\": [1,, 2]} ]\n}\n",
             "line 4, column 40"),
            ("type", #"{"grid": "type", "kind": "train", "axes": [{"name": 3, "values": []}]}"#, "expected a string at axes[0].name"),
            ("missing", #"{"kind": "train"}"#, "missing key 'grid'"),
        ]
        for (name, text, expected) in cases {
            try text.write(toFile: dir + "/\(name).json", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try GridLibrary(directory: dir).expand(name), name) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(name): \(e)")
            }
        }
    }
}
