import XCTest
import LGModelIO
import LGJobKinds
import LGTensor
import LGModels
import LGSemantics
@testable import LGJobs

final class JobTests: XCTestCase {
    func testTinyTrainEndToEnd() throws {
        let root = try Fixture.tempDir("train")
        var progress: [JobProgress] = []
        let ctx = JobRunContext(progress: { progress.append($0) })
        let r = try Jobs.run(kind: .train, parameters: tinyTrain(), registry: Fixture.registry(), context: ctx,
                             outputs: JobOutputs(root: root))
        // tinyTrain's schedule (2 x 8) and seed (7) depart from the reference: both name the folder.
        let name = "fixture_stylegan2_r32_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001_e2x8_s7"
        XCTAssertEqual(r.name, name + "_elstrunc-wp")
        XCTAssertEqual(r.kind, .train)
        XCTAssertEqual(r.parameters["G"], "fixture_stylegan2_r32")
        XCTAssertEqual(r.parameters["epochs"], "2")
        XCTAssertEqual(r.evaluationSamples, 4)
        XCTAssertEqual(r.classNames.count, 15)
        XCTAssertEqual(r.classIoU?.count, 14)
        XCTAssertEqual(r.trainingHistory.count, 2)
        XCTAssertTrue(r.metrics.contains { $0.metric == "iou" && $0.label == "skin" })
        XCTAssertTrue(r.metrics.contains { $0.metric == "mIoU" })
        XCTAssertTrue(r.metrics.contains { $0.metric == "pixel_accuracy" && ($0.value ?? -1) >= 0 })
        XCTAssertTrue(r.metrics.contains { $0.metric == "train_seconds" })
        // Files: the extractor in the project format, metrics JSON and the reference text.
        let ckpt = root.appendingPathComponent("expr/semantics/\(name)/fixture_stylegan2_r32_LSE.safetensors")
        XCTAssertEqual(r.extractorPath, ckpt.path)
        let se = try SemanticCheckpoint.load(ckpt)
        XCTAssertEqual(se.arch.type, .lse)
        XCTAssertEqual(se.arch.nClass, 15)
        XCTAssertEqual(se.arch.dims, [64, 64, 64, 64, 64, 32, 32])
        let json = root.appendingPathComponent("results/semantics/\(name)_elstrunc-wp.json")
        XCTAssertEqual(r.resultPath, json.path)
        let back = try JSONDecoder().decode(JobReport.self, from: Data(contentsOf: json))
        XCTAssertEqual(back.classIoU, r.classIoU)
        let txt = try String(contentsOf: root.appendingPathComponent("results/semantics/\(name)_elstrunc-wp.txt"), encoding: .utf8)
        XCTAssertEqual(txt.split(separator: "\n").count, 2)
        // Progress: 16 training steps with loss, 4 evaluation samples, then done.
        let train = progress.filter { $0.phase == .training }
        XCTAssertEqual(train.map(\.step), Array(1...16))
        XCTAssertTrue(train.allSatisfy { $0.total == 16 && $0.loss != nil && $0.runningMIoU != nil })
        XCTAssertEqual(progress.filter { $0.phase == .evaluating }.map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(progress.last?.phase, .done)
        // The parameters moved.
        var rng = RandomStreams.make(7, "init")
        let fresh = try makeSemanticExtractor(se.arch, rng: &rng)
        XCTAssertNotEqual(fresh.stateDict()["extractor.0.weight"], se.stateDict()["extractor.0.weight"])
        // The label sheet: 4 rows of image | predictor | extractor at the label resolution (64), beside the extractor.
        let sheet = try PNG.decode([UInt8](Data(contentsOf: ckpt.deletingLastPathComponent().appendingPathComponent("label_sheet.png"))))
        XCTAssertEqual(sheet.width, 3 * 64 + 4 * 2)
        XCTAssertEqual(sheet.height, 4 * 64 + 5 * 2)
        // Same seed, same job: the same numbers.
        let again = try Jobs.run(kind: .train, parameters: tinyTrain(), registry: Fixture.registry(), outputs: JobOutputs(root: root))
        XCTAssertEqual(again.classIoU, r.classIoU)
    }

    func testEvaluateSavedCheckpointMatchesTrainingEvaluation() throws {
        let root = try Fixture.tempDir("eval")
        let registry = try Fixture.registry()
        let trained = try Jobs.run(kind: .train, parameters: tinyTrain(["SE": "NSE-1"]),
                                   registry: registry, outputs: JobOutputs(root: root))
        let path = try XCTUnwrap(trained.extractorPath)
        // The evaluation stream of the same seed draws the same samples.
        let e = try Jobs.run(kind: .evaluate, parameters: JobParameters(["SE_path": path, "eval_samples": "4", "seed": "7"]),
                             registry: registry, outputs: JobOutputs(root: root))
        XCTAssertEqual(e.name, "fixture_stylegan2_r32_NSE-1_lnormal_lstrunc-wp_lwsoftplus_lr0.001_e2x8_s7_elstrunc-wp")
        XCTAssertEqual(e.classIoU, trained.classIoU)
        XCTAssertEqual(e.mIoU, trained.mIoU)
        XCTAssertEqual(e.pixelAccuracy, trained.pixelAccuracy)
        XCTAssertEqual(e.evaluationSamples, 4)
        XCTAssertEqual(e.metrics.filter { $0.metric == "iou" }.count, 14)
        // Another seed: other samples.
        let other = try Jobs.run(kind: .evaluate, parameters: JobParameters(["SE_path": path, "eval_samples": "4", "seed": "8"]),
                                 registry: registry)
        XCTAssertEqual(other.parameters["seed"], "8")
        XCTAssertEqual(other.evaluationSamples, 4)
        // (The random-weight fixture UNet labels nearly every image alike, so
        // the metrics need not differ; the samples do.)
        var a = RandomStreams.make(7, "eval"), b = RandomStreams.make(8, "eval")
        XCTAssertNotEqual(a.normal(), b.normal())
    }

    /// `reload` (the reference's --reload): training starts from a saved
    /// extractor; the run is recorded and named apart from the reference's;
    /// a file of another architecture, or none, is refused naming reload.
    func testReloadTrainsOnFromASavedExtractor() throws {
        let root = try Fixture.tempDir("reload")
        let registry = try Fixture.registry()
        let first = try Jobs.run(kind: .train, parameters: tinyTrain(["eval_samples": "1"]), registry: registry,
                                 outputs: JobOutputs(root: root))
        let path = try XCTUnwrap(first.extractorPath)
        // Steps too small to move a weight: the reloaded run ends where the saved extractor was.
        let frozen = try Jobs.run(kind: .train, parameters: tinyTrain(["reload": path, "lr": "1e-30", "epochs": "1",
                                                                       "steps_per_epoch": "2", "eval_samples": "1"]),
                                  registry: registry, outputs: JobOutputs(root: root))
        XCTAssertEqual(frozen.name, "fixture_stylegan2_r32_LSE_lnormal_lstrunc-wp_lwsoftplus_lr1e-30_e1x2_s7_from_fixture_stylegan2_r32_LSE_elstrunc-wp")
        XCTAssertEqual(frozen.parameters["reload"], path)
        let saved = try extractorParameters(first), reloaded = try extractorParameters(frozen)
        XCTAssertEqual(Set(saved.keys), Set(reloaded.keys))
        for (k, t) in saved {
            let u = try XCTUnwrap(reloaded[k])
            XCTAssertEqual(zip(t.data, u.data).map { abs($0 - $1) }.max() ?? 0, 0, accuracy: 1e-12, k)
        }
        // Without reload the same short run starts from a fresh extractor, far from the trained one.
        let fresh = try Jobs.run(kind: .train, parameters: tinyTrain(["lr": "1e-30", "epochs": "1", "steps_per_epoch": "2",
                                                                      "eval_samples": "1"]), registry: registry,
                                 outputs: JobOutputs(root: root))
        XCTAssertNotEqual(try extractorParameters(fresh)["extractor.0.weight"]?.data, saved["extractor.0.weight"]?.data)
        // Another architecture, or no file: refused, naming the parameter.
        XCTAssertThrowsError(try Jobs.run(kind: .train, parameters: tinyTrain(["reload": path, "SE": "NSE-1"]), registry: registry)) { e in
            XCTAssertTrue("\(e)".contains("reload=") && "\(e)".contains("NSE-1") && "\(e)".contains("the file holds LSE"), "\(e)")
        }
        XCTAssertThrowsError(try Jobs.run(kind: .train, parameters: tinyTrain(["reload": root.path + "/none.safetensors"]),
                                          registry: registry)) { e in
            XCTAssertTrue("\(e)".contains("reload=") && "\(e)".contains("existing extractor file"), "\(e)")
        }
    }

    /// `full_label=1` (the reference's --full-label 1): the scene segmenter
    /// labels all 150 ADE20K classes; such a run is named and cached apart
    /// from the selected-class one, its evaluation follows the checkpoint's
    /// record, and a face GAN refuses it.
    func testFullLabelTrainsOnEveryADE20KClass() throws {
        let registry = try ModelRegistry(configDirectory: try Fixture.repoConfigs())
        let root = try Fixture.tempDir("full")
        var ctx = JobRunContext()
        let cache = LabelCache(directory: root.appendingPathComponent("cache"))
        ctx.labelCache = cache
        let base = ["G": "fixture_stylegan2_scene_r32", "epochs": "1", "steps_per_epoch": "2", "eval_samples": "1", "seed": "3"]
        let full = try Jobs.run(kind: .train, parameters: JobParameters(base.merging(["full_label": "1"]) { $1 }), registry: registry,
                                context: ctx, outputs: JobOutputs(root: root))
        XCTAssertEqual(full.classNames.count, 151)
        XCTAssertEqual(full.classIoU?.count, 150)
        XCTAssertTrue(full.name.hasSuffix("_e1x2_s3_full1_elstrunc-wp"), full.name)
        XCTAssertEqual(full.parameters["full_label"], "1")
        let path = try XCTUnwrap(full.extractorPath)
        XCTAssertEqual(try SemanticCheckpoint.load(URL(fileURLWithPath: path)).arch.nClass, 151)
        let selected = try Jobs.run(kind: .train, parameters: JobParameters(base), registry: registry, context: ctx,
                                    outputs: JobOutputs(root: root))
        XCTAssertEqual(selected.classNames.count, 17)  // stylegan2_bedroom's selection
        XCTAssertFalse(selected.name.contains("full"))
        XCTAssertEqual(cache.stats.writes, 6, "the two label sets share no cache entries")
        // The evaluation of the full-label extractor labels as it was trained, read from its record.
        let e = try Jobs.run(kind: .evaluate, parameters: JobParameters(["SE_path": path, "eval_samples": "1", "seed": "3"]),
                             registry: registry)
        XCTAssertEqual(e.classNames.count, 151)
        XCTAssertEqual(e.classIoU, full.classIoU)
        XCTAssertThrowsError(try Jobs.run(kind: .evaluate, parameters: JobParameters(["SE_path": path, "full_label": "0"]),
                                          registry: registry)) { e in
            XCTAssertTrue("\(e)".contains("151"), "\(e)")
        }
        // The face parser has no fuller label set.
        XCTAssertThrowsError(try Jobs.run(kind: .train, parameters: tinyTrain(["full_label": "1"]), registry: Fixture.registry())) { e in
            XCTAssertTrue("\(e)".contains("full_label=1") && "\(e)".contains("scene"), "\(e)")
        }
    }

    func testFewShotRun() throws {
        let root = try Fixture.tempDir("fewshot")
        let params = JobParameters(["G": "fixture_stylegan2_r32", "num_sample": "2", "repeat_ind": "1",
                                    "epochs": "2", "steps_per_epoch": "4", "eval_samples": "3"])
        let r = try Jobs.run(kind: .trainFewshot, parameters: params, registry: Fixture.registry(), outputs: JobOutputs(root: root))
        XCTAssertEqual(r.name, "fixture_stylegan2_r32_n2_r1_elstrunc-wp")
        XCTAssertEqual(r.parameters["seed"], "1997816")
        XCTAssertEqual(r.parameters["layer_weight"], "none")
        XCTAssertEqual(r.evaluationSamples, 3)
        XCTAssertEqual(r.trainingHistory.count, 2)
        let ckpt = root.appendingPathComponent("expr/fewshot/fixture_stylegan2_r32_LSE_fewshot/r1_n2.safetensors")
        XCTAssertEqual(r.extractorPath, ckpt.path)
        let se = try SemanticCheckpoint.load(ckpt)
        XCTAssertEqual(se.arch.lwType, .unweighted)
        // lw none: theta is unused and never moves.
        XCTAssertEqual(se.stateDict()["layer_weight"]?.data, [Float](repeating: 1, count: 7))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("results/fewshot/\(r.name).json").path))
    }

    func testFewShotRegeneratesFeaturesWithNewNoise() throws {
        // With randomised noise the run differs from one with fixed noise
        // (the features change every epoch and the samples differ).
        let registry = try Fixture.registry()
        let base = ["G": "fixture_stylegan2_r32", "num_sample": "1", "epochs": "2", "steps_per_epoch": "2", "eval_samples": "0"]
        let noisy = try Jobs.run(kind: .trainFewshot, parameters: JobParameters(base), registry: registry,
                                 outputs: JobOutputs(root: Fixture.tempDir("fs1")))
        let fixed = try Jobs.run(kind: .trainFewshot, parameters: JobParameters(base.merging(["randomize_noise": "0"]) { $1 }),
                                 registry: registry, outputs: JobOutputs(root: Fixture.tempDir("fs2")))
        XCTAssertNotEqual(try extractorParameters(noisy)["extractor.0.weight"], try extractorParameters(fixed)["extractor.0.weight"])
    }
}
