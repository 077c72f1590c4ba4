/// Errors of the embedded-zoo tooling.
public enum ZooError: Error, CustomStringConvertible, Equatable {
    case badSetting(String)
    case badFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .badSetting(let s): return s
        case .badFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}
