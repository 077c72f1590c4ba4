/// A dense, contiguous, row-major Float32 tensor (NCHW for images).
///
/// `Tensor` is a value type backed by a copy-on-write `[Float]`. Kernels read
/// and write it through unsafe buffer pointers; the shape is checked by every
/// op, and a mismatch stops with a message that names both shapes.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var data: [Float]

    /// Creates a tensor from a shape and row-major data.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(Tensor.count(of: shape) == data.count,
                     "shape \(shape) holds \(Tensor.count(of: shape)) elements, data has \(data.count)")
        _ = Memory.tuned
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: Tensor.count(of: shape)))
    }

    /// A tensor whose every element `fill` writes (through the base address
    /// of its storage, from any number of threads): no zero-fill first, for
    /// ops that overwrite their whole output.
    public init(shape: [Int], overwrittenBy fill: (UnsafeMutablePointer<Float>) -> Void) {
        let n = Tensor.count(of: shape)
        let data = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            if n > 0 { fill(buffer.baseAddress!) }
            initialized = n
        }
        self.init(shape: shape, data: data)
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: value, count: Tensor.count(of: shape)))
    }

    /// A 0-d tensor holding one value.
    public init(scalar: Float) {
        self.init(shape: [], data: [scalar])
    }

    /// Number of elements a shape holds.
    @inlinable public static func count(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(data.count == 1, "scalar of a tensor of shape \(shape)")
        return data[0]
    }

    /// The same data under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let s = shapeChecked { () throws(ShapeError) in try Shapes.reshape(shape, to: newShape) }
        var t = self
        t.shape = s
        return t
    }

    /// Row-major strides of the shape.
    public var strides: [Int] {
        var st = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            st[i] = acc
            acc *= shape[i]
        }
        return st
    }

    /// Element access by multi-index (slow; for tests and small work).
    public subscript(_ index: Int...) -> Float {
        get { data[offset(index)] }
        set { data[offset(index)] = newValue }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var o = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            o = o * d + i
        }
        return o
    }

    /// Largest absolute value (0 for an empty tensor).
    public var maxAbs: Float {
        data.reduce(0) { max($0, abs($1)) }
    }

    /// Largest absolute difference to another tensor of the same shape.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        checkSameShape(shape, other.shape, "maxAbsDifference")
        var m: Float = 0
        for i in 0..<count { m = max(m, abs(data[i] - other.data[i])) }
        return m
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = data.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), data: [\(head)\(count > 8 ? ", ..." : "")])"
    }
}


extension Array where Element == Float {
    /// `count` floats left as the allocator gives them: for scratch buffers
    /// and outputs that a kernel writes in full before anything reads them.
    @inlinable public init(uninitializedCount count: Int) {
        self.init(unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
