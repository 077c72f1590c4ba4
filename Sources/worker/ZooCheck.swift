import ArgumentParser
import Foundation
import LGDomains
import LGJobs
import LGZoo

/// `worker zoo-check`: a registered zoo generator's label statistics against its domain's.
struct ZooCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo-check",
        abstract: "Compare a zoo generator's label statistics (by its segmenter) with those of its domain's renders.",
        discussion: """
        Generates --samples images, labels them with the generator's registered \
        segmenter, does the same for held-out renders, and prints per class the \
        pixel fraction and the fraction of images containing it, plus the total \
        variation distance between the two pixel distributions.

        Examples:
          worker zoo-check --generator stylegan2_toyface32
          worker zoo-check --generator stylegan2_toyface32 --predictor toyface_seg32   # another registered segmenter
        """
    )

    @Option(help: "A registered zoo generator (see `worker models`).") var generator: String
    @Option(help: "Images (and renders) to label.") var samples: Int = 500
    @Option(help: "Seed of the latents.") var seed: UInt64 = 0
    @Option(help: "A registered predictor to label with instead of the generator's (see `worker models`).") var predictor: String?
    @OptionGroup var catalog: RegistryOptions

    func run() throws {
        let registry = try catalog.registry()
        let (domain, predictorName, p) = try GeneratorLoading.zooPredictor(generator: generator, predictor: predictor,
                                                                            registry: registry)
        let g = try registry.loadGenerator(generator)
        print("labels by \(predictorName)")
        let s = LabelStatistics.measure(generator: g, segmenter: p, domain: domain, samples: samples, seed: seed)
        func pct(_ x: Double) -> String { String(format: "%6.2f", x * 100) }
        print("class            generated %  rendered %  exact %   in images: generated % / rendered %")
        for (i, c) in s.classNames.enumerated() {
            print(c.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + pct(s.generated[i]) + "       " + pct(s.rendered[i])
                  + "     " + pct(s.groundTruth[i]) + "    " + pct(s.generatedPresence[i]) + " / " + pct(s.renderedPresence[i]))
        }
        print(String(format: "total variation distance (generated vs rendered, by the segmenter): %.3f", s.totalVariation))
    }
}
