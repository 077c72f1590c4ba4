import Foundation
import LGJobs
import LGModels
import LGTensor

/// Where a StyleGAN-family generator's latent is fitted (PGGAN: always z).
public enum InversionSpace: String, Sendable, Equatable, Codable, CaseIterable {
    /// One w per image, made into wp as trunc-wp makes it (`truncation(w)`):
    /// the latents stay of the kind the extractors were trained on, but fit
    /// worse (on stylegan_toyface32, 16 renders, 300 steps: 22.8 dB against
    /// 27.2, and every extractor and the predictor scored lower).
    case w
    /// wp itself, one w per synthesis layer (the default).
    case wp
}

/// Settings of `RenderInversion.invert`.
public struct InversionSettings: Sendable, Equatable, Codable {
    public var space = InversionSpace.wp
    /// Adam steps on each target's latent.
    public var steps = 300
    public var learningRate: Float = 0.05
    /// Random latents (trunc-wp) generated once; each target starts from
    /// the one whose image is closest to it (pixel MSE).
    public var candidates = 256
    /// Targets optimised together.
    public var batch = 32
    /// Seed of the candidates and of the generator's noise.
    public var seed: UInt64 = 0

    public init(space: InversionSpace = .wp, steps: Int = 300, learningRate: Float = 0.05, candidates: Int = 256,
                batch: Int = 32, seed: UInt64 = 0) {
        self.space = space; self.steps = steps; self.learningRate = learningRate; self.candidates = candidates
        self.batch = batch; self.seed = seed
    }

    /// Throws `ZooError.badSetting` naming the setting and its range.
    public func validate() throws(ZooError) {
        guard steps >= 0 else { throw .badSetting("inversion steps must be >= 0, got \(steps)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw .badSetting("inversion learning rate must be positive, got \(learningRate)")
        }
        guard candidates >= 1 else { throw .badSetting("inversion candidates must be >= 1, got \(candidates)") }
        guard batch >= 1 else { throw .badSetting("inversion batch must be >= 1, got \(batch)") }
    }
}

/// What `RenderInversion.invert` found for each target.
public struct InversionResult {
    /// The synthesis latents (N, ...): wp (N, layers, wDim) for the StyleGAN
    /// family, z (N, zDim) for PGGAN.
    public var latents: Tensor
    /// The fitted latents in the optimised space: w (N, wDim), wp or z.
    public var fitted: Tensor
    /// The generator's images of `latents` (N, 3, R, R).
    public var images: Tensor
    /// Pixel MSE per target of the starting candidate and after the steps
    /// (images in [-1, 1]).
    public var startMSE: [Float]
    public var mse: [Float]
}

/// GAN inversion: fits a generator's synthesis latent to given images (the
/// zoo's renders), so that what a semantic extractor reads from the
/// generator's features can be compared with the renders' exact labels.
///
/// Each target starts from the closest of `candidates` random trunc-wp
/// latents and is then fitted by Adam on the pixel MSE: in w (made into wp
/// as trunc-wp does) or wp for the StyleGAN family (`InversionSpace`), in z
/// for PGGAN. Generators that draw new noise on every forward get the same
/// noise at every step and in the final pass (seeded by the batch).
public enum RenderInversion {
    public static func invert(_ targets: Tensor, generator g: any Generator, settings s: InversionSettings,
                              progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws(ZooError) -> InversionResult {
        try s.validate()
        let r = g.resolution
        guard targets.rank == 4, targets.shape[1] == g.imageChannels, targets.shape[2] == r, targets.shape[3] == r else {
            throw .badSetting("images to invert must be (N, \(g.imageChannels), \(r), \(r)) (the generator's image size), got \(targets.shape)")
        }
        let n = targets.shape[0]
        let starts = closestCandidates(targets, generator: g, settings: s)
        var latents: [Tensor] = [], fittedLatents: [Tensor] = [], images: [Tensor] = []
        var startMSE: [Float] = [], mse: [Float] = []
        let total = ((n + s.batch - 1) / s.batch) * s.steps
        var done = 0
        for b0 in stride(from: 0, to: n, by: s.batch) {
            let range = b0..<min(n, b0 + s.batch)
            let target = targets.slice(axis: 0, range)
            let noiseSeed = s.seed &+ UInt64(b0)
            let latent = Variable(starts.latents.slice(axis: 0, range), requiresGrad: true, name: "latent")
            let adam = Adam([latent], learningRate: s.learningRate)
            let pixels = Float(target.count / range.count)
            for _ in 0..<s.steps {
                fixNoise(g, seed: noiseSeed)
                let image = g.synthesize(synthesisLatent(latent, g, s.space), features: false).image
                // Per-image mean squared error, summed over the batch: each
                // target's gradient does not depend on the others.
                let loss = (image - Variable(target)).square().sum().scaled(1 / pixels)
                adam.zeroGrad()
                loss.backward()
                adam.step()
                done += 1
                progress?(done, total)
            }
            fixNoise(g, seed: noiseSeed)
            let synthesis = GradMode.withoutGradients { synthesisLatent(Variable(latent.value), g, s.space).value }
            images.append(g.generate(synthesis, features: false).image)
            latents.append(synthesis)
            fittedLatents.append(latent.value)
            startMSE += Array(starts.mse[range])
            mse += perImageMSE(images.last!, target)
        }
        return InversionResult(latents: Tensor.concat(latents, axis: 0), fitted: Tensor.concat(fittedLatents, axis: 0),
                               images: Tensor.concat(images, axis: 0), startMSE: startMSE, mse: mse)
    }

    /// The latent optimised in `space` for a batch of z: w = mapping(z) for
    /// `.w` on the StyleGAN family, else the synthesis latent of trunc-wp.
    static func optimisedLatent(fromZ z: Variable, _ g: any Generator, _ space: InversionSpace) -> Variable {
        if space == .w, let s = g as? any StyleGenerator { return s.mapping(z) }
        return g.latent(fromZ: z, strategy: .truncWP)
    }

    /// The synthesis latent of an optimised one (differentiable).
    static func synthesisLatent(_ v: Variable, _ g: any Generator, _ space: InversionSpace) -> Variable {
        if space == .w, let s = g as? any StyleGenerator { return s.truncation(v) }
        return v
    }

    /// Sets a fixed noise stream on generators that draw noise per forward.
    static func fixNoise(_ g: any Generator, seed: UInt64) {
        if NoiseRandomness.isRandomized(g) { NoiseRandomness.set(RandomStreams.make(seed, "inversion-noise"), on: g) }
    }

    /// For each target, the candidate latent (in the optimised space) whose
    /// image is closest, and that MSE.
    static func closestCandidates(_ targets: Tensor, generator g: any Generator,
                                  settings s: InversionSettings) -> (latents: Tensor, mse: [Float]) {
        let n = targets.shape[0]
        var rng = SeededRandom(seed: s.seed)
        var best = [Float](repeating: .infinity, count: n)
        var bestLatent = [Tensor?](repeating: nil, count: n)
        for c0 in stride(from: 0, to: s.candidates, by: s.batch) {
            let m = min(s.batch, s.candidates - c0)
            let z = rng.normalTensor(g.zShape(batch: m, strategy: .truncWP))
            let latent = GradMode.withoutGradients { optimisedLatent(fromZ: Variable(z), g, s.space) }
            let synthesis = GradMode.withoutGradients { synthesisLatent(latent, g, s.space).value }
            fixNoise(g, seed: s.seed &+ UInt64(c0))
            let images = g.generate(synthesis, features: false).image
            for i in 0..<m {
                let candidate = images.slice(axis: 0, i..<(i + 1))
                for t in 0..<n {
                    let e = perImageMSE(candidate, targets.slice(axis: 0, t..<(t + 1)))[0]
                    if e < best[t] { best[t] = e; bestLatent[t] = latent.value.slice(axis: 0, i..<(i + 1)) }
                }
            }
        }
        return (Tensor.concat(bestLatent.map { $0! }, axis: 0), best)
    }

    /// Mean squared difference per image of two (N, C, H, W) batches.
    static func perImageMSE(_ a: Tensor, _ b: Tensor) -> [Float] {
        precondition(a.shape == b.shape, "perImageMSE: \(a.shape) vs \(b.shape)")
        let n = a.shape[0], per = a.count / max(n, 1)
        return a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                (0..<n).map { i in
                    var s: Float = 0
                    for k in (i * per)..<((i + 1) * per) { let d = pa[k] - pb[k]; s += d * d }
                    return s / Float(per)
                }
            }
        }
    }

    /// Peak signal-to-noise ratio (dB) of an MSE between images in [-1, 1] (peak-to-peak 2).
    public static func psnr(mse: Float) -> Double { 10 * log10(4 / Double(max(mse, 1e-12))) }
}
