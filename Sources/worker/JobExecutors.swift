import Foundation
import LGRunner
import LGWire
import LGJobs
import LGJobKinds
import LGModels
import LGTensor
import LGNet
import LGManipulation
import LGZoo

/// Outputs of queued jobs go under the project folder the worker runs in
/// (`expr/`, `results/`), or under $LINEARGAN_ROOT.
func projectOutputs() -> JobOutputs {
    let root = ProcessInfo.processInfo.environment["LINEARGAN_ROOT"] ?? FileManager.default.currentDirectoryPath
    return JobOutputs(root: URL(fileURLWithPath: root))
}

/// Adapts the runner's job context to the checkpoint hook of LGJobs.
final class RunnerCheckpointer: JobCheckpointing {
    let context: any LGRunner.JobContext
    init(_ context: any LGRunner.JobContext) { self.context = context }
    func save(_ data: Data) throws { try context.saveCheckpoint(data) }
    func latest() throws -> Data? { try context.loadCheckpoint() }
}

/// The LGJobs / LGZoo run context of a queue job: checkpoints through the
/// coordinator every `interval` seconds, the runner's cancellation and log.
func queueRunContext(_ context: any LGRunner.JobContext, checkpointInterval interval: Double,
                     progress: @escaping (JobProgress) -> Void) -> JobRunContext {
    var c = JobRunContext(checkpointer: RunnerCheckpointer(context), policy: CheckpointPolicy(intervalSeconds: interval),
                          progress: progress, isCancelled: { context.isCancelled }, log: { context.log($0) })
    // Shared by every slot of this host (LG_LABEL_CACHE=off turns it off),
    // and through the coordinator with workers on other hosts.
    c.labelCache = LabelCache.standard(expr: projectOutputs().exprDirectory, remote: QueueLabelRemote.fromEnvironment())
    c.saveArtifact = { name, data in try context.saveArtifact(name: name, data: data) }
    c.metrics = { context.reportMetrics($0) }
    return c
}

/// Runs a job body, turning its `JobError.cancelled` into the runner's `JobCancelled`.
func runningCancellable<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch JobError.cancelled { throw JobCancelled() }
}

/// The SHA-256 of a weight file, for a result's provenance
/// (`ModelRegistry.resultProvenance`); nil where it cannot be read.
func fileSHA256(_ url: URL) -> String? { try? SHA256Hex.ofFile(url.path) }

/// `train`, `train_fewshot` and `evaluate` (LGJobs) as queue jobs.
struct TrainingJobExecutor: JobExecutor {
    let kind: JobKind

    func run(job: JobSpec, context: any LGRunner.JobContext) throws -> LGRunner.JobResult {
        let parameters = JobParameters(textParameters(job.params))
        let registry = try ModelRegistry.standard()
        let runContext = Self.runContext(context)
        let provenance = try registry.resultProvenance(textParameters(job.params), digest: fileSHA256)
        return try runningCancellable {
            let report = try Jobs.run(kind: kind, parameters: parameters, registry: registry,
                                      context: runContext, outputs: projectOutputs())
            return LGRunner.JobResult(metrics: report.flatMetrics, provenance: provenance)
        }
    }

    /// The run context of a queue job: checkpoints every 2 minutes, progress
    /// as the phase's fraction with a note and an ETA.
    static func runContext(_ context: any LGRunner.JobContext) -> JobRunContext {
        var reporter = StepProgress(context)
        return queueRunContext(context, checkpointInterval: 120) { p in
            let fraction = p.total > 0 ? Double(p.step) / Double(p.total) : 0
            let overall = p.phase == .training ? fraction * 0.9 : (p.phase == .evaluating ? 0.9 + 0.1 * fraction : 1)
            var note = "\(p.phase.rawValue) \(p.step)/\(p.total)"
            if let l = p.loss { note += String(format: " loss %.4f", l) }
            if let m = p.runningMIoU { note += String(format: " mIoU %.3f", m) }
            // The ETA covers the current phase (the note names it).
            reporter.report(fraction: overall, phase: p.phase.rawValue, step: p.step, total: p.total, note: note)
        }
    }
}

/// A cell of `train` jobs (the same generator, predictor, seed and latent
/// strategy) in one process: the models loaded once, one generator and
/// predictor pass per step for all (`Jobs.trainCell`). Other kinds: one
/// job after another.
extension TrainingJobExecutor: CellExecutor {
    func runCell(jobs: [JobSpec], contexts: [any LGRunner.JobContext]) -> [Result<LGRunner.JobResult, Error>] {
        guard kind == .train else { return zip(jobs, contexts).map { j, c in Result { try run(job: j, context: c) } } }
        var results = [Result<LGRunner.JobResult, Error>?](repeating: nil, count: jobs.count)
        var members: [(index: Int, member: Jobs.CellMember, provenance: [String: String])] = []
        let registry: ModelRegistry
        do { registry = try ModelRegistry.standard() } catch { return jobs.map { _ in .failure(error) } }
        for (i, (j, c)) in zip(jobs, contexts).enumerated() {
            do {
                let options = try TrainOptions(JobParameters(textParameters(j.params)))
                let provenance = try registry.resultProvenance(textParameters(j.params), digest: fileSHA256)
                c.log("train \(options.outputName): \(options.epochs) x \(options.stepsPerEpoch) steps, eval \(options.evalSamples), in a cell of \(jobs.count) jobs")
                members.append((i, Jobs.CellMember(options: options, context: Self.runContext(c), outputs: projectOutputs()), provenance))
            } catch { results[i] = .failure(error) }
        }
        if let first = members.first?.member.options {
            do {
                let models = try JobModels.load(first.models, registry: registry, fullLabel: first.parameters.flag("full_label"))
                let reports = Winograd.with(policy: first.winograd ?? .trainingDefault) {
                    Jobs.trainCell(members.map(\.member), models: models)
                }
                for (m, r) in zip(members, reports) {
                    results[m.index] = r.map { LGRunner.JobResult(metrics: $0.flatMetrics, provenance: m.provenance) }
                        .mapError { (e: Error) -> Error in if case JobError.cancelled = e { return JobCancelled() } else { return e } }
                }
            } catch {
                for m in members { results[m.index] = .failure(error) }
            }
        }
        return results.map { $0 ?? .failure(JobCancelled()) }
    }
}

/// `scs`: semantic-conditional sampling with a few-shot LSE (the
/// `train_fewshot` job it depends on) or with the predictor (baseline).
struct SCSJobExecutor: JobExecutor {
    func run(job: JobSpec, context: any LGRunner.JobContext) throws -> LGRunner.JobResult {
        let o = try SCSJobOptions(parameters: textParameters(job.params))
        let g = o.generator
        let registry = try ModelRegistry.standard()
        let entry = try registry.generatorEntry(g)
        guard let generator = try registry.loadGenerator(g) as? any StyleGenerator else {
            throw ManipulationError.invalidOption("scs needs a StyleGAN-family generator; \(g) is not one")
        }
        // A job's own `predictor` (a registered name of the same label set) overrides the generator's.
        guard o.predictor != nil || entry.predictor != nil else {
            throw ManipulationError.missingModel("\(g) has no registered predictor; give the job a predictor=NAME")
        }
        let predictorName = try registry.predictorName(forGenerator: g, override: o.predictor)
        // The files this job loads: the registered ones (scs takes no weight overrides).
        let provenance = try registry.resultProvenance(["G": g, "predictor": predictorName], digest: fileSHA256)
        let predictor = try registry.loadPredictor(predictorName, generator: g)
        let outputs = projectOutputs()
        let method: SCSMethod
        let tag = o.tag
        switch o.method {
        case .predictor: method = .baseline
        case let .fewShotLSE(r, n):
            if let dependency = job.dependencyCheckpoints?.first {
                // The train_fewshot job's final checkpoint, fetched from the coordinator.
                let se = try Jobs.extractor(fromCheckpoint: Data(contentsOf: URL(fileURLWithPath: dependency)))
                method = .extractor(se, name: tag)
                context.log("scs \(g) \(tag): few-shot LSE from its train_fewshot job's checkpoint (via the coordinator)")
            } else {
                let path = outputs.exprDirectory.appendingPathComponent("fewshot/\(g)_LSE_fewshot/r\(r)_n\(n).safetensors").path
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ManipulationError.missingModel("the few-shot LSE for \(tag) is neither a dependency checkpoint from the coordinator nor at \(path)")
                }
                method = try SCSMethod.load(extractor: path)
                context.log("scs \(g) \(tag): few-shot LSE from \(path)")
            }
        }
        let parameters = SCSJobParameters(
            options: o.sampling, repeats: o.samplesPerTarget, seed: o.seed,
            targets: .generated(count: o.targets, seed: o.targetSeed, strategy: .truncWP),
            labelResolution: entry.labelResolution)
        let out = outputs.exprDirectory.appendingPathComponent("scs/\(g)_\(tag)")
        let result = try SCSJob.run(generator: generator, predictor: predictor, method: method,
                                    parameters: parameters, outputDirectory: out) { progress in
            let total = max(1, progress.samplesTotal)
            let fraction = (Double(progress.samplesDone) + Double(progress.iteration) / Double(max(1, progress.nIter))) / Double(total)
            context.reportProgress(min(1, fraction), rate: nil,
                                   note: "sample \(progress.samplesDone)/\(progress.samplesTotal) loss \(progress.loss)")
        }
        var metrics: [String: Double] = ["mIoU": Double(result.summary.mIoU),
                                         "pixel_accuracy": Double(result.summary.pixelAccuracy),
                                         "initial_mIoU": Double(result.summary.initialMIoU),
                                         "random_mIoU": Double(result.summary.randomMIoU)]
        metrics.merge(MetricKey.classIoUs(result.summary.classIoU, classNames: predictor.classNames)) { $1 }
        return LGRunner.JobResult(metrics: metrics, provenance: provenance)
    }
}

/// `train_gan` (LGZoo): one generator of the embedded zoo, checkpointed
/// through the coordinator so an interrupted run resumes exactly.
struct GANJobExecutor: JobExecutor {
    func run(job: JobSpec, context: any LGRunner.JobContext) throws -> LGRunner.JobResult {
        let options = try GANJobOptions(parameters: textParameters(job.params))
        var reporter = StepProgress(context)
        let runContext = queueRunContext(context, checkpointInterval: 300) { p in
            var note = "training \(p.step)/\(p.total)"
            if let l = p.loss { note += String(format: " d_loss %.4f", l) }
            reporter.report(fraction: p.total > 0 ? Double(p.step) / Double(p.total) : 0, phase: "training",
                            step: p.step, total: p.total, note: note)
        }
        return try runningCancellable {
            let report = try GANJob.run(options, context: runContext, expr: projectOutputs().exprDirectory)
            context.log("train_gan \(report.name): generator and samples in \(report.directory.path)")
            return LGRunner.JobResult(metrics: report.metrics)
        }
    }
}

/// `train_segmenter` (LGZoo): a domain's segmenter, checkpointed through the
/// coordinator so an interrupted run resumes exactly.
struct SegmenterJobExecutor: JobExecutor {
    func run(job: JobSpec, context: any LGRunner.JobContext) throws -> LGRunner.JobResult {
        let options = try SegmenterJobOptions(parameters: textParameters(job.params))
        var reporter = StepProgress(context)
        let runContext = queueRunContext(context, checkpointInterval: 120) { p in
            let fraction = p.total > 0 ? Double(p.step) / Double(p.total) : 0
            var note = "\(p.phase.rawValue) \(p.step)/\(p.total)"
            if let l = p.loss { note += String(format: " loss %.4f", l) }
            reporter.report(fraction: p.phase == .training ? fraction * 0.95 : 0.95, phase: p.phase.rawValue,
                            step: p.step, total: p.total, note: note)
        }
        return try runningCancellable {
            let report = try SegmenterJob.run(options, context: runContext, expr: projectOutputs().exprDirectory)
            context.log("train_segmenter \(options.name): held-out mIoU \(String(format: "%.1f", report.evaluation.datasetMIoU * 100)) %; "
                        + "register it with `worker zoo-register --segmenter \(report.file.path)`")
            return LGRunner.JobResult(metrics: report.metrics)
        }
    }
}
