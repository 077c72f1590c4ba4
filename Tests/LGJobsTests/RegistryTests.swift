import XCTest
import LGTensor
import LGModels
@testable import LGJobs
import LGWire

final class RegistryTests: XCTestCase {
    static let paperGenerators = ["pggan_celebahq", "stylegan_celebahq", "stylegan2_ffhq",
                                  "pggan_bedroom", "stylegan_bedroom", "stylegan2_bedroom",
                                  "pggan_church", "stylegan_church", "stylegan2_church"]

    /// The shipped registry with weights looked up in an empty folder.
    func shippedRegistry() throws -> ModelRegistry {
        let configs = try Fixture.repoConfigs()
        let empty = try Fixture.tempDir("noweights")
        return try ModelRegistry(configDirectory: configs,
                                 locations: .init(repoRoot: empty, weightsDirectory: nil, cacheRoot: empty.appendingPathComponent("cache")))
    }

    func testShippedConfigsRegisterThePaperModels() throws {
        let r = try shippedRegistry()
        for name in Self.paperGenerators {
            let g = try r.generatorEntry(name)
            XCTAssertEqual(g.weights, "\(name).pth")
            XCTAssertEqual(g.labelResolution, g.isFace ? 512 : 256, name)
            XCTAssertEqual(g.predictor, g.isFace ? "face_seg" : "scene_seg", name)
            XCTAssertEqual(g.resolution, name.hasSuffix("celebahq") || name.hasSuffix("ffhq") ? 1024 : 256, name)
            if case let .object(cfg)? = g.config {
                switch g.family {
                case .stylegan:
                    XCTAssertEqual(cfg["truncation_psi"], .double(0.7)); XCTAssertEqual(cfg["truncation_layers"], .int(8))
                case .stylegan2:
                    XCTAssertEqual(cfg["truncation_psi"], .double(0.5)); XCTAssertEqual(cfg["truncation_layers"], .int(18))
                default: break
                }
            } else { XCTFail("\(name) has no config object") }
            // The config builds the architecture the checkpoint must match.
            XCTAssertFalse(try r.expectedShapes(of: g).isEmpty)
        }
        XCTAssertEqual(try r.generatorEntry("dcgan_face64").weightsSource, .modelCache)
        XCTAssertEqual(try r.classNames(labelSet: "celebamask").count, 15)
        XCTAssertEqual(try r.classNames(labelSet: "celebamask"), FaceParser.classNames)
        let bedroom = try r.classNames(labelSet: "ade20k_selected/stylegan2_bedroom")
        XCTAssertEqual(bedroom.count, 17)
        XCTAssertEqual(Array(bedroom.prefix(3)), ["background", "wall", "floor"])
        let ade = try r.classNames(labelSet: "ade20k")
        XCTAssertEqual(ade.count, 151)
        XCTAssertEqual(ade[2], "building")
        // Status covers every entry; nothing is present in the empty folder.
        let status = r.status()
        XCTAssertTrue(Self.paperGenerators.allSatisfy { n in status.contains { $0.name == n && !$0.weightsPresent } })
        XCTAssertTrue(status.contains { $0.name == "face_seg" && $0.kind == "predictor" })
        XCTAssertEqual(status.first { $0.name == "scene_seg" }?.runnable, true)
        XCTAssertEqual(status.first { $0.name == "stylegan2_ffhq" }?.path,
                       r.locations.repoRoot.appendingPathComponent("models/pretrain/pytorch/stylegan2_ffhq.pth").path)
    }

    func testAPredictorOverrideMustLabelTheGeneratorsLabelSet() throws {
        let r = try shippedRegistry()
        XCTAssertEqual(try r.predictorName(forGenerator: "stylegan2_ffhq", override: nil), "face_seg")
        XCTAssertEqual(try r.predictorName(forGenerator: "stylegan2_ffhq", override: "fixture_face_unet_r64"), "fixture_face_unet_r64")
        // A scene generator's label set is a selection of its predictor's (ade20k): judged by its own predictor's.
        XCTAssertEqual(try r.predictorName(forGenerator: "pggan_bedroom", override: "scene_seg"), "scene_seg")
        XCTAssertThrowsError(try r.predictorName(forGenerator: "stylegan2_ffhq", override: "scene_seg")) { e in
            XCTAssertEqual(e as? RegistryError, .incompatiblePredictor(predictor: "scene_seg", labelSet: "ade20k", generator: "stylegan2_ffhq",
                                                                       expected: "celebamask", own: "face_seg"))
            XCTAssertTrue("\(e)".contains("or none to use stylegan2_ffhq's own ('face_seg')"), "\(e)")
        }
        XCTAssertThrowsError(try r.predictorName(forGenerator: "stylegan2_ffhq", override: "no_such")) { e in
            guard case .unknownPredictor? = e as? RegistryError else { return XCTFail("\(e)") }
        }
        // The zoo: another segmenter of the domain is accepted, another domain's refused, and a
        // job's models (train, train_fewshot, evaluate) are refused before anything loads.
        guard (try? r.generatorEntry("stylegan2_toyface32")) != nil else { throw XCTSkip("configs/zoo.json not registered") }
        XCTAssertEqual(try r.predictorName(forGenerator: "stylegan2_toyface32", override: "toyface_seg32"), "toyface_seg32")
        XCTAssertThrowsError(try JobModels.load(ModelChoice(generator: "stylegan2_toyface32", predictor: "toychurch_seg32"), registry: r)) { e in
            guard case .incompatiblePredictor(_, "toychurch", _, "toyface", _)? = e as? RegistryError else { return XCTFail("\(e)") }
        }
    }

    /// A result records the predictor that labelled it and digests of the
    /// predictor's and the generator's weight files: the registered ones,
    /// or those the job names.
    func testResultProvenanceNamesThePredictorAndDigestsTheFilesRead() throws {
        let r = try shippedRegistry()
        guard (try? r.generatorEntry("stylegan2_toyface32")) != nil else { throw XCTSkip("configs/zoo.json not registered") }
        let name: (URL) -> String? = { $0.lastPathComponent }   // which file was digested
        let own = try r.predictorName(forGenerator: "stylegan2_toyface32")
        // No weight file found (this registry's root is empty): no digest, not a guessed one.
        XCTAssertEqual(try r.resultProvenance(["G": "stylegan2_toyface32", "SE": "LSE"], digest: name), ["predictor": own])
        let registered = [try XCTUnwrap(r.weightCandidates(for: try r.predictorEntry(own)).first),
                          try XCTUnwrap(r.weightCandidates(for: try r.generatorEntry("stylegan2_toyface32")).first)]
        let dir = try Fixture.tempDir("provenance")
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = dir.appendingPathComponent("g.safetensors"), p = dir.appendingPathComponent("p.safetensors")
        for url in registered + [g, p] {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(url.lastPathComponent.utf8).write(to: url)
        }
        XCTAssertEqual(try r.resultProvenance(["G": "stylegan2_toyface32", "SE": "LSE"], digest: name),
                       ["predictor": own, "predictor_sha256": registered[0].lastPathComponent,
                        "generator_sha256": registered[1].lastPathComponent])
        let named = try r.resultProvenance(["G": "stylegan2_toyface32", "weights": g.path, "predictor": "toyface_seg32",
                                            "predictor_weights": p.path], digest: name)
        XCTAssertEqual(named, ["predictor": "toyface_seg32", "predictor_sha256": "p.safetensors", "generator_sha256": "g.safetensors"])
        // No registered generator: nothing to record; a refused predictor: the registry's error.
        XCTAssertEqual(try r.resultProvenance(["G": "no_such", "SE": "LSE"], digest: name), [:])
        XCTAssertEqual(try r.resultProvenance(["kind": "x"], digest: name), [:])
        XCTAssertThrowsError(try r.resultProvenance(["G": "stylegan2_toyface32", "predictor": "toychurch_seg32"], digest: name)) { e in
            guard case .incompatiblePredictor? = e as? RegistryError else { return XCTFail("\(e)") }
        }
    }

    func testMissingWeightsErrorNamesPathShapesAndSource() throws {
        let r = try shippedRegistry()
        XCTAssertThrowsError(try r.loadGenerator("stylegan2_church")) { e in
            let text = "\(e)"
            guard case let .missingWeights(model, searched, shapes, _)? = e as? RegistryError else {
                return XCTFail("unexpected \(e)")
            }
            XCTAssertEqual(model, "stylegan2_church")
            XCTAssertEqual(searched.first, r.locations.repoRoot.appendingPathComponent("models/pretrain/pytorch/stylegan2_church.pth").path)
            XCTAssertTrue(shapes.contains(RegistryError.KeyShape("synthesis.early_layer.const", [1, 512, 4, 4])), "\(shapes)")
            XCTAssertTrue(shapes.contains(RegistryError.KeyShape("truncation.w_avg", [512])), "\(shapes)")
            XCTAssertTrue(text.contains("models/pretrain/pytorch/stylegan2_church.pth"), text)
            XCTAssertTrue(text.contains("[1, 512, 4, 4]"), text)
            XCTAssertTrue(text.contains("drive.google.com") && text.contains("LINEARGAN_WEIGHTS"), text)
        }
        XCTAssertThrowsError(try r.loadPredictor("face_seg")) { e in
            XCTAssertTrue("\(e)".contains("predictors/pretrain/faceparse_unet_512.pth"), "\(e)")
        }
        XCTAssertThrowsError(try r.loadPredictor("scene_seg", generator: "stylegan2_bedroom")) { e in
            guard case .missingWeights? = e as? RegistryError else { return XCTFail("\(e)") }
            let text = "\(e)"
            XCTAssertTrue(text.contains("predictors/pretrain/deeplab_resnest200_ade-7b9e7d3e.pth"), text)
            XCTAssertTrue(text.contains("'head.block.4.weight' [150, 256, 1, 1]") && text.contains("7b9e7d3e6f0e2c763c7d77cad14d306c0a31fe05"), text)
        }
        XCTAssertThrowsError(try r.loadGenerator("nope")) { e in
            XCTAssertTrue("\(e)".contains("stylegan2_ffhq"), "\(e)")
        }
        XCTAssertThrowsError(try r.loadGenerator("dcgan_face64", weights: "/nonexistent/dcgan.tar")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/dcgan.tar") && "\(e)".contains("main.0.weight"), "\(e)")
        }
    }

    func testEnvironmentWeightsFolderIsSearched() throws {
        let configs = try Fixture.repoConfigs()
        let w = try Fixture.tempDir("weights")
        let r = try ModelRegistry(configDirectory: configs, environment: ["LINEARGAN_WEIGHTS": w.path, "LINEARGAN_CACHE": w.path])
        XCTAssertTrue(r.weightCandidates(for: try r.generatorEntry("pggan_bedroom")).contains(w.appendingPathComponent("pggan_bedroom.pth")))
        // A file of the wrong model under the expected name: a mismatch naming key and shapes.
        try FileManager.default.copyItem(at: Fixture.url("stylegan2_r32.weights.pth"), to: w.appendingPathComponent("stylegan2_bedroom.pth"))
        XCTAssertThrowsError(try r.loadGenerator("stylegan2_bedroom")) { e in
            guard case let .mismatchedWeights(_, path, problem, shapes, _)? = e as? RegistryError else { return XCTFail("\(e)") }
            XCTAssertEqual(path, w.appendingPathComponent("stylegan2_bedroom.pth").path)
            XCTAssertTrue(problem.contains("shape") || problem.contains("no tensor"), problem)
            XCTAssertFalse(shapes.isEmpty)
        }
    }

    func testFixtureModelsLoadThroughTheRegistry() throws {
        let r = try Fixture.registry()
        let g = try r.loadGenerator("fixture_stylegan2_r32")
        XCTAssertEqual(g.resolution, 32)
        XCTAssertEqual(g.featureChannels.count, 7)
        let p = try r.loadPredictor("fixture_face_unet_r64")
        XCTAssertEqual(p.nClasses, 15)
        XCTAssertEqual(p.classNames[1], "skin")
        var rng = SeededRandom(seed: 1)
        let models = JobModels(generator: g, predictor: p, labelResolution: 32)
        let (image, features) = models.sample(strategy: .truncWP, rng: &rng)
        XCTAssertEqual(image.shape, [1, 3, 32, 32])
        XCTAssertEqual(features.map { $0.shape[1] }, g.featureChannels)
        let labels = models.labels(image)
        XCTAssertEqual(labels.shape, [1, 32, 32])
        XCTAssertEqual(p.logits(image: image, labelResolution: 32).shape, [1, 15, 32, 32])
        // The mismatch path: the UNet's weights given for the generator.
        XCTAssertThrowsError(try r.loadGenerator("fixture_stylegan2_r32", weights: Fixture.url("face_unet_r64.weights.pth").path)) { e in
            guard case .mismatchedWeights? = e as? RegistryError else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("face_unet_r64.weights.pth"), "\(e)")
        }
    }

    func testShippedFixtureEntriesResolveInTheRepository() throws {
        let configs = try Fixture.repoConfigs()
        let r = try ModelRegistry(configDirectory: configs)
        let g = try r.generatorWeights("fixture_stylegan2_r32")
        XCTAssertTrue(FileManager.default.fileExists(atPath: g.path))
        _ = try r.loadPredictor("fixture_face_unet_r64")
    }

    /// The scene segmenter through the registry: the generator's label set
    /// picks LinearGAN's class selection; the small fixture's weights given
    /// for the real model name the mismatched key and both shapes.
    func testSceneSegmenterLoadsThroughTheRegistry() throws {
        let r = try ModelRegistry(configDirectory: try Fixture.repoConfigs())
        let bedroom = try r.loadPredictor("fixture_scene_deeplab_small", generator: "stylegan2_bedroom")
        XCTAssertEqual(bedroom.nClasses, 17)
        XCTAssertEqual(Array(bedroom.classNames.prefix(3)), ["background", "wall", "floor"])
        XCTAssertEqual((bedroom as? SceneSegmenter)?.labelSelection.channels.prefix(4), [0, 3, 5, 7])
        let church = try r.loadPredictor("fixture_scene_deeplab_small", generator: "pggan_church")
        XCTAssertEqual((church as? SceneSegmenter)?.labelSelection.channels, [1, 2, 4, 6, 9, 43])
        let all = try r.loadPredictor("fixture_scene_deeplab_small")
        XCTAssertEqual(all.nClasses, 151)
        XCTAssertEqual(all.classNames[3], "sky")
        var rng = SeededRandom(seed: 2)
        let image = rng.normalTensor([1, 3, 40, 40]).map { max(-1, min(1, $0 * 0.5)) }
        XCTAssertEqual(bedroom.labels(image: image, labelResolution: 40).shape, [1, 40, 40])
        let weights = try r.predictorWeights("fixture_scene_deeplab_small").path
        XCTAssertThrowsError(try r.loadPredictor("scene_seg", weights: weights, generator: "stylegan2_church")) { e in
            guard case .mismatchedWeights? = e as? RegistryError else { return XCTFail("\(e)") }
            let text = "\(e)"
            XCTAssertTrue(text.contains("pretrained.conv1.0.weight") && text.contains("[64, 3, 3, 3]") && text.contains("[16, 3, 3, 3]"), text)
        }
    }
}
