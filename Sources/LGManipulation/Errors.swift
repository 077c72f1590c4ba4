// Errors of the manipulation operations: bad user input (label maps, masks,
// latents, option values), with messages that say what was expected.
import Foundation

public enum ManipulationError: Error, CustomStringConvertible, Equatable {
    /// A label map, mask or image whose size does not fit.
    case wrongSize(what: String, found: String, expected: String)
    /// A label value outside the scorer's classes.
    case labelOutOfRange(what: String, label: Int, nClasses: Int)
    /// A latent of the wrong shape for the generator and space.
    case badLatent(String)
    /// An option value that is not allowed.
    case invalidOption(String)
    /// A file that cannot be read as what it should be.
    case unreadable(path: String, reason: String)
    /// The operation needs a model that was not given.
    case missingModel(String)

    public var description: String {
        switch self {
        case let .wrongSize(what, found, expected):
            return "\(what) has size \(found), expected \(expected)"
        case let .labelOutOfRange(what, label, n):
            return "\(what) holds label \(label), outside the scorer's classes 0..<\(n)"
        case let .badLatent(m): return "bad latent: \(m)"
        case let .invalidOption(m): return m
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case let .missingModel(m): return m
        }
    }
}
