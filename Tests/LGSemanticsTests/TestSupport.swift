import Foundation
import XCTest
import LGTensor
import LGModelIO
import LGModels
@testable import LGSemantics

enum Fixture {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        guard let u = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw XCTSkip("fixture \(name) is not in the test bundle")
        }
        return u
    }

    static func torch(_ name: String) throws -> TorchValue { try TorchFile.load(url: url(name)) }

    static func tensors(_ v: TorchValue?) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, t) in (v ?? TorchValue.none).flattenTensors() { out[k] = t.floatTensor() }
        return out
    }

    static func tensorList(_ v: TorchValue?) -> [Tensor] {
        (v?.array ?? []).compactMap { $0.tensor?.floatTensor() }
    }

    static func labels(_ v: TorchValue?) -> Labels {
        let t = v!.tensor!
        return Labels(shape: t.shape, data: t.intValues().map { Int32($0) })
    }

    /// Features and label shared by every se case (stylegan2_r32 sample 0).
    static func seInputs() throws -> (features: [Tensor], label: Labels, size: Int) {
        let root = try torch("se_LSE_softplus_normal.pth")
        return (tensorList(root["features"]), labels(root["label"]), root["size"]!.int!)
    }
}

/// max |a - b| / max |b| (0 when both vanish).
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count, "compare \(a.shape) vs \(b.shape)")
    let scale = b.maxAbs
    let diff = a.maxAbsDifference(b.reshaped(a.shape))
    return scale == 0 ? diff : diff / scale
}

/// Tracks the largest error per kind for reporting.
final class ErrorLog {
    var worst: [String: Float] = [:]
    func note(_ kind: String, _ e: Float) { worst[kind] = max(worst[kind] ?? 0, e) }
    var summary: String { worst.keys.sorted().map { "\($0)=\(worst[$0]!)" }.joined(separator: " ") }
}
