import ArgumentParser
import Foundation
import LGFaceLandmarks
import LGJobs
import LGModelIO
import LGModels
import LGSemantics
import LGTensor

/// `worker label`: a sheet of generated images, the predictor's labels and
/// extractors' predictions, one column per sample.
struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label generated images with the predictor and with extractors; write a sheet.",
        discussion: """
        Draws --count latents with --seed, generates the images, labels them with \
        the generator's registered predictor (or --predictor) and, for each \
        --extractor checkpoint, predicts labels from the generator's features. \
        Writes DIR/sheet.png (rows: images, predictor labels, one row per \
        extractor; a column per sample), DIR/labels.npy (predictor, int64) and \
        DIR/image.npy. With the landmark face parser it also writes \
        DIR/regions.png: the parser's canvas with the 68 landmarks and the \
        regions drawn over it.

        Example:
          worker label --generator dcgan_face64 --count 8 --seed 3 \\
            --extractor expr/semantics/X/dcgan_face64_LSE.safetensors --out docs/images/dcgan_face
        """
    )

    @Option(help: "A registered generator name (see `worker models`).")
    var generator: String

    @Option(help: "Predictor: a registered name (default: the generator's registered predictor).")
    var predictor: String?

    @Option(help: "Extractor checkpoints (.safetensors or the reference's .pth); repeatable.")
    var extractor: [String] = []

    @Option(help: "Number of samples.")
    var count: Int = 8

    @Option(help: "Seed for drawing latents.")
    var seed: UInt64 = 0

    @Option(help: "Latent strategy from z: trunc-wp, notrunc-wp, notrunc-mixwp.")
    var strategy: String = "trunc-wp"

    @Option(help: "Label resolution (default: the generator's registered label resolution).")
    var labelResolution: Int?

    @OptionGroup var catalog: RegistryOptions

    @Option(help: "Output folder.")
    var out: String

    @OptionGroup var sheetScale: SheetScaleOption

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard LatentStrategy(rawValue: strategy) != nil else {
            throw ValidationError("--strategy must be one of \(LatentStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let registry = try catalog.registry()
        let g = try registry.loadGenerator(generator)
        let entry = try registry.generatorEntry(generator)
        let p = try registry.loadPredictor(registry.predictorName(forGenerator: generator, override: predictor), generator: generator)
        let r = labelResolution ?? entry.labelResolution
        let extractors = try extractor.map { path in
            try SemanticCheckpoint.loadAny(URL(fileURLWithPath: path))
        }
        var rng = SeededRandom(seed: seed)
        let z = rng.normalTensor(g.zShape(batch: count, strategy: LatentStrategy(rawValue: strategy)!))
        let latent = GradMode.withoutGradients { g.latent(fromZ: Variable(z), strategy: LatentStrategy(rawValue: strategy)!).value }
        let (image, features) = g.generate(latent, features: true)
        let labels = p.labels(image: image, labelResolution: r)
        var rows: [Tensor] = [image.resizeBilinear(height: r, width: r, alignCorners: false), Self.colour(labels, classes: p.nClasses)]
        var agreement: [String] = []
        for (path, e) in zip(extractor, extractors) {
            let outputs = try GradMode.withoutGradients { try e.forward(features.map { Variable($0) }, size: r) }
            let predicted = Labels.argmax(outputs.last!.value)
            rows.append(Self.colour(predicted, classes: p.nClasses))
            let same = zip(predicted.data, labels.data).filter { $0 == $1 }.count
            agreement.append("\(URL(fileURLWithPath: path).lastPathComponent): pixel agreement with the predictor \(String(format: "%.3f", Double(same) / Double(labels.count)))")
        }
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let sheet = try ImageSheet.grid(images: sheetScale.enlarged(Tensor.concat(rows, axis: 0)), columns: count)
        try Data(sheet).write(to: dir.appendingPathComponent("sheet.png"))
        try NPY.writeInt64(labels.data.map { Int($0) }, shape: labels.shape, to: dir.appendingPathComponent("labels.npy"))
        try NPY.write(image, to: dir.appendingPathComponent("image.npy"))
        if let parser = p as? LandmarkFaceParser {
            try Data(try regionSheet(parser, image: image)).write(to: dir.appendingPathComponent("regions.png"))
            let s = parser.statistics
            print("landmark parser: no face found in \(s.noFace) of \(s.images) images")
        }
        print("classes: \(p.classNames.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))")
        agreement.forEach { print($0) }
        print("wrote sheet.png (rows: images, predictor labels\(extractor.isEmpty ? "" : ", extractors in the order given")) to \(dir.path)")
    }

    /// Label maps as images in [-1, 1] coloured by the sheet palette.
    static func colour(_ labels: Labels, classes: Int) -> Tensor {
        let palette = ImageSheet.labelPalette(max(classes, 1))
        let n = labels.shape[0], hw = labels.shape[1] * labels.shape[2]
        var out = [Float](repeating: 0, count: n * 3 * hw)
        for b in 0..<n {
            for i in 0..<hw {
                let c = palette[min(Int(labels.data[b * hw + i]), palette.count - 1)]
                out[(b * 3 + 0) * hw + i] = Float(c.0) / 127.5 - 1
                out[(b * 3 + 1) * hw + i] = Float(c.1) / 127.5 - 1
                out[(b * 3 + 2) * hw + i] = Float(c.2) / 127.5 - 1
            }
        }
        return Tensor(shape: [n, 3, labels.shape[1], labels.shape[2]], data: out)
    }

    /// The parser's canvases with regions blended in and landmarks drawn.
    func regionSheet(_ parser: LandmarkFaceParser, image: Tensor) throws -> [UInt8] {
        let n = image.shape[0], c = parser.canvas
        var canvases: [Tensor] = []
        let palette = ImageSheet.labelPalette(FaceRegions.classNames.count)
        for i in 0..<n {
            let canvas = try parser.parseImage(image, index: i)
            var px = canvas.pixels.map { Float($0) }
            if let pts = try parser.landmarks(of: canvas) {
                let regions = try FaceRegions.rasterize(faces: [pts], imageSize: c, resolution: c)
                for (j, l) in regions.enumerated() where l != 0 {
                    let col = palette[Int(l)]
                    px[j * 3] = 0.5 * px[j * 3] + 0.5 * Float(col.0)
                    px[j * 3 + 1] = 0.5 * px[j * 3 + 1] + 0.5 * Float(col.1)
                    px[j * 3 + 2] = 0.5 * px[j * 3 + 2] + 0.5 * Float(col.2)
                }
                for p in pts {
                    let x = Int(p.x.rounded()), y = Int(p.y.rounded())
                    for dy in -1...1 { for dx in -1...1 {
                        let xx = x + dx, yy = y + dy
                        guard xx >= 0, xx < c, yy >= 0, yy < c else { continue }
                        px[(yy * c + xx) * 3] = 255; px[(yy * c + xx) * 3 + 1] = 255; px[(yy * c + xx) * 3 + 2] = 0
                    } }
                }
            }
            var chw = [Float](repeating: 0, count: 3 * c * c)
            for j in 0..<(c * c) { for ch in 0..<3 { chw[ch * c * c + j] = px[j * 3 + ch] / 127.5 - 1 } }
            canvases.append(Tensor(shape: [1, 3, c, c], data: chw))
        }
        return try ImageSheet.grid(images: Tensor.concat(canvases, axis: 0), columns: min(n, 4))
    }
}
