import ArgumentParser
import LGLogging
import Foundation
import LGZoo

/// `worker train-segmenter`: a domain's predictor, trained on its renders.
struct TrainSegmenter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-segmenter",
        abstract: "Train a domain's segmenter (the face-parser UNet) on renders with exact labels; report held-out mIoU.",
        discussion: """
        Renders fresh training batches from seeds below 2^62 and evaluates on \
        held-out seeds from 2^62 up. Writes the network as safetensors with the \
        UNet's torch keys (the registry's face_unet loader reads it) and its \
        settings and evaluation in the metadata, plus OUT.json with the evaluation.

        Example:
          worker train-segmenter --domain toyface --resolution 32 --steps 2000 --out models/zoo/toyface_unet32.safetensors
          # fine-tune a trained one with the Lovász-softmax term added
          worker train-segmenter --domain toychurch --feature-scale 2 --steps 5000 --lr 0.0005 --lovasz-weight 1 \\
            --init-from expr/zoo/segmenters/toychurch_unet32_fs2_15000.safetensors --out expr/zoo/segmenters/toychurch_ft.safetensors
        """
    )

    @Option(help: "Domain: toyface, toybedroom, toychurch.") var domain: String
    @Option(help: "Resolution (a multiple of 16).") var resolution: Int = 32
    @Option(help: "UNet width divisor (filters 64..1024 / this).") var featureScale: Int = 4
    @Option(help: "Training steps.") var steps: Int = 2000
    @Option(help: "Batch size.") var batch: Int = 16
    @Option(help: "Adam learning rate (x0.1 at 70 % and 90 % of the steps).") var lr: Float = 0.002
    @Option(help: "Seed of the initial weights and the training renders.") var seed: UInt64 = 0
    @Option(help: "Held-out renders for the evaluation.") var evalSamples: Int = 1000
    @Option(help: "Class weights of the cross-entropy: none, or balanced (median-frequency balancing: small classes count more).")
    var classWeighting: String = "none"
    @Option(help: "Weight of the Lovász-softmax loss (a surrogate of 1 - IoU) added to the cross-entropy; 0: cross-entropy alone.")
    var lovaszWeight: Float = 0
    @Option(help: "Start from this trained segmenter's weights (same resolution and feature scale) instead of a fresh initialisation: fine-tuning.")
    var initFrom: String?
    @Option(help: "Output .safetensors file.") var out: String

    func run() throws {
        var s = SegmenterSettings(domain: domain)
        s.resolution = resolution; s.featureScale = featureScale; s.steps = steps; s.batch = batch
        s.learningRate = lr; s.seed = seed
        guard let weighting = ClassWeighting(rawValue: classWeighting) else {
            throw CommandFailure("--class-weighting must be one of \(ClassWeighting.allCases.map(\.rawValue).joined(separator: ", ")), not '\(classWeighting)'")
        }
        s.classWeighting = weighting
        guard lovaszWeight >= 0, lovaszWeight.isFinite else { throw CommandFailure("--lovasz-weight must be >= 0") }
        if lovaszWeight > 0 { s.lovaszWeight = lovaszWeight }
        s.initialWeights = initFrom
        let trainer = try SegmenterTrainer(settings: s)
        if let w = trainer.classWeights {
            print("class weights: " + zip(trainer.domain.classNames, w).map { "\($0) \(String(format: "%.2f", $1))" }.joined(separator: ", "))
        }
        let start = Date()
        trainer.train(every: 50) { step, loss in
            let rate = Double(step) / Date().timeIntervalSince(start)
            FileHandle.standardError.write("\rtrain-segmenter \(domain): step \(step)/\(steps)  loss \(String(format: "%.4f", loss))  \(String(format: "%.1f", rate)) steps/s  lr \(trainer.learningRate)   ".data(using: .utf8)!)
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        let trainSeconds = Date().timeIntervalSince(start)
        let e = trainer.evaluate(samples: evalSamples)
        let url = URL(fileURLWithPath: out)
        try SegmenterFiles.save(trainer, evaluation: e, to: url)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(e).write(to: url.deletingPathExtension().appendingPathExtension("json"))
        print("trained \(steps) steps in \(String(format: "%.0f", trainSeconds)) s")
        print("held-out (\(e.samples) renders): mIoU \(String(format: "%.1f", e.datasetMIoU * 100)) % over all pixels, "
              + "\(String(format: "%.1f", e.perImageMIoU * 100)) % per image (reference aggregate), pixel accuracy \(String(format: "%.1f", e.pixelAccuracy * 100)) %")
        for (n, v) in zip(e.classNames, e.datasetIoU) { print("  \(n): \(v < 0 ? "absent" : String(format: "%.1f", v * 100))") }
        print("wrote \(url.path)")
    }
}
