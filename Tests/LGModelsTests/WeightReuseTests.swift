import Foundation
import XCTest
@testable import LGTensor
import LGModels

/// Generating again with the same weights transforms none of them again:
/// every convolution's Winograd transform (and StyleGAN's and PGGAN's fused
/// up-sampling kernels) is found in `TransformedWeightCache`. A kernel made from the
/// weight on every call would be new storage each time, a miss, and a dead
/// entry that only eviction removes (StyleGAN2's scaled 3x3 weights did
/// that: 83 MB a step at 256 px, the cache full of them after a few steps).
final class WeightReuseTests: XCTestCase {
    func testRepeatedInferenceTransformsNoWeightAgain() throws {
        let saved = (Winograd.policy, Winograd.minimumTiles, Winograd.minimumTransposedTiles, Winograd.minimumTilesF4)
        defer {
            (Winograd.policy, Winograd.minimumTiles, Winograd.minimumTransposedTiles, Winograd.minimumTilesF4) = saved
            TransformedWeightCache.shared.removeAll()
        }
        Winograd.policy = .inference
        Winograd.minimumTiles = 1; Winograd.minimumTransposedTiles = 1; Winograd.minimumTilesF4 = 1
        let cache = TransformedWeightCache.shared
        // StyleGAN's fused up-sampling with 32 channels, enough for the transposed Winograd.
        var fused = StyleGANConfig(family: .stylegan, resolution: 16)
        fused.zSpaceDim = 8; fused.wSpaceDim = 8; fused.numMappingLayers = 2
        fused.fmapsBase = 512; fused.fmapsMax = 32; fused.fusedScale = .always
        let fusedStyleGAN = try StyleGANGenerator(config: fused)
        fusedStyleGAN.randomizeWeights(seed: 42)
        let fusedPGGAN = try PGGANGenerator(config: PGGANConfig(resolution: 16, zSpaceDim: 32, fusedScale: true, fmapsBase: 512, fmapsMax: 32))
        fusedPGGAN.randomizeWeights(seed: 43)
        for name in ["pggan_r32", "stylegan_r32", "stylegan_r128", "stylegan2_r32", "stylegan fused, 32 channels", "pggan fused, 32 channels"] {
            cache.removeAll()
            let g: any Generator
            if name.hasPrefix("stylegan fused") {
                g = fusedStyleGAN
            } else if name.hasPrefix("pggan fused") {
                g = fusedPGGAN
            } else {
                let family: GeneratorFamily = name.hasPrefix("pggan") ? .pggan : name.hasPrefix("stylegan2") ? .stylegan2 : .stylegan
                g = try family.makeGenerator(configJSON: Fixture.json(name))
                try g.load(Fixture.stateDict(name))
            }
            var rng = SeededRandom(seed: 41)
            let latent = GradMode.withoutGradients { g.latent(fromZ: Variable(rng.normalTensor(g.zShape(batch: 1, strategy: .truncWP))), strategy: .truncWP).value }
            let first = g.generate(latent)
            let stored = cache.stores
            XCTAssertGreaterThan(stored, 0, "\(name): its convolutions keep transforms")
            let second = g.generate(latent)
            XCTAssertEqual(cache.stores, stored, "\(name): nothing new kept when generating again")
            XCTAssertGreaterThanOrEqual(cache.hits, stored, "\(name): every kept transform found again")
            XCTAssertEqual(first.image.data, second.image.data, name)
            print("\(name): \(stored) kept, \(cache.hits) hits")
        }
    }
}
