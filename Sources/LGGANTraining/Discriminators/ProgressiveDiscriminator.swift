import Foundation
import LGTensor
import LGModels

/// The PGGAN and StyleGAN (v1) discriminators, which differ in one step
/// (genforce's `PGGANDiscriminator` and `StyleGANDiscriminator`, fully grown,
/// lod 0; StyleGAN's `fused_scale` off, as 'auto' gives below 128 px).
///
/// fromRGB (`input0`: 1x1 conv + LeakyReLU(0.2)) at full resolution; per
/// resolution above 4 px a 3x3 conv (`layer{2b}`) and a 3x3 conv to the
/// next block's width followed by 2x2 average pooling (`layer{2b+1}`), each
/// with LeakyReLU(0.2) — StyleGAN first blurs with the normalised [1, 2, 1]
/// filter before that downsampling conv; at 4 px minibatch stddev, a 3x3
/// conv, a dense layer to fmaps(2) and the linear dense output
/// (`layer{2b+2}`).
public final class ProgressiveDiscriminator: Discriminator {
    public let config: DiscriminatorConfig
    public let store = ParameterStore()
    let layers: DiscriminatorLayers
    /// StyleGAN's blur before each downsampling conv.
    public var blursBeforeDownsampling: Bool { config.family == .stylegan }
    static let gain = Float(2).squareRoot()

    public init(config: DiscriminatorConfig) throws {
        try config.validate()
        guard config.family == .pggan || config.family == .stylegan else {
            throw GANTrainingError.invalidConfig("ProgressiveDiscriminator is PGGAN's or StyleGAN's, not \(config.family.rawValue)")
        }
        self.config = config
        store.requiresGradients = true
        layers = DiscriminatorLayers(store: store, spectralNorm: config.spectralNorm)
        let g = Self.gain
        layers.declareConv("input0.", cin: config.imageChannels, cout: config.channels(at: config.resolution), kernel: 1, gain: g)
        for b in 0..<config.blockCount {
            let res = config.resolution >> b
            let nf = config.channels(at: res)
            if res > 4 {
                layers.declareConv("layer\(2 * b).", cin: nf, cout: nf, kernel: 3, gain: g)
                layers.declareConv("layer\(2 * b + 1).", cin: nf, cout: config.channels(at: res / 2), kernel: 3, gain: g)
            } else {
                let extra = config.minibatchStdGroupSize > 1 ? config.minibatchStdChannels : 0
                layers.declareConv("layer\(2 * b).", cin: nf + extra, cout: nf, kernel: 3, gain: g)
                layers.declareDense("layer\(2 * b + 1).", cin: nf * 16, cout: config.channels(at: 2), gain: g)
                layers.declareDense("layer\(2 * b + 2).", cin: config.channels(at: 2), cout: 1, gain: 1)
            }
        }
    }

    public func scores(_ images: Variable, trainable: Bool) -> Variable {
        precondition(images.value.rank == 4 && images.shape[1] == config.imageChannels
                     && images.shape[2] == config.resolution && images.shape[3] == config.resolution,
                     "\(config.family.rawValue) discriminator: images must be (N, \(config.imageChannels), \(config.resolution), \(config.resolution)), got \(images.shape)")
        let blur = blursBeforeDownsampling
        return layers.run(trainable: trainable) {
            var x = layers.conv(images, "input0.").leakyRelu(0.2)
            for b in 0..<config.blockCount {
                let res = config.resolution >> b
                if res > 4 {
                    x = layers.conv(x, "layer\(2 * b).", padding: 1).leakyRelu(0.2)
                    if blur { x = x.upfirdn2d(DownsampleFilters.blur121, UpFirDnOptions(pad: (1, 1))) }
                    x = layers.conv(x, "layer\(2 * b + 1).", padding: 1).averagePool2x().leakyRelu(0.2)
                } else {
                    x = minibatchStddev(x, groupSize: config.minibatchStdGroupSize, newChannels: config.minibatchStdChannels)
                    x = layers.conv(x, "layer\(2 * b).", padding: 1).leakyRelu(0.2)
                    x = layers.dense(x, "layer\(2 * b + 1).").leakyRelu(0.2)
                    x = layers.dense(x, "layer\(2 * b + 2).")
                }
            }
            return x
        }
    }

    public func updateSpectralNorm() { layers.updateSpectralNorm() }
    public func initialize(seed: UInt64) { layers.initialize(seed: seed) }
}
