extension Tensor {
    /// Concatenates tensors along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        let outShape = shapeChecked { () throws(ShapeError) in try Shapes.concat(parts.map(\.shape), axis: axis) }
        let ax = axis < 0 ? axis + outShape.count : axis
        let outer = parts[0].shape[..<ax].reduce(1, *)
        let inner = parts[0].shape[(ax + 1)...].reduce(1, *)
        // Every element is copied from a part below.
        var out = [Float](uninitializedCount: Tensor.count(of: outShape))
        let rowOut = outShape[ax] * inner
        var offset = 0
        for p in parts {
            let rowP = p.shape[ax] * inner
            p.data.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for o in 0..<outer {
                        (dst.baseAddress! + o * rowOut + offset).update(from: src.baseAddress! + o * rowP, count: rowP)
                    }
                }
            }
            offset += rowP
        }
        return Tensor(shape: outShape, data: out)
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let ax = shapeChecked { () throws(ShapeError) in try Shapes.slice(shape, axis: axis, range) }
        let outer = shape[..<ax].reduce(1, *)
        let inner = shape[(ax + 1)...].reduce(1, *)
        var outShape = shape
        outShape[ax] = range.count
        // Every element is copied below.
        var out = [Float](uninitializedCount: Tensor.count(of: outShape))
        let rowIn = shape[ax] * inner, rowOut = range.count * inner
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for o in 0..<outer {
                    (dst.baseAddress! + o * rowOut).update(from: src.baseAddress! + o * rowIn + range.lowerBound * inner, count: rowOut)
                }
            }
        }
        return Tensor(shape: outShape, data: out)
    }
}

extension Variable {
    public static func concat(_ parts: [Variable], axis: Int) -> Variable {
        let out = Tensor.concat(parts.map(\.value), axis: axis)
        guard tracking(parts) else { return Variable(out) }
        let sizes = parts.map { $0.shape[axis < 0 ? axis + $0.value.rank : axis] }
        return Variable(out, parents: parts) { g in
            var start = 0
            return sizes.map { n in
                defer { start += n }
                return g.slice(axis: axis, start..<(start + n))
            }
        }
    }

    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let out = value.slice(axis: axis, range)
        guard Variable.tracking(self) else { return Variable(out) }
        let s = shape
        let ax = axis < 0 ? axis + s.count : axis
        return Variable(out, parents: [self]) { g in
            var parts: [Tensor] = []
            if range.lowerBound > 0 {
                var z = s; z[ax] = range.lowerBound; parts.append(Tensor(zeros: z))
            }
            parts.append(g)
            if range.upperBound < s[ax] {
                var z = s; z[ax] = s[ax] - range.upperBound; parts.append(Tensor(zeros: z))
            }
            return [Tensor.concat(parts, axis: ax)]
        }
    }
}
