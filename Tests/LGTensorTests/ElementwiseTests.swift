import XCTest
@testable import LGTensor

/// The arithmetic operators and `scaled` (loops specialised per function,
/// `BinaryElementwise`) give, bit for bit, what a per-element loop over
/// the broadcast gives, on each of their paths: equal shapes (across
/// cores), a scalar on either side, a per-channel block scalar, and the
/// general broadcast.
final class ElementwiseTests: XCTestCase {
    /// `f` over the broadcast of a and b, one element at a time.
    func reference(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let sa = Broadcast.strides(of: a.shape, in: shape), sb = Broadcast.strides(of: b.shape, in: shape)
        var out = [Float](repeating: 0, count: Tensor.count(of: shape))
        for i in out.indices {
            var rest = i, ia = 0, ib = 0
            for d in stride(from: shape.count - 1, through: 0, by: -1) {
                let k = rest % shape[d]; rest /= shape[d]
                ia += k * sa[d]; ib += k * sb[d]
            }
            out[i] = f(a.data[ia], b.data[ib])
        }
        return Tensor(shape: shape, data: out)
    }

    func testEveryPathMatchesAPerElementLoop() {
        let pairs: [([Int], [Int])] = [
            ([3, 70_001], [3, 70_001]),   // equal shapes, split across cores
            ([4, 5, 6], [1]),             // scalar on the right
            ([1], [4, 5, 6]),             // scalar on the left
            ([2, 8, 33], [8, 1]),         // a scalar per (sample, channel) block
            ([2, 3, 4], [4]),             // general broadcast along the last axis
            ([2, 1, 4], [3, 1]),          // both sides broadcast
        ]
        for (i, (sa, sb)) in pairs.enumerated() {
            let a = randn(sa, seed: UInt64(10 + i)), b = randn(sb, seed: UInt64(20 + i)).map { $0 + 3 }
            XCTAssertEqual(a.adding(b).data, reference(a, b, +).data, "add \(sa) \(sb)")
            XCTAssertEqual(a.subtracting(b).data, reference(a, b, -).data, "subtract \(sa) \(sb)")
            XCTAssertEqual(a.multiplying(b).data, reference(a, b, *).data, "multiply \(sa) \(sb)")
            XCTAssertEqual(a.dividing(b).data, reference(a, b, /).data, "divide \(sa) \(sb)")
            XCTAssertEqual(a.adding(b).shape, Broadcast.shape(sa, sb))
        }
        let x = randn([5, 40_003], seed: 3)
        XCTAssertEqual(x.scaled(-0.37).data, x.data.map { $0 * -0.37 })
        XCTAssertEqual(x.map { $0 * $0 + 1 }.data, x.data.map { $0 * $0 + 1 }, "map with a closure")
    }
}
