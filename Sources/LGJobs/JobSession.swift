import Foundation
import LGJobKinds
import LGTensor
import LGModels
import LGSemantics

/// The running state of one job: its checkpointable state, the live random
/// streams, extractor and optimiser, and when to checkpoint next.
final class JobSession {
    let context: JobRunContext
    var state: JobState
    var extractor: (any SemanticExtractor)?
    var optimizer: Adam?
    /// Live random streams by name (saved into `state.rngs`).
    var rngs: [String: SeededRandom] = [:]
    let generator: any Generator
    private var segmentStart: Double
    private var lastSave: Double
    private var stepsSinceSave = 0

    init(context: JobRunContext, state: JobState, generator: any Generator) {
        self.context = context
        self.state = state
        self.generator = generator
        segmentStart = context.now()
        lastSave = segmentStart
    }

    /// The latest checkpoint of this job, if the checkpointer has one.
    static func savedState(_ context: JobRunContext, kind: JobKind, record: [String: String]) throws
        -> (state: JobState, tensors: [String: Tensor])? {
        guard let cp = context.checkpointer, let data = try cp.latest() else { return nil }
        let (s, t) = try JobState.decode(data)
        guard s.kind == kind else { throw JobError.checkpointMismatch("it is a \(s.kind.rawValue) job, this is \(kind.rawValue)") }
        // A parameter the checkpoint does not record (one added to the
        // kind's table after it was written) ran at its default then.
        let table = kind.table
        let keys = Set(s.record.keys).union(record.keys).filter { k in
            s.record[k] != record[k] && !(s.record[k] == nil && record[k] != nil && record[k] == table.defaultValue(k))
        }.sorted()
        if !keys.isEmpty {
            throw JobError.checkpointMismatch("parameters differ: " + keys.map { "\($0) \(s.record[$0] ?? "-") vs \(record[$0] ?? "-")" }.joined(separator: ", "))
        }
        return (s, t)
    }

    /// Restores the random streams (and the generator's noise stream) from `state`.
    func restoreRandomStreams() throws {
        for (k, v) in state.rngs where k != "noise" { rngs[k] = try v.restored() }
        if let n = state.rngs["noise"] { NoiseRandomness.set(try n.restored(), on: generator) }
    }

    /// Seconds of the current phase, including time before a resume.
    var phaseSeconds: Double {
        let now = context.now() - segmentStart
        return (state.phase == .evaluating ? state.evalSeconds : state.trainSeconds) + now
    }

    /// Moves the clock into `state` (call before saving or changing phase).
    func syncClock() {
        let now = context.now()
        let d = now - segmentStart
        if state.phase == .evaluating { state.evalSeconds += d } else if state.phase == .training { state.trainSeconds += d }
        segmentStart = now
    }

    func syncState() {
        syncClock()
        for (k, v) in rngs { state.rngs[k] = RandomState(v) }
        if let n = NoiseRandomness.get(generator) { state.rngs["noise"] = RandomState(n) }
    }

    /// Saves a checkpoint now (no-op without a checkpointer).
    func save() throws {
        syncState()
        guard let cp = context.checkpointer else { return }
        try cp.save(state.encode(extractor: extractor, optimizer: optimizer))
        lastSave = context.now()
        stepsSinceSave = 0
    }

    /// After each step: checkpoints when the policy says so.
    func stepDone() throws {
        stepsSinceSave += 1
        guard context.checkpointer != nil else { return }
        let p = context.policy
        if let n = p.everySteps, stepsSinceSave >= n { try save(); return }
        if let s = p.intervalSeconds, context.now() - lastSave >= s { try save() }
    }

    /// Before each step: on cancellation, checkpoints and throws.
    func checkCancelled(step: Int) throws {
        guard context.isCancelled() else { return }
        try save()
        throw JobError.cancelled(phase: state.phase.rawValue, step: step)
    }

    /// Switches phase and checkpoints (so a later failure does not redo the finished phase).
    func enter(_ phase: JobProgress.Phase) throws {
        syncClock()
        state.phase = phase
        try save()
    }

    // MARK: Training

    /// One training step on one sample: forward at the label resolution,
    /// the loss divided by the accumulation count back-propagated into the
    /// parameters' gradients, and the sample's training IoU recorded.
    /// Returns the undivided loss.
    func trainStep(features: [Tensor], labels: Labels, kind: SegLossKind, accumulation k: Int) throws -> Float {
        guard let se = extractor else { preconditionFailure("trainStep without an extractor") }
        let (loss, segs) = try se.trainingLoss(features: features, labels: labels, kind: kind)
        (k == 1 ? loss : loss.scaled(1 / Float(k))).backward()
        var seg = segs[segs.count - 1].value
        if seg.shape[2] != labels.shape[1] || seg.shape[3] != labels.shape[2] {
            seg = seg.resizeBilinear(height: labels.shape[1], width: labels.shape[2], alignCorners: true)
        }
        let l = loss.value.scalar
        recordTraining(output: seg, labels: labels, loss: l)
        return l
    }

    /// Records one training sample's output (at the labels' resolution) and
    /// loss into the epoch's IoU and mean loss.
    func recordTraining(output: Tensor, labels: Labels, loss: Float) {
        if state.epochIoU == nil { state.epochIoU = IoUAccumulator(numClasses: output.shape[1]) }
        state.epochIoU!.add(Labels.argmax(output), labels)
        state.epochLossSum += Double(loss)
        state.epochLossCount += 1
    }

    /// Closes an epoch: records its training metrics and resets them.
    func endEpoch(_ epoch: Int) {
        let r = state.epochIoU?.result
        let h = EpochSummary(epoch: epoch,
                             meanLoss: state.epochLossCount == 0 ? 0 : state.epochLossSum / Double(state.epochLossCount),
                             mIoU: r.flatMap { $0.mIoU.isFinite ? $0.mIoU : nil },
                             pixelAccuracy: r.flatMap { $0.pixelAccuracy.isFinite ? $0.pixelAccuracy : nil },
                             learningRate: optimizer?.groups.first?.learningRate ?? 0)
        state.history.append(h)
        // The curves' new points, live (the final metric set holds them all again).
        context.metrics?(JobReport.curvePoints(h, stepsPerEpoch: state.record["steps_per_epoch"].flatMap { Int($0) } ?? 1))
        state.epochIoU = nil
        state.epochLossSum = 0
        state.epochLossCount = 0
    }

    func reportTraining(step: Int, total: Int, epoch: Int, loss: Float) {
        let r = state.epochIoU?.result
        context.progress(JobProgress(phase: .training, step: step, total: total, epoch: epoch, loss: loss,
                                     runningMIoU: r?.mIoU, pixelAccuracy: r?.pixelAccuracy,
                                     learningRate: optimizer?.groups.first?.learningRate,
                                     elapsedSeconds: phaseSeconds))
    }

    // MARK: Evaluation

    /// Evaluates `se` on `samples` fresh samples drawn from the "eval"
    /// stream with `strategy` (experiments.md "Evaluation"), resuming at
    /// `state.evalStep`.
    /// `seed` seeds the "eval" stream (the label cache's key of its samples).
    func evaluate(_ se: any SemanticExtractor, models: JobModels, strategy: LatentStrategy, samples: Int, seed: UInt64) throws -> MIoUResult {
        guard se.arch.nClass == models.predictor.nClasses else {
            throw SemanticsError.featureMismatch("the extractor has \(se.arch.nClass) classes, the predictor \(models.predictor.nClasses)")
        }
        if state.evalIoU == nil { state.evalIoU = IoUAccumulator(numClasses: se.arch.nClass) }
        while state.evalStep < samples {
            try checkCancelled(step: state.evalStep)
            let (image, features) = models.sample(strategy: strategy, rng: &rngs["eval"]!)
            let gt = models.labels(image, cache: context.labelCache, stream: "eval", seed: seed, strategy: strategy, index: state.evalStep)
            try evaluateSample(se, features: features, labels: gt, models: models, samples: samples)
        }
        return state.evalIoU!.result
    }

    /// One evaluation sample (the one at `state.evalStep`): the extractor's
    /// prediction against the predictor's labels, progress, checkpoint policy.
    func evaluateSample(_ se: any SemanticExtractor, features: [Tensor], labels gt: Labels, models: JobModels, samples: Int) throws {
        if state.evalIoU == nil { state.evalIoU = IoUAccumulator(numClasses: se.arch.nClass) }
        let dt = try se.predict(features, size: models.labelResolution)
        state.evalIoU!.add(dt, gt)
        state.evalStep += 1
        let r = state.evalIoU!.result
        context.progress(JobProgress(phase: .evaluating, step: state.evalStep, total: samples, epoch: nil, loss: nil,
                                     runningMIoU: r.mIoU, pixelAccuracy: r.pixelAccuracy, learningRate: nil,
                                     elapsedSeconds: phaseSeconds))
        try stepDone()
    }

    /// The finished job's result; marks the state done and checkpoints it.
    func finish(kind: JobKind, name: String, eval: MIoUResult?, classNames: [String], outputs: JobOutputs?,
                resultFolder: String) throws -> JobReport {
        syncClock()
        if let c = context.labelCache {
            let s = c.stats
            context.log("label cache: \(s.hits) read here, \(s.remoteHits) from the coordinator, \(s.misses - s.remoteHits) computed"
                        + (s.remoteWrites > 0 ? ", \(s.remoteWrites) offered to the coordinator" : "")
                        + (s.refused > 0 ? ", \(s.refused) unusable entries refused" : ""))
        }
        var result = JobReport(kind: kind, name: name, parameters: state.record,
                               metrics: JobReport.rows(eval: eval, classNames: classNames,
                                                       trainSeconds: state.trainSeconds, evalSeconds: state.evalSeconds),
                               classNames: classNames, classIoU: eval?.classIoU,
                               mIoU: eval.flatMap { $0.mIoU.isFinite ? $0.mIoU : nil },
                               pixelAccuracy: eval.flatMap { $0.pixelAccuracy.isFinite ? $0.pixelAccuracy : nil },
                               trainingSeconds: state.trainSeconds, evaluationSeconds: state.evalSeconds,
                               evaluationSamples: eval?.samples ?? 0, trainingHistory: state.history,
                               extractorPath: state.extractorPath, resultPath: nil)
        if let outputs { result.resultPath = try outputs.writeResult(result, folder: resultFolder).path }
        state.result = result
        state.phase = .done
        try save()
        context.progress(JobProgress(phase: .done, step: 1, total: 1, epoch: nil, loss: nil, runningMIoU: result.mIoU,
                                     pixelAccuracy: result.pixelAccuracy, learningRate: nil,
                                     elapsedSeconds: state.trainSeconds + state.evalSeconds))
        return result
    }
}
