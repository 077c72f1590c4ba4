import Foundation
import LGDomains
import LGGANTraining
import LGJobs
import LGModelIO
import LGModels
import LGTensor
import XCTest
import LGJobKinds
@testable import LGZoo

final class GANJobTests: XCTestCase {
    func tiny(_ family: GeneratorFamily) throws -> GANJobOptions {
        try GANJobOptions(parameters: ["family": family.rawValue, "domain": "toyface", "resolution": "16",
                                       "fmaps_max": "8", "latent_dim": "8", "mapping_layers": "1", "batch": "2",
                                       "steps": "4", "seed": "3", "sample_every": "0"])
    }

    func temporaryDirectory() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("gan-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// Cancelled after 2 steps and run again, the job ends with the same
    /// exported generator as an uninterrupted run; the export loads through
    /// the LGModels loader.
    /// Wide enough (32 channels, batch 4: 256 tiles at 16 px) that the
    /// 16 px layers train through Winograd, the job's default policy.
    func testInterruptedRunResumesExactly() throws {
        var o = try tiny(.stylegan2)
        o.fmapsMax = 32; o.batch = 4
        XCTAssertNil(o.winograd)  // the training default: always, unless LG_WINOGRAD says otherwise
        let dirA = try temporaryDirectory(), dirB = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dirA); try? FileManager.default.removeItem(at: dirB) }
        let whole = try GANJob.run(o, context: JobRunContext(checkpointer: MemoryCheckpointer()), expr: dirA)
        XCTAssertEqual(whole.metrics["steps"], 4)
        XCTAssertEqual(JobKind.trainGAN.table.undeclaredMetrics(whole.metrics.keys), [])

        let store = MemoryCheckpointer()
        var steps = 0
        let cancelling = JobRunContext(checkpointer: store, progress: { steps = $0.step }, isCancelled: { steps >= 2 })
        XCTAssertThrowsError(try GANJob.run(o, context: cancelling, expr: dirB)) { error in
            XCTAssertEqual(error as? JobError, .cancelled(phase: "training", step: 2))
        }
        XCTAssertEqual(store.count, 1)
        let resumed = try GANJob.run(o, context: JobRunContext(checkpointer: store), expr: dirB)
        XCTAssertEqual(resumed.metrics["steps"], 4)

        let a = try Safetensors.read(dirA.appendingPathComponent("zoo/stylegan2_toyface16/generator.safetensors")).tensors
        let b = try Safetensors.read(dirB.appendingPathComponent("zoo/stylegan2_toyface16/generator.safetensors")).tensors
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        for (k, t) in a { XCTAssertEqual(t, b[k], k) }

        let json = try Data(contentsOf: dirA.appendingPathComponent("zoo/stylegan2_toyface16/generator.json"))
        let g = try GeneratorFamily.stylegan2.makeGenerator(configJSON: json)
        try g.load(StateDict.loadTorch(dirA.appendingPathComponent("zoo/stylegan2_toyface16/generator.safetensors").path))
        let latent = GradMode.withoutGradients {
            g.latent(fromZ: Variable(Tensor(zeros: g.zShape(batch: 1, strategy: .notruncWP))), strategy: .notruncWP).value
        }
        let image = g.generate(latent).image
        XCTAssertEqual(image.shape, [1, 3, 16, 16])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dirA.appendingPathComponent("zoo/stylegan2_toyface16/samples_final.png").path))
    }

    /// A checkpoint of another configuration is refused, not silently used.
    func testCheckpointOfAnotherConfigurationIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryCheckpointer()
        var o = try tiny(.pggan)
        o.steps = 1
        _ = try GANJob.run(o, context: JobRunContext(checkpointer: store), expr: dir)
        o.fmapsMax = 16
        XCTAssertThrowsError(try GANJob.run(o, context: JobRunContext(checkpointer: store), expr: dir)) { error in
            guard case JobError.checkpointMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testParametersAreChecked() {
        XCTAssertThrowsError(try GANJobOptions(parameters: ["family": "biggan", "domain": "toyface"]))
        XCTAssertThrowsError(try GANJobOptions(parameters: ["family": "pggan"]))
        XCTAssertThrowsError(try GANJobOptions(parameters: ["family": "pggan", "domain": "toyface", "stepz": "3"])) {
            XCTAssertTrue("\($0)".contains("stepz"))
        }
        // The convolution policy: the training default (Winograd unless
        // LG_WINOGRAD says otherwise) unless the job says.
        XCTAssertNil(try GANJobOptions(parameters: ["family": "pggan", "domain": "toyface"]).winograd)
        XCTAssertEqual(try GANJobOptions(parameters: ["family": "pggan", "domain": "toyface", "winograd": "off"]).winograd, .off)
        XCTAssertThrowsError(try GANJobOptions(parameters: ["family": "pggan", "domain": "toyface", "winograd": "sometimes"])) {
            XCTAssertTrue("\($0)".contains("inference"))
        }
    }

    /// The job runs under its policy and puts the process's back after.
    func testJobRunsUnderItsConvolutionPolicy() throws {
        let expr = FileManager.default.temporaryDirectory.appendingPathComponent("gan-policy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: expr) }
        var o = try GANJobOptions(parameters: ["family": "stylegan2", "domain": "toyface", "resolution": "8", "fmaps_max": "8",
                                               "latent_dim": "8", "batch": "2", "steps": "1", "sample_every": "0"])
        let saved = Winograd.policy
        defer { Winograd.policy = saved }
        Winograd.policy = .inference
        var seen: [Winograd.Policy] = []
        let context = JobRunContext(progress: { _ in seen.append(Winograd.policy) })
        o.winograd = .off
        _ = try GANJob.run(o, context: context, expr: expr)
        XCTAssertEqual(Set(seen), [.off])
        XCTAssertEqual(Winograd.policy, .inference)
        // A job that does not say runs under the training default (the
        // worker's LG_WINOGRAD, else always), not the process's policy.
        seen = []
        o.winograd = nil
        _ = try GANJob.run(o, context: JobRunContext(progress: { _ in seen.append(Winograd.policy) }),
                           expr: expr.appendingPathComponent("default"))
        XCTAssertEqual(Set(seen), [Winograd.Policy.trainingDefault])
        XCTAssertEqual(Winograd.policy, .inference)
    }
}

final class ZooRegistrationTests: XCTestCase {
    /// A finished run and a segmenter become registry entries that load:
    /// the generator through the registry, labelled by the segmenter.
    /// A project folder with an empty registry (`configs/`), removed after the test.
    func projectRoot() throws -> (root: URL, configs: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-reg-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let configs = root.appendingPathComponent("configs")
        try FileManager.default.createDirectory(at: configs, withIntermediateDirectories: true)
        try Data("{\"generators\": []}".utf8).write(to: configs.appendingPathComponent("generators.json"))
        return (root, configs)
    }

    /// A finished tiny PGGAN toychurch16 run under `root/expr`.
    func tinyChurchRun(in root: URL, steps: Int) throws -> GANJobReport {
        let o = try GANJobOptions(parameters: ["family": "pggan", "domain": "toychurch", "resolution": "16", "fmaps_max": "8",
                                               "latent_dim": "8", "batch": "2", "steps": "\(steps)", "sample_every": "0"])
        return try GANJob.run(o, context: JobRunContext(), expr: root.appendingPathComponent("expr"))
    }

    func testRegisteredModelsLoadThroughTheRegistry() throws {
        let (root, configs) = try projectRoot()
        let report = try tinyChurchRun(in: root, steps: 2)
        var s = SegmenterSettings(domain: "toychurch")
        s.resolution = 16; s.featureScale = 16; s.steps = 2; s.batch = 2
        let seg = try SegmenterTrainer(settings: s)
        seg.train()
        let segURL = root.appendingPathComponent("seg.safetensors")
        try SegmenterFiles.save(seg, evaluation: seg.evaluate(samples: 2), to: segURL)

        let summary = try ZooRegistration.register(runs: [report.directory], segmenters: [segURL],
                                                   modelsDirectory: root.appendingPathComponent("models/zoo"),
                                                   repoRoot: root, configDirectory: configs)
        XCTAssertEqual(summary, .init(generators: ["pggan_toychurch16"], predictors: ["toychurch_seg16"]))
        let registry = try ModelRegistry(configDirectory: configs)
        let entry = try registry.generatorEntry("pggan_toychurch16")
        XCTAssertEqual(entry.weightsPath, "models/zoo/pggan_toychurch16.safetensors")
        XCTAssertEqual(try registry.predictorName(forGenerator: "pggan_toychurch16"), "toychurch_seg16")
        XCTAssertEqual(try registry.classNames(labelSet: "toychurch").first, "sky")
        let g = try registry.loadGenerator("pggan_toychurch16")
        XCTAssertEqual(g.resolution, 16)
        let p = try registry.loadPredictor("toychurch_seg16")
        XCTAssertEqual(p.classNames, ["sky", "building", "roof", "tree", "grass", "road", "sidewalk", "person", "cloud"])
        // Registering again replaces, never duplicates.
        _ = try ZooRegistration.register(runs: [report.directory], segmenters: [], modelsDirectory: root.appendingPathComponent("models/zoo"),
                                         repoRoot: root, configDirectory: configs)
        let zoo = try JSONDecoder().decode(ZooFile.self, from: Data(contentsOf: configs.appendingPathComponent("zoo.json")))
        XCTAssertEqual(zoo.generators.count, 1)
        XCTAssertEqual(zoo.predictors.count, 1)
        // An unfinished run is refused with a clear error.
        XCTAssertThrowsError(try ZooRegistration.register(runs: [root], segmenters: [], modelsDirectory: root.appendingPathComponent("models/zoo"),
                                                          repoRoot: root, configDirectory: configs)) {
            XCTAssertTrue("\($0)".contains("has not finished"), "\($0)")
        }
    }

    /// A second segmenter registered with a suffix, in half precision and
    /// relabelling: it sits beside the first, the domain's generators point
    /// at it (others untouched), its file holds F16 weights whose recorded
    /// evaluation is of the stored network, and a run registered again keeps
    /// the relabelled predictor.
    func testSegmenterSuffixHalfPrecisionAndRelabel() throws {
        let (root, configs) = try projectRoot()
        let models = root.appendingPathComponent("models/zoo")
        let run = try tinyChurchRun(in: root, steps: 1).directory
        func segmenter(_ domain: String, scale: Int, name: String) throws -> URL {
            var s = SegmenterSettings(domain: domain)
            s.resolution = 16; s.featureScale = scale; s.steps = 2; s.batch = 2
            let seg = try SegmenterTrainer(settings: s)
            seg.train()
            let url = root.appendingPathComponent("trained/\(name).safetensors")
            try SegmenterFiles.save(seg, evaluation: seg.evaluate(samples: 4), to: url)
            return url
        }
        let first = try segmenter("toychurch", scale: 16, name: "first")
        let face = try segmenter("toyface", scale: 16, name: "face")
        _ = try ZooRegistration.register(runs: [run], segmenters: [first, face], modelsDirectory: models,
                                         repoRoot: root, configDirectory: configs)
        XCTAssertThrowsError(try ZooRegistration.register(runs: [], segmenters: [first], modelsDirectory: models, repoRoot: root,
                                                          configDirectory: configs, segmenterOptions: .init(suffix: "a/b"))) {
            XCTAssertTrue("\($0)".contains("letters, digits"), "\($0)")
        }

        let second = try segmenter("toychurch", scale: 8, name: "second")
        let summary = try ZooRegistration.register(runs: [], segmenters: [second], modelsDirectory: models, repoRoot: root,
                                                   configDirectory: configs,
                                                   segmenterOptions: .init(suffix: "wide", floats: .f16WhereInRange, relabel: true))
        XCTAssertEqual(summary, .init(generators: [], predictors: ["toychurch_seg16_wide"], relabelled: ["pggan_toychurch16"]))
        let registry = try ModelRegistry(configDirectory: configs)
        XCTAssertEqual(try registry.predictorName(forGenerator: "pggan_toychurch16"), "toychurch_seg16_wide")
        XCTAssertNoThrow(try registry.loadPredictor("toychurch_seg16"), "the first segmenter stays registered")
        let stored = models.appendingPathComponent("toychurch_unet16_wide.safetensors")
        let raw = try Safetensors.readRaw(stored)
        XCTAssertTrue(raw.tensors.values.contains { $0.dtype == .float16 })
        XCTAssertTrue(raw.tensors.values.allSatisfy { $0.dtype == .float16 || $0.dtype == .float32 })
        let f32Size = try FileManager.default.attributesOfItem(atPath: second.path)[.size] as! Int
        let f16Size = try FileManager.default.attributesOfItem(atPath: stored.path)[.size] as! Int
        XCTAssertLessThan(f16Size, f32Size * 3 / 4)
        // The recorded evaluation is the stored network's, on as many renders as the original's.
        let recorded = try JSONDecoder().decode(SegmenterEvaluation.self, from: Data(raw.metadata["evaluation"]!.utf8))
        let net = try SegmenterFiles.load(stored).network
        XCTAssertEqual(recorded, SegmenterTrainer.evaluate(net, domain: try Domains.named("toychurch"), resolution: 16, samples: 4))
        // The registry loads it; its predictions are those of the float32 network to half precision.
        let p = try registry.loadPredictor("toychurch_seg16_wide")
        XCTAssertEqual(p.classNames.first, "sky")
        let original = try SegmenterFiles.load(second).network
        let (images, _) = try Domains.named("toychurch").batch(resolution: 16, seeds: DomainSeeds.heldOut(2, offset: 0))
        let a = original.predict(images).logits.data, b = net.predict(images).logits.data
        let scale = a.map(abs).max()!
        XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 0.02 * scale)
        let zoo = try JSONDecoder().decode(ZooFile.self, from: Data(contentsOf: configs.appendingPathComponent("zoo.json")))
        let entry = zoo.predictors.first { $0.name == "toychurch_seg16_wide" }!
        XCTAssertTrue(entry.note?.hasSuffix("as stored (F16)") == true, entry.note ?? "")
        XCTAssertTrue(entry.obtain?.contains("--suffix wide --half --relabel") == true, entry.obtain ?? "")
        XCTAssertEqual(zoo.generators.first { $0.name == "pggan_toychurch16" }?.predictor, "toychurch_seg16_wide")

        // Registering the run again keeps its (relabelled) predictor.
        _ = try ZooRegistration.register(runs: [run], segmenters: [], modelsDirectory: models, repoRoot: root, configDirectory: configs)
        XCTAssertEqual(try ModelRegistry(configDirectory: configs).predictorName(forGenerator: "pggan_toychurch16"), "toychurch_seg16_wide")
    }
}
