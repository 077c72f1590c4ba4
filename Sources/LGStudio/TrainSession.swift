import Foundation
import LGTensor
import LGSemantics
import LGJobs

/// `/train` state of one browser: class names, the sample being annotated,
/// the annotated samples and the few-shot learner trained on them in the
/// background. Every field is used under the studio's compute lock, except
/// `control`, which has its own condition (the trainer thread waits on it).
final class TrainSession {
    struct Annotation {
        var features: [Tensor]
        var labels: Labels
        var mask: [Float]
        /// The learner's latest prediction of this sample (for the running mIoU).
        var prediction: Labels?
    }

    enum Phase: String, Codable, Sendable { case idle, running, paused, stopped, finished }

    var classNames: [String]
    var pending: StudioSample?
    var annotations: [Annotation] = []
    var learner: FewShotLearner?
    var step = 0
    var maxSteps = 1000
    var lastLoss: Float?
    /// Mean loss of each pass over the annotations.
    var lossHistory: [Float] = []
    /// Loss summed over the current pass.
    var roundLoss: Float = 0
    var savedPath: String?
    var lastError: String?
    /// Bumped by every start: a trainer thread of an older generation ends.
    var generation = 0

    /// Phase and its condition (the only state the trainer thread reads without the compute lock).
    let control = NSCondition()
    private var _phase = Phase.idle
    var phase: Phase {
        get { control.lock(); defer { control.unlock() }; return _phase }
    }
    func setPhase(_ p: Phase) {
        control.lock(); _phase = p; control.broadcast(); control.unlock()
    }
    /// Waits while paused; false once the training should end.
    func waitWhilePaused() -> Bool {
        control.lock(); defer { control.unlock() }
        while _phase == .paused { control.wait() }
        return _phase == .running
    }

    init(classNames: [String]) { self.classNames = classNames }

    /// `lossHistory` in at most `points` bucket means.
    func lossCurve(points: Int = 200) -> [Float] {
        let h = lossHistory
        guard h.count > points else { return h }
        return (0..<points).map { k in
            let a = k * h.count / points, b = (k + 1) * h.count / points
            return h[a..<b].reduce(0, +) / Float(b - a)
        }
    }

    /// mIoU of the latest predictions on the annotated pixels only.
    var annotationMIoU: Float? {
        guard !annotations.isEmpty else { return nil }
        var acc = IoUAccumulator(numClasses: max(classNames.count, 1))
        var any = false
        for a in annotations {
            guard let p = a.prediction else { continue }
            let idx = a.mask.indices.filter { a.mask[$0] >= 0.5 }
            guard !idx.isEmpty else { continue }
            acc.add(Labels(shape: [1, 1, idx.count], data: idx.map { p.data[$0] }),
                    Labels(shape: [1, 1, idx.count], data: idx.map { a.labels.data[$0] }))
            any = true
        }
        guard any else { return nil }
        let m = acc.result.mIoU
        return m.isFinite ? m : nil
    }
}

/// What `/api/train/state` answers.
struct TrainView: Codable, Sendable {
    var classes: [String]
    var palette: [String]
    var annotated: Int
    var hasSample: Bool
    var phase: String
    var step: Int
    var maxSteps: Int
    var loss: Float?
    var annotationMIoU: Float?
    /// Mean loss per pass over the annotations since the start, in at most
    /// 200 points (each the mean of consecutive passes).
    var lossHistory: [Float]
    var saved: String?
    var error: String?
}

/// The studio's trainer thread: steps the session's learner while the phase
/// is running, one sample per step (sample i mod N), Adam every N steps as
/// `train_fewshot` does.
final class TrainerThread: @unchecked Sendable {
    let studio: Studio
    let session: TrainSession
    let generation: Int

    init(studio: Studio, session: TrainSession, generation: Int) {
        self.studio = studio; self.session = session; self.generation = generation
    }

    func start() {
        let t = Thread { [self] in self.run() }
        t.name = "studio-trainer"
        t.start()
    }

    func run() {
        while session.waitWhilePaused() {
            let more: Bool = studio.compute.withLock {
                guard session.generation == generation else { return false }
                switch session.phase {
                case .running: break
                case .paused: return true  // paused between the wait and the lock: wait again
                default: return false
                }
                guard let learner = session.learner, !session.annotations.isEmpty else {
                    session.lastError = "no annotated sample"; return false
                }
                let n = session.annotations.count
                let i = session.step % n
                let a = session.annotations[i]
                do {
                    let (loss, out) = try learner.accumulate(features: a.features, labels: a.labels, mask: a.mask, accumulation: n)
                    if i == n - 1 { learner.update() }
                    session.annotations[i].prediction = Labels.argmax(out)
                    session.step += 1
                    session.lastLoss = loss
                    session.roundLoss += loss
                    if i == n - 1 {
                        // One point per pass over the annotations (one Adam step).
                        session.lossHistory.append(session.roundLoss / Float(n))
                        session.roundLoss = 0
                    }
                } catch {
                    session.lastError = "\(error)"
                    return false
                }
                return session.step < session.maxSteps
            }
            if !more {
                // Finished, or stopped by an error, unless a command (stop, a new start) came first.
                studio.compute.withLock {
                    guard session.generation == generation else { return }
                    session.control.lock()
                    if case .running = session.phaseUnlocked {
                        session.setPhaseUnlocked(session.lastError == nil && session.step >= session.maxSteps ? .finished : .stopped)
                    }
                    session.control.unlock()
                }
                return
            }
        }
    }
}

extension TrainSession {
    /// For callers holding `control`.
    var phaseUnlocked: Phase { _phase }
    func setPhaseUnlocked(_ p: Phase) { _phase = p; control.broadcast() }
}
