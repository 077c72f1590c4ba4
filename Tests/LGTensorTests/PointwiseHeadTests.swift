import XCTest
@testable import LGTensor

/// `pointwiseHead` (NSE-1's thin heads fused, CKernels' `lg_head_*`) against
/// the layer-by-layer path (`conv2dReLU` ... `conv2d`): forward values and
/// the weights' and biases' gradients within float rounding, for heads of
/// two to four layers, channel counts that are and are not multiples of
/// four, maps of fewer pixels than one group of lanes, a partial last block
/// and batches; and the same bits under every instruction set.
final class PointwiseHeadTests: XCTestCase {
    private struct Head {
        let x: Variable, weights: [Variable], biases: [Variable], r: Variable

        init(n: Int, dims: [Int], h: Int, w: Int, seed: UInt64) {
            x = Variable(randn([n, dims[0], h, w], seed: seed))
            weights = (0..<(dims.count - 1)).map {
                Variable(randn([dims[$0 + 1], dims[$0], 1, 1], seed: seed + 10 + UInt64($0)).scaled(0.4), requiresGrad: true)
            }
            biases = (0..<(dims.count - 1)).map {
                Variable(randn([dims[$0 + 1]], seed: seed + 20 + UInt64($0)).scaled(0.2), requiresGrad: true)
            }
            r = Variable(randn([n, dims.last!, h, w], seed: seed + 30))
        }

        func layered() -> Variable {
            var y = x
            for l in 0..<(weights.count - 1) { y = y.conv2dReLU(weights[l], bias: biases[l]) }
            return y.conv2d(weights.last!, bias: biases.last!)
        }

        /// Output and gradients (weights then biases) of `head()` under the loss sum(y * r).
        func run(_ head: () -> Variable) -> (Tensor, [Tensor]) {
            for v in weights + biases { v.zeroGrad() }
            let y = head()
            (y * r).sum().backward()
            return (y.value, weights.map { $0.grad! } + biases.map { $0.grad! })
        }
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        let scale = max(1, b.data.map(abs).max() ?? 0)
        let diff = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(diff, 2e-5 * scale, "\(what): max difference \(diff) at scale \(scale)", file: file, line: line)
    }

    func testMatchesTheLayerByLayerPath() {
        for (i, (n, dims, h, w)) in [(2, [16, 15, 15, 15], 13, 21), (1, [5, 7, 3], 3, 3), (1, [64, 39, 39, 14], 16, 17),
                                     (3, [4, 9, 2, 6, 5], 8, 8)].enumerated() {
            let head = Head(n: n, dims: dims, h: h, w: w, seed: UInt64(100 * i + 1))
            XCTAssertTrue(PointwiseHead.applies(dims), "case \(i)")
            let (y0, g0) = head.run(head.layered)
            let (y1, g1) = head.run { head.x.pointwiseHead(weights: head.weights, biases: head.biases) }
            assertClose(y1, y0, "case \(i) forward")
            XCTAssertTrue(y0.data.contains { $0 != 0 }, "case \(i)")
            for (k, (a, b)) in zip(g1, g0).enumerated() { assertClose(a, b, "case \(i) gradient \(k)") }
            XCTAssertNil(head.x.grad, "no gradient for the features")
            // Without gradients recorded: the same values, no graph.
            let plain = GradMode.withoutGradients { head.x.pointwiseHead(weights: head.weights, biases: head.biases) }
            XCTAssertTrue(plain.isLeaf)
            XCTAssertEqual(plain.value.data, y1.data, "case \(i)")
        }
        XCTAssertFalse(PointwiseHead.applies([65, 40, 15]), "wider heads keep the GEMMs")
        XCTAssertFalse(PointwiseHead.applies([16]), "a head has a layer")
    }

    func testEveryVariantComputesTheSameBits() {
        let head = Head(n: 2, dims: [16, 15, 15, 15], h: 19, w: 23, seed: 7)
        let reference = KernelISA.with(.baseline) {
            head.run { head.x.pointwiseHead(weights: head.weights, biases: head.biases) }
        }!
        for isa in KernelISA.supported.dropFirst() {
            let r = KernelISA.with(isa) { head.run { head.x.pointwiseHead(weights: head.weights, biases: head.biases) } }!
            XCTAssertEqual(r.0.data, reference.0.data, "forward: \(isa.rawValue) differs from baseline")
            for (k, (a, b)) in zip(r.1, reference.1).enumerated() {
                XCTAssertEqual(a.data, b.data, "gradient \(k): \(isa.rawValue) differs from baseline")
            }
        }
    }
}
