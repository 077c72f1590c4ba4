import XCTest
@testable import LGTensor

/// Compares analytic gradients with central finite differences for a
/// function of several inputs. The scalar objective is sum(f(x) * r) with a
/// fixed random r, so every output element matters.
func gradCheck(_ inputs: [Tensor], eps: Float = 1e-2, tol: Float = 2e-2,
               file: StaticString = #filePath, line: UInt = #line,
               _ f: ([Variable]) -> Variable) {
    var rng = SeededRandom(seed: 99)
    let vars = inputs.map { Variable($0, requiresGrad: true) }
    let out = f(vars)
    let r = rng.normalTensor(out.shape)
    out.backward(r)
    func objective(_ xs: [Tensor]) -> Double {
        let o = GradMode.withoutGradients { f(xs.map { Variable($0) }) }.value
        var s: Double = 0
        for i in 0..<o.count { s += Double(o.data[i]) * Double(r.data[i]) }
        return s
    }
    for (k, x) in inputs.enumerated() {
        guard let g = vars[k].grad else { XCTFail("input \(k) got no gradient", file: file, line: line); continue }
        XCTAssertEqual(g.shape, x.shape, file: file, line: line)
        let scale = max(1, g.maxAbs)
        for i in 0..<x.count {
            var xp = inputs, xm = inputs
            xp[k].data[i] += eps
            xm[k].data[i] -= eps
            let fd = Float((objective(xp) - objective(xm)) / Double(2 * eps))
            if abs(fd - g.data[i]) > tol * scale {
                XCTFail("input \(k) element \(i): analytic \(g.data[i]) vs numeric \(fd)", file: file, line: line)
                return
            }
        }
    }
}

func randn(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    var r = SeededRandom(seed: seed)
    return r.normalTensor(shape)
}

func assertClose(_ a: Tensor, _ b: Tensor, atol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "shapes differ", file: file, line: line)
    guard a.shape == b.shape else { return }
    let d = a.maxAbsDifference(b)
    XCTAssertLessThanOrEqual(d, atol, "max abs difference \(d)", file: file, line: line)
}
