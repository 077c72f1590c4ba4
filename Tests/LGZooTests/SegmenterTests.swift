import Foundation
import LGDomains
import LGJobs
import LGModelIO
import LGModels
import LGTensor
import XCTest
import LGJobKinds
@testable import LGZoo

/// A segmenter small enough to train in a test: toyface at 16 px, filters 4..64.
func tinySegmenterSettings(steps: Int) -> SegmenterSettings {
    var s = SegmenterSettings(domain: "toyface")
    s.resolution = 16; s.featureScale = 16; s.steps = steps; s.batch = 4; s.learningRate = 0.01
    return s
}

final class SegmenterTests: XCTestCase {

    /// Training lowers the loss and beats the untrained network on held-out renders.
    func testTrainingLearnsTheDomain() throws {
        let t = try SegmenterTrainer(settings: tinySegmenterSettings(steps: 60))
        let before = t.evaluate(samples: 40)
        var first: Float = 0, last: Float = 0
        t.train(every: 10) { step, loss in
            if step == 10 { first = loss }
            last = loss
        }
        let after = t.evaluate(samples: 40)
        XCTAssertLessThan(last, first * 0.8, "loss \(first) -> \(last)")
        XCTAssertGreaterThan(after.pixelAccuracy, before.pixelAccuracy + 0.1)
        XCTAssertGreaterThan(after.datasetMIoU, before.datasetMIoU)
        XCTAssertEqual(after.classNames, t.domain.classNames)
        XCTAssertTrue(after.datasetIoU.allSatisfy { $0 <= 1 })
    }

    /// The saved file reloads (through the segmenter reader and as a plain
    /// state dict, as the registry's face_unet loader reads it) and predicts
    /// the same labels; the same seed trains the same network.
    func testSavedSegmenterReloadsAndTrainingIsSeeded() throws {
        let a = try SegmenterTrainer(settings: tinySegmenterSettings(steps: 5)), b = try SegmenterTrainer(settings: tinySegmenterSettings(steps: 5))
        a.train(); b.train()
        let images = a.domain.batch(resolution: 16, seeds: DomainSeeds.heldOut(3)).images
        XCTAssertEqual(a.network.predict(images).logits, b.network.predict(images).logits)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seg-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SegmenterFiles.save(a, evaluation: a.evaluate(samples: 4), to: url)
        let (net, settings) = try SegmenterFiles.load(url)
        XCTAssertEqual(settings, a.settings)
        XCTAssertEqual(net.predict(images).labels, a.network.predict(images).labels)
        let plain = try FaceParser(config: net.config, stateDict: StateDict.loadTorch(url.path))
        XCTAssertEqual(plain.predict(images).labels, a.network.predict(images).labels)
    }

    /// Median-frequency balancing: the median class weighs 1, rarer classes
    /// more (at most 10), commoner ones less (at least 0.1), absent ones 1.
    func testBalancedWeights() {
        let w = ClassWeighting.balancedWeights(frequencies: [0.5, 0.2, 0.1, 0.02, 0.001, 0])
        XCTAssertEqual(w[2], 1, accuracy: 1e-6)           // median of the five present: 0.1
        XCTAssertEqual(w[0], 0.2, accuracy: 1e-6)
        XCTAssertEqual(w[1], 0.5, accuracy: 1e-6)
        XCTAssertEqual(w[3], 5, accuracy: 1e-5)
        XCTAssertEqual(w[4], 10)                           // 100, clipped
        XCTAssertEqual(w[5], 1)
        XCTAssertEqual(ClassWeighting.balancedWeights(frequencies: [0.9, 0.09, 0.01])[0], 0.1)
    }

    /// The weighted loss is sum(w_label * ce) / sum(w_label): with equal
    /// weights it is the plain mean, and its gradient matches a hand-built
    /// weighted mean; the balanced trainer weighs rare face parts above skin,
    /// and an old settings file (without the field) still decodes.
    func testClassWeightedLoss() throws {
        var s = tinySegmenterSettings(steps: 1)
        s.classWeighting = .balanced
        let t = try SegmenterTrainer(settings: s)
        let w = try XCTUnwrap(t.classWeights)
        let names = t.domain.classNames
        XCTAssertGreaterThan(w[names.firstIndex(of: "eye")!], w[names.firstIndex(of: "skin")!])
        XCTAssertNil(try SegmenterTrainer(settings: tinySegmenterSettings(steps: 1)).classWeights)

        var rng = SeededRandom(seed: 3)
        let logits = rng.normalTensor([2, 3, 2, 2])
        let labels = Labels(shape: [2, 2, 2], data: [0, 1, 2, 2, 1, 0, 0, 2])
        let weights: [Float] = [0.5, 2, 1]
        let map = Tensor(shape: [2, 2, 2], data: labels.data.map { weights[Int($0)] })
        let weighted = SegmenterTrainer.loss(Variable(logits), labels, weights: weights)
        let ce = Variable(logits).crossEntropyPerPixel(labels).value.data
        var num: Float = 0
        for (c, w) in zip(ce, map.data) { num += c * w }
        let expected: Float = num / map.sumAll()
        XCTAssertEqual(weighted.value.data[0], expected, accuracy: 1e-6)
        XCTAssertEqual(SegmenterTrainer.loss(Variable(logits), labels, weights: [1, 1, 1]).value.data[0],
                       Variable(logits).crossEntropy(labels).value.data[0], accuracy: 1e-6)
        XCTAssertEqual(SegmenterTrainer.loss(Variable(logits), labels, weights: nil).value,
                       Variable(logits).crossEntropy(labels).value)
        let uniform = ClassWeighting.balancedWeights(frequencies: [0.3, 0.3, 0.3])
        XCTAssertEqual(uniform, [1, 1, 1])

        let old = #"{"batch":4,"decayAt":[0.7,0.9],"domain":"toyface","featureScale":16,"learningRate":0.01,"resolution":16,"seed":0,"steps":1}"#
        let decoded = try JSONDecoder().decode(SegmenterSettings.self, from: Data(old.utf8))
        XCTAssertNil(decoded.classWeighting)
        XCTAssertEqual(decoded, tinySegmenterSettings(steps: 1))
    }

    func testBadSettingsAndFilesGiveClearErrors() throws {
        var s = tinySegmenterSettings(steps: 1)
        s.resolution = 20
        XCTAssertThrowsError(try SegmenterTrainer(settings: s)) { XCTAssertTrue("\($0)".contains("multiple of 16")) }
        s = tinySegmenterSettings(steps: 1)
        s.domain = "toycastle"
        XCTAssertThrowsError(try SegmenterTrainer(settings: s)) { XCTAssertTrue("\($0)".contains("toyface"), "\($0)") }
    }
}

final class LabelStatisticsTests: XCTestCase {
    func testFrequenciesAndDistance() {
        let l = Labels(shape: [2, 1, 2], data: [0, 1, 1, 1])
        let f = LabelStatistics.frequencies(l, classes: 3)
        XCTAssertEqual(f.pixels, [0.25, 0.75, 0])
        XCTAssertEqual(f.presence, [0.5, 1, 0])
        let s = LabelStatistics(classNames: ["a", "b", "c"], generated: [0.25, 0.75, 0], rendered: [0.5, 0.25, 0.25],
                                groundTruth: [0.5, 0.25, 0.25], generatedPresence: [], renderedPresence: [])
        XCTAssertEqual(s.totalVariation, 0.5, accuracy: 1e-12)
    }

    /// Measured on a (tiny, untrained) generator and segmenter: shapes and sums.
    func testMeasureGivesDistributions() throws {
        let o = try GANJobOptions(parameters: ["family": "stylegan2", "domain": "toyface", "resolution": "16", "fmaps_max": "8",
                                               "latent_dim": "8", "mapping_layers": "1"])
        let g = try o.trainingConfig.generator.makeGenerator()
        (g as? any StyleGenerator)?.randomizeWeights(seed: 1)
        var s = SegmenterSettings(domain: "toyface")
        s.resolution = 16; s.featureScale = 16; s.steps = 1; s.batch = 2
        let seg = try SegmenterTrainer(settings: s)
        let stats = LabelStatistics.measure(generator: g, segmenter: seg.network, domain: seg.domain, samples: 6, batch: 4)
        for d in [stats.generated, stats.rendered, stats.groundTruth] {
            XCTAssertEqual(d.count, 14)
            XCTAssertEqual(d.reduce(0, +), 1, accuracy: 1e-9)
        }
        XCTAssertGreaterThan(stats.groundTruth[0], 0.2, "background covers a good part of every face render")
    }
}

final class SegmenterJobTests: XCTestCase {
    func tiny(steps: Int = 6) throws -> SegmenterJobOptions {
        try SegmenterJobOptions(parameters: ["domain": "toyface", "resolution": "16", "feature_scale": "16",
                                             "steps": String(steps), "batch": "2", "lr": "0.01", "eval_samples": "8"])
    }

    func temporaryDirectory() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("seg-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// Cancelled after 3 steps and run again, the job writes the same
    /// segmenter (weights and BatchNorm statistics) and the same evaluation
    /// as an uninterrupted run; the file is one `zoo-register --segmenter`
    /// reads.
    func testInterruptedJobResumesExactly() throws {
        let o = try tiny()
        let dirA = try temporaryDirectory(), dirB = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dirA); try? FileManager.default.removeItem(at: dirB) }
        let whole = try SegmenterJob.run(o, context: JobRunContext(checkpointer: MemoryCheckpointer()), expr: dirA)
        XCTAssertEqual(whole.metrics["steps"], 6)
        XCTAssertEqual(whole.file.lastPathComponent, "toyface_unet16_fs16_6_lr0.01_b2.safetensors")

        let store = MemoryCheckpointer()
        var steps = 0
        let cancelling = JobRunContext(checkpointer: store, progress: { steps = $0.step }, isCancelled: { steps >= 3 })
        XCTAssertThrowsError(try SegmenterJob.run(o, context: cancelling, expr: dirB)) { error in
            XCTAssertEqual(error as? JobError, .cancelled(phase: "training", step: 3))
        }
        XCTAssertEqual(store.count, 1)
        var logs: [String] = []
        let resumed = try SegmenterJob.run(o, context: JobRunContext(checkpointer: store, log: { logs.append($0) }), expr: dirB)
        XCTAssertTrue(logs.contains { $0.contains("resumed at step 3") }, "\(logs)")
        XCTAssertEqual(resumed.metrics["steps"], 6)
        XCTAssertEqual(resumed.evaluation, whole.evaluation)

        let a = try Safetensors.read(whole.file).tensors, b = try Safetensors.read(resumed.file).tensors
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        XCTAssertTrue(a.keys.contains { $0.hasSuffix("running_mean") })
        for (k, t) in a { XCTAssertEqual(t, b[k], k) }
        let (_, settings) = try SegmenterFiles.load(resumed.file)
        XCTAssertEqual(settings, o.settings)
        XCTAssertNotNil(whole.metrics["iou/skin"])
        XCTAssertEqual(JobKind.trainSegmenter.table.undeclaredMetrics(whole.metrics.keys), [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dirA.appendingPathComponent("zoo/segmenters/\(o.name).json").path))
    }

    /// A checkpoint of other settings is refused; a corrupt one gets an
    /// error that says what to do.
    func testForeignAndCorruptCheckpointsAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryCheckpointer()
        var steps = 0
        XCTAssertThrowsError(try SegmenterJob.run(try tiny(), context: JobRunContext(checkpointer: store, progress: { steps = $0.step },
                                                                                       isCancelled: { steps >= 1 }), expr: dir))
        XCTAssertThrowsError(try SegmenterJob.run(try tiny(steps: 7), context: JobRunContext(checkpointer: store), expr: dir)) {
            guard case .checkpointMismatch = $0 as? JobError else { return XCTFail("\($0)") }
        }
        let corrupt = MemoryCheckpointer()
        try corrupt.save(Data("not a checkpoint".utf8))
        XCTAssertThrowsError(try SegmenterJob.run(try tiny(), context: JobRunContext(checkpointer: corrupt), expr: dir)) {
            XCTAssertTrue("\($0)".contains("delete it"), "\($0)")
        }
    }

    func testParametersAreChecked() throws {
        let o = try SegmenterJobOptions(parameters: ["domain": "toychurch", "class_weighting": "balanced", "seed": "2"])
        XCTAssertEqual(o.settings.classWeighting, .balanced)
        XCTAssertEqual(o.name, "toychurch_unet32_fs4_2000_balanced_seed2")
        XCTAssertThrowsError(try SegmenterJobOptions(parameters: ["steps": "5"])) {
            XCTAssertEqual($0 as? ParameterError, .missing(kind: "train_segmenter", name: "domain"))
        }
        XCTAssertThrowsError(try SegmenterJobOptions(parameters: ["domain": "toyface", "width": "5"])) {
            guard case .unknown(_, let names, _) = $0 as? ParameterError else { return XCTFail("\($0)") }
            XCTAssertEqual(names, ["width"])
        }
        XCTAssertThrowsError(try SegmenterJobOptions(parameters: ["domain": "toyface", "class_weighting": "inverse"])) {
            XCTAssertTrue("\($0)".contains("none, balanced"), "\($0)")
        }
        XCTAssertThrowsError(try SegmenterJobOptions(parameters: ["domain": "toyface", "resolution": "8"]))
        // memory_mb is the worker's (its memory gate), known to every kind.
        XCTAssertNoThrow(try SegmenterJobOptions(parameters: ["domain": "toyface", "memory_mb": "500"]))
    }

    func testLovaszAndInitParameters() throws {
        let o = try SegmenterJobOptions(parameters: ["domain": "toychurch", "feature_scale": "2", "steps": "5000", "lr": "0.0005",
                                                     "lovasz_weight": "1", "init": "expr/zoo/segmenters/toychurch_unet32_fs2_15000.safetensors"])
        XCTAssertEqual(o.settings.lovaszWeight, 1)
        XCTAssertEqual(o.settings.initialWeights, "expr/zoo/segmenters/toychurch_unet32_fs2_15000.safetensors")
        XCTAssertEqual(o.name, "toychurch_unet32_fs2_5000_lr0.0005_lovasz1.0_from_toychurch_unet32_fs2_15000")
        XCTAssertEqual(try SegmenterJobOptions(parameters: ["domain": "toyface", "lovasz_weight": "0"]).name, "toyface_unet32_fs4_2000")
        for bad in ["-1", "x", "inf"] {
            XCTAssertThrowsError(try SegmenterJobOptions(parameters: ["domain": "toyface", "lovasz_weight": bad])) {
                XCTAssertTrue("\($0)".contains("lovasz_weight"), "\($0)")
            }
        }
        XCTAssertThrowsError(try SegmenterJobOptions(parameters: ["domain": "toyface", "init": ""]))
        let templated = try SegmenterJobOptions(parameters: ["domain": "toybedroom", "init": "expr/zoo/segmenters/{domain}_unet32_fs2_15000.safetensors"])
        XCTAssertEqual(templated.settings.initialWeights, "expr/zoo/segmenters/toybedroom_unet32_fs2_15000.safetensors")
        // Settings files written before the options decode with both absent.
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SegmenterSettings(domain: "toyface"))) as! [String: Any]
        old.removeValue(forKey: "lovaszWeight"); old.removeValue(forKey: "initialWeights")
        let decoded = try JSONDecoder().decode(SegmenterSettings.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertNil(decoded.lovaszWeight); XCTAssertNil(decoded.initialWeights)
    }
}
