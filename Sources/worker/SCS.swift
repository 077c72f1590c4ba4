import ArgumentParser
import LGLogging
import Foundation
import LGTensor
import LGModels
import LGJobs
import LGManipulation

/// `worker scs`: semantic-conditional sampling without a coordinator.
struct SCS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scs",
        abstract: "Semantic-conditional sampling: generate images whose semantics follow target label maps.",
        discussion: """
        For each target, draws --n-init latents, keeps the one whose scorer labels \
        agree most with the target, then optimises it with Adam (the reference's \
        scs.py). The scorer is a semantic extractor checkpoint, or `baseline` \
        (the predictor on the generated image). Targets are the predictor's labels \
        of images generated from seeded latents (--targets N) or label-map PNGs \
        (--target-dir DIR). Writes latents (.npy), sheets (target | samples) and \
        metrics.json (mIoU of the predictor's labels of the samples against the targets, \
        also for the best initial draw and for plain random draws) to --out.

        Example:
          worker scs --generator stylegan2_ffhq --extractor expr/fewshot/stylegan2_ffhq_LSE_fewshot/r0_n8.safetensors \\
            --targets 4 --repeats 2 --out expr/scs/ffhq_n8
        """
    )

    @OptionGroup var models: StyleModelOptions

    @Option(help: "Extractor checkpoint (.safetensors or reference .pth), or `baseline`.")
    var extractor: String

    @Option(help: "Number of generated targets (ignored with --target-dir).")
    var targets: Int = 4

    @Option(help: "A folder of label-map PNGs to use as targets.")
    var targetDir: String?

    @Option(help: "Samples per target.")
    var repeats: Int = 2

    @Option(help: "Latents drawn before optimising.")
    var nInit: Int = 10

    @Option(help: "Adam steps.")
    var iterations: Int = 50

    @Option(help: "Adam learning rate.")
    var lr: Float = 0.002

    @Option(help: "Optimised space: z or mixwp.")
    var space: String = "z"

    @Option(help: "Seed of the targets and of the samples' initial draws.")
    var seed: UInt64 = 0

    @Option(help: "Label resolution (default: the generator's resolution).")
    var labelResolution: Int?

    @Option(help: "Output folder.")
    var out: String

    func validate() throws {
        guard targets > 0, repeats > 0, nInit > 0, iterations >= 0, lr > 0 else {
            throw ValidationError("--targets, --repeats and --n-init must be positive, --iterations >= 0, --lr > 0")
        }
        guard let s = LatentSpace(rawValue: space), s != .wp else { throw ValidationError("--space must be z or mixwp") }
    }

    func run() throws {
        let sg = try models.styleGenerator(purpose: "SCS")
        let p = try models.loadPredictor()
        let method = try SCSMethod.load(extractor: extractor)
        let targetSource: SCSTargets
        if let targetDir {
            let files = try FileManager.default.contentsOfDirectory(atPath: targetDir).filter { $0.lowercased().hasSuffix(".png") }.sorted()
            guard !files.isEmpty else { throw CommandFailure("no .png label maps in \(targetDir)") }
            targetSource = .files(files.map { URL(fileURLWithPath: targetDir).appendingPathComponent($0) })
        } else {
            targetSource = .generated(count: targets, seed: seed &+ 1, strategy: .truncWP)
        }
        let parameters = SCSJobParameters(
            options: SCSOptions(nInit: nInit, nIter: iterations, learningRate: lr, space: LatentSpace(rawValue: space)!),
            repeats: repeats, seed: seed, targets: targetSource, labelResolution: labelResolution)
        var last = Date.distantPast
        let result = try SCSJob.run(generator: sg, predictor: p, method: method, parameters: parameters,
                                    outputDirectory: URL(fileURLWithPath: out)) { progress in
            if Date().timeIntervalSince(last) > 1 {
                last = Date()
                FileHandle.standardError.write("\rscs: sample \(progress.samplesDone)/\(progress.samplesTotal) step \(progress.iteration)/\(progress.nIter) loss \(progress.loss)   ".data(using: .utf8)!)
            }
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        let s = result.summary
        print(String(format: "scs %@: %d samples; mIoU %.1f%% (best initial draw %.1f%%, random draws %.1f%%); agreement %.3f -> %.3f; written to %@",
                     s.method, s.samples, 100 * s.mIoU, 100 * s.initialMIoU, 100 * s.randomMIoU,
                     s.meanInitialAgreement, s.meanFinalAgreement, out))
    }
}
