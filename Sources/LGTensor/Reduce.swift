extension Tensor {
    /// Sums over the given axes (negative axes count from the end).
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let ax = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
        precondition(ax.allSatisfy { $0 >= 0 && $0 < rank }, "sum: axes \(axes) for shape \(shape)")
        let kept = shape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        let reduced = sumToShape(kept)
        if keepDims { return reduced }
        return reduced.reshaped(shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element))
    }

    /// Sum of all elements.
    public func sumAll() -> Float {
        data.withUnsafeBufferPointer { p in
            var s: Double = 0
            for v in p { s += Double(v) }
            return Float(s)
        }
    }
}

extension Variable {
    /// Sum over `axes` (all axes when nil) to a tensor without those axes.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let axes = axes ?? Array(0..<value.rank)
        let out = value.sum(axes: axes, keepDims: keepDims)
        guard Variable.tracking(self) else { return Variable(out) }
        let inShape = shape
        let ax = Set(axes.map { $0 < 0 ? $0 + inShape.count : $0 })
        let keptShape = inShape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        return Variable(out, parents: [self]) { g in
            [Tensor(zeros: inShape).adding(g.reshaped(keptShape))]
        }
    }

    /// Mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let axes = axes ?? Array(0..<value.rank)
        let n = axes.map { shape[$0 < 0 ? $0 + value.rank : $0] }.reduce(1, *)
        return sum(axes: axes, keepDims: keepDims).scaled(1 / Float(n))
    }

    /// The same values under another shape.
    public func reshaped(_ newShape: [Int]) -> Variable {
        let out = value.reshaped(newShape)
        guard Variable.tracking(self) else { return Variable(out) }
        let s = shape
        return Variable(out, parents: [self]) { g in [g.reshaped(s)] }
    }
}
