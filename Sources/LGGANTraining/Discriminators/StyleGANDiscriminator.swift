import Foundation
import LGTensor
import LGModels

/// StyleGAN (v1) discriminator (genforce's `StyleGANDiscriminator`, lod 0,
/// `fused_scale` off as 'auto' gives below 128 px).
///
/// As PGGAN's, except that each downsampling conv first blurs with the
/// normalised [1, 2, 1] filter: blur, 3x3 conv, 2x2 average pooling,
/// LeakyReLU(0.2).
public final class StyleGANDiscriminator: Discriminator {
    public let config: DiscriminatorConfig
    public let store = ParameterStore()
    let layers: DiscriminatorLayers
    static let gain = Float(2).squareRoot()

    public init(config: DiscriminatorConfig) throws {
        try config.validate()
        self.config = config
        store.requiresGradients = true
        layers = DiscriminatorLayers(store: store, spectralNorm: config.spectralNorm)
        let g = StyleGANDiscriminator.gain
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
                     "StyleGAN discriminator: images must be (N, \(config.imageChannels), \(config.resolution), \(config.resolution)), got \(images.shape)")
        return layers.run(trainable: trainable) {
            var x = layers.conv(images, "input0.").leakyRelu(0.2)
            for b in 0..<config.blockCount {
                let res = config.resolution >> b
                if res > 4 {
                    x = layers.conv(x, "layer\(2 * b).", padding: 1).leakyRelu(0.2)
                    x = x.upfirdn2d(DownsampleFilters.blur121, UpFirDnOptions(pad: (1, 1)))
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
