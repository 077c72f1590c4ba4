import XCTest
@testable import LGTensor

/// `Variable.concurrentBranches`: the same values and gradients as running
/// the branches one after another.
final class BranchTests: XCTestCase {
    /// Three branches of conv -> ReLU -> conv with their own weights; one
    /// input needs its gradient, one output is left out of the loss.
    private func model(seed: UInt64) -> (inputs: [Variable], weights: [[Variable]]) {
        let shapes = [(4, 6), (8, 3), (4, 5)]  // (channels, size)
        let inputs = shapes.enumerated().map { i, s in
            Variable(randn([2, s.0, s.1, s.1], seed: seed + UInt64(i)), requiresGrad: i == 1)
        }
        let weights = shapes.enumerated().map { i, s in
            [Variable(randn([6, s.0, 3, 3], seed: seed + 10 + UInt64(i)), requiresGrad: true),
             Variable(randn([3, 6, 1, 1], seed: seed + 20 + UInt64(i)), requiresGrad: true)]
        }
        return (inputs, weights)
    }

    private func head(_ x: Variable, _ w: [Variable]) -> Variable {
        x.conv2d(w[0], Conv2DOptions(padding: 1)).relu().conv2d(w[1])
    }

    private func loss(_ outputs: [Variable]) -> Variable {
        (outputs[0] * outputs[0]).sum() + (outputs[1] * 3).sum()
    }

    func testValuesAndGradientsMatchRunningInTurn() {
        let (xs, ws) = model(seed: 1)
        let seq = xs.indices.map { head(xs[$0], ws[$0]) }
        loss(seq).backward()
        let expectW = ws.map { $0.map { $0.grad } }, expectX = xs.map(\.grad)
        for v in ws.flatMap({ $0 }) + xs { v.zeroGrad() }

        let par = Variable.concurrentBranches(xs, costs: [1, 2, 1], width: 2) { i, x in head(x, ws[i]) }
        for (a, b) in zip(par, seq) { XCTAssertEqual(a.value.data, b.value.data) }
        loss(par).backward()
        for i in 0..<3 {
            for j in 0..<2 {
                if i == 2 {
                    XCTAssertNil(ws[i][j].grad, "the unused branch gets no gradient")
                } else {
                    XCTAssertEqual(ws[i][j].grad!.data, expectW[i][j]!.data, "weight \(j) of branch \(i)")
                }
            }
        }
        XCTAssertNil(xs[0].grad)
        XCTAssertEqual(xs[1].grad!.data, expectX[1]!.data, "the input that needs its gradient")

        // A second loss over the same outputs accumulates, as a plain graph does.
        for v in ws.flatMap({ $0 }) { v.zeroGrad() }
        loss(par).backward()
        loss(par).backward()
        XCTAssertEqual(ws[0][0].grad!.data, expectW[0][0]!.adding(expectW[0][0]!).data)
    }

    func testWithoutGradientsRecordsNothing() {
        let (xs, ws) = model(seed: 2)
        let expect = xs.indices.map { head(xs[$0], ws[$0]).value.data }
        let outs = GradMode.withoutGradients {
            Variable.concurrentBranches(xs, costs: nil, width: 2) { i, x in head(x, ws[i]) }
        }
        for (o, e) in zip(outs, expect) {
            XCTAssertEqual(o.value.data, e)
            XCTAssertFalse(o.requiresGrad, "no graph in inference")
            XCTAssertTrue(o.isLeaf)
        }
    }

    func testBalancedGroups() {
        XCTAssertEqual(Variable.balancedGroups([5, 1, 1, 1, 4], parts: 2), [[0, 2], [1, 3, 4]])
        XCTAssertEqual(Variable.balancedGroups([1, 1], parts: 4), [[0], [1]])
        XCTAssertEqual(Variable.balancedGroups([3, 3, 3], parts: 1), [[0, 1, 2]])
    }
}
