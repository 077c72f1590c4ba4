import Foundation

/// One parameter of a job kind.
public struct ParameterSpec: Sendable, Equatable {
    public enum Reader: Sendable, Equatable {
        /// The kind's executor decodes it (the table/executor agreement test checks it does).
        case job
        /// The worker reads it before the job runs (`memory_mb`).
        case worker
    }

    public var name: String
    public var type: ParameterType
    /// The value when the job does not give one (as text); nil: none (the
    /// job either requires it or treats its absence as a choice of its own).
    public var defaultValue: String?
    public var required: Bool
    /// `coordinator enqueue --set NAME=...` may add it to a grid's jobs of
    /// this kind although the grid file does not name it (a run-time choice
    /// that makes a different run, hence a different job key).
    public var addable: Bool
    /// An addable parameter that a grid's `needs` inherit: the needed
    /// grid's jobs get it too where their kind takes it (`predictor`).
    public var inheritedByNeeds: Bool
    public var reader: Reader
    /// Where a value other than the default changes what the job computes
    /// but not the reference's output name: the tag that names it there, so
    /// that such a run never overwrites a reference one. The job's output
    /// name ends in `_{tag}{value}` (`KindParameters.outputSuffix`).
    public var outputTag: String?
    public var help: String

    public init(_ name: String, _ type: ParameterType, default defaultValue: String? = nil, required: Bool = false,
                addable: Bool = false, inheritedByNeeds: Bool = false, reader: Reader = .job,
                outputTag: String? = nil, _ help: String) {
        self.name = name; self.type = type; self.defaultValue = defaultValue; self.required = required
        self.addable = addable; self.inheritedByNeeds = inheritedByNeeds; self.reader = reader
        self.outputTag = outputTag; self.help = help
    }
}

/// A metric key a kind writes into its result row.
public struct MetricSpec: Sendable, Equatable {
    /// The key; for a per-class metric the prefix (`iou/`), completed by
    /// the class name; for a curve the prefix (`loss@`), completed by the step.
    public var key: String
    public var perClass: Bool
    public var perStep: Bool
    public var help: String

    public init(_ key: String, perClass: Bool = false, perStep: Bool = false, _ help: String) {
        self.key = key; self.perClass = perClass; self.perStep = perStep; self.help = help
    }

    public func matches(_ name: String) -> Bool {
        if perClass { return name.hasPrefix(key) && name.count > key.count }
        if perStep { return name.hasPrefix(key) && Int(name.dropFirst(key.count)) != nil }
        return name == key
    }

    /// How `coordinator kinds` and docs/job-kinds.md show it.
    public var pattern: String { key + (perClass ? "{class name}" : perStep ? "{step}" : "") }
}

/// The one metric-key convention for every kind: plain names (`mIoU`,
/// `pixel_accuracy`, `train_seconds`), per-class values as
/// `{metric}/{class name}`, the class names of the label set (never
/// indices), and training curves as `{metric}@{step}` (the dashboard and
/// `collector plots` draw these).
public enum MetricKey {
    /// `{name}@{step}`: one point of a training curve.
    public static func atStep(_ name: String, _ step: Int) -> String { "\(name)@\(step)" }

    public static let mIoU = "mIoU"
    public static let classIoUPrefix = "iou/"
    /// `iou/{class name}`.
    public static func classIoU(_ className: String) -> String { classIoUPrefix + className }
    /// The name of foreground class `label` (its label value, 1-based) in a
    /// label set's names (index 0 = background); `class{label}` past their end.
    public static func className(_ label: Int, in names: [String]) -> String {
        label < names.count ? names[label] : "class\(label)"
    }

    /// `iou/{class name}` of per-class IoUs listed from class 1 on.
    public static func classIoUs(_ values: [Float], classNames: [String]) -> [String: Double] {
        var out: [String: Double] = [:]
        for (i, v) in values.enumerated() { out[classIoU(className(i + 1, in: classNames))] = Double(v) }
        return out
    }

    /// The class name of an `iou/{class name}` key, nil for other keys.
    public static func className(ofClassIoU key: String) -> String? {
        key.hasPrefix(classIoUPrefix) && key.count > classIoUPrefix.count ? String(key.dropFirst(classIoUPrefix.count)) : nil
    }
}
