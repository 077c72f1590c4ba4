import XCTest
import LGTensor
import LGModels
@testable import LGJobs

/// `randomJobModels`: the paper's pipelines at their registered sizes without
/// weight files (what `lg-bench --section job` times).
final class RandomModelsTests: XCTestCase {
    func registry() throws -> ModelRegistry {
        let empty = try Fixture.tempDir("noweights")
        return try ModelRegistry(configDirectory: try Fixture.repoConfigs(),
                                 locations: .init(repoRoot: empty, weightsDirectory: nil, cacheRoot: empty.appendingPathComponent("cache")))
    }

    func testFacePipelineHasTheRegisteredSizesAndNoWeightFiles() throws {
        let m = try registry().randomJobModels(generator: "pggan_celebahq", seed: 1)
        XCTAssertEqual(m.labelResolution, 512)
        XCTAssertEqual(m.predictor.nClasses, 15)
        XCTAssertTrue(m.predictor is FaceParser)
        XCTAssertEqual(m.generator.featureChannels.count, 9)   // PGGAN-1024: 4 px to 1024 px
        // Seeded: the same seed gives the same weights, another seed others.
        let again = try registry().randomJobModels(generator: "pggan_celebahq", seed: 1)
        let other = try registry().randomJobModels(generator: "pggan_celebahq", seed: 2)
        let key = m.generator.store.namedParameters[0].0
        XCTAssertEqual(m.generator.store[key].value.data, again.generator.store[key].value.data)
        XCTAssertNotEqual(m.generator.store[key].value.data, other.generator.store[key].value.data)
    }

    func testScenePipelineLabelsTheGeneratorsSelectedClasses() throws {
        let m = try registry().randomJobModels(generator: "stylegan2_bedroom", seed: 1)
        XCTAssertEqual(m.labelResolution, 256)
        XCTAssertTrue(m.predictor is SceneSegmenter)
        // Background + selected_labels.csv's 16 bedroom classes.
        XCTAssertEqual(m.predictor.nClasses, 17)
        XCTAssertEqual(m.predictor.classNames.prefix(3), ["background", "wall", "floor"])
    }

    func testAGeneratorBuiltOnlyFromItsWeightsIsRefused() throws {
        XCTAssertThrowsError(try registry().randomJobModels(generator: "dcgan_face64", seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("DCGAN"), "\(error)")
        }
    }
}
