import Foundation

extension Tensor {
    /// The tensor with its axes reordered: output axis i is input axis `dims[i]`.
    public func permuted(_ dims: [Int]) -> Tensor {
        precondition(dims.count == rank && Set(dims) == Set(0..<rank), "permute \(dims) for shape \(shape)")
        if dims == Array(0..<rank) { return self }
        let outShape = dims.map { shape[$0] }
        let inStrides = strides
        let srcStrides = dims.map { inStrides[$0] }
        var out = [Float](repeating: 0, count: count)
        let inner = outShape[rank - 1], innerStride = srcStrides[rank - 1]
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Broadcast.forEachRow(outShape, srcStrides, srcStrides) { pos, off, _ in
                    for j in 0..<inner { dst[pos + j] = src[off + j * innerStride] }
                }
            }
        }
        return Tensor(shape: outShape, data: out)
    }
}
