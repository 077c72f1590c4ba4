import Foundation
import LGTensor

/// Spectral normalisation (Miyato et al. 2018): a weight W, seen as the
/// matrix (out, in * kh * kw), is divided by an estimate of its largest
/// singular value, sigma = u^T W v, where u is a persistent unit vector
/// refined by power iteration once per discriminator update and
/// v = W^T u / |W^T u|. u and v are constants of the graph; sigma is a
/// differentiable function of W, so the gradient includes d sigma / d W
/// (as in PyTorch's `spectral_norm`).
public enum SpectralNorm {
    static let eps: Float = 1e-12

    /// `x / max(|x|, eps)`.
    static func normalized(_ x: [Float]) -> [Float] {
        var s: Double = 0
        for v in x { s += Double(v) * Double(v) }
        let inv = Float(1 / max(s.squareRoot(), Double(eps)))
        return x.map { $0 * inv }
    }

    /// W^T u for W (out, k) given as a flat row-major array.
    static func transposedProduct(_ w: Tensor, _ u: [Float]) -> [Float] {
        let out = w.shape[0], k = w.count / out
        return w.reshaped([out, k]).matmul(Tensor(shape: [out, 1], data: u), transA: true).data
    }

    /// W v.
    static func product(_ w: Tensor, _ v: [Float]) -> [Float] {
        let out = w.shape[0], k = w.count / out
        return w.reshaped([out, k]).matmul(Tensor(shape: [k, 1], data: v)).data
    }

    /// `iterations` power-iteration steps from `u`: v = norm(W^T u), u = norm(W v).
    public static func powerIteration(weight w: Tensor, u: Tensor, iterations: Int = 1) -> Tensor {
        precondition(u.count == w.shape[0], "spectral norm: u \(u.shape) for weight \(w.shape)")
        var uu = u.data
        for _ in 0..<iterations {
            let v = normalized(transposedProduct(w, uu))
            uu = normalized(product(w, v))
        }
        return Tensor(shape: u.shape, data: uu)
    }

    /// The estimate sigma = u^T W v with v = norm(W^T u), as a number.
    public static func sigma(weight w: Tensor, u: Tensor) -> Float {
        let v = normalized(transposedProduct(w, u.data))
        let wv = product(w, v)
        var s: Float = 0
        for i in 0..<wv.count { s += wv[i] * u.data[i] }
        return s
    }

    /// W / sigma with sigma = u^T W v differentiable in W.
    public static func normalize(_ w: Variable, u: Tensor) -> Variable {
        let out = w.shape[0], k = w.value.count / out
        precondition(u.count == out, "spectral norm: u \(u.shape) for weight \(w.shape)")
        let v = normalized(transposedProduct(w.value, u.data))
        let wv = w.reshaped([out, k]).matmul(Variable(Tensor(shape: [k, 1], data: v)))   // (out, 1)
        let sigma = (wv * Variable(Tensor(shape: [out, 1], data: u.data))).sum()             // scalar
        return w / (sigma + eps)
    }

    /// The largest singular value of W (out, ...) seen as a matrix, by many
    /// power iterations from a seeded start: for tests and diagnostics.
    public static func largestSingularValue(_ w: Tensor, iterations: Int = 200, seed: UInt64 = 0) -> Float {
        var rng = SeededRandom(seed: seed)
        var u = Tensor(shape: [w.shape[0]], data: normalized(rng.normalTensor([w.shape[0]]).data))
        u = powerIteration(weight: w, u: u, iterations: iterations)
        return sigma(weight: w, u: u)
    }
}
