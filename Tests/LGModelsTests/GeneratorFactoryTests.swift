import Foundation
import XCTest
import LGTensor
import LGModels

final class GeneratorFactoryTests: XCTestCase {
    func testFixtureConfigsBuildTheirFamilies() throws {
        let cases: [(String, GeneratorFamily, Int)] = [("pggan_r32", .pggan, 4), ("stylegan_r32", .stylegan, 4),
                                                       ("stylegan_r128", .stylegan, 6), ("stylegan2_r32", .stylegan2, 7)]
        for (name, family, nFeatures) in cases {
            let g = try family.makeGenerator(configJSON: Fixture.json(name))
            try g.load(Fixture.stateDict(name))
            XCTAssertEqual(g.featureChannels.count, nFeatures, name)
            XCTAssertEqual(g.resolution, name.hasSuffix("128") ? 128 : 32, name)
        }
    }

    func testPaperGeneratorShapes() throws {
        let g = try PaperGenerators.make("stylegan2_ffhq") as! StyleGAN2Generator
        XCTAssertEqual(g.numLayers, 18)
        XCTAssertEqual(g.featureChannels.count, 17)
        XCTAssertEqual(g.config.truncationPsi, 0.5)
        let s = try PaperGenerators.make("stylegan2_church") as! StyleGAN2Generator
        XCTAssertEqual(s.featureChannels.count, 13)
        XCTAssertEqual(s.store.declaredShapes.first { $0.0 == "synthesis.layer12.weight" }?.1, [3, 3, 128, 128])
        let v1 = try PaperGenerators.make("stylegan_bedroom") as! StyleGANGenerator
        XCTAssertEqual(v1.numLayers, 14)
        XCTAssertEqual(v1.config.truncationLayers, 8)
        XCTAssertEqual(try PaperGenerators.make("pggan_celebahq").featureResolutions.last, 1024)
        XCTAssertThrowsError(try PaperGenerators.make("biggan_x"))
    }

    func testConfigNullDisablesTruncation() throws {
        let c = try StyleGANConfig.decode(Data(#"{"resolution": 32, "truncation_psi": null}"#.utf8), family: .stylegan)
        XCTAssertNil(c.truncationPsi)
        XCTAssertEqual(c.truncationCoefficients, [Float](repeating: 1, count: 8))
        let d = try StyleGANConfig.decode(Data(#"{"resolution": 64, "fused_scale": true}"#.utf8), family: .stylegan)
        XCTAssertEqual(d.fusedScale, .always)
        XCTAssertEqual(d.truncationPsi, 0.7)
    }

    func testLevelOfDetailSkipsFinestBlock() throws {
        var sd = try Fixture.stateDict("pggan_r32")
        let io = try Fixture.io("pggan_r32")
        let config = try JSONDecoder().decode(PGGANConfig.self, from: Fixture.json("pggan_r32"))
        sd.tensors["lod"] = Tensor(scalar: 1)
        let g = try PGGANGenerator(config: config, stateDict: sd)
        XCTAssertEqual(g.lod, 1)
        let out = g.generate(io["z"]!.floatTensor())
        // The 32 px block is skipped: its feature repeats the 16 px map and
        // the image is the 16 px output up-sampled.
        XCTAssertEqual(out.features[3], out.features[2])
        XCTAssertLessThan(out.features[2].maxAbsDifference(io["features.2"]!.floatTensor()), 1e-4)
        XCTAssertEqual(out.image.shape, [2, 3, 32, 32])
        XCTAssertEqual(out.image[0, 1, 5, 7], out.image[0, 1, 4, 6])
    }
}
