import ArgumentParser
import LGLogging
import Foundation
import LGTensor
import LGModelIO
import LGModels
import LGSemantics
import LGJobs
import LGManipulation

/// `worker edit`: semantic image editing of one latent (the reference's SIE).
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit a latent so its image follows an edited label map (or edited pixels).",
        discussion: """
        Optimises the latent with Adam as the reference's manipulation/sie.py does: \
        loss `internal` = CE of the semantic extractor on the generator's features, \
        `external` = CE of the predictor on the image, `image` = pixel MSE to a target \
        image inside and outside the mask, plus 1e-3 |z - z0|^2 + 1e-3 |z|^2 / rows.

        With --mask, the target outside the mask is replaced by the current labels \
        (or image), as the reference web app fuses strokes. The target (and mask) \
        must be square PNGs of the label resolution (default: the generator's). \
        Label maps are palette or gray PNGs whose values are class indices (the \
        label PNGs this command writes can be edited and fed back).

        Writes to --out: before.png, after.png, before_labels.png, target_labels.png \
        (or target_image.png), after_labels.png, sheet.png, latent.npy (the new \
        latent, same space as the input), wp.npy and edit.json (metrics, loss per step).

        Example (paint strokes instead of a target file: hair over the forehead):
          worker edit --generator stylegan2_toyface32 --extractor expr/fewshot/X.safetensors --seed 3 \\
            --paint hair:rect:8,4,23,9 --loss internal --out expr/edit
        Example (a registered generator and a few-shot extractor):
          worker edit --generator stylegan2_ffhq --extractor expr/fewshot/ffhq_LSE_8.safetensors \\
            --latent z.npy --target edited.png --mask mask.png --loss internal --out expr/edit
        Example (fixture files):
          worker edit --generator Tests/LGManipulationTests/Fixtures/stylegan2_r32.json \\
            --weights Tests/LGManipulationTests/Fixtures/stylegan2_r32.weights.pth \\
            --extractor se.safetensors --seed 3 --target t.png --loss internal --out /tmp/edit
        """
    )

    @OptionGroup var models: StyleModelOptions

    @Option(help: "Semantic extractor checkpoint (.safetensors, or a reference .pth). Needed for --loss internal.")
    var extractor: String?

    @Option(help: "The latent (.npy): z (zdim) / (1, zdim), per-layer z (L, zdim) / (1, L, zdim), or wp with --latent-space wp.")
    var latent: String?

    @Option(help: "What --latent holds: z or wp.")
    var latentSpace: String = "z"

    @Option(help: "Without --latent: draw z ~ N(0, I) with this seed.")
    var seed: UInt64?

    @Option(help: "Target: a label-map PNG (internal, external) or an RGB image PNG (image).")
    var target: String?

    @Option(help: ArgumentHelp("Instead of --target/--mask: paint CLASS:rect:x0,y0,x1,y1 or CLASS:ellipse:cx,cy,rx,ry (label-map pixels; CLASS an index or a class name of a registered generator) over the current labels (repeatable).", valueName: "stroke"))
    var paint: [String] = []

    @Option(help: "Mask PNG (white = edited), same size as the target.")
    var mask: String?

    @Option(help: "Loss: internal, external or image.")
    var loss: String

    @Option(help: "Optimised space: z, mixwp or wp (default: mixwp for z latents, wp for wp latents).")
    var space: String?

    @Option(help: "Adam steps.")
    var iterations: Int = 50

    @Option(help: "Adam learning rate.")
    var lr: Float = 0.002

    @Option(help: "Label resolution (default: the generator's resolution).")
    var labelResolution: Int?

    @Flag(help: "Apply the generator's truncation to wp (the reference does not).")
    var truncate = false

    @Option(help: "Output folder.")
    var out: String

    @OptionGroup var sheetScale: SheetScaleOption

    func validate() throws {
        guard iterations >= 0 else { throw ValidationError("--iterations must be >= 0") }
        guard lr > 0 else { throw ValidationError("--lr must be positive") }
        guard ["z", "wp"].contains(latentSpace) else { throw ValidationError("--latent-space must be z or wp, got '\(latentSpace)'") }
        if let space, LatentSpace(rawValue: space) == nil {
            throw ValidationError("--space must be z, mixwp or wp, got '\(space)'")
        }
        do { _ = try EditLoss(name: loss) } catch { throw ValidationError("--loss: \(error)") }
        guard latent != nil || seed != nil else { throw ValidationError("give --latent L.npy or --seed N") }
        guard (target == nil) != paint.isEmpty else { throw ValidationError("give either --target (with an optional --mask) or --paint strokes") }
        guard paint.isEmpty || (mask == nil && loss != "image") else {
            throw ValidationError("--paint makes its own mask and a label target; it does not go with --mask or --loss image")
        }
    }

    func loadGenerator() throws -> any StyleGenerator {
        try models.styleGenerator(purpose: "editing")
    }

    func loadPredictor() throws -> any DifferentiableSegmenter {
        guard let d = try models.loadPredictor() as? any DifferentiableSegmenter else {
            throw CommandFailure("the predictor is not differentiable; the external loss needs the face UNet")
        }
        return d
    }

    func run() throws {
        let lossKind = try EditLoss(name: loss)
        let g = try loadGenerator()
        let se: (any SemanticExtractor)? = try extractor.map { try SemanticCheckpoint.loadAny(URL(fileURLWithPath: $0)) }
        if lossKind == .extractor && se == nil { throw CommandFailure("--loss internal needs --extractor") }
        let p: (any DifferentiableSegmenter)?
        if lossKind == .predictor {
            p = try loadPredictor()
        } else if lossKind == .extractor {
            // The predictor, when there is one, checks the edit independently (predictor_agreement_*).
            do { p = try loadPredictor() } catch {
                p = nil
                FileHandle.standardError.write(Data("edit: no predictor check (\(error))\n".utf8))
            }
        } else {
            p = nil
        }
        let nClasses = se?.arch.nClass ?? p?.nClasses ?? 0
        let size = labelResolution ?? g.resolution

        // Latent.
        let start: EditLatent
        if let latent {
            let t = try NPY.read(URL(fileURLWithPath: latent))
            if latentSpace == "wp" {
                guard t.count == g.numLayers * g.wDim, t.rank == 2 || t.rank == 3 else {
                    throw CommandFailure("\(latent) holds shape \(t.shape); wp must be (1, \(g.numLayers), \(g.wDim)) or (\(g.numLayers), \(g.wDim))")
                }
                start = .wp(t)
            } else if t.count == g.zDim {
                start = .z(t)
            } else if t.count == g.numLayers * g.zDim {
                start = .mixedZ(t)
            } else {
                throw CommandFailure("\(latent) holds shape \(t.shape); expected z (1, \(g.zDim)) or per-layer z (1, \(g.numLayers), \(g.zDim)) (use --latent-space wp for wp)")
            }
        } else {
            var rng = SeededRandom(seed: seed!)
            start = .z(rng.normalTensor([1, g.zDim]))
        }

        // Target and mask: files, or strokes painted over the current labels.
        let editTarget: EditTarget
        let maskValues: [Float]?
        if let target {
            let targetURL = URL(fileURLWithPath: target)
            if lossKind == .image {
                editTarget = .image(try ManipulationFiles.readImage(targetURL, expectedSize: size))
            } else {
                editTarget = .labels(try ManipulationFiles.readLabelMap(targetURL, nClasses: nClasses, expectedSize: size))
            }
            maskValues = try mask.map { try ManipulationFiles.readMask(URL(fileURLWithPath: $0), expectedSize: size) }
        } else {
            let names = classNames()
            let strokes = try paint.map { try LabelStroke(parsing: $0, classNames: names, nClasses: nClasses) }
            let painted = try LabelStroke.render(strokes, size: size)
            editTarget = .labels(painted.target)
            maskValues = painted.mask
        }

        let editor = SemanticEditor(generator: g, extractor: se, predictor: p)
        let options = EditOptions(nIter: iterations, learningRate: lr, space: space.flatMap(LatentSpace.init(rawValue:)),
                                  truncate: truncate)
        let r = try editor.edit(latent: start, target: editTarget, mask: maskValues, loss: lossKind, options: options) { it, l in
            if it == 1 || it % 10 == 0 || it == iterations {
                FileHandle.standardError.write("edit: step \(it)/\(iterations) loss \(l)\n".data(using: .utf8)!)
            }
        }

        // Outputs.
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func u(_ n: String) -> URL { dir.appendingPathComponent(n) }
        try ManipulationFiles.writeImage(r.beforeImage, to: u("before.png"))
        try ManipulationFiles.writeImage(r.afterImage, to: u("after.png"))
        var tiles: [Tensor] = [resized(r.beforeImage, size), resized(r.afterImage, size)]
        if let b = r.beforeLabels, let a = r.afterLabels {
            try ManipulationFiles.writeLabelMap(b, nClasses: nClasses, to: u("before_labels.png"))
            try ManipulationFiles.writeLabelMap(a, nClasses: nClasses, to: u("after_labels.png"))
            tiles.append(ManipulationFiles.labelImages(b, nClasses: nClasses))
            if let f = r.fusedLabels { tiles.append(ManipulationFiles.labelImages(f, nClasses: nClasses)) }
            tiles.append(ManipulationFiles.labelImages(a, nClasses: nClasses))
        }
        if let f = r.fusedLabels { try ManipulationFiles.writeLabelMap(f, nClasses: nClasses, to: u("target_labels.png")) }
        if let f = r.fusedImage {
            try ManipulationFiles.writeImage(f, to: u("target_image.png"))
            tiles.insert(f, at: 1)
        }
        let sheet = try ImageSheet.grid(images: sheetScale.enlarged(Tensor.concat(tiles, axis: 0)), columns: tiles.count,
                                        padding: 2, paddingValue: 255)
        try Data(sheet).write(to: u("sheet.png"), options: .atomic)
        try NPY.write(r.latent, to: u("latent.npy"))
        try NPY.write(r.wp, to: u("wp.npy"))
        struct Report: Encodable {
            var loss: String; var space: String; var iterations: Int; var lr: Float
            var metrics: [String: Float]; var lossHistory: [Float]
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try enc.encode(Report(loss: lossKind.rawValue, space: r.space.rawValue, iterations: iterations, lr: lr,
                              metrics: r.metrics, lossHistory: r.lossHistory)).write(to: u("edit.json"), options: .atomic)
        for k in r.metrics.keys.sorted() { print("\(k): \(r.metrics[k]!)") }
        print("wrote before/after images and label maps, latent.npy, wp.npy and edit.json to \(dir.path)")
    }

    /// Class names of a registered generator's label set (empty for a JSON config or an unnamed set).
    func classNames() -> [String] {
        guard !models.generator.lowercased().hasSuffix(".json"), let r = try? models.registry(),
              let set = try? r.generatorEntry(models.generator).labelSet else { return [] }
        return (try? r.classNames(labelSet: set)) ?? []
    }

    func resized(_ t: Tensor, _ s: Int) -> Tensor {
        (t.shape[2] == s && t.shape[3] == s) ? t : t.resizeBilinear(height: s, width: s, alignCorners: true)
    }
}
