import LGTensor

/// A learnable tensor with a stable checkpoint key.
public typealias Parameter = Variable

/// Anything that owns named parameters.
public protocol ParameterContainer {
    /// Parameters with their checkpoint keys, in a stable order.
    var namedParameters: [(String, Parameter)] { get }
}

extension ParameterContainer {
    public var parameters: [Parameter] { namedParameters.map(\.1) }

    /// Current values keyed by checkpoint name.
    public func stateDict() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.0, $0.1.value) })
    }
}

/// PyTorch's BatchNorm2d: affine weight and bias plus running statistics.
public final class BatchNorm2d {
    public let weight: Parameter, bias: Parameter
    public var runningMean: Tensor, runningVar: Tensor
    public var eps: Float = 1e-5, momentum: Float = 0.1
    public var training = false

    public init(channels: Int) {
        weight = Parameter(Tensor(repeating: 1, shape: [channels]), requiresGrad: true)
        bias = Parameter(Tensor(zeros: [channels]), requiresGrad: true)
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(repeating: 1, shape: [channels])
    }

    public func load(_ sd: StateDict, prefix: String) throws {
        let c = runningMean.count
        weight.value = try sd.require(prefix + "weight", shape: [c])
        bias.value = try sd.require(prefix + "bias", shape: [c])
        runningMean = try sd.require(prefix + "running_mean", shape: [c])
        runningVar = try sd.require(prefix + "running_var", shape: [c])
    }

    /// The eval-mode map as a per-channel epilogue (optionally with the ReLU
    /// after it), for folding into the preceding layer's output.
    public func inferenceEpilogue(relu: Bool) -> ChannelEpilogue {
        ChannelEpilogue(batchNormWeight: weight.value, bias: bias.value, runningMean: runningMean,
                        runningVar: runningVar, eps: eps, relu: relu)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        x.batchNorm(weight: weight, bias: bias, runningMean: &runningMean, runningVar: &runningVar,
                    training: training, momentum: momentum, eps: eps)
    }
}
