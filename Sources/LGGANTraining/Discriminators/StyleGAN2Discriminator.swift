import Foundation
import LGTensor
import LGModels

/// StyleGAN2 discriminator, residual architecture (genforce's
/// `StyleGAN2Discriminator(architecture='resnet')`).
///
/// fromRGB at full resolution; per resolution above 4 px a 3x3 conv
/// (`layer{2b}`), a [1,3,3,1]-filtered stride-2 3x3 conv (`layer{2b+1}`),
/// both LeakyReLU(0.2) * sqrt(2), plus a filtered stride-2 1x1 linear skip
/// without bias (`skip_layer{b}`), summed and scaled by 1/sqrt(2); at 4 px
/// minibatch stddev, a 3x3 conv, a dense layer and the linear output.
/// Equalised-lr gain 1 everywhere (the activation carries sqrt(2)).
public final class StyleGAN2Discriminator: Discriminator {
    public let config: DiscriminatorConfig
    public let store = ParameterStore()
    let layers: DiscriminatorLayers
    static let actGain = Float(2).squareRoot()

    public init(config: DiscriminatorConfig) throws {
        try config.validate()
        self.config = config
        store.requiresGradients = true
        layers = DiscriminatorLayers(store: store, spectralNorm: config.spectralNorm)
        layers.declareConv("input0.", cin: config.imageChannels, cout: config.channels(at: config.resolution), kernel: 1, gain: 1)
        for b in 0..<config.blockCount {
            let res = config.resolution >> b
            let nf = config.channels(at: res)
            if res > 4 {
                layers.declareConv("layer\(2 * b).", cin: nf, cout: nf, kernel: 3, gain: 1)
                layers.declareConv("layer\(2 * b + 1).", cin: nf, cout: config.channels(at: res / 2), kernel: 3, gain: 1)
                layers.declareConv("skip_layer\(b).", cin: nf, cout: config.channels(at: res / 2), kernel: 1, bias: false, gain: 1)
            } else {
                let extra = config.minibatchStdGroupSize > 1 ? config.minibatchStdChannels : 0
                layers.declareConv("layer\(2 * b).", cin: nf + extra, cout: nf, kernel: 3, gain: 1)
                layers.declareDense("layer\(2 * b + 1).", cin: nf * 16, cout: config.channels(at: 2), gain: 1)
                layers.declareDense("layer\(2 * b + 2).", cin: config.channels(at: 2), cout: 1, gain: 1)
            }
        }
    }

    public func scores(_ images: Variable, trainable: Bool) -> Variable {
        precondition(images.value.rank == 4 && images.shape[1] == config.imageChannels
                     && images.shape[2] == config.resolution && images.shape[3] == config.resolution,
                     "StyleGAN2 discriminator: images must be (N, \(config.imageChannels), \(config.resolution), \(config.resolution)), got \(images.shape)")
        let a = StyleGAN2Discriminator.actGain
        return layers.run(trainable: trainable) {
            var x = layers.conv(images, "input0.").leakyRelu(0.2, gain: a)
            for b in 0..<config.blockCount {
                let res = config.resolution >> b
                if res > 4 {
                    // Blur and keep every second pixel in one FIR pass (the
                    // same numbers as blurring fully, then a stride-2 1x1 conv).
                    let skip = layers.conv(x.upfirdn2d(DownsampleFilters.fir1331, UpFirDnOptions(down: 2, pad: (1, 1))),
                                           "skip_layer\(b).")
                    x = layers.conv(x, "layer\(2 * b).", padding: 1).leakyRelu(0.2, gain: a)
                    x = x.upfirdn2d(DownsampleFilters.fir1331, UpFirDnOptions(pad: (2, 2)))
                    x = layers.conv(x, "layer\(2 * b + 1).", stride: 2).leakyRelu(0.2, gain: a)
                    x = (x + skip) * (1 / Float(2).squareRoot())
                } else {
                    x = minibatchStddev(x, groupSize: config.minibatchStdGroupSize, newChannels: config.minibatchStdChannels)
                    x = layers.conv(x, "layer\(2 * b).", padding: 1).leakyRelu(0.2, gain: a)
                    x = layers.dense(x, "layer\(2 * b + 1).").leakyRelu(0.2, gain: a)
                    x = layers.dense(x, "layer\(2 * b + 2).")
                }
            }
            return x
        }
    }

    public func updateSpectralNorm() { layers.updateSpectralNorm() }
    public func initialize(seed: UInt64) { layers.initialize(seed: seed) }
}
