import XCTest
import LGGANTraining
import LGModels
import LGModelIO
import LGTensor

final class ExportTests: XCTestCase {
    func testExportedGeneratorReloadsThroughTheModelLoaders() throws {
        for family in GeneratorFamily.allCases {
            let t = try GANTrainer(config: tinyConfig(family, resolution: 16, batch: 4, seed: 5),
                                   source: PaletteSquareSource(resolution: 16))
            for _ in 0..<3 { t.step() }
            let sd = t.exportGenerator()
            let json = try t.exportedGeneratorConfig.configJSON()
            // Through the genforce-config factory, as the worker loads models.
            let g = try family.makeGenerator(configJSON: json)
            try g.load(sd)
            // And through the family's own initialiser.
            let g2: any Generator
            switch t.exportedGeneratorConfig {
            case let .pggan(c): g2 = try PGGANGenerator(config: c, stateDict: sd)
            case let .style(c):
                g2 = c.family == .stylegan ? try StyleGANGenerator(config: c, stateDict: sd)
                                           : try StyleGAN2Generator(config: c, stateDict: sd)
            }
            let z = t.sampleLatents
            let expected = t.sampleImages()
            for gen in [g, g2] {
                let latent = GradMode.withoutGradients { gen.latent(fromZ: Variable(z), strategy: .notruncWP).value }
                let images = gen.generate(latent, features: false).image
                XCTAssertEqual(images.shape, [4, 3, 16, 16])
                XCTAssertLessThan(images.maxAbsDifference(expected), 1e-5, "\(family)")
            }
            // Safetensors round trip of the export.
            let url = temporaryDirectory("export").appendingPathComponent("\(family).safetensors")
            try Safetensors.write(sd.tensors, metadata: ["config": String(decoding: json, as: UTF8.self)], to: url)
            let (back, meta) = try Safetensors.read(url)
            let g3 = try family.makeGenerator(configJSON: Data(meta["config"]!.utf8))
            try g3.load(StateDict(back, source: url.path))
            XCTAssertEqual(g3.checkpointStateDict(), g.checkpointStateDict())
        }
    }

    func testSampleSheetIsAPNG() throws {
        let t = try GANTrainer(config: tinyConfig(.pggan, resolution: 8), source: PaletteSquareSource(resolution: 8))
        let url = temporaryDirectory("sheet").appendingPathComponent("s.png")
        try t.writeSampleSheet(to: url)
        let img = try PNG.decode([UInt8](Data(contentsOf: url)))
        XCTAssertEqual(img.width, 2 * 8 + 3 * 2)
    }
}
