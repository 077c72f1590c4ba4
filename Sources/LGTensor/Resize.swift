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
    /// A tensor of shape `outShape` with as many (N, C) planes as this one,
    /// each written by `body(source plane, output plane, scratch)`; planes
    /// across cores, each part with `scratch` floats of its own.
    func mapPlanes(to outShape: [Int], scratch: Int = 0,
                   _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let planes = shape[0] * shape[1], inSize = count / max(1, planes), outSize = Tensor.count(of: outShape) / max(1, planes)
        return data.withUnsafeBufferPointer { src in
        Tensor(shape: outShape) { dst in
            let s0 = UncheckedSendable(src.baseAddress!), d0 = UncheckedSendable(dst)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, max(inSize, outSize)))) { range in
                let buf = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratch))
                defer { buf.deallocate() }
                for p in range { body(s0.value + p * inSize, d0.value + p * outSize, buf) }
            }
        }}
    }

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
        let h = shape[2], w = shape[3]
        if h == outH && w == outW { return self }
        let ty = Resize.taps(input: h, output: outH, alignCorners: alignCorners)
        let tx = Resize.taps(input: w, output: outW, alignCorners: alignCorners)
        // Per plane, its rows interpolated along x (only the rows some output row reads) in scratch.
        return mapPlanes(to: [shape[0], shape[1], outH, outW], scratch: h * outW) { s, d, rows in
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

    /// The adjoint of `resizeBilinear`: maps an output gradient back to the
    /// input size. Separably (the transpose of the forward's two passes):
    /// each output row's gradient spread onto its two source rows (weights
    /// 1 - wy and wy, contiguous), then each source row's gradient onto its
    /// columns (1 - wx and wx); planes across cores.
    public func resizeBilinearBackward(inputHeight h: Int, inputWidth w: Int, alignCorners: Bool) -> Tensor {
        checkShapes(rank == 4 && h > 0 && w > 0, "resizeBilinear backward", shape, [h, w], "needs an (N, C, H, W) gradient and a positive input size")
        let outH = shape[2], outW = shape[3]
        if h == outH && w == outW { return self }
        let ty = Resize.taps(input: h, output: outH, alignCorners: alignCorners)
        let tx = Resize.taps(input: w, output: outW, alignCorners: alignCorners)
        // Per plane, the gradient spread onto source rows (h x outW) in scratch.
        return mapPlanes(to: [shape[0], shape[1], h, w], scratch: h * outW) { g, d, rows in
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

    /// Nearest-neighbour resize (PyTorch 'nearest': src = floor(dst * in / out)).
    public func resizeNearest(height outH: Int, width outW: Int) -> Tensor {
        checkShapes(rank == 4 && outH > 0 && outW > 0, "resizeNearest", shape, [outH, outW], "needs an (N, C, H, W) tensor and a positive size")
        let h = shape[2], w = shape[3]
        if outH == 2 * h && outW == 2 * w { return doubledNearest() }
        let ys = (0..<outH).map { min(h - 1, Int(Float($0) * (Float(h) / Float(outH)))) }
        let xs = (0..<outW).map { min(w - 1, Int(Float($0) * (Float(w) / Float(outW)))) }
        // Planes across cores; a row that repeats the one above is copied.
        return mapPlanes(to: [shape[0], shape[1], outH, outW]) { s, d, _ in
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
        let h = shape[2], w = shape[3]
        return mapPlanes(to: [shape[0], shape[1], 2 * h, 2 * w]) { s, d, _ in
            for y in 0..<h {
                let r = s + y * w, top = d + 2 * y * 2 * w
                for x in 0..<w { let v = r[x]; top[2 * x] = v; top[2 * x + 1] = v }
                (top + 2 * w).update(from: top, count: 2 * w)
            }
        }
    }

    /// The adjoint of `doubledNearest`: each 2x2 block summed, in the
    /// order the general scatter adds them (row by row), so the bits agree.
    func doubledNearestBackward() -> Tensor {
        let h = shape[2] / 2, w = shape[3] / 2
        return mapPlanes(to: [shape[0], shape[1], h, w]) { s, d, _ in
            for y in 0..<h {
                let top = s + 2 * y * 2 * w, bottom = top + 2 * w, row = d + y * w
                for x in 0..<w {
                    var v: Float = 0
                    v += top[2 * x]; v += top[2 * x + 1]; v += bottom[2 * x]; v += bottom[2 * x + 1]
                    row[x] = v
                }
            }
        }
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
