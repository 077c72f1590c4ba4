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

    /// The checkpoint form (moments as tensors under key prefixes, the rest
    /// as JSON) restores an optimiser that continues exactly, and rejects
    /// missing or mis-sized moments by name.
    func testStateTensorsRoundTripAndRejectBadMoments() throws {
        let keys = Adam.MomentKeys(m: "adam/G/m/", v: "adam/G/v/")
        func model() -> (Variable, Variable, Adam) {
            var rng = SeededRandom(seed: 9)
            let a = Variable(rng.normalTensor([3]), requiresGrad: true)
            let b = Variable(rng.normalTensor([2, 2]), requiresGrad: true)
            return (a, b, Adam([ParameterGroup([a], learningRate: 0.01), ParameterGroup([b], learningRate: 0.1)]))
        }
        func step(_ a: Variable, _ b: Variable, _ opt: Adam) {
            opt.zeroGrad(); ((a * a).sum() + (b * b * b).sum()).backward(); opt.step()
        }
        let (a, b, opt) = model()
        // Only `a` has been updated: `b`'s state is nil and has no tensors.
        opt.zeroGrad(); (a * a).sum().backward(); opt.step()
        var (meta, tensors) = opt.exportState(keys: keys)
        XCTAssertEqual(meta.steps, [[1], [nil]])
        XCTAssertEqual(Set(tensors.keys), ["adam/G/m/0/0", "adam/G/v/0/0"])
        step(a, b, opt); step(a, b, opt)
        (meta, tensors) = opt.exportState(keys: keys)
        XCTAssertEqual(Set(tensors.keys), ["adam/G/m/0/0", "adam/G/v/0/0", "adam/G/m/1/0", "adam/G/v/1/0"])
        let json = try JSONDecoder().decode(Adam.StateMeta.self, from: JSONEncoder().encode(meta))

        let (a2, b2, opt2) = model()
        a2.value = a.value; b2.value = b.value
        try opt2.importState(json, tensors: tensors, keys: keys)
        step(a, b, opt); step(a2, b2, opt2)
        XCTAssertEqual(a2.value, a.value)
        XCTAssertEqual(b2.value, b.value)

        var missing = tensors; missing["adam/G/v/1/0"] = nil
        XCTAssertThrowsError(try model().2.importState(json, tensors: missing, keys: keys)) {
            XCTAssertEqual($0 as? OptimizerError, .missingMoment(key: "adam/G/v/1/0"))
        }
        var short = tensors; short["adam/G/m/1/0"] = Tensor(zeros: [3])
        XCTAssertThrowsError(try model().2.importState(json, tensors: short, keys: keys)) {
            XCTAssertEqual($0 as? OptimizerError, .missizedMoment(key: "adam/G/m/1/0", expected: 4, found: 3))
        }
        let oneGroup = Adam([Variable(Tensor(zeros: [3]), requiresGrad: true)], learningRate: 1)
        XCTAssertThrowsError(try oneGroup.importState(json, tensors: tensors, keys: keys)) {
            XCTAssertEqual($0 as? OptimizerError, .mismatchedSnapshot(expectedGroups: [1], found: [1, 1]))
        }
        // A checkpoint taken before any step leaves the optimiser untouched.
        XCTAssertNoThrow(try oneGroup.importState(Adam.StateMeta(learningRates: [], steps: []), tensors: [:], keys: keys))
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
