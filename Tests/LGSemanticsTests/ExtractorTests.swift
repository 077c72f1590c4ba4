import Foundation
import XCTest
import LGTensor
import LGModels
@testable import LGSemantics

final class ExtractorTests: XCTestCase {
    func testInitialisation() throws {
        var rng = SeededRandom(seed: 3)
        let lse = try makeSemanticExtractor(ExtractorArch(type: .lse, nClass: 5, dims: [64, 16]), rng: &rng)
        XCTAssertEqual(lse.namedParameters.map(\.0), ["layer_weight", "extractor.0.weight", "extractor.1.weight"])
        XCTAssertEqual(lse.layerWeight!.value, Tensor(repeating: 1, shape: [2]))
        let w = lse.namedParameters[1].1.value
        XCTAssertLessThanOrEqual(w.maxAbs, 1 / 8)
        XCTAssertGreaterThan(w.maxAbs, 0.1)
        let nse1 = try makeSemanticExtractor(ExtractorArch(type: .nse1, nClass: 5, dims: [64]), rng: &rng)
        XCTAssertEqual(nse1.namedParameters.map { "\($0.0)\($0.1.shape)" },
                       ["layer_weight[1]", "extractor.0.0.weight[34, 64, 1, 1]", "extractor.0.0.bias[34]",
                        "extractor.0.2.weight[34, 34, 1, 1]", "extractor.0.2.bias[34]",
                        "extractor.0.4.weight[5, 34, 1, 1]", "extractor.0.4.bias[5]"])
        let nse2 = try makeSemanticExtractor(ExtractorArch(type: .nse2, nClass: 5, dims: [8, 4]), rng: &rng)
        XCTAssertNil(nse2.layerWeight)
        XCTAssertEqual(nse2.namedParameters.map(\.0),
                       ["extractor.0.0.weight", "extractor.0.0.bias", "extractor.1.0.weight", "extractor.1.0.bias",
                        "reviser.0.0.weight", "reviser.0.0.bias", "visualizer.weight", "visualizer.bias"])
    }

    func testOptimizerGroups() throws {
        var rng = SeededRandom(seed: 4)
        for t in [ExtractorType.lse, .nse1] {
            let se = try makeSemanticExtractor(ExtractorArch(type: t, nClass: 3, dims: [4, 4]), rng: &rng)
            let opt = makeOptimizer(for: se, learningRate: 0.001)
            XCTAssertEqual(opt.groups.count, 2)
            XCTAssertEqual(opt.groups[0].parameters.count, se.parameters.count - 1)
            XCTAssertFalse(opt.groups[0].parameters.contains { $0 === se.layerWeight })
            XCTAssertTrue(opt.groups[1].parameters[0] === se.layerWeight)
            XCTAssertEqual(opt.groups[1].learningRate, 0.01, accuracy: 1e-9)
        }
        let nse2 = try makeSemanticExtractor(ExtractorArch(type: .nse2, nClass: 3, dims: [4, 4]), rng: &rng)
        let opt = makeOptimizer(for: nse2, learningRate: 0.001)
        XCTAssertEqual(opt.groups.count, 1)
        XCTAssertEqual(opt.groups[0].parameters.count, nse2.parameters.count)
    }

    func testFeatureSelectionAndErrors() throws {
        var rng = SeededRandom(seed: 5)
        let arch = ExtractorArch(type: .lse, nClass: 4, dims: [8, 4], layers: [1, 4])
        let se = try makeSemanticExtractor(arch, rng: &rng)
        let all = CheckpointTests.features(&rng)
        let fromAll = try se.forward(all, size: 8)
        let fromUsed = try se.forward([all[1], all[4]], size: 8)
        for (a, b) in zip(fromAll, fromUsed) { XCTAssertEqual(a.value, b.value) }
        // Per-layer outputs keep their resolution; the final is at `size`.
        XCTAssertEqual(fromAll.map(\.shape), [[1, 4, 4, 4], [1, 4, 8, 8], [1, 4, 8, 8]])
        XCTAssertThrowsError(try se.forward([all[0]], size: 8))
        XCTAssertThrowsError(try se.forward([all[0], all[2]], size: 8))  // wrong channels
    }

    func testNormalLayerLoss() throws {
        var rng = SeededRandom(seed: 6)
        let se = try makeSemanticExtractor(ExtractorArch(type: .lse, nClass: 4, dims: [8, 4], layers: [1, 4]), rng: &rng)
        let feats = CheckpointTests.features(&rng)
        let label = Labels(shape: [1, 16, 16], data: (0..<256).map { _ in Int32(rng.int(in: 0..<4)) })
        let segs = try se.forward(feats, size: 16)
        let total = segmentationLoss(segs, labels: label, kind: .normallayer).value.scalar
        var expected = segs[2].crossEntropy(label).value.scalar
        for s in segs.dropLast() {
            expected += 0.1 * s.resizeBilinear(height: 16, width: 16, alignCorners: true).crossEntropy(label).value.scalar
        }
        XCTAssertEqual(total, expected, accuracy: 1e-5)
        XCTAssertEqual(SegLossKind(referenceName: "normallayer"), .normallayer)
        XCTAssertEqual(SegLossKind(referenceName: "focal"), .focal)
        XCTAssertEqual(SegLossKind(referenceName: "normal"), .normal)
        // Gradients reach every parameter.
        let (loss, _) = try se.trainingLoss(features: feats, labels: label, kind: .normallayer)
        loss.backward()
        XCTAssertTrue(se.parameters.allSatisfy { $0.grad != nil })
    }

    func testLayerWeightTypes() throws {
        var rng = SeededRandom(seed: 8)
        let feats = CheckpointTests.features(&rng)
        for lw in LayerWeightType.allCases {
            let se = try LayerwiseExtractor(arch: ExtractorArch(type: .lse, nClass: 3, dims: [8, 4], layers: [1, 4], lwType: lw), rng: &rng)
            se.theta.value = Tensor(shape: [2], data: [0.3, -1.2])
            let o = try se.forward(feats, size: 8)
            let a = o[0].value.resizeBilinear(height: 8, width: 8, alignCorners: true), b = o[1].value
            let w: [Float]
            switch lw {
            case .unweighted: w = [1, 1]
            case .direct: w = [0.3, -1.2]
            case .softplus:
                let s = [Float(log1p(exp(0.3))), Float(log1p(exp(-1.2)))]; w = s.map { $0 / (s[0] + s[1]) }
            case .sigmoid:
                let s = [Float(1 / (1 + exp(-0.3))), Float(1 / (1 + exp(1.2)))]; w = s.map { $0 / (s[0] + s[1]) }
            }
            let expected = a.scaled(w[0]).adding(b.scaled(w[1]))
            XCTAssertLessThan(o[2].value.maxAbsDifference(expected), 1e-5, "\(lw)")
        }
    }
}
