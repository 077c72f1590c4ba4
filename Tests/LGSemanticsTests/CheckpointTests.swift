import Foundation
import XCTest
import LGTensor
import LGModelIO
import LGModels
@testable import LGSemantics

final class CheckpointTests: XCTestCase {
    static let archs: [ExtractorArch] = [
        ExtractorArch(type: .lse, nClass: 4, dims: [8, 6, 4], layers: [1, 3, 4]),
        ExtractorArch(type: .lse, nClass: 4, dims: [8, 6, 4], layers: [1, 3, 4], lwType: .sigmoid, useBias: true),
        ExtractorArch(type: .nse1, nClass: 4, dims: [8, 6, 4], layers: [1, 3, 4], lwType: .unweighted),
        ExtractorArch(type: .nse1, nClass: 4, dims: [8, 6, 4], layers: [1, 3, 4], ksize: 3, nLayers: 4),
        ExtractorArch(type: .nse2, nClass: 4, dims: [8, 6, 4], layers: [1, 3, 4]),
    ]

    /// Five generator-like features: 2x2, 4x4, 4x4, 8x8, 8x8; layers 1, 3, 4 used.
    static func features(_ rng: inout SeededRandom) -> [Tensor] {
        [rng.normalTensor([1, 5, 2, 2]), rng.normalTensor([1, 8, 4, 4]), rng.normalTensor([1, 3, 4, 4]),
         rng.normalTensor([1, 6, 8, 8]), rng.normalTensor([1, 4, 8, 8])]
    }

    func tempURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lgsem-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    }

    func testSaveLoadRoundTrip() throws {
        for (n, arch) in Self.archs.enumerated() {
            var rng = SeededRandom(seed: UInt64(100 + n))
            let se = try makeSemanticExtractor(arch, rng: &rng)
            let feats = Self.features(&rng)
            let url = tempURL("rt\(n).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try SemanticCheckpoint.save(se, to: url, metadata: ["note": "round trip"])
            let (a, _, meta) = try SemanticCheckpoint.read(url)
            XCTAssertEqual(a, arch)
            XCTAssertEqual(meta["note"], "round trip")
            XCTAssertEqual(meta["format"], SemanticCheckpoint.formatTag)
            let back = try SemanticCheckpoint.loadAny(url)
            XCTAssertEqual(back.arch, arch)
            let (again, againMeta) = try SemanticCheckpoint.loadAnyWithMetadata(url)
            XCTAssertEqual(again.arch, arch)
            XCTAssertEqual(againMeta, meta)
            XCTAssertEqual(try SemanticCheckpoint.readMetadata(url), meta)
            XCTAssertEqual(back.namedParameters.map(\.0), se.namedParameters.map(\.0))
            for ((_, p), (_, q)) in zip(se.namedParameters, back.namedParameters) { XCTAssertEqual(p.value, q.value) }
            let o1 = try se.forward(feats, size: 16), o2 = try back.forward(feats, size: 16)
            XCTAssertEqual(o1.count, arch.type == .nse2 ? 1 : 4)
            for (x, y) in zip(o1, o2) { XCTAssertEqual(x.value, y.value) }
            XCTAssertEqual(o1.last!.shape, [1, 4, 16, 16])
            XCTAssertEqual(try back.predict(feats, size: 16).shape, [1, 16, 16])
        }
    }

    func testImportReferenceLayout() throws {
        // A reference checkpoint {"arch": ..., "param": state_dict}, built from a fixture.
        let root = try Fixture.torch("se_NSE-1_softplus_normal.pth")
        let ref: TorchValue = .dict([(.string("arch"), root["arch"]!), (.string("param"), root["init"]!)])
        let se = try SemanticCheckpoint.importReference(ref, source: "test")
        XCTAssertEqual(se.arch.type, .nse1)
        XCTAssertEqual(se.arch.dims, [64, 64, 64, 64, 64, 32, 32])
        XCTAssertEqual(se.arch.lwType, .softplus)
        XCTAssertEqual(se.namedParameters.map(\.0), root["init"]!.stringKeyedDict!.map(\.key))
        // Without "arch" (the reference's NSE-2 bug), the shapes decide.
        let bare: TorchValue = .dict([(.string("param"), root["init"]!)])
        let inferred = try SemanticCheckpoint.importReference(bare, source: "test")
        XCTAssertEqual(inferred.arch, se.arch)
        for (t, name) in [(ExtractorType.lse, "se_LSE_none_focal.pth")] {
            let r = try Fixture.torch(name)
            let p = try SemanticCheckpoint.importReference(.dict([(.string("param"), r["init"]!)]), source: name)
            XCTAssertEqual(p.arch.type, t)
            XCTAssertEqual(p.arch.nClass, 5)
        }
    }

    func testArchJSONUsesReferenceKeys() throws {
        let arch = ExtractorArch(type: .nse1, nClass: 15, dims: [512, 256], layers: [3, 5])
        let json = try SemanticCheckpoint.archJSON(arch)
        XCTAssertEqual(json, #"{"dims":[512,256],"ksize":1,"layers":[3,5],"lw_type":"softplus","n_class":15,"n_layers":3,"type":"NSE-1","use_bias":true}"#)
        XCTAssertEqual(try SemanticCheckpoint.arch(fromJSON: json), arch)
        let lse = try SemanticCheckpoint.arch(fromJSON: #"{"type":"LSE","n_class":3,"dims":[4,4]}"#)
        XCTAssertEqual(lse.layers, [0, 1])
        XCTAssertEqual(lse.lwType, .softplus)
        XCTAssertEqual(lse.useBias, false)
        let plain = try SemanticCheckpoint.arch(fromJSON: #"{"type":"LSE","n_class":3,"dims":[4],"lw_type":"none"}"#)
        XCTAssertEqual(plain.lwType, .unweighted)
        XCTAssertTrue(try SemanticCheckpoint.archJSON(plain).contains(#""lw_type":"none""#))
    }

    func testLoadRejectsWrongShapes() throws {
        var rng = SeededRandom(seed: 1)
        let se = try makeSemanticExtractor(Self.archs[0], rng: &rng)
        var sd = se.stateDict()
        sd["extractor.1.weight"] = Tensor(zeros: [4, 7, 1, 1])
        XCTAssertThrowsError(try se.load(sd, source: "bad"))
        sd.removeValue(forKey: "extractor.1.weight")
        XCTAssertThrowsError(try se.load(sd, source: "bad"))
        XCTAssertThrowsError(try makeSemanticExtractor(
            ExtractorArch(type: .lse, nClass: 3, dims: [4], layers: [0, 1]), rng: &rng))
    }
}
