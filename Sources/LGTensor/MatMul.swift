extension Tensor {
    /// Matrix product of 2-d tensors, optionally transposing either operand.
    public func matmul(_ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        let (m, n, k) = shapeChecked { () throws(ShapeError) in try Shapes.matmul(shape, b.shape, transA: transA, transB: transB) }
        if m == 0 || n == 0 { return Tensor(zeros: [m, n]) }
        // beta = 0: the product overwrites every element of the output.
        return data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                Tensor(shape: [m, n]) { pc in
                    BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k,
                              a: pa.baseAddress!, lda: shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                              c: pc, ldc: n)
                }
            }
        }
    }
}

extension Variable {
    /// Matrix product of 2-d variables.
    public func matmul(_ b: Variable) -> Variable {
        let out = value.matmul(b.value)
        guard Variable.tracking(self, b) else { return Variable(out) }
        let av = value, bv = b.value
        return Variable(out, parents: [self, b]) { g in
            [self.requiresGrad ? g.matmul(bv, transB: true) : nil,
             b.requiresGrad ? av.matmul(g, transA: true) : nil]
        }
    }

    /// y = x Wᵀ + b with x (N, in), W (out, in), b (out): PyTorch's Linear.
    public func linear(_ weight: Variable, _ bias: Variable? = nil) -> Variable {
        _ = shapeChecked { () throws(ShapeError) in try Shapes.matmul(shape, weight.shape, transB: true, op: "linear") }
        let xv = value, wv = weight.value
        var out = xv.matmul(wv, transB: true)
        if let bias { out = out.adding(bias.value.reshaped([1, -1])) }
        let parents = [self, weight] + (bias.map { [$0] } ?? [])
        guard Variable.tracking(parents) else { return Variable(out) }
        return Variable(out, parents: parents) { g in
            var r: [Tensor?] = [self.requiresGrad ? g.matmul(wv) : nil,
                                weight.requiresGrad ? g.matmul(xv, transA: true) : nil]
            if let bias { r.append(bias.requiresGrad ? g.sum(axes: [0]) : nil) }
            return r
        }
    }
}
