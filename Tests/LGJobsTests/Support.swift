import Foundation
import XCTest
import LGTensor
import LGModels
@testable import LGJobs
import LGWire

enum Fixture {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        guard let u = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw XCTSkip("fixture \(name) is not in the test bundle")
        }
        return u
    }

    /// A registry holding the fixture StyleGAN2 (r32) and face UNet (r64),
    /// with weights given by path, labels at `labelResolution`.
    static func registry(labelResolution: Int = 64) throws -> ModelRegistry {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("lgjobs-empty-\(getpid())")
        let r = ModelRegistry(locations: .init(repoRoot: tmp, cacheRoot: tmp.appendingPathComponent("cache")))
        let gcfg = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url("stylegan2_r32.json")))
        let pcfg = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url("face_unet_r64.json")))
        try r.register(GeneratorEntry(name: "fixture_stylegan2_r32", family: .stylegan2, resolution: 32, config: gcfg,
                                      weights: "stylegan2_r32.weights.pth", weightsPath: try url("stylegan2_r32.weights.pth").path,
                                      labelResolution: labelResolution, predictor: "fixture_face_unet_r64", labelSet: "celebamask",
                                      obtain: "test fixture", testOnly: true))
        try r.register(PredictorEntry(name: "fixture_face_unet_r64", kind: .faceUNet, config: pcfg,
                                      weights: "face_unet_r64.weights.pth", weightsPath: try url("face_unet_r64.weights.pth").path,
                                      labelSet: "celebamask", obtain: "test fixture", testOnly: true))
        return r
    }

    /// The repository's configs/ folder (next to Tests/).
    static func repoConfigs() throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = root.appendingPathComponent("configs")
        guard FileManager.default.fileExists(atPath: c.appendingPathComponent("generators.json").path) else {
            throw XCTSkip("configs/ not found beside the tests")
        }
        return c
    }

    static func tempDir(_ tag: String) throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("lgjobs-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }
}

/// Parameters of a tiny training on the fixtures.
func tinyTrain(_ extra: [String: String] = [:]) -> JobParameters {
    JobParameters(["G": "fixture_stylegan2_r32", "SE": "LSE", "epochs": "2", "steps_per_epoch": "8",
                   "eval_samples": "4", "seed": "7"].merging(extra) { $1 })
}

/// Bitwise equality of two parameter sets.
func assertBitwiseEqual(_ a: [String: Tensor], _ b: [String: Tensor], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
    for (k, t) in a {
        guard let u = b[k] else { continue }
        XCTAssertEqual(t.shape, u.shape, k, file: file, line: line)
        XCTAssertEqual(t.data.map(\.bitPattern), u.data.map(\.bitPattern), "parameter \(k) differs", file: file, line: line)
    }
}

/// Parameters of the extractor a job wrote.
func extractorParameters(_ report: JobReport) throws -> [String: Tensor] {
    let path = try XCTUnwrap(report.extractorPath)
    return try SemanticCheckpointReader.parameters(path)
}

import LGSemantics
enum SemanticCheckpointReader {
    static func parameters(_ path: String) throws -> [String: Tensor] {
        try SemanticCheckpoint.read(URL(fileURLWithPath: path)).parameters
    }
}
