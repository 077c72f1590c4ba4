/// Errors of GAN training: bad settings, mismatched sources, unreadable checkpoints.
public enum GANTrainingError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case resolutionMismatch(source: Int, model: Int)
    case badCheckpoint(path: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfig(msg):
            return "invalid GAN training config: \(msg)"
        case let .resolutionMismatch(source, model):
            return "the image source renders \(source) px images but the networks are \(model) px; use a source and a config of the same resolution"
        case let .badCheckpoint(path, reason):
            return "\(path): not a usable GAN training checkpoint: \(reason). Start a new run or pass the checkpoint this run wrote"
        case let .writeFailed(path, reason):
            return "could not write \(path): \(reason)"
        }
    }
}
