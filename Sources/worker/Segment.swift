import ArgumentParser
import LGLogging
import Foundation
import LGJobs
import LGModelIO
import LGModels
import LGTensor

/// `worker segment`: the scene segmenter (DeepLabV3 + ResNeSt) on images
/// from an .npy file; writes its logits and, with a label set, LinearGAN's labels.
struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment images (N x 3 x H x W in [-1, 1], .npy) with the scene segmenter; write logits and labels.",
        discussion: """
        The network is built from --config (a DeepLabV3 constructor object, \
        the scene fixture's config.json holding one under `constructor`, or \
        the flat object of configs/predictors.json) with --weights, or is a \
        registered scene segmenter (--predictor scene_seg). Images are \
        normalised as LinearGAN does, ((1 + img) / 2 - mean) / std, and run \
        at their own size. Writes DIR/logits.npy (N x classes x H x W, \
        float32) and, with --label-set, DIR/labels.npy (N x H x W, int64): a \
        zero background channel, the label set's channels, argmax.

        Example:
          worker segment --arch deeplab_resnest --config fixture/config.json --weights fixture/weights.pth \\
            --images fixture/case_64x64/images.npy --label-set ade20k_selected/stylegan2_bedroom --out out/seg
        """
    )

    @Option(help: "Architecture of --config: deeplab_resnest.")
    var arch: String = "deeplab_resnest"

    @Option(help: "The network's constructor config (JSON).")
    var config: String?

    @Option(help: "Weights (.pth, zip or legacy format); optional with --predictor.")
    var weights: String?

    @Option(help: "A registered scene segmenter instead of --config (see `worker models`).")
    var predictor: String?

    @Option(help: "Images (.npy, N x 3 x H x W, in [-1, 1]).")
    var images: String

    @Option(help: "Label set for labels.npy: ade20k_selected/GAN_NAME (LinearGAN's per-GAN classes) or ade20k (all).")
    var labelSet: String?

    @Option(help: "Images per forward pass.")
    var batch: Int = 1

    @Flag(help: "Also write every intermediate (stem, c1..c4, aspp, head) as DIR/NAME.npy, as the scene fixture names them.")
    var intermediates = false

    @OptionGroup var catalog: RegistryOptions

    @Option(help: "Output folder.")
    var out: String

    func validate() throws {
        guard arch == "deeplab_resnest" else { throw ValidationError("--arch must be deeplab_resnest, got '\(arch)'") }
        guard (config == nil) != (predictor == nil) else {
            throw ValidationError("give either --config with --weights, or --predictor (a registered scene segmenter)")
        }
        if config != nil && weights == nil { throw ValidationError("--weights is required with --config") }
        guard batch >= 1 else { throw ValidationError("--batch must be positive") }
    }

    func network() throws -> SceneSegmenter {
        if let predictor {
            let registry = try catalog.registry()
            guard try registry.predictorEntry(predictor).kind == .sceneSegmenter else {
                throw CommandFailure("'\(predictor)' is not a scene segmenter; see `worker models`")
            }
            guard let net = try registry.loadPredictor(predictor, weights: weights) as? SceneSegmenter else {
                throw CommandFailure("'\(predictor)' did not load as a scene segmenter")
            }
            return net
        }
        guard let config, let weights else { throw CommandFailure("--config and --weights are required") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: config)) } catch {
            throw CommandFailure("cannot read --config \(config): \(error.localizedDescription)")
        }
        return try SceneSegmenter(config: SceneSegmenterConfig.decode(data), stateDict: StateDict.loadTorch(weights))
    }

    func run() throws {
        let net = try network()
        let x = try NPY.read(URL(fileURLWithPath: images))
        guard x.rank == 4, x.shape[1] == 3 else {
            throw CommandFailure("--images must hold N x 3 x H x W images, got shape \(x.shape)")
        }
        if let problem = net.inputProblem(x.shape) { throw CommandFailure("--images: \(problem)") }
        let selection = try labelSet.map {
            try catalog.registry().sceneLabelSelection(labelSet: $0, classes: net.config.nClasses)
        }
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var logits: [Tensor] = [], labels: [Labels] = []
        var stages: [String: [Tensor]] = [:]
        let n = x.shape[0]
        let start = Date()
        for lo in stride(from: 0, to: n, by: batch) {
            let part = x.slice(axis: 0, lo..<min(n, lo + batch))
            let o = net.forward(SceneSegmenter.normalize(images: part))
            if let selection { labels.append(Labels.argmax(selection.select(o.logits))) }
            logits.append(o.logits)
            if intermediates {
                for (k, t) in [("stem", o.stem), ("c1", o.c1), ("c2", o.c2), ("c3", o.c3), ("c4", o.c4), ("aspp", o.aspp), ("head", o.head)] {
                    stages[k, default: []].append(t)
                }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        for (k, parts) in stages.sorted(by: { $0.key < $1.key }) {
            try NPY.write(Tensor.concat(parts, axis: 0), to: dir.appendingPathComponent(k + ".npy"))
        }
        try NPY.write(Tensor.concat(logits, axis: 0), to: dir.appendingPathComponent("logits.npy"))
        var wrote = "logits.npy (\(n) x \(net.config.nClasses) x \(x.shape[2]) x \(x.shape[3]))"
        if !labels.isEmpty {
            let all = Labels.concat(labels)
            try NPY.writeInt64(all.data.map { Int($0) }, shape: all.shape, to: dir.appendingPathComponent("labels.npy"))
            wrote += " and labels.npy (\(selection?.names.count ?? 0) labels incl. background)"
        }
        print("segmented \(n) image(s) in \(String(format: "%.2f", seconds)) s; wrote \(wrote) to \(dir.path)")
    }
}
