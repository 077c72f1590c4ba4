/// Bilinear and nearest resizing of (N, C, H, W) tensors, as PyTorch's
/// `F.interpolate` computes them.
public enum Resize {
    /// Source coordinates and weights along one axis for bilinear resizing.
    struct Taps {
        var i0: [Int], i1: [Int], w1: [Float]
    }

    static func taps(input: Int, output: Int, alignCorners: Bool) -> Taps {
        var t = Taps(i0: [], i1: [], w1: [])
        t.i0.reserveCapacity(output); t.i1.reserveCapacity(output); t.w1.reserveCapacity(output)
        for o in 0..<output {
            var src: Float
            if alignCorners {
                src = output > 1 ? Float(o) * Float(input - 1) / Float(output - 1) : 0
            } else {
                src = (Float(o) + 0.5) * Float(input) / Float(output) - 0.5
                if src < 0 { src = 0 }
            }
            let i0 = min(Int(src), input - 1)
            let i1 = min(i0 + 1, input - 1)
            t.i0.append(i0); t.i1.append(i1); t.w1.append(src - Float(i0))
        }
        return t
    }
}

extension Tensor {
    /// Bilinear resize to (outH, outW); `alignCorners` as in PyTorch.
    ///
    /// Separably, planes across cores: first each source row interpolated
    /// along x (top = r0[x0] + (r0[x1] - r0[x0]) wx), then each output row
    /// as the lerp of its two x-interpolated source rows (top + (bot - top)
    /// wy), a contiguous pass. The expressions are the per-pixel form's, so
    /// the values are the same bits; only the x-interpolation is done once
    /// per source row instead of once per output row.
    public func resizeBilinear(height outH: Int, width outW: Int, alignCorners: Bool) -> Tensor {
        checkShapes(rank == 4 && outH > 0 && outW > 0, "resizeBilinear", shape, [outH, outW], "needs an (N, C, H, W) tensor and a positive size")
        let h = shape[2], w = shape[3], planes = shape[0] * shape[1]
        if h == outH && w == outW { return self }
        let ty = Resize.taps(input: h, output: outH, alignCorners: alignCorners)
        let tx = Resize.taps(input: w, output: outW, alignCorners: alignCorners)
        return data.withUnsafeBufferPointer { src in
        Tensor(shape: [shape[0], shape[1], outH, outW]) { dst in
            let s0 = UncheckedSendable(src.baseAddress!), d0 = UncheckedSendable(dst)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, outH * outW))) { range in
                // The plane's rows interpolated along x (only the rows some output row reads).
                let rows = UnsafeMutablePointer<Float>.allocate(capacity: h * outW)
                defer { rows.deallocate() }
                for p in range {
                    let s = s0.value + p * h * w, d = d0.value + p * outH * outW
                    var done = -1
                    for oy in 0..<outH {
                        // Source rows are read in increasing order.
                        for r in ty.i0[oy]...ty.i1[oy] where r > done && (r == ty.i0[oy] || r == ty.i1[oy]) {
                            let row = s + r * w, o = rows + r * outW
                            for ox in 0..<outW {
                                let x0 = tx.i0[ox], x1 = tx.i1[ox]
                                o[ox] = row[x0] + (row[x1] - row[x0]) * tx.w1[ox]
                            }
                            done = r
                        }
                        let top = rows + ty.i0[oy] * outW, bot = rows + ty.i1[oy] * outW
                        let wy = ty.w1[oy], out = d + oy * outW
                        for ox in 0..<outW { out[ox] = top[ox] + (bot[ox] - top[ox]) * wy }
                    }
                }
            }
        }}
    }

    /// The adjoint of `resizeBilinear`: maps an output gradient back to the
    /// input size. Separably (the transpose of the forward's two passes):
    /// each output row's gradient spread onto its two source rows (weights
    /// 1 - wy and wy, contiguous), then each source row's gradient onto its
    /// columns (1 - wx and wx); planes across cores.
    public func resizeBilinearBackward(inputHeight h: Int, inputWidth w: Int, alignCorners: Bool) -> Tensor {
        checkShapes(rank == 4 && h > 0 && w > 0, "resizeBilinear backward", shape, [h, w], "needs an (N, C, H, W) gradient and a positive input size")
        let outH = shape[2], outW = shape[3], planes = shape[0] * shape[1]
        if h == outH && w == outW { return self }
        let ty = Resize.taps(input: h, output: outH, alignCorners: alignCorners)
        let tx = Resize.taps(input: w, output: outW, alignCorners: alignCorners)
        return data.withUnsafeBufferPointer { src in
        Tensor(shape: [shape[0], shape[1], h, w]) { dst in
            let s0 = UncheckedSendable(src.baseAddress!), d0 = UncheckedSendable(dst)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, outH * outW))) { range in
                let rows = UnsafeMutablePointer<Float>.allocate(capacity: h * outW)
                defer { rows.deallocate() }
                for p in range {
                    let g = s0.value + p * outH * outW, d = d0.value + p * h * w
                    rows.update(repeating: 0, count: h * outW)
                    for oy in 0..<outH {
                        let wy = ty.w1[oy], gr = g + oy * outW
                        let r0 = rows + ty.i0[oy] * outW, r1 = rows + ty.i1[oy] * outW
                        for ox in 0..<outW { r0[ox] += gr[ox] * (1 - wy) }
                        for ox in 0..<outW { r1[ox] += gr[ox] * wy }
                    }
                    d.update(repeating: 0, count: h * w)
                    for y in 0..<h {
                        let r = rows + y * outW, o = d + y * w
                        for ox in 0..<outW {
                            let v = r[ox], wx = tx.w1[ox]
                            o[tx.i0[ox]] += v * (1 - wx)
                            o[tx.i1[ox]] += v * wx
                        }
                    }
                }
            }
        }}
    }

    /// Nearest-neighbour resize (PyTorch 'nearest': src = floor(dst * in / out)).
    public func resizeNearest(height outH: Int, width outW: Int) -> Tensor {
        checkShapes(rank == 4 && outH > 0 && outW > 0, "resizeNearest", shape, [outH, outW], "needs an (N, C, H, W) tensor and a positive size")
        let h = shape[2], w = shape[3], planes = shape[0] * shape[1]
        if outH == 2 * h && outW == 2 * w { return doubledNearest() }
        let ys = (0..<outH).map { min(h - 1, Int(Float($0) * (Float(h) / Float(outH)))) }
        let xs = (0..<outW).map { min(w - 1, Int(Float($0) * (Float(w) / Float(outW)))) }
        // Planes across cores; a row that repeats the one above is copied.
        return data.withUnsafeBufferPointer { src in
        Tensor(shape: [shape[0], shape[1], outH, outW]) { dst in
            let s0 = UncheckedSendable(src.baseAddress!), d0 = UncheckedSendable(dst)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, outH * outW))) { range in
                for p in range {
                    let s = s0.value + p * h * w, d = d0.value + p * outH * outW
                    for oy in 0..<outH {
                        let row = d + oy * outW
                        if oy > 0 && ys[oy] == ys[oy - 1] {
                            row.update(from: row - outW, count: outW)
                        } else {
                            let r = s + ys[oy] * w
                            for ox in 0..<outW { row[ox] = r[xs[ox]] }
                        }
                    }
                }
            }
        }}
    }

    /// The adjoint of `resizeNearest`.
    public func resizeNearestBackward(inputHeight h: Int, inputWidth w: Int) -> Tensor {
        checkShapes(rank == 4 && h > 0 && w > 0, "resizeNearest backward", shape, [h, w], "needs an (N, C, H, W) gradient and a positive input size")
        let outH = shape[2], outW = shape[3], planes = shape[0] * shape[1]
        if outH == 2 * h && outW == 2 * w { return doubledNearestBackward() }
        let ys = (0..<outH).map { min(h - 1, Int(Float($0) * (Float(h) / Float(outH)))) }
        let xs = (0..<outW).map { min(w - 1, Int(Float($0) * (Float(w) / Float(outW)))) }
        var out = [Float](repeating: 0, count: planes * h * w)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<planes {
                    let g = src.baseAddress! + p * outH * outW, d = dst.baseAddress! + p * h * w
                    for oy in 0..<outH {
                        let r = d + ys[oy] * w
                        for ox in 0..<outW { r[xs[ox]] += g[oy * outW + ox] }
                    }
                }
            }
        }
        return Tensor(shape: [shape[0], shape[1], h, w], data: out)
    }
}

extension Tensor {
    /// `resizeNearest` to twice the size (every upsampling of the
    /// generators and NSE-2): each value written to a 2x2 block, planes
    /// across cores.
    func doubledNearest() -> Tensor {
        let h = shape[2], w = shape[3], planes = shape[0] * shape[1]
        return data.withUnsafeBufferPointer { src in
        Tensor(shape: [shape[0], shape[1], 2 * h, 2 * w]) { dst in
            let s0 = UncheckedSendable(src.baseAddress!), d0 = UncheckedSendable(dst)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, 4 * h * w))) { range in
                for p in range {
                    for y in 0..<h {
                        let r = s0.value + (p * h + y) * w, top = d0.value + (p * 2 * h + 2 * y) * 2 * w
                        for x in 0..<w { let v = r[x]; top[2 * x] = v; top[2 * x + 1] = v }
                        (top + 2 * w).update(from: top, count: 2 * w)
                    }
                }
            }
        }}
    }

    /// The adjoint of `doubledNearest`: each 2x2 block summed, in the
    /// order the general scatter adds them (row by row), so the bits agree.
    func doubledNearestBackward() -> Tensor {
        let h = shape[2] / 2, w = shape[3] / 2, planes = shape[0] * shape[1]
        return data.withUnsafeBufferPointer { src in
        Tensor(shape: [shape[0], shape[1], h, w]) { dst in
            let s0 = UncheckedSendable(src.baseAddress!), d0 = UncheckedSendable(dst)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, 4 * h * w))) { range in
                for p in range {
                    for y in 0..<h {
                        let top = s0.value + (p * 2 * h + 2 * y) * 2 * w, bottom = top + 2 * w
                        let row = d0.value + (p * h + y) * w
                        for x in 0..<w {
                            var v: Float = 0
                            v += top[2 * x]; v += top[2 * x + 1]; v += bottom[2 * x]; v += bottom[2 * x + 1]
                            row[x] = v
                        }
                    }
                }
            }
        }}
    }
}

extension Variable {
    /// Bilinear resize; see `Tensor.resizeBilinear`.
    public func resizeBilinear(height: Int, width: Int, alignCorners: Bool) -> Variable {
        let out = value.resizeBilinear(height: height, width: width, alignCorners: alignCorners)
        guard Variable.tracking(self) else { return Variable(out) }
        let h = shape[2], w = shape[3]
        return Variable(out, parents: [self]) { g in
            [g.resizeBilinearBackward(inputHeight: h, inputWidth: w, alignCorners: alignCorners)]
        }
    }

    /// Nearest resize to any size (an integer factor is PyTorch's `upsample(scale_factor: k)`).
    public func resizeNearest(height: Int, width: Int) -> Variable {
        let out = value.resizeNearest(height: height, width: width)
        guard Variable.tracking(self) else { return Variable(out) }
        let h = shape[2], w = shape[3]
        return Variable(out, parents: [self]) { g in [g.resizeNearestBackward(inputHeight: h, inputWidth: w)] }
    }

    /// Nearest upsampling by an integer factor.
    public func upsampleNearest(_ factor: Int) -> Variable {
        checkShapes(value.rank == 4 && factor >= 1, "upsampleNearest", shape, [factor], "needs an (N, C, H, W) tensor and a factor of at least 1")
        return resizeNearest(height: shape[2] * factor, width: shape[3] * factor)
    }
}
