import Foundation

/// Errors of looking up and loading registered models. Each says what was
/// expected and what to do.
public enum RegistryError: Error, CustomStringConvertible, Equatable {
    case unknownGenerator(name: String, known: [String])
    case unknownPredictor(name: String, known: [String])
    case unknownLabelSet(name: String, reason: String)
    case badConfig(file: String, reason: String)
    /// No weight file at any of the searched paths.
    case missingWeights(model: String, searched: [String], expectedShapes: [KeyShape], obtain: String)
    /// The weight file exists but does not hold this model (a key is missing, or a shape differs).
    case mismatchedWeights(model: String, path: String, problem: String, expectedShapes: [KeyShape], obtain: String)
    /// Registered, but not runnable in this build.
    case notRunnable(model: String, reason: String)
    /// A predictor chosen for a generator labels another label set than the generator's own predictor.
    case incompatiblePredictor(predictor: String, labelSet: String, generator: String, expected: String, own: String?)

    /// A checkpoint key with the shape the registered config implies.
    public struct KeyShape: Equatable, Sendable, Codable {
        public var key: String
        public var shape: [Int]
        public init(_ key: String, _ shape: [Int]) { self.key = key; self.shape = shape }
    }

    static func shapesText(_ s: [KeyShape]) -> String {
        guard !s.isEmpty else { return "" }
        return " Expected tensors include " + s.map { "'\($0.key)' \($0.shape)" }.joined(separator: ", ") + "."
    }

    public var description: String {
        switch self {
        case let .unknownGenerator(name, known):
            return "unknown generator '\(name)'. Registered generators (configs/generators.json): \(known.joined(separator: ", "))"
        case let .unknownPredictor(name, known):
            return "unknown predictor '\(name)'. Registered predictors (configs/predictors.json): \(known.joined(separator: ", "))"
        case let .unknownLabelSet(name, reason):
            return "label set '\(name)': \(reason)"
        case let .badConfig(file, reason):
            return "\(file): \(reason)"
        case let .missingWeights(model, searched, shapes, obtain):
            let first = searched.first ?? "(no candidate path)"
            let others = searched.dropFirst()
            return "weights of '\(model)' not found: expected \(first)"
                + (others.isEmpty ? "" : " (also searched: \(others.joined(separator: ", ")))") + "."
                + RegistryError.shapesText(shapes) + " How to obtain: \(obtain)"
        case let .mismatchedWeights(model, path, problem, shapes, obtain):
            return "\(path) does not hold the weights of '\(model)': \(problem)."
                + RegistryError.shapesText(shapes) + " How to obtain the right file: \(obtain)"
        case let .notRunnable(model, reason):
            return "'\(model)' is registered but cannot run: \(reason)"
        case let .incompatiblePredictor(predictor, labelSet, generator, expected, own):
            return "predictor '\(predictor)' labels the classes of '\(labelSet)', but '\(generator)' is labelled in '\(expected)'. "
                + "Give a predictor of label set '\(expected)' (see `worker models`)"
                + (own.map { ", or none to use \(generator)'s own ('\($0)')" } ?? "") + "."
        }
    }
}
