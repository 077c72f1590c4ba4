import Foundation
import XCTest
import LGModelIO
import LGTensor
@testable import LGModels

/// The scene segmenter against `Fixtures/scene_deeplab_small` (made by the
/// reference's `tools/scene_fixture.py`: PyTorch-Encoding's DeepLabV3 +
/// ResNeSt at reduced width, blocks [2,2,2,2], ASPP rates (2, 4, 12), aux on).
/// Every intermediate within 1e-4 absolute; labels equal wherever the
/// reference's top-2 margin is at least 1e-4. `logits`/`aux` at full size
/// are kept for the 64x64 case only (4.9 MB each); the other cases check the
/// same upsampling through `seg_*` (16 of the 150 channels).
final class SceneSegmenterTests: XCTestCase {
    static let dir = "scene_deeplab_small"

    static func config() throws -> SceneSegmenterConfig {
        try SceneSegmenterConfig.decode(Fixture.json(dir + "/config"))
    }

    static func npy(_ c: String, _ name: String) throws -> Tensor {
        try NPY.read(Fixture.url("\(dir)/case_\(c)/\(name).npy"))
    }

    nonisolated(unsafe) static let model: SceneSegmenter? = {
        guard let cfg = try? config(),
              let sd = try? StateDict.loadTorch(Fixture.url(dir + "/weights.pth").path) else { return nil }
        return try? SceneSegmenter(config: cfg, stateDict: sd)
    }()

    func testConfigDecodesTheConstructorObject() throws {
        let c = try Self.config()
        XCTAssertEqual(c.layers, [2, 2, 2, 2])
        XCTAssertEqual(c.planes, [16, 32, 64, 128])
        XCTAssertEqual(c.stemWidth, 16)
        XCTAssertEqual(c.atrousRates, [2, 4, 12])
        XCTAssertEqual((0..<4).map { c.attentionWidth(stage: $0) }, [32, 32, 32, 64])
        // The real model from the fixture's `real_model` (a flat object).
        let any = try JSONSerialization.jsonObject(with: Fixture.json(Self.dir + "/config")) as? [String: Any]
        let real = try SceneSegmenterConfig.decode(JSONSerialization.data(withJSONObject: any?["real_model"] ?? [:]))
        XCTAssertEqual(real, SceneSegmenterConfig())
        XCTAssertEqual((0..<4).map { real.attentionWidth(stage: $0) }, [32, 64, 128, 256])
    }

    func testRealModelHasTheReferenceParameterCount() throws {
        // Spec section 5: 86,714,892 parameters in 1876 entries (279 BatchNorms also
        // hold num_batches_tracked, which is not read). Counted from the
        // declared shapes, without allocating a forward pass.
        let m = try SceneSegmenter()
        let shapes = m.declaredShapes
        XCTAssertEqual(shapes.count + 279, 1876)
        let bnStats = shapes.filter { $0.0.hasSuffix("running_mean") || $0.0.hasSuffix("running_var") }
        let params = shapes.map { Tensor.count(of: $0.1) }.reduce(0, +) - bnStats.map { Tensor.count(of: $0.1) }.reduce(0, +)
        XCTAssertEqual(params, 86_714_892)
    }

    func testEveryIntermediateOfEveryCase() throws {
        let m = try XCTUnwrap(Self.model, "fixture model did not load")
        let cfg = try Self.config()
        let channels = try XCTUnwrap((try JSONSerialization.jsonObject(with: Fixture.json(Self.dir + "/config")) as? [String: Any])?["selected_indices"] as? [Int])
        for c in ["64x64", "48x80", "50x70"] {
            let images = try Self.npy(c, "images")
            let x = SceneSegmenter.normalize(images: images)
            assertClose(x, try Self.npy(c, "x"), atol: 1e-5, "\(c) x")
            let out = m.forward(x, aux: true)
            for (name, t) in [("stem", out.stem), ("c1", out.c1), ("c2", out.c2), ("c3", out.c3), ("c4", out.c4),
                              ("aspp", out.aspp), ("head", out.head), ("aux_head", out.auxHead ?? Tensor(zeros: [0]))] {
                assertClose(t, try Self.npy(c, name), "\(c) \(name)")
            }
            XCTAssertEqual(out.logits.shape, [2, cfg.nClasses, images.shape[2], images.shape[3]])
            if c == "64x64" {
                assertClose(out.logits, try Self.npy(c, "logits"), "\(c) logits")
                assertClose(out.aux ?? Tensor(zeros: [0]), try Self.npy(c, "aux"), "\(c) aux")
            }
            // LinearGAN's raw_prediction and labels for stylegan2_bedroom.
            m.labelSelection = SceneLabelSelection(names: ["background"] + channels.map { "c\($0)" }, channels: channels)
            let seg = m.logits(image: images, labelResolution: nil)
            let refSeg = try Self.npy(c, "seg_stylegan2_bedroom")
            assertClose(seg, refSeg, "\(c) seg")
            let labels = m.labels(image: images, labelResolution: images.shape[2] == images.shape[3] ? images.shape[2] : nil)
            let refLabels = try NPY.readRaw(Fixture.url("\(Self.dir)/case_\(c)/labels_stylegan2_bedroom.npy")).intValues()
            XCTAssertEqual(labels.shape, [2, images.shape[2], images.shape[3]])
            let k = refSeg.shape[1], p = images.shape[2] * images.shape[3]
            var compared = 0, differ = 0
            for i in 0..<2 { for q in 0..<p {
                var v = (0..<k).map { refSeg.data[(i * k + $0) * p + q] }
                v.sort(by: >)
                guard v[0] - v[1] >= 1e-4 else { continue }
                compared += 1
                if Int(labels.data[i * p + q]) != refLabels[i * p + q] { differ += 1 }
            } }
            XCTAssertEqual(differ, 0, "\(c): \(differ) of \(compared) labels differ")
            XCTAssertGreaterThan(compared, 2 * p - 10, "\(c): too few pixels compared")
        }
    }

    func testLabelResolutionResizesTheLogits() throws {
        let m = try XCTUnwrap(Self.model)
        m.labelSelection = .all(classes: 150)
        let images = try Self.npy("64x64", "images")
        let small = m.logits(image: images, labelResolution: 32)
        let full = m.logits(image: images, labelResolution: nil)
        XCTAssertEqual(small.shape, [2, 151, 32, 32])
        assertClose(small, full.resizeBilinear(height: 32, width: 32, alignCorners: true), atol: 0, "resized logits")
        XCTAssertEqual(small.slice(axis: 1, 0..<1).maxAbs, 0)
    }

    func testMismatchedCheckpointNamesKeyAndShapes() throws {
        var cfg = try Self.config()
        cfg.planes = [16, 32, 64, 256]
        let sd = try StateDict.loadTorch(Fixture.url(Self.dir + "/weights.pth").path)
        XCTAssertThrowsError(try SceneSegmenter(config: cfg, stateDict: sd)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("pretrained.layer4.0.conv1.weight") && text.contains("[256, 256, 1, 1]")
                          && text.contains("[128, 256, 1, 1]"), text)
        }
        var missing = sd
        missing.tensors["head.block.4.bias"] = nil
        XCTAssertThrowsError(try SceneSegmenter(config: try Self.config(), stateDict: missing)) { e in
            XCTAssertTrue("\(e)".contains("head.block.4.bias"), "\(e)")
        }
    }

    func testLinearGANClassSelections() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let labels = try String(contentsOf: root.appendingPathComponent("configs/ade20k_labels.csv"), encoding: .utf8)
        let selected = try String(contentsOf: root.appendingPathComponent("configs/selected_labels.csv"), encoding: .utf8)
        let names = ADE20KLabels.names(csv: labels)
        XCTAssertEqual(names.count, 151)
        XCTAssertEqual(Array(names.prefix(4)), ["background", "wall", "building", "sky"])
        let expected: [String: [Int]] = [
            "stylegan2_bedroom": [0, 3, 5, 7, 8, 15, 18, 22, 36, 39, 57, 66, 82, 85, 139, 148],
            "stylegan2_church": [1, 2, 4, 6, 9, 11, 12, 13, 17, 20, 53],
            "stylegan_bedroom": [0, 3, 5, 7, 8, 15, 18, 19, 22, 28, 35, 36, 39, 44, 57, 66, 82, 85, 139],
            "stylegan_church": [1, 2, 4, 6, 9, 11, 12, 17, 43, 52],
            "pggan_bedroom": [0, 3, 5, 7, 8, 15, 18, 22, 36, 57, 82, 85, 139],
            "pggan_church": [1, 2, 4, 6, 9, 43],
        ]
        for (model, channels) in expected {
            let s = try ADE20KLabels.selection(model: model, labelsCSV: labels, selectedCSV: selected)
            XCTAssertEqual(s.channels, channels, model)
            XCTAssertEqual(s.names.count, channels.count + 1)
            XCTAssertEqual(s.names[0], "background")
        }
        XCTAssertThrowsError(try ADE20KLabels.selection(model: "no_such_gan", labelsCSV: labels, selectedCSV: selected))
    }

    /// The real model's convolution cost at 256 px, part by part, as the
    /// spec measured it on the reference (section 9: 83.1 GMAC).
    func testRealModelCostsWhatTheReferenceCosts() throws {
        let m = try SceneSegmenter()
        let parts = m.convMACs(height: 256, width: 256)
        let g = Dictionary(uniqueKeysWithValues: parts.map { ($0.part, Double($0.macs) / 1e9) })
        for (part, ref) in [("stem", 1.8), ("layer1", 1.0), ("layer2", 7.5), ("layer3", 41.5), ("layer4", 15.3), ("aspp", 15.4), ("head", 0.6)] {
            XCTAssertEqual(g[part] ?? 0, ref, accuracy: 0.05, part)
        }
        XCTAssertEqual(g.values.reduce(0, +), 83.1, accuracy: 0.1)
    }

    /// ResNeSt-200 DeepLabV3 at full width with seeded random weights runs
    /// (64 px, batch 1; lg-bench --section scene times it at 256 px).
    func testFullSizeNetworkRunsWithRandomWeights() throws {
        let m = try SceneSegmenter()
        m.randomize(seed: 1)
        var rng = SeededRandom(seed: 4)
        let images = rng.normalTensor([1, 3, 64, 72]).map { max(-1, min(1, $0 * 0.5)) }
        let out = m.forward(SceneSegmenter.normalize(images: images), aux: true)
        XCTAssertEqual(out.c1.shape, [1, 256, 16, 18])
        XCTAssertEqual(out.c4.shape, [1, 2048, 8, 9])
        XCTAssertEqual(out.logits.shape, [1, 150, 64, 72])
        XCTAssertEqual(out.aux?.shape, [1, 150, 64, 72])
        XCTAssertTrue(out.logits.data.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(out.logits.maxAbs, 0)
    }
}
