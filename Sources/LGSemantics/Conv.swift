import LGTensor
import LGModels

/// A PyTorch `nn.Conv2d` (stride 1) as the extractors use it, with its
/// checkpoint key prefix (e.g. `extractor.0.2.`).
final class ConvUnit {
    let prefix: String
    let weight: Parameter
    let bias: Parameter?
    let padding: Int

    /// PyTorch's default initialisation: weight and bias uniform in
    /// +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)).
    init(prefix: String, inChannels: Int, outChannels: Int, ksize: Int, bias: Bool,
         padding: Int, rng: inout SeededRandom) {
        self.prefix = prefix
        self.padding = padding
        let fanIn = inChannels * ksize * ksize
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Parameter(rng.uniformTensor([outChannels, inChannels, ksize, ksize], low: -bound, high: bound),
                           requiresGrad: true, name: prefix + "weight")
        self.bias = bias
            ? Parameter(rng.uniformTensor([outChannels], low: -bound, high: bound),
                        requiresGrad: true, name: prefix + "bias")
            : nil
    }

    var namedParameters: [(String, Parameter)] {
        var out = [(prefix + "weight", weight)]
        if let bias { out.append((prefix + "bias", bias)) }
        return out
    }

    func load(_ sd: StateDict) throws {
        weight.value = try sd.require(prefix + "weight", shape: weight.shape)
        if let bias { bias.value = try sd.require(prefix + "bias", shape: bias.shape) }
    }

    func callAsFunction(_ x: Variable) -> Variable {
        x.conv2d(weight, bias: bias, Conv2DOptions(padding: padding))
    }

    /// The conv followed by a ReLU, as one op (`conv2dReLU`: same values,
    /// two passes and one kept activation fewer).
    func relu(_ x: Variable) -> Variable {
        x.conv2dReLU(weight, bias: bias, Conv2DOptions(padding: padding))
    }
}
