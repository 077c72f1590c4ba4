import LGTensor

/// Segmentation metrics as the reference evaluates them.
public enum SegmentationMetrics {
    /// Per-class IoU of one sample, as pytorch-lightning 1.x
    /// `iou(dt, gt, num_classes, ignore_index=0, absent_score=-1, reduction='none')`:
    /// counts over all pixels (background pixels are false positives /
    /// negatives of other classes), IoU_c = TP / (TP + FP + FN), -1 where
    /// TP + FP + FN = 0; class 0 is then removed (numClasses - 1 values).
    /// Label values outside 0..<numClasses count for no class.
    public static func iou(_ dt: Labels, _ gt: Labels, numClasses: Int) -> [Float] {
        precondition(dt.count == gt.count, "iou: prediction has \(dt.count) pixels, target \(gt.count)")
        let n = numClasses
        var tp = [Int](repeating: 0, count: n), pc = tp, tc = tp
        dt.data.withUnsafeBufferPointer { d in
            gt.data.withUnsafeBufferPointer { g in
                for i in 0..<d.count {
                    let a = Int(d[i]), b = Int(g[i])
                    if a >= 0 && a < n { pc[a] += 1 }
                    if b >= 0 && b < n { tc[b] += 1 }
                    if a == b && a >= 0 && a < n { tp[a] += 1 }
                }
            }
        }
        var out: [Float] = []
        out.reserveCapacity(max(n - 1, 0))
        for c in 1..<max(n, 1) {
            let fp = pc[c] - tp[c], fn = tc[c] - tp[c]
            let denom = tp[c] + fp + fn
            out.append(denom == 0 ? -1 : Float(tp[c]) / Float(denom))
        }
        return out
    }

    /// Fraction of pixels where dt == gt.
    public static func pixelAccuracy(_ dt: Labels, _ gt: Labels) -> Float {
        precondition(dt.count == gt.count, "pixel accuracy: prediction has \(dt.count) pixels, target \(gt.count)")
        var same = 0
        for i in 0..<dt.count where dt.data[i] == gt.data[i] { same += 1 }
        return Float(same) / Float(dt.count)
    }
}

/// The aggregate of an evaluation run.
public struct MIoUResult: Codable, Equatable, Sendable {
    /// Per-class IoU for classes 1..<numClasses (-1 where no sample had the class).
    public var classIoU: [Float]
    /// Mean of the class IoUs > -0.1 (NaN when none).
    public var mIoU: Float
    /// Mean pixel accuracy over samples.
    public var pixelAccuracy: Float
    public var samples: Int
}

/// Accumulates per-sample IoU (reference `aggregate_iou`): class IoU = mean
/// over samples of the values > -0.1 (-1 if none), mIoU = mean of the class
/// IoUs > -0.1. Codable, so an evaluation can be checkpointed and resumed.
public struct IoUAccumulator: Codable, Equatable, Sendable {
    public let numClasses: Int
    public private(set) var samples = 0
    /// Per class (1..<numClasses): sum of the sample IoUs > -0.1, and their count.
    public private(set) var iouSum: [Double]
    public private(set) var iouCount: [Int]
    public private(set) var pixelAccuracySum: Double = 0

    public init(numClasses: Int) {
        precondition(numClasses >= 1, "numClasses must be >= 1")
        self.numClasses = numClasses
        iouSum = [Double](repeating: 0, count: numClasses - 1)
        iouCount = [Int](repeating: 0, count: numClasses - 1)
    }

    /// Adds one sample (the whole label maps count as one sample, as the
    /// reference's batch-size-1 evaluation does); returns its per-class IoU.
    @discardableResult
    public mutating func add(_ dt: Labels, _ gt: Labels) -> [Float] {
        let s = SegmentationMetrics.iou(dt, gt, numClasses: numClasses)
        add(sampleIoU: s, pixelAccuracy: SegmentationMetrics.pixelAccuracy(dt, gt))
        return s
    }

    /// Adds a sample from its precomputed per-class IoU and pixel accuracy.
    public mutating func add(sampleIoU s: [Float], pixelAccuracy: Float) {
        precondition(s.count == numClasses - 1, "sample IoU has \(s.count) classes, expected \(numClasses - 1)")
        for (c, v) in s.enumerated() where v > -0.1 {
            iouSum[c] += Double(v)
            iouCount[c] += 1
        }
        pixelAccuracySum += Double(pixelAccuracy)
        samples += 1
    }

    /// Combines another accumulator's samples into this one.
    public mutating func merge(_ other: IoUAccumulator) {
        precondition(other.numClasses == numClasses, "merging accumulators of \(other.numClasses) and \(numClasses) classes")
        for c in iouSum.indices { iouSum[c] += other.iouSum[c]; iouCount[c] += other.iouCount[c] }
        pixelAccuracySum += other.pixelAccuracySum
        samples += other.samples
    }

    public var result: MIoUResult {
        let cls: [Float] = iouSum.indices.map { iouCount[$0] == 0 ? -1 : Float(iouSum[$0] / Double(iouCount[$0])) }
        let valid = cls.filter { $0 > -0.1 }
        let miou = valid.isEmpty ? Float.nan : Float(valid.reduce(0.0) { $0 + Double($1) } / Double(valid.count))
        return MIoUResult(classIoU: cls, mIoU: miou,
                          pixelAccuracy: samples == 0 ? .nan : Float(pixelAccuracySum / Double(samples)),
                          samples: samples)
    }
}
