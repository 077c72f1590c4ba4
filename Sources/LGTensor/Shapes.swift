/// Shape validation shared by the public tensor operations.
///
/// Each validator throws a `ShapeError` naming the operation and both
/// shapes; the operations call them through `shapeChecked`, which turns the
/// error into a precondition failure with the same message. LGTensor is
/// built with `-O` (not `-Ounchecked`), so these checks run in release
/// builds. Callers that take shapes from files or the command line can call
/// the validators themselves and report the error instead of trapping.
/// Every check runs once per call, before any kernel loop.
public struct ShapeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The operation, as in `matmul` or `conv2d`.
    public let op: String
    public let lhs: [Int]
    public let rhs: [Int]
    /// What does not fit.
    public let detail: String

    public init(_ op: String, _ lhs: [Int], _ rhs: [Int], _ detail: String) {
        self.op = op; self.lhs = lhs; self.rhs = rhs; self.detail = detail
    }

    public var description: String {
        lhs.isEmpty && rhs.isEmpty ? "\(op): \(detail)" : rhs.isEmpty ? "\(op): \(lhs): \(detail)" : "\(op): \(lhs) vs \(rhs): \(detail)"
    }
}

/// Runs a validator; a `ShapeError` stops the program with its message.
@inlinable
func shapeChecked<R>(_ body: () throws(ShapeError) -> R) -> R {
    do { return try body() } catch { shapeFailure(error) }
}

@usableFromInline
func shapeFailure(_ error: ShapeError) -> Never {
    preconditionFailure(error.description)
}

/// Stops with a message naming `op` and both shapes unless `ok`.
@inlinable
func checkShapes(_ ok: Bool, _ op: String, _ a: [Int], _ b: [Int], _ detail: @autoclosure () -> String) {
    if !ok { shapeFailure(ShapeError(op, a, b, detail())) }
}

/// Checks that two shapes are equal, naming both in the failure.
@inlinable func checkSameShape(_ a: [Int], _ b: [Int], _ op: String) {
    if a != b { shapeFailure(ShapeError(op, a, b, "shapes differ")) }
}

public enum Shapes {
    /// Equal shapes.
    public static func same(_ a: [Int], _ b: [Int], op: String) throws(ShapeError) {
        if a != b { throw ShapeError(op, a, b, "shapes differ") }
    }

    /// The NumPy broadcast of two shapes.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String = "broadcast") throws(ShapeError) -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            guard da == db || da == 1 || db == 1 else {
                throw ShapeError(op, a, b, "cannot be broadcast together (axis \(i - r): \(da) vs \(db))")
            }
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// `value` can be summed down to `target` (the reverse of a broadcast).
    public static func reducible(_ value: [Int], to target: [Int], op: String = "sumToShape") throws(ShapeError) {
        guard target.count <= value.count else {
            throw ShapeError(op, value, target, "target has more axes than the value")
        }
        let pad = value.count - target.count
        for (i, d) in target.enumerated() where d != 1 && d != value[pad + i] {
            throw ShapeError(op, value, target, "axis \(pad + i) is \(value[pad + i]), target \(d)")
        }
    }

    /// (m, n, k) of op(a) · op(b) for 2-d a and b.
    public static func matmul(_ a: [Int], _ b: [Int], transA: Bool = false, transB: Bool = false,
                              op: String = "matmul") throws(ShapeError) -> (m: Int, n: Int, k: Int) {
        guard a.count == 2 && b.count == 2 else { throw ShapeError(op, a, b, "needs 2-d tensors") }
        let m = transA ? a[1] : a[0], k = transA ? a[0] : a[1]
        let kb = transB ? b[1] : b[0], n = transB ? b[0] : b[1]
        guard k == kb else {
            throw ShapeError(op, a, b, "inner dimensions differ (\(k)\(transA ? ", A transposed" : "") vs \(kb)\(transB ? ", B transposed" : ""))")
        }
        return (m, n, k)
    }

    /// The geometry of conv2d of an (N, C, H, W) input with an (O, C/groups, KH, KW) weight.
    public static func conv2d(_ x: [Int], _ w: [Int], _ o: Conv2DOptions) throws(ShapeError) -> ConvGeometry {
        guard x.count == 4 && w.count == 4 else { throw ShapeError("conv2d", x, w, "input and weight must be 4-d") }
        guard o.groups >= 1 && x[1] % o.groups == 0 && w[0] % o.groups == 0 else {
            throw ShapeError("conv2d", x, w, "groups \(o.groups) must divide the input channels and the output channels")
        }
        guard x[1] / o.groups == w[1] else {
            throw ShapeError("conv2d", x, w, "input has \(x[1]) channels, weight expects \(w[1] * o.groups) (groups \(o.groups))")
        }
        guard w[2] >= 1 && w[3] >= 1 else { throw ShapeError("conv2d", x, w, "empty kernel") }
        let geo = ConvGeometry(channels: w[1], height: x[2], width: x[3], kernelH: w[2], kernelW: w[3],
                               strideH: o.stride.h, strideW: o.stride.w, padH: o.padding.h, padW: o.padding.w,
                               dilationH: o.dilation.h, dilationW: o.dilation.w)
        guard geo.outH > 0 && geo.outW > 0 else { throw ShapeError("conv2d", x, w, "input too small for the kernel with \(o)") }
        return geo
    }

    /// The geometry of the convolution whose adjoint conv_transpose2d of x
    /// (N, C, H, W) with w (C, O/groups, KH, KW) is.
    public static func convTranspose2d(_ x: [Int], _ w: [Int], _ o: ConvTranspose2DOptions) throws(ShapeError) -> ConvGeometry {
        let op = "conv_transpose2d"
        guard x.count == 4 && w.count == 4 else { throw ShapeError(op, x, w, "input and weight must be 4-d") }
        guard o.groups >= 1 && x[1] == w[0] && x[1] % o.groups == 0 else {
            throw ShapeError(op, x, w, "input has \(x[1]) channels, weight expects \(w[0]) (groups \(o.groups))")
        }
        guard o.outputPadding < max(o.stride, o.dilation) else {
            throw ShapeError(op, x, w, "output padding must be smaller than stride or dilation")
        }
        let ho = (x[2] - 1) * o.stride - 2 * o.padding + o.dilation * (w[2] - 1) + o.outputPadding + 1
        let wo = (x[3] - 1) * o.stride - 2 * o.padding + o.dilation * (w[3] - 1) + o.outputPadding + 1
        guard ho > 0 && wo > 0 else { throw ShapeError(op, x, w, "empty output") }
        let geo = ConvGeometry(channels: w[1], height: ho, width: wo, kernelH: w[2], kernelW: w[3],
                               strideH: o.stride, strideW: o.stride, padH: o.padding, padW: o.padding,
                               dilationH: o.dilation, dilationW: o.dilation)
        guard geo.outH == x[2] && geo.outW == x[3] else { throw ShapeError(op, x, w, "inconsistent geometry") }
        return geo
    }

    /// The shape of `parts` joined along `axis` (negative counts from the end).
    public static func concat(_ parts: [[Int]], axis: Int, op: String = "concat") throws(ShapeError) -> [Int] {
        guard let first = parts.first else { throw ShapeError(op, [], [], "nothing to concatenate") }
        let r = first.count
        let ax = axis < 0 ? axis + r : axis
        guard ax >= 0 && ax < r else { throw ShapeError(op, first, first, "axis \(axis) out of range") }
        var out = first
        out[ax] = 0
        for p in parts {
            guard p.count == r && (0..<r).allSatisfy({ $0 == ax || p[$0] == first[$0] }) else {
                throw ShapeError(op, first, p, "shapes differ off axis \(axis)")
            }
            out[ax] += p[ax]
        }
        return out
    }

    /// The normalised axis of `range` along `axis` of `shape`.
    public static func slice(_ shape: [Int], axis: Int, _ range: Range<Int>, op: String = "slice") throws(ShapeError) -> Int {
        let ax = axis < 0 ? axis + shape.count : axis
        guard ax >= 0 && ax < shape.count else { throw ShapeError(op, shape, [range.lowerBound, range.upperBound], "axis \(axis) out of range") }
        guard range.lowerBound >= 0 && range.upperBound <= shape[ax] else {
            throw ShapeError(op, shape, [range.lowerBound, range.upperBound], "range \(range) outside axis \(axis) (size \(shape[ax]))")
        }
        return ax
    }

    /// `newShape` (one -1 allowed) resolved against `shape`'s element count.
    public static func reshape(_ shape: [Int], to newShape: [Int]) throws(ShapeError) -> [Int] {
        let count = Tensor.count(of: shape)
        var s = newShape
        guard s.allSatisfy({ $0 >= -1 }), s.filter({ $0 == -1 }).count <= 1 else {
            throw ShapeError("reshape", shape, newShape, "invalid target shape")
        }
        if let i = s.firstIndex(of: -1) {
            let rest = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            guard rest > 0 && count % rest == 0 else { throw ShapeError("reshape", shape, newShape, "element counts differ") }
            s[i] = count / rest
        }
        guard Tensor.count(of: s) == count else { throw ShapeError("reshape", shape, newShape, "element counts differ") }
        return s
    }

    /// An (N, C, H, W) shape.
    public static func image(_ shape: [Int], op: String, expected: String = "(N, C, H, W)") throws(ShapeError) {
        guard shape.count == 4 else { throw ShapeError(op, shape, [], "needs a 4-d \(expected) tensor") }
    }
}
