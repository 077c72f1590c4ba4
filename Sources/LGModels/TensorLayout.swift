import LGTensor

// Layout changes the genforce checkpoints need: their conv weights are stored
// as (kh, kw, in, out); the models keep them in PyTorch's conv layouts and
// convert once, at load time (and back when writing a checkpoint), with
// `Tensor.permuted` (LGTensor) and the flip below.

extension Tensor {
    /// Reverses the last two (spatial) axes of a tensor of rank >= 2.
    public func flippedSpatially() -> Tensor {
        precondition(rank >= 2, "flip of shape \(shape)")
        let h = shape[rank - 2], w = shape[rank - 1], planes = count / max(1, h * w)
        var out = [Float](repeating: 0, count: count)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<planes {
                    let b = p * h * w
                    for y in 0..<h { for x in 0..<w { dst[b + y * w + x] = src[b + (h - 1 - y) * w + (w - 1 - x)] } }
                }
            }
        }
        return Tensor(shape: shape, data: out)
    }
}

extension Variable {
    /// Values clamped to [lo, hi]; gradient 1 inside, 0 outside (as torch.clamp).
    public func clamped(_ lo: Float, _ hi: Float) -> Variable {
        unary({ Swift.min(Swift.max($0, lo), hi) }, { x, _ in (x >= lo && x <= hi) ? 1 : 0 })
    }

    /// Entry `i` of axis 1 of an (N, L, D) latent as (N, D): `wp[:, i]`.
    public func layer(_ i: Int) -> Variable {
        precondition(value.rank == 3, "layer(\(i)) needs an (N, L, D) latent, got \(shape)")
        return slice(axis: 1, i..<(i + 1)).reshaped([shape[0], shape[2]])
    }
}
