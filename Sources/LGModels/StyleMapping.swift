import Foundation
import LGTensor

/// The StyleGAN/StyleGAN2 mapping network: pixel-norm of z, then dense
/// layers with equalised learning rate (weight scale gain/sqrt(in) times
/// lr_multiplier 0.01, bias times 0.01) and LeakyReLU(0.2).
///
/// The families differ in details: StyleGAN (v1) uses gain sqrt(2) and keys
/// `dense{i}.wscale.bias`; StyleGAN2 uses gain 1, keys `dense{i}.bias` and
/// scales the activation by sqrt(2). The hidden width is `fmaps_max`, as in
/// the reference.
struct StyleMapping {
    let family: StyleGANConfig.Family
    let dims: [Int]
    let prefix: String
    let store: ParameterStore
    let lrMultiplier: Float = 0.01

    init(config: StyleGANConfig, store: ParameterStore, prefix: String = "mapping.") {
        family = config.family
        self.prefix = prefix
        self.store = store
        let out = config.wSpaceDim * (config.repeatW ? 1 : config.numLayers)
        var d = [config.zSpaceDim]
        for i in 0..<config.numMappingLayers { d.append(i == config.numMappingLayers - 1 ? out : config.fmapsMax) }
        dims = d
        for i in 0..<config.numMappingLayers {
            store.declare(weightKey(i), shape: [dims[i + 1], dims[i]])
            store.declare(biasKey(i), shape: [dims[i + 1]])
        }
    }

    func weightKey(_ i: Int) -> String { "\(prefix)dense\(i).fc.weight" }
    func biasKey(_ i: Int) -> String {
        family == .stylegan ? "\(prefix)dense\(i).wscale.bias" : "\(prefix)dense\(i).bias"
    }

    func callAsFunction(_ z: Variable) -> Variable {
        precondition(z.value.rank == 2 && z.shape[1] == dims[0], "mapping: z must be (N, \(dims[0])), got \(z.shape)")
        var x = z.pixelNorm()
        let gain: Float = family == .stylegan ? Float(2).squareRoot() : 1
        let actGain: Float = family == .stylegan ? 1 : Float(2).squareRoot()
        for i in 0..<(dims.count - 1) {
            let scale = gain / Float(dims[i]).squareRoot() * lrMultiplier
            x = x.linear(store[weightKey(i)]) * scale + store[biasKey(i)].reshaped([1, -1]) * lrMultiplier
            x = x.leakyRelu(0.2, gain: actGain)
        }
        return x
    }
}

/// Truncation: wp = w_avg + coef[l] * (wp - w_avg) with `coef` from the config.
struct StyleTruncation {
    let coefficients: [Float]
    /// False when psi or layers is null: the reference then skips truncation.
    let enabled: Bool
    let key: String
    let store: ParameterStore

    init(config: StyleGANConfig, store: ParameterStore, key: String = "truncation.w_avg") {
        coefficients = config.truncationCoefficients
        enabled = config.truncationPsi != nil && config.truncationLayers != nil
        self.key = key
        self.store = store
        store.declare(key, shape: [config.wSpaceDim], kind: .buffer)
    }

    /// wp (N, L, D) truncated.
    func callAsFunction(_ wp: Variable) -> Variable {
        precondition(wp.value.rank == 3 && wp.shape[1] == coefficients.count, "truncation: wp \(wp.shape)")
        if !enabled { return wp }
        let avg = store[key].reshaped([1, 1, -1])
        let coef = Variable(Tensor(shape: [1, coefficients.count, 1], data: coefficients))
        return avg + (wp - avg) * coef
    }
}
