import XCTest
@testable import LGTensor

final class OptimTests: XCTestCase {
    func testAdamMatchesPyTorchFormula() {
        // torch.optim.Adam([p], lr=0.1) on loss = sum(p^2), p = [1, -2]:
        // values computed by the textbook update with PyTorch's eps placement.
        let p = Variable(Tensor(shape: [2], data: [1, -2]), requiresGrad: true)
        let opt = Adam([p], learningRate: 0.1)
        var expected: [Double] = [1, -2], m: [Double] = [0, 0], v: [Double] = [0, 0]
        for t in 1...3 {
            opt.zeroGrad()
            p.square().sum().backward()
            opt.step()
            for i in 0..<2 {
                let g = 2 * expected[i]
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mHat = m[i] / (1 - pow(0.9, Double(t)))
                let denom = v[i].squareRoot() / (1 - pow(0.999, Double(t))).squareRoot() + 1e-8
                expected[i] -= 0.1 * mHat / denom
            }
        }
        XCTAssertEqual(Double(p.value.data[0]), expected[0], accuracy: 1e-5)
        XCTAssertEqual(Double(p.value.data[1]), expected[1], accuracy: 1e-5)
    }

    func testParameterGroupsAndScheduler() {
        let a = Variable(Tensor(shape: [1], data: [1]), requiresGrad: true)
        let b = Variable(Tensor(shape: [1], data: [1]), requiresGrad: true)
        let opt = Adam([ParameterGroup([a], learningRate: 0.01), ParameterGroup([b], learningRate: 0.1)])
        (a + b).sum().backward()
        opt.step()
        // The first Adam step moves each parameter by its learning rate.
        XCTAssertEqual(a.value.data[0], 0.99, accuracy: 1e-6)
        XCTAssertEqual(b.value.data[0], 0.9, accuracy: 1e-6)
        let sched = MultiStepLR(milestones: [20], gamma: 0.1)
        sched.apply(to: opt, epoch: 19)
        XCTAssertEqual(opt.groups[1].learningRate, 0.1, accuracy: 1e-9)
        sched.apply(to: opt, epoch: 20)
        XCTAssertEqual(opt.groups[0].learningRate, 0.001, accuracy: 1e-9)
        XCTAssertEqual(opt.groups[1].learningRate, 0.01, accuracy: 1e-9)
    }

    func testSnapshotRestoresExactly() throws {
        func run(restoreAfter: Int?) -> [Float] {
            var rng = SeededRandom(seed: 5)
            let p = Variable(rng.normalTensor([4]), requiresGrad: true)
            var opt = Adam([p], learningRate: 0.05)
            for step in 0..<6 {
                if step == restoreAfter {
                    let snap = try! JSONDecoder().decode(Adam.Snapshot.self, from: JSONEncoder().encode(opt.snapshot()))
                    let value = p.value
                    let q = Variable(value, requiresGrad: true)
                    opt = Adam([q], learningRate: 0.05)
                    try! opt.restore(snap)
                    return run2(q, opt, from: step)
                }
                opt.zeroGrad()
                (p * p * p).sum().backward()
                opt.step()
            }
            return p.value.data
        }
        func run2(_ p: Variable, _ opt: Adam, from: Int) -> [Float] {
            for _ in from..<6 { opt.zeroGrad(); (p * p * p).sum().backward(); opt.step() }
            return p.value.data
        }
        XCTAssertEqual(run(restoreAfter: nil), run(restoreAfter: 3))
        let other = Adam([Variable(Tensor(zeros: [1]), requiresGrad: true), Variable(Tensor(zeros: [1]), requiresGrad: true)], learningRate: 1)
        XCTAssertThrowsError(try other.restore(Adam([Variable(Tensor(zeros: [1]))], learningRate: 1).snapshot()))
    }

    func testSeededRandomIsReproducibleAndRestorable() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        XCTAssertEqual(a.normalTensor([10]), b.normalTensor([10]))
        _ = a.normal()
        var c = SeededRandom(state: a.state, spareNormal: a.spareNormal)
        XCTAssertEqual(a.normal(), c.normal())
        XCTAssertEqual(a.int(in: 0..<1000), c.int(in: 0..<1000))
        var d = SeededRandom(seed: 43), e = SeededRandom(seed: 42)
        XCTAssertNotEqual(e.normalTensor([4]), d.normalTensor([4]))
        // Moments of many normals.
        var r = SeededRandom(seed: 1)
        let t = r.normalTensor([20000])
        let mean = t.sumAll() / 20000
        let varr = t.map { $0 * $0 }.sumAll() / 20000
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(varr, 1, accuracy: 0.05)
    }
}
