import Foundation

// Elementwise ops with broadcasting, each with its backward rule beside it.

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        let out = a.value.adding(b.value)
        guard tracking(a, b) else { return Variable(out) }
        let sa = a.shape, sb = b.shape
        return Variable(out, parents: [a, b]) { g in [g.sumToShape(sa), g.sumToShape(sb)] }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        let out = a.value.subtracting(b.value)
        guard tracking(a, b) else { return Variable(out) }
        let sa = a.shape, sb = b.shape
        return Variable(out, parents: [a, b]) { g in [g.sumToShape(sa), g.scaled(-1).sumToShape(sb)] }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        let out = a.value.multiplying(b.value)
        guard tracking(a, b) else { return Variable(out) }
        let av = a.value, bv = b.value
        return Variable(out, parents: [a, b]) { g in
            [a.requiresGrad ? g.multiplying(bv).sumToShape(av.shape) : nil,
             b.requiresGrad ? g.multiplying(av).sumToShape(bv.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        let out = a.value.dividing(b.value)
        guard tracking(a, b) else { return Variable(out) }
        let av = a.value, bv = b.value
        return Variable(out, parents: [a, b]) { g in
            [a.requiresGrad ? g.dividing(bv).sumToShape(av.shape) : nil,
             b.requiresGrad ? g.multiplying(out).dividing(bv).scaled(-1).sumToShape(bv.shape) : nil]
        }
    }

    public static func * (a: Variable, s: Float) -> Variable { a.scaled(s) }
    public static func * (s: Float, a: Variable) -> Variable { a.scaled(s) }
    public static func + (a: Variable, s: Float) -> Variable { a.unary({ $0 + s }, { _, _ in 1 }) }
    public static prefix func - (a: Variable) -> Variable { a.scaled(-1) }

    public func scaled(_ s: Float) -> Variable {
        let out = value.scaled(s)
        guard Variable.tracking(self) else { return Variable(out) }
        return Variable(out, parents: [self]) { g in [g.scaled(s)] }
    }

    /// An elementwise op given its forward `f(x)` and derivative `df(x, y)`
    /// (in terms of the input and the output).
    @inline(__always)
    public func unary(_ f: (Float) -> Float, _ df: @escaping (Float, Float) -> Float) -> Variable {
        let out = value.map(f)
        guard Variable.tracking(self) else { return Variable(out) }
        let x = value
        return Variable(out, parents: [self]) { g in
            var r = [Float](repeating: 0, count: g.count)
            g.data.withUnsafeBufferPointer { gp in
                x.data.withUnsafeBufferPointer { xp in
                    out.data.withUnsafeBufferPointer { yp in
                        r.withUnsafeMutableBufferPointer { rp in
                            for i in 0..<rp.count { rp[i] = gp[i] * df(xp[i], yp[i]) }
                        }
                    }
                }
            }
            return [Tensor(shape: g.shape, data: r)]
        }
    }

    /// max(x, 0); the gradient passes where x > 0 (as PyTorch: `rectified`
    /// and its gradient treat slope 0, gain 1 as ReLU).
    public func relu() -> Variable { leakyRelu(0, gain: 1) }

    /// LeakyReLU with negative slope `slope`, times `gain` (StyleGAN2 uses
    /// slope 0.2 and gain sqrt(2)).
    public func leakyRelu(_ slope: Float = 0.2, gain: Float = 1) -> Variable {
        let out = value.rectified(slope: slope, gain: gain)
        guard Variable.tracking(self) else { return Variable(out) }
        let x = value
        return Variable(out, parents: [self]) { g in [g.rectifiedGradient(input: x, slope: slope, gain: gain)] }
    }

    /// tanh, eight lanes at a time (`Tensor.tanhValues`); the gradient is 1 - y².
    public func tanh() -> Variable {
        let out = value.tanhValues()
        guard Variable.tracking(self) else { return Variable(out) }
        return Variable(out, parents: [self]) { g in
            [g.data.withUnsafeBufferPointer { gp in
                out.data.withUnsafeBufferPointer { yp in
                    Tensor(shape: g.shape) { r in for i in 0..<gp.count { r[i] = gp[i] * (1 - yp[i] * yp[i]) } }
                }
            }]
        }
    }

    public func sigmoid() -> Variable {
        unary({ x in x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) },
              { _, y in y * (1 - y) })
    }

    /// softplus(x) = log(1 + exp(x)), computed stably (PyTorch uses a
    /// linear threshold at x > 20).
    public func softplus() -> Variable {
        unary({ x in x > 20 ? x : Foundation.log1p(Foundation.exp(x)) },
              { x, _ in x > 20 ? 1 : 1 / (1 + Foundation.exp(-x)) })
    }

    public func exp() -> Variable { unary({ Foundation.exp($0) }, { _, y in y }) }
    public func log() -> Variable { unary({ Foundation.log($0) }, { x, _ in 1 / x }) }
    public func square() -> Variable { unary({ $0 * $0 }, { x, _ in 2 * x }) }
    public func sqrt() -> Variable { unary({ Foundation.sqrt($0) }, { _, y in 0.5 / y }) }
    public func pow(_ p: Float) -> Variable {
        unary({ Foundation.pow($0, p) }, { x, _ in p * Foundation.pow(x, p - 1) })
    }
}
