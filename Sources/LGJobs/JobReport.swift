import Foundation
import LGJobKinds
import LGSemantics

/// One metric of a job: `mIoU`, `pixel_accuracy`, `iou` (with the class
/// name), `train_seconds`, `eval_seconds`, `eval_samples`.
public struct JobMetric: Codable, Sendable, Equatable {
    public var metric: String
    /// The class, for per-class metrics.
    public var label: String?
    /// nil where the value is undefined (NaN, e.g. the mIoU of no valid class).
    public var value: Double?

    public init(_ metric: String, label: String? = nil, _ value: Double?) {
        self.metric = metric; self.label = label
        self.value = value.flatMap { $0.isFinite ? $0 : nil }
    }
}

/// Training metrics of one epoch (the reference's TrainingEvaluationCallback).
public struct EpochSummary: Codable, Sendable, Equatable {
    public var epoch: Int
    public var meanLoss: Double
    public var mIoU: Float?
    public var pixelAccuracy: Float?
    public var learningRate: Float
}

/// What a job produced.
public struct JobReport: Codable, Sendable, Equatable {
    public var kind: JobKind
    /// The output name per experiments.md (result file stem).
    public var name: String
    /// The job's parameters by their reference names.
    public var parameters: [String: String]
    /// Metric rows: mIoU, pixel accuracy, per-class IoU, times.
    public var metrics: [JobMetric]
    /// Class names (index = label; class 0 is the background, which has no IoU).
    public var classNames: [String]
    /// IoU of classes 1..<n (-1 where no sample had the class), nil without evaluation.
    public var classIoU: [Float]?
    public var mIoU: Float?
    public var pixelAccuracy: Float?
    public var trainingSeconds: Double
    public var evaluationSeconds: Double
    public var evaluationSamples: Int
    public var trainingHistory: [EpochSummary]
    /// The trained extractor (project format), when written.
    public var extractorPath: String?
    /// The metrics JSON, when written.
    public var resultPath: String?

    /// Builds the metric rows from the evaluation.
    static func rows(eval: MIoUResult?, classNames: [String], trainSeconds: Double, evalSeconds: Double) -> [JobMetric] {
        var rows: [JobMetric] = []
        if let e = eval {
            rows.append(JobMetric("mIoU", Double(e.mIoU)))
            rows.append(JobMetric("pixel_accuracy", Double(e.pixelAccuracy)))
            for (i, v) in e.classIoU.enumerated() {
                rows.append(JobMetric("iou", label: MetricKey.className(i + 1, in: classNames), Double(v)))
            }
            rows.append(JobMetric("eval_samples", Double(e.samples)))
        }
        rows.append(JobMetric("train_seconds", trainSeconds))
        rows.append(JobMetric("eval_seconds", evalSeconds))
        return rows
    }

    /// The metric rows as one flat map (`mIoU`, `pixel_accuracy`,
    /// `iou/{class}`, `train_seconds`, `eval_seconds`, `eval_samples`),
    /// plus the training curves by epoch end (`loss@{step}`,
    /// `train_mIoU@{step}`, `lr@{step}`); undefined values are left out.
    public var flatMetrics: [String: Double] {
        var out: [String: Double] = [:]
        for m in metrics {
            guard let v = m.value else { continue }
            out[m.label.map { "\(m.metric)/\($0)" } ?? m.metric] = v
        }
        let stepsPerEpoch = parameters["steps_per_epoch"].flatMap { Int($0) } ?? 1
        for h in trainingHistory { out.merge(Self.curvePoints(h, stepsPerEpoch: stepsPerEpoch)) { $1 } }
        return out
    }

    /// One epoch's points of the training curves, at the step that ends it.
    static func curvePoints(_ h: EpochSummary, stepsPerEpoch: Int) -> [String: Double] {
        let step = (h.epoch + 1) * stepsPerEpoch
        var out: [String: Double] = [MetricKey.atStep("lr", step): Double(h.learningRate)]
        if h.meanLoss.isFinite { out[MetricKey.atStep("loss", step)] = h.meanLoss }
        if let m = h.mIoU { out[MetricKey.atStep("train_mIoU", step)] = Double(m) }
        return out
    }

    /// The reference's result text (evaluate.py `write_results`): mIoU, then the class IoUs.
    public var referenceText: String? {
        guard let c = classIoU else { return nil }
        return "\(Double(mIoU ?? .nan))\n" + c.map { "\(Double($0))" }.joined(separator: " ")
    }

    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(self)
    }
}

/// Folders a job writes into (`expr/`, `results/`). Without them a job only returns its result.
public struct JobOutputs: Sendable, Equatable {
    public var exprDirectory: URL
    public var resultsDirectory: URL

    public init(exprDirectory: URL, resultsDirectory: URL) {
        self.exprDirectory = exprDirectory; self.resultsDirectory = resultsDirectory
    }

    /// `expr/` and `results/` under `root`.
    public init(root: URL) {
        self.init(exprDirectory: root.appendingPathComponent("expr"), resultsDirectory: root.appendingPathComponent("results"))
    }

    /// Writes `result` as `{folder}/{name}.json` and the reference `{name}.txt`; returns the JSON path.
    func writeResult(_ result: JobReport, folder: String) throws -> URL {
        let dir = resultsDirectory.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let json = dir.appendingPathComponent(result.name + ".json")
        var r = result
        r.resultPath = json.path
        try r.jsonData().write(to: json, options: .atomic)
        if let t = r.referenceText {
            try Data(t.utf8).write(to: dir.appendingPathComponent(result.name + ".txt"), options: .atomic)
        }
        return json
    }
}
