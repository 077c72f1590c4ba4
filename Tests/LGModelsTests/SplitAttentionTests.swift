import XCTest
import LGTensor
@testable import LGModels

/// Split attention's subnormal flush: a saturated radix softmax gives
/// attention weights below float32's smallest normal (exp(-100)); those, and
/// outputs that small, become zero (as a CPU's flush-to-zero mode would),
/// and everything else is the plain formula's value.
final class SplitAttentionTests: XCTestCase {
    func testSaturatedSoftmaxGivesNoSubnormals() {
        // radix 2, one group, 4 channels, inner 2; fc2 makes radix 0's logits
        // 100 above radix 1's for channels 0 and 1 (attention e^-100 ~ 4e-44 on
        // radix 1), equal for channels 2 and 3.
        let c = 4, r = 2, inner = 2, p = 3
        var uData = [Float]()
        // Channel 0's radix-0 split is zero (as after a ReLU): its output is then
        // radix 1's value times its ~4e-44 weight, subnormal unless flushed.
        for k in 0..<r { for ch in 0..<c { for q in 0..<p { uData.append(k == 0 && ch == 0 ? 0 : Float(1 + ch + q) * (k == 0 ? 1 : 2)) } } }
        let u = Tensor(shape: [1, r * c, 1, p], data: uData)
        let fc1 = (weight: Tensor(zeros: [inner, c, 1, 1]), bias: Tensor(repeating: 1, shape: [inner]))
        let bn1 = ChannelEpilogue(scale: [1, 1], shift: [0, 0], relu: true)
        let fc2 = (weight: Tensor(zeros: [r * c, inner, 1, 1]),
                   bias: Tensor(shape: [r * c], data: [50, 50, 0, 0, -50, -50, 0, 0]))
        let out = SplitAttention.apply(u, radix: r, groups: 1, fc1: fc1, bn1: bn1, fc2: fc2)
        XCTAssertEqual(out.shape, [1, c, 1, p])
        XCTAssertFalse(out.data.contains { $0 != 0 && abs($0) < Float.leastNormalMagnitude }, "no subnormal output")
        for ch in 0..<c {
            for q in 0..<p {
                let u0: Float = ch == 0 ? 0 : Float(1 + ch + q), u1 = 2 * Float(1 + ch + q)
                // Channels 0, 1: radix 1's weight (~4e-44) flushed to zero, radix 0's is 1.
                let expected = ch < 2 ? u0 : 0.5 * u0 + 0.5 * u1
                XCTAssertEqual(out.data[ch * p + q], expected, accuracy: 1e-6 * expected, "channel \(ch), position \(q)")
            }
        }
    }

    func testFlushedKeepsNormalsAndSignedZero() {
        XCTAssertEqual(flushed(Float.leastNormalMagnitude), Float.leastNormalMagnitude)
        XCTAssertEqual(flushed(-1.5), -1.5)
        XCTAssertEqual(flushed(Float.leastNonzeroMagnitude), 0)
        XCTAssertEqual(flushed(-Float.leastNormalMagnitude / 2), 0)
        XCTAssertEqual(flushed(.infinity), .infinity)
        XCTAssertTrue(flushed(.nan).isNaN)
    }
}
