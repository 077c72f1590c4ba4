import LGDomains
import LGModels
import LGTensor

/// The zoo's quality check: the segmenter's label statistics on generated
/// images against those on renders of the domain (and the renders' exact
/// labels). Close class frequencies mean the generator covers the domain's
/// content in the right proportions; a class missing from the generated
/// images points at mode dropping.
public struct LabelStatistics: Sendable, Equatable {
    public var classNames: [String]
    /// Pixel fraction per class: the segmenter on generated images.
    public var generated: [Double]
    /// The segmenter on renders.
    public var rendered: [Double]
    /// The renders' exact labels.
    public var groundTruth: [Double]
    /// Fraction of images in which each class appears (generated / rendered, by the segmenter).
    public var generatedPresence: [Double]
    public var renderedPresence: [Double]
    /// Total variation distance between `generated` and `rendered` (0 equal, 1 disjoint).
    public var totalVariation: Double { zip(generated, rendered).map { abs($0 - $1) }.reduce(0, +) / 2 }

    static func frequencies(_ labels: Labels, classes: Int) -> (pixels: [Double], presence: [Double]) {
        let n = labels.shape[0], hw = labels.count / max(n, 1)
        var pixels = [Double](repeating: 0, count: classes), presence = pixels
        for b in 0..<n {
            var seen = [Bool](repeating: false, count: classes)
            for i in 0..<hw {
                let c = Int(labels.data[b * hw + i])
                guard c >= 0 && c < classes else { continue }
                pixels[c] += 1; seen[c] = true
            }
            for c in 0..<classes where seen[c] { presence[c] += 1 }
        }
        return (pixels.map { $0 / Double(max(labels.count, 1)) }, presence.map { $0 / Double(max(n, 1)) })
    }

    /// `samples` generated images (z ~ N(0, I) from `seed`, no truncation)
    /// and as many held-out renders, labelled by `segmenter` at the
    /// generator's resolution.
    public static func measure(generator g: any Generator, segmenter: any SegmentationPredictor, domain: any RenderedDomain,
                               samples: Int = 500, seed: UInt64 = 0, batch: Int = 50) -> LabelStatistics {
        let k = domain.classNames.count, r = g.resolution
        var rng = SeededRandom(seed: seed)
        var gen: [Labels] = [], ren: [Labels] = [], gt: [Labels] = []
        var start = 0
        while start < samples {
            let n = min(batch, samples - start)
            let z = rng.normalTensor(g.zShape(batch: n, strategy: .notruncWP))
            let latent = GradMode.withoutGradients { g.latent(fromZ: Variable(z), strategy: .notruncWP).value }
            let image = g.generate(latent, features: false).image
            gen.append(segmenter.labels(image: image, labelResolution: r))
            let (renders, truth) = domain.batch(resolution: r, seeds: DomainSeeds.heldOut(n, offset: start))
            ren.append(segmenter.labels(image: renders, labelResolution: r))
            gt.append(truth)
            start += n
        }
        func joined(_ xs: [Labels]) -> Labels {
            Labels(shape: [xs.map { $0.shape[0] }.reduce(0, +), r, r], data: xs.flatMap(\.data))
        }
        let g1 = frequencies(joined(gen), classes: k), r1 = frequencies(joined(ren), classes: k)
        return LabelStatistics(classNames: domain.classNames, generated: g1.pixels, rendered: r1.pixels,
                               groundTruth: frequencies(joined(gt), classes: k).pixels,
                               generatedPresence: g1.presence, renderedPresence: r1.presence)
    }
}
