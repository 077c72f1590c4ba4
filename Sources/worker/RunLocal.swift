import ArgumentParser
import LGLogging
import Foundation
import Synchronization
import LGNet
import LGJobs
import LGJobKinds
import LGZoo

/// Set by SIGINT / SIGTERM: the running job checkpoints and stops.
private let stopRequested = Atomic<Bool>(false)

/// `worker run-local`: runs one job in this process, without a coordinator.
struct RunLocal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-local",
        abstract: "Run one train / train_fewshot / evaluate / train_gan / train_segmenter job locally.",
        discussion: """
        Parameters use the names of docs (experiments.md): G, SE, lr, loss_type, \
        latent_strategy, layer_weight, epochs, steps_per_epoch, eval_samples, seed, \
        num_sample, repeat_ind, SE_path, preset (paper|quick|smoke), ...
        The job checkpoints every --checkpoint-interval seconds and on Ctrl-C; running \
        the same command again resumes it (use --fresh to start over).

        Examples:
          worker run-local --kind train --set G=stylegan2_ffhq --set SE=LSE --set preset=quick
          worker run-local --kind train --set G=fixture_stylegan2_r32 --set SE=LSE --set epochs=2 --set steps_per_epoch=8 --set eval_samples=4
          worker run-local --kind train_fewshot --set G=stylegan2_ffhq --set num_sample=8 --set repeat_ind=0
          worker run-local --kind evaluate --set SE_path=expr/semantics/X/stylegan2_ffhq_LSE.safetensors
          worker run-local --kind train_gan --set family=stylegan2 --set domain=toyface --set steps=2000
          worker run-local --kind train_segmenter --set domain=toyface --set feature_scale=4 --set steps=15000
          worker run-local --kind train_segmenter --set domain=toyface --set feature_scale=2 --set steps=5000 --set lr=0.0005 --set lovasz_weight=1 --set init=expr/zoo/segmenters/toyface_unet32_fs2_15000.safetensors
        """
    )

    /// The kinds run-local runs (`scs` runs only through the queue, beside its train_fewshot job).
    static let kinds: [JobKind] = Jobs.kinds + [.trainGAN, .trainSegmenter]

    @Option(help: "Job kind: \(RunLocal.kinds.map(\.rawValue).joined(separator: ", ")) (`coordinator kinds KIND` lists its parameters).")
    var kind: String

    @Option(name: .customLong("set"), help: "A job parameter NAME=VALUE (repeatable).")
    var assignments: [String] = []

    @Option(help: "Folder for checkpoints of extractors (expr/).")
    var expr = "expr"

    @Option(help: "Folder for metrics (results/).")
    var results = "results"

    @Option(help: "Job checkpoint file (default: expr/jobs/{kind}/{name}.ckpt).")
    var checkpoint: String?

    @Option(help: "Seconds between job checkpoints.")
    var checkpointInterval: Double = 300

    @OptionGroup var catalog: RegistryOptions

    @Flag(help: "Ignore an existing job checkpoint and start over.")
    var fresh = false

    @Option(help: "Seconds between progress lines.")
    var progressInterval: Double = 2

    func validate() throws {
        guard let k = JobKind(rawValue: kind), RunLocal.kinds.contains(k) else {
            throw ValidationError("--kind must be one of \(RunLocal.kinds.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        guard let jobKind = JobKind(rawValue: kind) else { throw ValidationError("unknown --kind \(kind)") }
        if jobKind == .trainGAN { return try runGAN() }
        if jobKind == .trainSegmenter { return try runSegmenter() }
        let params = try JobParameters(assignments: assignments)
        let name = try Jobs.outputName(kind: jobKind, parameters: params)
        let registry = try catalog.registry()
        let ckptURL = URL(fileURLWithPath: checkpoint ?? "\(expr)/jobs/\(jobKind.rawValue)/\(name).ckpt")
        if fresh { try? FileManager.default.removeItem(at: ckptURL) }

        var context = localContext(checkpoint: ckptURL, force: { $0.step == $0.total || $0.phase == .done },
                                   line: RunLocal.describe)
        let outputs = JobOutputs(exprDirectory: URL(fileURLWithPath: expr), resultsDirectory: URL(fileURLWithPath: results))
        context.labelCache = LabelCache.standard(expr: URL(fileURLWithPath: expr))
        try stoppingOnCancel {
            let report = try Jobs.run(kind: jobKind, parameters: params, registry: registry, context: context, outputs: outputs)
            if let c = context.labelCache, c.stats.hits + c.stats.writes > 0 {
                printErr("label cache \(c.directory.path): \(c.stats.hits) samples read back, \(c.stats.writes) stored")
            }
            if let m = report.mIoU { print(String(format: "mIoU %.4f  pixel accuracy %.4f  (%d samples)", m, report.pixelAccuracy ?? .nan, report.evaluationSamples)) }
            if let p = report.extractorPath { print("extractor: \(p)") }
            if let p = report.resultPath { print("metrics: \(p)") }
            print("job checkpoint: \(ckptURL.path)")
        }
    }

    /// `train_gan` (LGZoo): one zoo generator, checkpointed to
    /// expr/jobs/train_gan/NAME.ckpt and resumed from it when run again.
    func runGAN() throws {
        let options = try GANJobOptions(parameters: plainParameters())
        let ckptURL = URL(fileURLWithPath: checkpoint ?? "\(expr)/jobs/train_gan/\(options.name).ckpt")
        if fresh { try? FileManager.default.removeItem(at: ckptURL) }
        let context = localContext(checkpoint: ckptURL, force: { $0.step == $0.total }) { p in
            String(format: "train_gan %d/%d  d_loss %.4f  %.1fs", p.step, p.total, p.loss ?? .nan, p.elapsedSeconds)
        }
        try stoppingOnCancel {
            let report = try GANJob.run(options, context: context, expr: URL(fileURLWithPath: expr))
            print("generator, config and samples: \(report.directory.path)")
            print("job checkpoint: \(ckptURL.path)")
        }
    }

    /// `train_segmenter` (LGZoo): one domain segmenter, checkpointed to
    /// expr/jobs/train_segmenter/NAME.ckpt and resumed from it when run again.
    func runSegmenter() throws {
        let options = try SegmenterJobOptions(parameters: plainParameters())
        let ckptURL = URL(fileURLWithPath: checkpoint ?? "\(expr)/jobs/train_segmenter/\(options.name).ckpt")
        if fresh { try? FileManager.default.removeItem(at: ckptURL) }
        let context = localContext(checkpoint: ckptURL, force: { $0.step == $0.total && $0.phase == .training }) { p in
            String(format: "train_segmenter %@ %d/%d  loss %.4f  %.1fs", p.phase.rawValue, p.step, p.total, p.loss ?? .nan, p.elapsedSeconds)
        }
        try stoppingOnCancel {
            let report = try SegmenterJob.run(options, context: context, expr: URL(fileURLWithPath: expr))
            let e = report.evaluation
            print(String(format: "held-out (%d renders): mIoU %.1f %% over all pixels, %.1f %% per image, pixel accuracy %.1f %%",
                         e.samples, e.datasetMIoU * 100, e.perImageMIoU * 100, e.pixelAccuracy * 100))
            print("segmenter: \(report.file.path) (register: worker zoo-register --segmenter \(report.file.path))")
            print("job checkpoint: \(ckptURL.path)")
        }
    }

    /// `--set` assignments as a plain dictionary (the zoo kinds' parameters).
    private func plainParameters() throws -> [String: String] {
        var params: [String: String] = [:]
        for a in assignments {
            guard let eq = a.firstIndex(of: "=") else { throw CommandFailure("--set expects NAME=VALUE, got '\(a)'") }
            params[String(a[..<eq])] = String(a[a.index(after: eq)...])
        }
        return params
    }

    /// A context for a job in this process: checkpoints to `checkpoint`,
    /// stops on SIGINT / SIGTERM, prints a progress line at most every
    /// --progress-interval seconds (always when `force` says so).
    private func localContext(checkpoint: URL, force: @escaping (JobProgress) -> Bool,
                              line: @escaping (JobProgress) -> String) -> JobRunContext {
        let watch = SignalWatch([SIGINT, SIGTERM]) { _ in stopRequested.store(true, ordering: .relaxed) }
        var lastPrint = -Double.infinity
        let interval = progressInterval
        return JobRunContext(
            checkpointer: FileCheckpointer(url: checkpoint),
            policy: CheckpointPolicy(intervalSeconds: checkpointInterval),
            progress: { p in
                let now = ProcessInfo.processInfo.systemUptime
                guard now - lastPrint >= interval || force(p) else { return }
                lastPrint = now
                printErr(line(p))
            },
            isCancelled: { withExtendedLifetime(watch) { stopRequested.load(ordering: .relaxed) } },
            log: { printErr($0) })
    }

    /// Runs `body`; a cancelled job exits with status 130 after saying so.
    private func stoppingOnCancel(_ body: () throws -> Void) throws {
        do { try body() } catch let e as JobError {
            if case .cancelled = e { printErr("stopped: \(e)"); throw ExitCode(130) }
            throw e
        }
    }

    static func describe(_ p: JobProgress) -> String {
        var parts = ["\(p.phase.rawValue) \(p.step)/\(p.total)"]
        if let e = p.epoch { parts.append("epoch \(e)") }
        if let l = p.loss { parts.append(String(format: "loss %.4f", l)) }
        if let m = p.runningMIoU, m.isFinite { parts.append(String(format: "mIoU %.4f", m)) }
        if let a = p.pixelAccuracy, a.isFinite { parts.append(String(format: "acc %.4f", a)) }
        if let lr = p.learningRate { parts.append("lr \(lr)") }
        parts.append(String(format: "%.1fs", p.elapsedSeconds))
        return parts.joined(separator: "  ")
    }
}

private func printErr(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
