import XCTest
import Foundation

/// Runs the built `worker` binary as a user would and checks what it writes.
/// (`swift build --build-tests` builds the executables beside the test bundle.)
final class WorkerCLITests: XCTestCase {
    /// The folder holding the built products.
    var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs the built `worker` in the package root: how it ended, its status and its output.
    func runWorker(_ args: [String]) throws -> (reason: Process.TerminationReason, status: Int32, output: String) {
        try runProduct("worker", args, in: packageRoot)
    }

    @discardableResult
    func worker(_ args: [String], expectSuccess: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, output: String) {
        let exe = productsDirectory.appendingPathComponent("worker")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            XCTFail("worker binary not found at \(exe.path)", file: file, line: line)
            return (-1, "")
        }
        let r = try runWorker(args)
        if expectSuccess {
            XCTAssertEqual(r.status, 0, "worker \(args.joined(separator: " ")):\n\(r.output)", file: file, line: line)
        }
        return (r.status, r.output)
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("lg-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: d) }
        return d
    }

    func npyShape(_ url: URL) throws -> [Int] {
        let bytes = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(Array(bytes.prefix(6)), [0x93] + Array("NUMPY".utf8))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else { return [] }
        return header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `worker sample` renders every fixture checkpoint: grid.png, image.npy, one .npy per feature map.
    func testSampleRendersEachFixtureCheckpoint() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/LGModelsTests/Fixtures")
        let cases: [(arch: String, name: String, resolution: Int, features: Int)] = [
            ("pggan", "pggan_r32", 32, 4), ("stylegan", "stylegan_r32", 32, 4),
            ("stylegan", "stylegan_r128", 128, 6), ("stylegan2", "stylegan2_r32", 32, 7),
        ]
        for c in cases {
            let out = try tempDir()
            try worker(["sample", "--arch", c.arch,
                        "--config", fixtures.appendingPathComponent("\(c.name).json").path,
                        "--weights", fixtures.appendingPathComponent("\(c.name).weights.pth").path,
                        "--count", "3", "--seed", "7", "--out", out.path])
            let png = [UInt8](try Data(contentsOf: out.appendingPathComponent("grid.png")))
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], c.name)
            XCTAssertEqual(try npyShape(out.appendingPathComponent("image.npy")), [3, 3, c.resolution, c.resolution], c.name)
            for i in 0..<c.features {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("feature_\(i).npy").path), "\(c.name) feature \(i)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("feature_\(c.features).npy").path))
        }
    }

    /// wp latents written by one run reproduce its images in another.
    func testSampleFromWPLatents() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/LGModelsTests/Fixtures")
        let args = ["--arch", "stylegan2", "--config", fixtures.appendingPathComponent("stylegan2_r32.json").path,
                    "--weights", fixtures.appendingPathComponent("stylegan2_r32.weights.pth").path]
        let a = try tempDir(), b = try tempDir()
        try worker(["sample"] + args + ["--count", "2", "--out", a.path])
        try worker(["sample"] + args + ["--latents", a.appendingPathComponent("latents.npy").path, "--out", b.path])
        XCTAssertEqual(try Data(contentsOf: a.appendingPathComponent("image.npy")),
                       try Data(contentsOf: b.appendingPathComponent("image.npy")))
        let bad = try worker(["sample"] + args + ["--latents", a.appendingPathComponent("latents.npy").path,
                                                   "--latent-space", "wp", "--out", b.path], expectSuccess: false)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("wp must be"), bad.output)
    }

    /// `worker models` names every paper generator, says the weights are missing, and where they are expected.
    func testModelsReportsMissingPaperWeights() throws {
        let (_, out) = try worker(["models"])
        for name in ["stylegan2_ffhq", "stylegan_celebahq", "pggan_celebahq", "stylegan2_church", "face_seg"] {
            XCTAssertTrue(out.contains(name), "missing \(name) in:\n\(out)")
        }
        XCTAssertTrue(out.contains("missing"), out)
        XCTAssertTrue(out.contains("models/pretrain/pytorch/stylegan2_ffhq.pth"), out)
    }

    /// Bad input gets a clear error and a non-zero status.
    func testSampleRejectsMissingWeights() throws {
        let out = try tempDir()
        let r = try worker(["sample", "--arch", "dcgan", "--weights", "/nonexistent/g.tar", "--out", out.path], expectSuccess: false)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("/nonexistent/g.tar"), r.output)
    }

    /// `worker label`: the sheet (images | predictor | extractor rows) and the predictor's labels.
    func testLabelWritesSheetAndLabels() throws {
        let out = try tempDir()
        let r = try worker(["label", "--generator", "fixture_stylegan2_r32", "--count", "3", "--seed", "1", "--out", out.path])
        XCTAssertTrue(r.output.contains("classes: 0 bg"), r.output)
        XCTAssertEqual(try npyShape(out.appendingPathComponent("labels.npy")), [3, 64, 64])   // its registered label resolution
        XCTAssertEqual(try npyShape(out.appendingPathComponent("image.npy")), [3, 3, 32, 32])
        let sheet = [UInt8](try Data(contentsOf: out.appendingPathComponent("sheet.png")))
        XCTAssertEqual(Array(sheet.prefix(4)), [0x89, 0x50, 0x4e, 0x47])
        let bad = try worker(["label", "--generator", "no_such_gan", "--out", out.path], expectSuccess: false)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("no_such_gan"), bad.output)
    }

    /// `worker render`: images and exact labels of a procedural domain.
    /// `worker edit --paint`: strokes instead of target and mask files.
    func testEditPaintsStrokesOverTheCurrentLabels() throws {
        let out = try tempDir()
        let r = try worker(["edit", "--generator", "fixture_stylegan2_r32", "--seed", "3", "--paint", "1:rect:8,8,23,23",
                            "--paint", "2:ellipse:16,4,6,3", "--loss", "external", "--iterations", "2", "--out", out.path])
        XCTAssertTrue(r.output.contains("wrote before/after"), r.output)
        for f in ["before.png", "after.png", "target_labels.png", "after_labels.png", "sheet.png", "latent.npy", "edit.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), f)
        }
        let bad = try worker(["edit", "--generator", "fixture_stylegan2_r32", "--seed", "3", "--paint", "wings:rect:1,1,4,4",
                              "--loss", "external", "--out", out.path], expectSuccess: false)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("unknown class 'wings'"), bad.output)
    }

    func testRenderWritesImagesAndLabels() throws {
        let out = try tempDir()
        let r = try worker(["render", "--domain", "toychurch", "--count", "4", "--resolution", "32", "--out", out.path])
        XCTAssertTrue(r.output.contains("sky"), r.output)
        XCTAssertEqual(try npyShape(out.appendingPathComponent("image.npy")), [4, 3, 32, 32])
        XCTAssertEqual(try npyShape(out.appendingPathComponent("labels.npy")), [4, 32, 32])
        let bad = try worker(["render", "--domain", "toycastle", "--out", out.path], expectSuccess: false)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("toyface"), bad.output)
    }

    /// The zoo's command-line path, tiny: train a generator (run-local
    /// train_gan) and a segmenter, register both into a scratch registry,
    /// check the generator's label statistics.
    func testZooPipelineFromTheCommandLine() throws {
        let dir = try tempDir()
        let configs = dir.appendingPathComponent("configs")
        try FileManager.default.createDirectory(at: configs, withIntermediateDirectories: true)
        try Data("{\"generators\": []}".utf8).write(to: configs.appendingPathComponent("generators.json"))
        let expr = dir.appendingPathComponent("expr").path
        let gan = try worker(["run-local", "--kind", "train_gan", "--expr", expr, "--set", "family=stylegan", "--set", "domain=toyface",
                              "--set", "resolution=16", "--set", "fmaps_max=8", "--set", "latent_dim=8", "--set", "mapping_layers=1",
                              "--set", "batch=2", "--set", "steps=3", "--set", "sample_every=0"])
        XCTAssertTrue(gan.output.contains("stylegan_toyface16"), gan.output)
        let seg = dir.appendingPathComponent("models/zoo/toyface_unet16.safetensors").path
        let s = try worker(["train-segmenter", "--domain", "toyface", "--resolution", "16", "--feature-scale", "16",
                            "--steps", "3", "--batch", "2", "--eval-samples", "4", "--out", seg])
        XCTAssertTrue(s.output.contains("held-out (4 renders)"), s.output)
        let r = try worker(["zoo-register", "--configs", configs.path, "--models", dir.appendingPathComponent("models/zoo").path,
                            "--segmenter", seg, "--run", expr + "/zoo/stylegan_toyface16"])
        XCTAssertTrue(r.output.contains("registered generator stylegan_toyface16"), r.output)
        let c = try worker(["zoo-check", "--configs", configs.path, "--generator", "stylegan_toyface16", "--samples", "4"])
        XCTAssertTrue(c.output.contains("total variation distance"), c.output)
        XCTAssertTrue(c.output.contains("glasses"), c.output)
        XCTAssertTrue(c.output.contains("labels by toyface_seg16"), c.output)
        // --predictor labels with another registered segmenter, of the same domain only.
        let church = dir.appendingPathComponent("church.safetensors").path
        try worker(["train-segmenter", "--domain", "toychurch", "--resolution", "16", "--feature-scale", "16",
                    "--steps", "1", "--batch", "2", "--eval-samples", "2", "--out", church])
        try worker(["zoo-register", "--configs", configs.path, "--models", dir.appendingPathComponent("models/zoo").path,
                    "--segmenter", church])
        let named = try worker(["zoo-check", "--configs", configs.path, "--generator", "stylegan_toyface16", "--samples", "2",
                                "--predictor", "toyface_seg16"])
        XCTAssertTrue(named.output.contains("labels by toyface_seg16"), named.output)
        for command in ["zoo-check", "render-eval"] {
            let wrong = try worker([command, "--configs", configs.path, "--generator", "stylegan_toyface16", "--predictor", "toychurch_seg16",
                                    "--extractor", "unused"].filter { command == "render-eval" || ($0 != "--extractor" && $0 != "unused") },
                                   expectSuccess: false)
            XCTAssertNotEqual(wrong.status, 0)
            XCTAssertTrue(wrong.output.contains("labels the classes of 'toychurch', but 'stylegan_toyface16' is labelled in 'toyface'"),
                          "\(command): \(wrong.output)")
        }

        // Extractors against the renders' exact labels: without checkpoints the
        // command says how to make some; with one it writes its report and sheet.
        let none = try worker(["render-eval", "--configs", configs.path, "--generator", "stylegan_toyface16", "--count", "2"],
                              expectSuccess: false)
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.output.contains("no extractor checkpoints") && none.output.contains("--extractor"), none.output)
        let results = dir.appendingPathComponent("results").path
        try worker(["run-local", "--kind", "train", "--configs", configs.path, "--expr", expr, "--results", results,
                    "--set", "G=stylegan_toyface16", "--set", "SE=LSE", "--set", "epochs=1", "--set", "steps_per_epoch=2",
                    "--set", "eval_samples=2"])
        let lse = expr + "/semantics/stylegan_toyface16_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001_e1x2/stylegan_toyface16_LSE.safetensors"
        let out = dir.appendingPathComponent("render-eval").path
        let e = try worker(["render-eval", "--configs", configs.path, "--generator", "stylegan_toyface16", "--extractor", lse,
                            "--count", "3", "--steps", "2", "--candidates", "4", "--sheet-count", "2", "--out", out])
        XCTAssertTrue(e.output.contains("| predictor on the renders |") && e.output.contains("lr0.001_e1x2 (1x2)") && e.output.contains("; predictor toyface_seg16"), e.output)
        for f in ["render-eval.json", "render-eval.md", "sheet.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        // Without --extractor it takes reference-schedule runs only: this quick
        // one needs --all-runs.
        let quick = try worker(["render-eval", "--configs", configs.path, "--generator", "stylegan_toyface16", "--expr", expr,
                                "--count", "2", "--steps", "1", "--candidates", "2", "--sheet-count", "0"], expectSuccess: false)
        XCTAssertNotEqual(quick.status, 0)
        XCTAssertTrue(quick.output.contains("--all-runs"), quick.output)
        let all = try worker(["render-eval", "--configs", configs.path, "--generator", "stylegan_toyface16", "--expr", expr,
                              "--all-runs", "--count", "2", "--steps", "1", "--candidates", "2", "--sheet-count", "0"])
        XCTAssertTrue(all.output.contains("lr0.001_e1x2 (1x2)"), all.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: expr + "/render-eval/stylegan_toyface16/render-eval.json"))
    }

    /// Writes float32 values of `shape` as a little-endian .npy file.
    func writeNPY(_ shape: [Int], to url: URL) throws {
        let count = shape.reduce(1, *)
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for i in 0..<count { withUnsafeBytes(of: Float(i % 7) * 0.1 - 0.3) { bytes += $0 } }
        try Data(bytes).write(to: url)
    }

    /// Runs `worker` expecting a clean failure: it exits (no signal: no
    /// precondition trap, no crash) with a non-zero status and says `expected`.
    func assertCleanFailure(_ args: [String], says expected: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runWorker(args)
        let out = r.output
        XCTAssertEqual(r.reason, .exit, "worker \(args.joined(separator: " ")) died of signal \(r.status):\n\(out)", file: file, line: line)
        XCTAssertNotEqual(r.status, 0, out, file: file, line: line)
        for e in expected { XCTAssertTrue(out.contains(e), "expected \"\(e)\" in:\n\(out)", file: file, line: line) }
        XCTAssertFalse(out.contains("Fatal error") || out.contains("Precondition failed"), out, file: file, line: line)
    }

    /// Wrongly shaped arrays from the command line are errors naming the
    /// expected shape, not crashes or garbage: images for `segment`,
    /// latents for `sample` and `edit`.
    func testWrongShapesFromTheCommandLineAreErrors() throws {
        let dir = try tempDir()
        let scene = packageRoot.appendingPathComponent("Tests/LGModelsTests/Fixtures/scene_deeplab_small")
        let segment = ["segment", "--arch", "deeplab_resnest", "--config", scene.appendingPathComponent("config.json").path,
                       "--weights", scene.appendingPathComponent("weights.pth").path, "--out", dir.appendingPathComponent("seg").path]
        for (name, shape) in [("rgba", [1, 4, 48, 80]), ("flat", [48, 80]), ("chw", [3, 48, 80])] {
            let f = dir.appendingPathComponent("\(name).npy")
            try writeNPY(shape, to: f)
            try assertCleanFailure(segment + ["--images", f.path],
                                   says: ["N x 3 x H x W", "\(shape)"])
        }
        // Three channels but too small for the network's pooling layers.
        let tiny = dir.appendingPathComponent("tiny.npy")
        try writeNPY([1, 3, 2, 2], to: tiny)
        try assertCleanFailure(segment + ["--images", tiny.path], says: ["[1, 3, 2, 2]", "too small", "at least 5"])

        let fixtures = packageRoot.appendingPathComponent("Tests/LGModelsTests/Fixtures")
        let sample = ["sample", "--arch", "stylegan2", "--config", fixtures.appendingPathComponent("stylegan2_r32.json").path,
                      "--weights", fixtures.appendingPathComponent("stylegan2_r32.weights.pth").path, "--out", dir.appendingPathComponent("s").path]
        let z = dir.appendingPathComponent("z.npy")
        try writeNPY([2, 7], to: z)
        try assertCleanFailure(sample + ["--latents", z.path], says: ["[2, 7]", "takes z of shape [2, "])
        let wp = dir.appendingPathComponent("wp.npy")
        try writeNPY([2, 3, 5], to: wp)
        try assertCleanFailure(sample + ["--latents", wp.path, "--latent-space", "wp"], says: ["[2, 3, 5]", "wp must be (N, "])

        let edit = ["edit", "--generator", "fixture_stylegan2_r32", "--paint", "1:rect:8,8,23,23", "--loss", "external",
                    "--iterations", "1", "--out", dir.appendingPathComponent("e").path]
        try assertCleanFailure(edit + ["--latent", z.path], says: ["[2, 7]", "expected z (1, "])
        try assertCleanFailure(edit + ["--latent", wp.path, "--latent-space", "wp"], says: ["[2, 3, 5]", "wp must be (1, "])
    }

    /// The .npy payload after the header, as little-endian values of `T`.
    func npyValues<T>(_ url: URL, as: T.Type) throws -> [T] {
        let bytes = [UInt8](try Data(contentsOf: url))
        let start = 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
        return bytes[start...].withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }

    /// `worker segment` reproduces the scene fixture's 48x80 case from the
    /// command line: its logits against the fixture's head-upsampled seg
    /// channels, its labels against the reference's where the margin is at
    /// least 1e-4; and the same through the registered fixture predictor.
    func testSegmentReproducesTheSceneFixture() throws {
        let fixture = packageRoot.appendingPathComponent("Tests/LGModelsTests/Fixtures/scene_deeplab_small")
        let c = fixture.appendingPathComponent("case_48x80")
        let channels = [0, 3, 5, 7, 8, 15, 18, 22, 36, 39, 57, 66, 82, 85, 139, 148]
        let refSeg = try npyValues(c.appendingPathComponent("seg_stylegan2_bedroom.npy"), as: Float.self)
        let refLabels = try npyValues(c.appendingPathComponent("labels_stylegan2_bedroom.npy"), as: Int64.self)
        let p = 48 * 80, k = channels.count + 1
        for source in [["--arch", "deeplab_resnest", "--config", fixture.appendingPathComponent("config.json").path,
                        "--weights", fixture.appendingPathComponent("weights.pth").path],
                       ["--predictor", "fixture_scene_deeplab_small"]] {
            let dir = try tempDir()
            let r = try worker(["segment"] + source + ["--images", c.appendingPathComponent("images.npy").path,
                                "--label-set", "ade20k_selected/stylegan2_bedroom", "--batch", "2", "--out", dir.path])
            XCTAssertTrue(r.output.contains("segmented 2 image(s)"), r.output)
            XCTAssertEqual(try npyShape(dir.appendingPathComponent("logits.npy")), [2, 150, 48, 80])
            XCTAssertEqual(try npyShape(dir.appendingPathComponent("labels.npy")), [2, 48, 80])
            let logits = try npyValues(dir.appendingPathComponent("logits.npy"), as: Float.self)
            let labels = try npyValues(dir.appendingPathComponent("labels.npy"), as: Int64.self)
            var maxDiff: Float = 0, compared = 0, differ = 0
            for i in 0..<2 {
                for (j, ch) in channels.enumerated() {
                    for q in 0..<p {
                        maxDiff = max(maxDiff, abs(logits[(i * 150 + ch) * p + q] - refSeg[(i * k + j + 1) * p + q]))
                    }
                }
                for q in 0..<p {
                    let v = (0..<k).map { refSeg[(i * k + $0) * p + q] }.sorted(by: >)
                    guard v[0] - v[1] >= 1e-4 else { continue }
                    compared += 1
                    if labels[i * p + q] != refLabels[i * p + q] { differ += 1 }
                }
            }
            XCTAssertLessThanOrEqual(maxDiff, 1e-4)
            XCTAssertEqual(differ, 0, "\(differ) of \(compared) labels differ")
            XCTAssertGreaterThan(compared, 2 * p - 10)
        }
        let bad = try worker(["segment", "--config", fixture.appendingPathComponent("config.json").path,
                              "--images", c.appendingPathComponent("images.npy").path, "--out", try tempDir().path],
                             expectSuccess: false)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("--weights is required"), bad.output)
    }
}

extension WorkerCLITests {
    /// The label cache under kill -9: a training run killed three times while
    /// it writes entries, then resumed to the end, gives the same extractor,
    /// bit for bit, as a run without the cache; no torn entry is ever read
    /// (a rerun reads every sample back) and no temporary file is taken for one.
    func testLabelCacheSurvivesKill9() throws {
        let dir = try tempDir()
        let cache = dir.appendingPathComponent("cache").path
        let configs = packageRoot.appendingPathComponent("configs").path
        func args(_ out: String) -> [String] {
            ["run-local", "--kind", "train", "--configs", configs, "--expr", dir.appendingPathComponent(out + "/expr").path,
             "--results", dir.appendingPathComponent(out + "/results").path, "--checkpoint-interval", "0.2",
             "--set", "G=stylegan2_toyface32", "--set", "preset=quick", "--set", "SE=NSE-1"]
        }
        func start(_ a: [String], cache: String) throws -> (Process, Pipe) {
            let p = Process()
            p.executableURL = productsDirectory.appendingPathComponent("worker")
            p.arguments = a
            p.currentDirectoryURL = packageRoot
            p.environment = ProcessInfo.processInfo.environment.merging(["LG_LABEL_CACHE": cache]) { $1 }
            let pipe = Pipe()
            p.standardOutput = pipe; p.standardError = pipe
            try p.run()
            return (p, pipe)
        }
        func entryCount() -> Int {
            FileManager.default.enumerator(atPath: cache)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".lbl") }.count ?? 0
        }
        // Killed three times while it labels (as soon as it has written a few
        // new entries: polled, not timed, so a fast machine cannot finish
        // labelling first), then run to the end.
        for _ in 0..<3 {
            let before = entryCount()
            let (p, pipe) = try start(args("killed"), cache: cache)
            let deadline = Date().addingTimeInterval(60)
            while entryCount() < before + 3, p.isRunning, Date() < deadline { usleep(2_000) }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            _ = pipe.fileHandleForReading.readDataToEndOfFile()
        }
        let entries = entryCount()
        XCTAssertGreaterThan(entries, 0, "no kill landed after labelling began")
        XCTAssertLessThan(entries, 228, "no kill landed before labelling ended")
        var (p, pipe) = try start(args("killed"), cache: cache)
        var out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, out)
        (p, pipe) = try start(args("plain"), cache: "off")
        out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, out)
        let rel = "expr/semantics/stylegan2_toyface32_NSE-1_lnormal_lstrunc-wp_lwsoftplus_lr0.001_e2x64/stylegan2_toyface32_NSE-1.safetensors"
        let a = try Data(contentsOf: dir.appendingPathComponent("killed/" + rel))
        let b = try Data(contentsOf: dir.appendingPathComponent("plain/" + rel))
        XCTAssertEqual(a, b, "the extractor trained through kills with the cache differs from the plain run's")
        // A fresh run on the same stream reads every sample back: 128 training + 100 evaluation.
        (p, pipe) = try start(args("again"), cache: cache)
        out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertTrue(out.contains("228 samples read back, 0 stored"), out)
    }
}
