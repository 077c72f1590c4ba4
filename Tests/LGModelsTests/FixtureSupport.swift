import Foundation
import XCTest
import LGModelIO
import LGTensor
import LGModels

enum Fixture {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    }

    static func stateDict(_ name: String) throws -> StateDict {
        try StateDict.loadTorch(url(name + ".weights.pth").path)
    }

    static func json(_ name: String) throws -> Data {
        try Data(contentsOf: url(name + ".json"))
    }

    /// The io file's tensors under dotted keys ("z", "features.0", ...).
    static func io(_ name: String) throws -> [String: TorchTensor] {
        try TorchFile.load(url: url(name + ".io.pth")).flattenedTensorDict()
    }

    static func features(_ io: [String: TorchTensor]) -> [Tensor] {
        var out: [Tensor] = []
        while let t = io["features.\(out.count)"] { out.append(t.floatTensor()) }
        return out
    }
}

/// Asserts agreement within `atol` and returns the max abs difference.
@discardableResult
func assertClose(_ a: Tensor, _ b: Tensor, atol: Float = 1e-4, _ what: String = "",
                 file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.shape, b.shape, "\(what): shapes differ", file: file, line: line)
    guard a.shape == b.shape else { return .infinity }
    let d = a.maxAbsDifference(b)
    XCTAssertLessThanOrEqual(d, atol, "\(what): max abs difference \(d)", file: file, line: line)
    return d
}

/// Compares d/dx of sum(f(x) * r) (fixed random r) with central differences
/// at a few elements of x; Double-precision objective.
func checkLatentGradient(_ x: Tensor, elements: [Int], eps: Float = 1e-2, rtol: Double = 2e-2,
                         file: StaticString = #filePath, line: UInt = #line,
                         _ f: (Variable) -> Variable) {
    let v = Variable(x, requiresGrad: true)
    let out = f(v)
    var rng = SeededRandom(seed: 7)
    let r = rng.normalTensor(out.shape)
    out.backward(r)
    guard let g = v.grad else { XCTFail("no gradient reached the latent", file: file, line: line); return }
    func objective(_ t: Tensor) -> Double {
        let o = GradMode.withoutGradients { f(Variable(t)) }.value
        var s: Double = 0
        for i in 0..<o.count { s += Double(o.data[i]) * Double(r.data[i]) }
        return s
    }
    let scale = Double(max(g.maxAbs, 1e-3))
    for i in elements {
        var xp = x, xm = x
        xp.data[i] += eps
        xm.data[i] -= eps
        let fd = (objective(xp) - objective(xm)) / Double(2 * eps)
        let an = Double(g.data[i])
        XCTAssertLessThanOrEqual(abs(fd - an), rtol * max(abs(fd), scale),
                                 "element \(i): analytic \(an) vs numeric \(fd)", file: file, line: line)
    }
}
