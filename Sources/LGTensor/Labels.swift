/// An integer label map, typically (N, H, W) class indices.
public struct Labels: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var data: [Int32]

    public init(shape: [Int], data: [Int32]) {
        precondition(Tensor.count(of: shape) == data.count, "labels of shape \(shape) with \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Int32](repeating: 0, count: Tensor.count(of: shape)))
    }

    public var count: Int { data.count }

    /// Argmax over the channel axis of (N, C, H, W) scores -> (N, H, W).
    /// Ties resolve to the lowest index, as `torch.argmax` does on CPU (a
    /// NaN in channel 0 keeps label 0; later NaNs are never taken). Blocks
    /// of pixels run across cores, each reading the channel planes in order
    /// (contiguous runs, not one strided gather per pixel).
    public static func argmax(_ scores: Tensor) -> Labels {
        precondition(scores.rank == 4, "argmax over channels needs (N, C, H, W), got \(scores.shape)")
        let n = scores.shape[0], c = scores.shape[1], p = scores.shape[2] * scores.shape[3]
        var out = [Int32](repeating: 0, count: n * p)
        guard c > 1, n * p > 0 else { return Labels(shape: [n, scores.shape[2], scores.shape[3]], data: out) }
        let block = 2048, blocks = (p + block - 1) / block
        scores.data.withUnsafeBufferPointer { sp in
        out.withUnsafeMutableBufferPointer { op in
            let s = UncheckedSendable(sp.baseAddress!), o = UncheckedSendable(op.baseAddress!)
            Parallel.forEach(n * blocks, minimum: max(1, Tensor.elementwiseGrain / (c * block))) { range in
                let best = UnsafeMutablePointer<Float>.allocate(capacity: block)
                defer { best.deallocate() }
                for t in range {
                    let i = t / blocks, q0 = (t % blocks) * block, len = min(block, p - q0)
                    let base = s.value + i * c * p + q0, labels = o.value + i * p + q0
                    best.update(from: base, count: len)
                    for j in 1..<c {
                        let row = base + j * p, label = Int32(j)
                        for q in 0..<len where row[q] > best[q] {
                            best[q] = row[q]
                            labels[q] = label
                        }
                    }
                }
            }
        }}
        return Labels(shape: [n, scores.shape[2], scores.shape[3]], data: out)
    }

    /// Samples `range` of an (N, ...) label map.
    public func slice(_ range: Range<Int>) -> Labels {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "label slice \(range) of shape \(shape)")
        let per = shape.dropFirst().reduce(1, *)
        return Labels(shape: [range.count] + shape.dropFirst(), data: Array(data[(range.lowerBound * per)..<(range.upperBound * per)]))
    }

    /// (N_i, ...) label maps of one sample shape joined along the first axis.
    public static func concat(_ parts: [Labels]) -> Labels {
        precondition(!parts.isEmpty, "concat of no label maps")
        let rest = Array(parts[0].shape.dropFirst())
        precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == rest }, "concat of label maps \(parts.map(\.shape))")
        return Labels(shape: [parts.map { $0.shape[0] }.reduce(0, +)] + rest, data: parts.flatMap(\.data))
    }
}
