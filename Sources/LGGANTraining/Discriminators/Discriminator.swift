import Foundation
import LGTensor
import LGModels

/// A discriminator: images (N, C, R, R) in [-1, 1] to one score per image (N, 1).
///
/// Parameters and buffers (spectral-norm vectors) live in a `ParameterStore`
/// under genforce-style keys (`input0.weight`, `layer3.bias`, ...; conv
/// weights in PyTorch's (out, in, kh, kw) layout).
public protocol Discriminator: AnyObject {
    var config: DiscriminatorConfig { get }
    var store: ParameterStore { get }

    /// Scores (N, 1). With `trainable` false the parameters enter the graph
    /// as constants: gradients still reach `images` (the generator update)
    /// but no parameter gradient is computed.
    func scores(_ images: Variable, trainable: Bool) -> Variable

    /// One power-iteration step of every spectrally normalised weight (once
    /// per discriminator update). Does nothing when spectral norm is off.
    func updateSpectralNorm()

    /// Seeded initial values: weights N(0, 1) (genforce's equalised-lr
    /// initialisation), biases 0, spectral-norm vectors random unit vectors.
    func initialize(seed: UInt64)
}

extension Discriminator {
    public func callAsFunction(_ images: Variable) -> Variable { scores(images, trainable: true) }

    public var namedParameters: [(String, Variable)] { store.namedParameters }

    /// Every tensor (parameters and spectral-norm vectors) under its key.
    public func stateDict() -> [String: Tensor] { store.checkpointTensors() }

    /// The current spectral-norm estimate of each normalised weight (key: the weight's key).
    public func spectralNormSigmas() -> [String: Float] {
        var out: [String: Float] = [:]
        for (k, _) in store.declaredShapes where k.hasSuffix(".weight_u") {
            let wk = String(k.dropLast(2))
            out[wk] = SpectralNorm.sigma(weight: store[wk].value, u: store[k].value)
        }
        return out
    }
}

/// Builds the discriminator of `config.family`.
public func makeDiscriminator(_ config: DiscriminatorConfig) throws -> any Discriminator {
    switch config.family {
    case .pggan, .stylegan: return try ProgressiveDiscriminator(config: config)
    case .stylegan2: return try StyleGAN2Discriminator(config: config)
    }
}

/// The conv and dense layers the three discriminators share: declaration,
/// the effective weight (spectrally normalised, or scaled by genforce's
/// gain / sqrt(fan_in)), power iteration and initialisation.
final class DiscriminatorLayers {
    let store: ParameterStore
    let spectralNorm: Bool
    /// Weight key -> equalised-lr gain (used when spectral norm is off).
    private var gains: [String: Float] = [:]
    private var weightKeys: [String] = []
    /// Set while a forward pass runs with frozen parameters.
    var frozen = false

    init(store: ParameterStore, spectralNorm: Bool) {
        self.store = store
        self.spectralNorm = spectralNorm
    }

    /// Declares `p.weight` (cout, cin, k, k), `p.bias` (cout) when `bias`, and `p.weight_u`.
    func declareConv(_ p: String, cin: Int, cout: Int, kernel: Int, bias: Bool = true, gain: Float) {
        declareWeight(p, shape: [cout, cin, kernel, kernel], bias: bias, gain: gain)
    }

    /// Declares `p.weight` (cout, cin), `p.bias` (cout) and `p.weight_u`.
    func declareDense(_ p: String, cin: Int, cout: Int, gain: Float) {
        declareWeight(p, shape: [cout, cin], bias: true, gain: gain)
    }

    private func declareWeight(_ p: String, shape: [Int], bias: Bool, gain: Float) {
        store.declare(p + "weight", shape: shape)
        if bias { store.declare(p + "bias", shape: [shape[0]]) }
        if spectralNorm { store.declare(p + "weight_u", shape: [shape[0]], kind: .buffer) }
        gains[p + "weight"] = gain
        weightKeys.append(p + "weight")
    }

    func param(_ key: String) -> Variable { frozen ? store[key].detached() : store[key] }

    /// The weight the layer applies.
    func weight(_ p: String) -> Variable {
        let w = param(p + "weight")
        if spectralNorm { return SpectralNorm.normalize(w, u: store[p + "weight_u"].value) }
        let fanIn = w.value.count / w.shape[0]
        return w * (gains[p + "weight"]! / Float(fanIn).squareRoot())
    }

    func bias(_ p: String) -> Variable? { store.contains(p + "bias") ? param(p + "bias") : nil }

    func conv(_ x: Variable, _ p: String, stride: Int = 1, padding: Int = 0) -> Variable {
        x.conv2d(weight(p), bias: bias(p), Conv2DOptions(stride: stride, padding: padding))
    }

    /// Dense layer on the flattened input.
    func dense(_ x: Variable, _ p: String) -> Variable {
        let flat = x.value.rank == 2 ? x : x.reshaped([x.shape[0], -1])
        return flat.linear(weight(p), bias(p))
    }

    func updateSpectralNorm() {
        guard spectralNorm else { return }
        for k in weightKeys {
            let uk = k + "_u"
            store.set(uk, SpectralNorm.powerIteration(weight: store[k].value, u: store[uk].value))
        }
    }

    func initialize(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for (k, shape) in store.declaredShapes {
            if k.hasSuffix(".weight_u") {
                store.set(k, Tensor(shape: shape, data: SpectralNorm.normalized(rng.normalTensor(shape).data)))
            } else if shape.count >= 2 {
                store.set(k, rng.normalTensor(shape))
            } else {
                store.set(k, Tensor(zeros: shape))
            }
        }
    }

    /// Runs `body` with the parameters frozen when `trainable` is false.
    func run<R>(trainable: Bool, _ body: () -> R) -> R {
        let was = frozen
        frozen = !trainable
        defer { frozen = was }
        return body()
    }
}
