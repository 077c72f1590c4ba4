import Foundation
import LGTensor
import LGModels
import LGJobKinds

extension Jobs {
    /// One job of a fused cell: its options, its own context (checkpoints,
    /// progress, cancellation, log) and outputs.
    public struct CellMember {
        public var options: TrainOptions
        public var context: JobRunContext
        public var outputs: JobOutputs?
        public init(options: TrainOptions, context: JobRunContext = JobRunContext(), outputs: JobOutputs? = nil) {
            self.options = options; self.context = context; self.outputs = outputs
        }
    }

    /// The cell of a `train` job (`KindTable.cellKey`): jobs with the same
    /// key draw the same samples.
    public static func cellKey(_ options: TrainOptions) -> String? {
        options.parameters.table.cellKey(options.parameters.values)
    }

    /// Runs `train` jobs of one cell (the same generator, predictor, seed,
    /// latent strategy and convolution policy; `models` loaded once for all)
    /// together: each training step draws one sample, runs the generator
    /// and the predictor once, and steps every job's extractor and
    /// optimiser on it. Each job keeps its own schedule, checkpoints,
    /// progress and cancellation; the results are those of running the jobs
    /// one by one (`Jobs.train`), bit for bit, except the measured times.
    ///
    /// Jobs may resume at different steps: the stream runs from the
    /// earliest, and a job joins when the stream reaches its step (the
    /// stream's state at a step does not depend on which job drew it).
    /// Jobs may have different step counts. Evaluation follows, job by job
    /// (the label cache shares the evaluation labels). A job that fails or
    /// is cancelled leaves the others running; its entry in the result says why.
    public static func trainCell(_ members: [CellMember], models: JobModels) -> [Result<JobReport, Error>] {
        let cell = CellState(count: members.count)
        let key = members.first.flatMap { cellKey($0.options) }
        for (i, m) in members.enumerated() {
            do {
                guard let k = cellKey(m.options), k == key else {
                    throw JobError.badParameter(name: "cell", value: cellKey(m.options) ?? "none",
                                                expected: "the cell of the first job (\(key ?? "none")): only jobs that draw the same samples run together")
                }
                let r = try TrainRun(m.options, models: models, context: m.context, outputs: m.outputs)
                if let done = r.finishedResult { cell.results[i] = .success(done) } else { cell.runs[i] = r }
            } catch { cell.results[i] = .failure(error) }
        }
        // A job checkpointed after its last step but before the move to evaluation.
        for (i, r) in cell.runs.sorted(by: { $0.key < $1.key }) where r.session.state.phase == .training && !r.training {
            do { r.restoreNoise(); try r.endTraining() } catch { cell.fail(i, error) }
        }
        cell.lockstep(Array(cell.runs.keys), phase: .training, position: \.step, live: \.training,
                      start: { $0.restoreNoise() },
                      draw: { leader in
                          let (image, features) = leader.sample()
                          return (image, features, leader.labels(image))
                      },
                      follow: { leader, r in r.session.rngs["latents"] = leader.session.rngs["latents"] },
                      step: { r, image, features, labels in
                          try r.step(image: image, features: features, labels: labels)
                          if !r.training { try r.endTraining() }
                      })
        // Evaluation: jobs whose evaluation samples are the same (their
        // strategy, and with randomised noise the training length that
        // leaves the noise stream where it is) share them too.
        let randomNoise = NoiseRandomness.isRandomized(models.generator)
        let groups = Dictionary(grouping: cell.runs.keys.sorted()) { i in
            let o = cell.runs[i]!.options
            return o.evaluationStrategy.rawValue + (randomNoise ? "/\(o.epochs * o.stepsPerEpoch)" : "")
        }
        for ids in groups.values.sorted(by: { $0[0] < $1[0] }) {
            cell.lockstep(ids, phase: .evaluating, position: \.session.state.evalStep, live: \.evaluating,
                          start: { try $0.session.restoreRandomStreams() },
                          draw: { leader in
                              let (image, features) = leader.evaluationSample()
                              return (image, features, leader.evaluationLabels(image))
                          },
                          follow: { leader, r in r.session.rngs["eval"] = leader.session.rngs["eval"] },
                          step: { r, image, features, labels in
                              try r.evaluate(features: features, labels: labels)
                              // Where its streams are at its end, for its label sheet.
                              if !r.evaluating { r.session.syncState() }
                          })
        }
        for (i, r) in cell.runs.sorted(by: { $0.key < $1.key }) {
            do {
                try r.session.restoreRandomStreams()
                cell.results[i] = .success(try r.evaluateAndFinish())
            } catch { cell.fail(i, error) }
        }
        return cell.results.map { $0 ?? .failure(JobError.badParameter(name: "cell", value: "-", expected: "a result")) }
    }
}

/// The jobs of a cell still running, and the results of the others.
final class CellState {
    var runs: [Int: TrainRun] = [:]
    var results: [Result<JobReport, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func fail(_ i: Int, _ error: Error) { results[i] = .failure(error); runs[i] = nil }

    /// Steps the jobs `ids` in lockstep over one stream: at each position
    /// (the lowest any of them is at) the first job there draws the sample
    /// (`draw`, started with `start`), the others at that position take its
    /// stream state (`follow`) and every one of them steps on the sample.
    /// A job ahead waits for the stream to reach it; a cancelled one
    /// checkpoints (if the stream is where it is) and drops out.
    func lockstep(_ ids: [Int], phase: JobProgress.Phase, position: (TrainRun) -> Int, live: (TrainRun) -> Bool,
                  start: (TrainRun) throws -> Void,
                  draw: (TrainRun) -> (image: Tensor, features: [Tensor], labels: Labels),
                  follow: (_ leader: TrainRun, _ job: TrainRun) -> Void,
                  step: (TrainRun, Tensor, [Tensor], Labels) throws -> Void) {
        var started = false
        while true {
            let stepping = ids.compactMap { i in runs[i].flatMap { live($0) ? (i, $0) : nil } }
            guard let t = stepping.map({ position($0.1) }).min() else { return }
            for (i, r) in stepping where r.context.isCancelled() {
                // A job ahead has not moved since its checkpoint, which stays.
                if position(r) == t { try? r.session.save() }
                fail(i, JobError.cancelled(phase: phase.rawValue, step: position(r)))
            }
            let active = stepping.filter { runs[$0.0] != nil && position($0.1) == t }
            guard let leader = active.first?.1 else { continue }
            if !started {
                do { try start(leader) } catch { fail(active[0].0, error); continue }
                started = true
            }
            let (image, features, labels) = draw(leader)
            for (i, r) in active {
                if r !== leader { follow(leader, r) }
                do { try step(r, image, features, labels) } catch { fail(i, error) }
            }
        }
    }
}
