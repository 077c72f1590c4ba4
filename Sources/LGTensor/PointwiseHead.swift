import CKernels
import Foundation

/// A chain of 1x1 convolutions with biases and a ReLU after each but the
/// last (NSE-1's per-layer heads), run block by block of pixels as one
/// differentiable op (CKernels' `lg_head_forward` / `lg_head_backward`).
///
/// Layer by layer, a thin head at 512 or 1024 px moves far more memory than
/// it multiplies: with 16-32 input and 15-23 hidden channels every
/// activation, ReLU mask and gradient is 15-60 MB, written and read once
/// per layer and pass, and the GEMMs pack their 1M-column operands on top.
/// Here a block of 128 pixels goes through every layer in cache: the
/// forward pass reads the features once and writes the output; the backward
/// pass reads the features and the output gradient once, recomputes the
/// block's hidden activations and sums each weight's gradient. Nothing but
/// the output is kept between the passes.
///
/// Values: each output is its bias plus the products in input-channel order,
/// and each gradient a sum in fixed lanes over fixed chunks of pixels, in a
/// fixed order, so the results do not depend on the number of cores or the
/// instruction set (`KernelISATests`); they differ from the GEMM path's by
/// float rounding only (`PointwiseHeadTests`).
public enum PointwiseHead {
    /// The widest layer (input, hidden or output channels) that runs fused;
    /// wider heads have the multiply-adds to keep GEMMs busy.
    public static let maximumChannels = 64

    /// Whether heads run fused where they can (`LG_FUSED_HEADS=0` turns it
    /// off, to compare with the GEMM path).
    nonisolated(unsafe) public static var enabled: Bool = ProcessInfo.processInfo.environment["LG_FUSED_HEADS"] != "0"

    /// Whether a head with channel counts `dims` (input, hidden..., output)
    /// runs fused.
    public static func applies(_ dims: [Int]) -> Bool {
        enabled && dims.count >= 2 && dims.count - 1 <= Int(LG_HEAD_MAX_LAYERS)
            && dims.allSatisfy { $0 > 0 && $0 <= maximumChannels }
    }

    /// Chunks of blocks per sample whose weight gradients are summed apart,
    /// then added in chunk order (a fixed split, whatever the core count).
    static let chunksPerSample = 32

    static let block = Int(LG_HEAD_BLOCK)

    /// Floats of scratch one block needs (forward and backward).
    static func scratchCount(_ dims: [Int]) -> Int {
        (dims.dropLast().reduce(0, +) + 2 * dims.max()!) * block
    }

    /// The parameters packed as the kernels read them and the gradients are
    /// summed: layer by layer, the weight (out, in) then the bias.
    struct Layout {
        let dims: [Int]
        let weightOffsets: [Int], biasOffsets: [Int]
        let count: Int

        init(_ dims: [Int]) {
            self.dims = dims
            var w: [Int] = [], b: [Int] = [], at = 0
            for l in 0..<(dims.count - 1) {
                w.append(at); at += dims[l + 1] * dims[l]
                b.append(at); at += dims[l + 1]
            }
            weightOffsets = w; biasOffsets = b; count = at
        }

        var layers: Int { dims.count - 1 }

        /// Calls `body` with the dims and each layer's weight and bias
        /// pointers, `at(offset)` for the packed offsets.
        func withPointers<P, R>(_ at: (Int) -> P, _ body: (UnsafePointer<Int>, UnsafePointer<P>, UnsafePointer<P>) -> R) -> R {
            let w = weightOffsets.map(at), b = biasOffsets.map(at)
            return dims.withUnsafeBufferPointer { d in
                w.withUnsafeBufferPointer { wp in
                    b.withUnsafeBufferPointer { bp in body(d.baseAddress!, wp.baseAddress!, bp.baseAddress!) }
                }
            }
        }
    }
}

extension Variable {
    /// `self` (N, C, H, W) through 1x1 convolutions `weights[l]` (C_{l+1},
    /// C_l, 1, 1) with `biases[l]` (C_{l+1}), ReLU after each but the last:
    /// the values of `conv2dReLU` ... `conv2d` up to float rounding, with
    /// gradients for the weights and biases and none for `self` (the
    /// extractor heads' input is the generator's features), so `self` must
    /// not require one. `PointwiseHead.applies` says which heads it takes.
    public func pointwiseHead(weights: [Variable], biases: [Variable]) -> Variable {
        checkShapes(shape.count == 4, "pointwiseHead", shape, [], "needs an (N, C, H, W) tensor")
        precondition(!(requiresGrad && GradMode.enabled), "pointwiseHead: the input must not require a gradient")
        precondition(weights.count == biases.count && !weights.isEmpty, "pointwiseHead: \(weights.count) weights, \(biases.count) biases")
        let dims = [shape[1]] + weights.map { $0.shape[0] }
        for (l, (w, b)) in zip(weights, biases).enumerated() {
            checkShapes(w.shape == [dims[l + 1], dims[l], 1, 1] && b.shape == [dims[l + 1]], "pointwiseHead layer \(l)",
                        w.shape, b.shape, "a 1x1 weight (out, in, 1, 1) taking the previous layer's channels and one bias per output")
        }
        precondition(dims.count - 1 <= Int(LG_HEAD_MAX_LAYERS) && dims.allSatisfy { $0 > 0 },
                     "pointwiseHead: \(dims.count - 1) layers of \(dims) channels")
        let layout = PointwiseHead.Layout(dims)
        var packed = [Float](repeating: 0, count: layout.count)
        for l in 0..<layout.layers {
            packed.replaceSubrange(layout.weightOffsets[l]..<(layout.weightOffsets[l] + weights[l].value.count), with: weights[l].value.data)
            packed.replaceSubrange(layout.biasOffsets[l]..<(layout.biasOffsets[l] + dims[l + 1]), with: biases[l].value.data)
        }
        let n = shape[0], c = dims[0], k = dims.last!, p = shape[2] * shape[3]
        let block = PointwiseHead.block, blocks = (p + block - 1) / block, scratch = PointwiseHead.scratchCount(dims)
        let layers = Int32(layout.layers)
        let x = value, weightsAndBiases = packed
        let out = x.data.withUnsafeBufferPointer { xp in
            weightsAndBiases.withUnsafeBufferPointer { pp in
                Tensor(shape: [n, k, shape[2], shape[3]]) { y in
                    let xs = UncheckedSendable(xp.baseAddress!), ys = UncheckedSendable(y), params = UncheckedSendable(pp.baseAddress!)
                    // A block is 128 pixels through every layer: work enough to split at any size.
                    Parallel.forEach(n * blocks) { range in
                        let buf = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
                        defer { buf.deallocate() }
                        layout.withPointers({ Optional(params.value + $0) }) { d, w, b in
                            for t in range {
                                let i = t / blocks, q0 = (t % blocks) * block
                                lg_head_forward(xs.value + i * c * p + q0, p, min(block, p - q0), layers, d, w, b, buf,
                                                ys.value + i * k * p + q0, p)
                            }
                        }
                    }
                }
            }
        }
        var parents: [Variable] = [self]
        for (w, b) in zip(weights, biases) { parents += [w, b] }
        guard Variable.tracking(parents) else { return Variable(out) }
        return Variable(out, parents: parents) { g in
            let chunks = min(PointwiseHead.chunksPerSample, blocks)
            var partials = [Float](repeating: 0, count: n * chunks * layout.count)
            x.data.withUnsafeBufferPointer { xp in
            g.data.withUnsafeBufferPointer { gp in
            weightsAndBiases.withUnsafeBufferPointer { pp in
            partials.withUnsafeMutableBufferPointer { sp in
                let xs = UncheckedSendable(xp.baseAddress!), gs = UncheckedSendable(gp.baseAddress!)
                let params = UncheckedSendable(pp.baseAddress!), sums = UncheckedSendable(sp.baseAddress!)
                Parallel.forEach(n * chunks) { range in
                    let lanes = Int(LG_HEAD_LANES)
                    let buf = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
                    let perLane = UnsafeMutablePointer<Float>.allocate(capacity: layout.count * lanes)
                    defer { buf.deallocate(); perLane.deallocate() }
                    layout.withPointers({ Optional(params.value + $0) }) { d, w, b in
                    layout.withPointers({ Optional(perLane + $0 * lanes) }) { _, gw, gb in
                        for t in range {
                            let i = t / chunks, ch = t % chunks
                            perLane.update(repeating: 0, count: layout.count * lanes)
                            for blk in (blocks * ch / chunks)..<(blocks * (ch + 1) / chunks) {
                                let q0 = blk * block
                                lg_head_backward(xs.value + i * c * p + q0, p, min(block, p - q0), layers, d, w, b,
                                                 gs.value + i * k * p + q0, p, buf, gw, gb)
                            }
                            // The chunk's sums: each value's lanes added in order.
                            let partial = sums.value + t * layout.count
                            for j in 0..<layout.count {
                                var s: Float = 0
                                for l in 0..<lanes { s += perLane[j * lanes + l] }
                                partial[j] = s
                            }
                        }
                    }}
                }
            }}}}
            // The chunks' sums, added in chunk order.
            var total = [Float](repeating: 0, count: layout.count)
            for t in 0..<(n * chunks) {
                for j in 0..<layout.count { total[j] += partials[t * layout.count + j] }
            }
            var grads: [Tensor?] = [nil]
            for l in 0..<layout.layers {
                let wo = layout.weightOffsets[l], bo = layout.biasOffsets[l]
                grads.append(Tensor(shape: weights[l].shape, data: Array(total[wo..<(wo + dims[l + 1] * dims[l])])))
                grads.append(Tensor(shape: [dims[l + 1]], data: Array(total[bo..<(bo + dims[l + 1])])))
            }
            return grads
        }
    }
}
