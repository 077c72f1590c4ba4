// The latent being optimised and its Adam optimiser: a port of the
// reference's `EditStrategy` (manipulation/strategy.py).
import LGTensor
import LGModels

/// Which latent is optimised.
public enum LatentSpace: String, Codable, Sendable, CaseIterable {
    /// One z (1, zDim); wp = mapping(z) repeated to every layer.
    case z
    /// One z per synthesis layer (1, L, zDim); wp[l] = mapping(z[l]).
    case mixwp
    /// wp (1, L, wDim) itself (not in the reference: for latents given as wp).
    case wp
}

/// Weight of both latent regularisers (reference: 1e-3).
public let latentRegularizerWeight: Float = 1e-3

/// Holds the latent leaf and its Adam, and maps it to wp.
///
/// As the reference: strategy `z` optimises z (1, zDim) and uses
/// wp = mapping(z) repeated; `mixwp` optimises one z per layer (the
/// reference's per-layer Adams all use the same learning rate, and Adam is
/// element-wise, so one Adam over the (1, L, zDim) tensor is the same
/// update). No truncation is applied unless `truncate` is set (the
/// reference's SCS and SIE use the untruncated mapping).
///
/// The regulariser is 1e-3 * sum((z - z0)^2) + 1e-3 * sum(z^2) / rows,
/// rows = z.shape[0] of the reference's z: 1 for `z`, L for `mixwp`. For
/// `wp` only the first term is used (w is not standard normal).
public final class LatentOptimizer {
    public let generator: any StyleGenerator
    public let space: LatentSpace
    public let truncate: Bool
    /// The leaf being optimised.
    public let latent: Variable
    /// The starting latent (z0), same shape as `latent`.
    public let anchor: Tensor
    public let adam: Adam

    /// `initial`: z (1, zDim) or (zDim) for `z`; z (1, zDim) (repeated per
    /// layer) or (1, L, zDim) / (L, zDim) for `mixwp`; wp (1, L, wDim) or
    /// (L, wDim) for `wp`.
    public init(generator g: any StyleGenerator, space: LatentSpace, initial: Tensor,
                learningRate: Float, truncate: Bool = false) throws {
        guard learningRate > 0, learningRate.isFinite else {
            throw ManipulationError.invalidOption("learning rate must be positive, got \(learningRate)")
        }
        self.generator = g
        self.space = space
        self.truncate = truncate
        let start = try LatentOptimizer.standardize(initial, space: space, generator: g)
        anchor = start
        latent = Variable(start, requiresGrad: true, name: "latent")
        adam = Adam([latent], learningRate: learningRate)
    }

    /// The initial latent brought to the shape the space optimises.
    public static func standardize(_ t: Tensor, space: LatentSpace, generator g: any StyleGenerator) throws -> Tensor {
        let L = g.numLayers, zd = g.zDim, wd = g.wDim
        func bad(_ expected: String) -> ManipulationError {
            .badLatent("shape \(t.shape) does not fit space '\(space.rawValue)': expected \(expected)")
        }
        switch space {
        case .z:
            guard t.count == zd, t.rank <= 2 else { throw bad("(1, \(zd)) or (\(zd))") }
            return t.reshaped([1, zd])
        case .mixwp:
            if t.count == zd && t.rank <= 2 {
                let z = t.reshaped([1, 1, zd])
                return Tensor.concat(Array(repeating: z, count: L), axis: 1)
            }
            guard t.count == L * zd, t.rank == 2 || t.rank == 3 else {
                throw bad("(1, \(zd)) or (1, \(L), \(zd))")
            }
            return t.reshaped([1, L, zd])
        case .wp:
            guard t.count == L * wd, t.rank == 2 || t.rank == 3 else { throw bad("(1, \(L), \(wd))") }
            return t.reshaped([1, L, wd])
        }
    }

    /// wp (1, L, wDim) of a latent in this space (differentiable).
    public func wp(of v: Variable) -> Variable {
        var wp: Variable
        switch space {
        case .z: wp = generator.latent(fromZ: v, strategy: .notruncWP)
        case .mixwp: wp = generator.latent(fromZ: v, strategy: .notruncMixWP)
        case .wp: wp = v
        }
        if truncate { wp = generator.truncation(wp) }
        return wp
    }

    /// The reference's `to_std_form`: the latent and its wp.
    public func standardForm() -> (latent: Variable, wp: Variable) { (latent, wp(of: latent)) }

    /// 1e-3 * |z - z0|^2 (+ 1e-3 * |z|^2 / rows for the z spaces).
    public func regularizer(_ v: Variable) -> Variable {
        let reg = (v - Variable(anchor)).square().sum().scaled(latentRegularizerWeight)
        switch space {
        case .wp: return reg
        case .z: return reg + v.square().sum().scaled(latentRegularizerWeight)
        case .mixwp: return reg + v.square().sum().scaled(latentRegularizerWeight / Float(generator.numLayers))
        }
    }

    /// backward, Adam step, zero the gradient.
    public func step(_ loss: Variable) {
        adam.zeroGrad()
        loss.backward()
        adam.step()
        adam.zeroGrad()
    }

    /// The current latent and its wp as plain tensors.
    public func current() -> (latent: Tensor, wp: Tensor) {
        GradMode.withoutGradients { (latent.value, wp(of: Variable(latent.value)).value) }
    }
}
