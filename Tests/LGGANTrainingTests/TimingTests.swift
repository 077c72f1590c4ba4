import Foundation
import XCTest
import LGGANTraining
import LGModels
import LGTensor

/// Step-time measurements, skipped unless LG_GAN_TIMING=1. Prints one line
/// per (family, resolution, fmaps_max, batch): seconds per `step()` (one D
/// and one G update) of the default recipe, and images per second.
/// Narrow the grid with LG_TIMING_FAMILIES (comma list), LG_TIMING_RES,
/// LG_TIMING_FMAPS, LG_TIMING_BATCH; LG_TIMING_STEPS timed steps (default 3)
/// after one warm-up step.
final class TimingTests: XCTestCase {
    struct NoiseSource: TrainingImageSource {
        let resolution: Int
        func batch(size: Int, rng: inout SeededRandom) -> Tensor {
            rng.uniformTensor([size, 3, resolution, resolution], low: -1, high: 1)
        }
    }

    func list(_ key: String, _ fallback: String) -> [String] {
        (ProcessInfo.processInfo.environment[key] ?? fallback).split(separator: ",").map(String.init)
    }

    func testStepTimes() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["LG_GAN_TIMING"] == "1", "set LG_GAN_TIMING=1 to measure")
        let families = list("LG_TIMING_FAMILIES", "pggan,stylegan,stylegan2").compactMap(GeneratorFamily.init(rawValue:))
        let resolutions = list("LG_TIMING_RES", "32,64").compactMap { Int($0) }
        let widths = list("LG_TIMING_FMAPS", "64,128,256").compactMap { Int($0) }
        let batches = list("LG_TIMING_BATCH", "16,32").compactMap { Int($0) }
        let steps = Int(ProcessInfo.processInfo.environment["LG_TIMING_STEPS"] ?? "3") ?? 3
        func emit(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        emit("family     res fmaps_max batch   s/step  img/s  G params  D params")
        for family in families {
            for res in resolutions {
                for fm in widths {
                    for batch in batches {
                        let config = GANTrainingConfig.small(family: family, resolution: res, fmapsMax: fm, batchSize: batch)
                        let t = try GANTrainer(config: config, source: NoiseSource(resolution: res))
                        t.step()
                        let start = Date()
                        for _ in 0..<steps { t.step() }
                        let s = Date().timeIntervalSince(start) / Double(steps)
                        let gp = t.generator.namedParameters.reduce(0) { $0 + $1.1.value.count }
                        let dp = t.discriminator.namedParameters.reduce(0) { $0 + $1.1.value.count }
                        emit(String(format: "%-10@ %3d %9d %5d %8.3f %6.0f %9d %9d", family.rawValue as NSString,
                                     res, fm, batch, s, Double(batch) / s, gp, dp))
                    }
                }
            }
        }
    }
}
