import ArgumentParser
import LGLogging
import Foundation
import LGTensor
import LGModelIO
import LGModels
import LGJobs

/// `worker sample`: renders images and feature maps from a generator.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images and feature maps from a generator.",
        discussion: """
        Writes DIR/image.npy (N,3,H,W in [-1,1]), DIR/feature_0.npy ... (one per \
        feature layer, as the reference returns them), DIR/latents.npy (the \
        latents used) and DIR/grid.png.

        The generator is either a registered name (`worker models`) or an \
        architecture with a config (the reference constructor's arguments by \
        name, like the fixtures' .json files) and a checkpoint.

        Examples:
          worker sample --arch dcgan --count 16 --seed 1 --out expr/samples/dcgan
          worker sample --arch stylegan2 --config G.json --weights G.pth --count 8 --out DIR
          worker sample --generator stylegan2_ffhq --latents wp.npy --latent-space wp --out DIR
        """
    )

    enum Arch: String, ExpressibleByArgument, CaseIterable {
        case dcgan, pggan, stylegan, stylegan2
    }

    enum Space: String, ExpressibleByArgument, CaseIterable {
        case z, wp
    }

    @Option(help: "Generator architecture: \(Arch.allCases.map(\.rawValue).joined(separator: ", ")) (with --config and --weights; dcgan needs no config).")
    var arch: Arch?

    @Option(help: "A registered generator name instead of --arch (see `worker models`).")
    var generator: String?

    @Option(help: "JSON config of the generator (the reference constructor's arguments).")
    var config: String?

    @Option(help: "Checkpoint file (.pth/.tar). Default for dcgan: the model cache's dcgan_face64.tar.")
    var weights: String?

    @Option(help: "An .npy file of latents: z (N, zdim) [or (N, zdim, 1, 1) for dcgan], or wp (N, layers, wdim) with --latent-space wp.")
    var latents: String?

    @Option(help: "What --latents holds for StyleGAN-family models: z or wp.")
    var latentSpace: Space = .z

    @Option(help: "Latent strategy from z: trunc-wp, notrunc-wp, notrunc-mixwp.")
    var strategy: String = "trunc-wp"

    @Option(help: "Number of latents to draw when --latents is not given.")
    var count: Int = 8

    @Option(help: "Seed for drawing latents.")
    var seed: UInt64 = 0

    @Option(help: "Images per batch.")
    var batch: Int = 16

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Columns of the PNG grid (default: ceil(sqrt(N))).")
    var columns: Int?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard (arch == nil) != (generator == nil) else { throw ValidationError("give either --arch or --generator") }
        if let arch, arch != .dcgan, config == nil || weights == nil {
            throw ValidationError("--arch \(arch.rawValue) needs --config CFG.json and --weights W.pth (or use --generator NAME)")
        }
        guard LatentStrategy(rawValue: strategy) != nil else {
            throw ValidationError("--strategy must be one of \(LatentStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func loadGenerator() throws -> any Generator {
        try GeneratorLoading.load(name: generator, arch: arch?.rawValue, config: config, weights: weights,
                                  registry: { try ModelRegistry.standard() })
    }

    func run() throws {
        let g = try loadGenerator()
        let strategy = LatentStrategy(rawValue: self.strategy)!
        // The synthesis input and what to save as latents.
        let input: Tensor
        let saved: Tensor
        if let latents {
            let t = try NPY.read(URL(fileURLWithPath: latents))
            if latentSpace == .wp {
                guard let sg = g as? any StyleGenerator else {
                    throw CommandFailure("--latent-space wp needs a StyleGAN-family generator")
                }
                guard t.shape.count == 3, t.shape[1] == sg.numLayers, t.shape[2] == sg.wDim else {
                    throw CommandFailure("\(latents) holds shape \(t.shape); wp must be (N, \(sg.numLayers), \(sg.wDim))")
                }
                input = t
            } else {
                let want = g.zShape(batch: t.shape.first ?? 0, strategy: strategy)
                guard t.count == Tensor.count(of: want), t.shape.first == want.first else {
                    throw CommandFailure("\(latents) holds shape \(t.shape); this generator takes z of shape \(want) (N first)")
                }
                input = GradMode.withoutGradients { g.latent(fromZ: Variable(t.reshaped(want)), strategy: strategy).value }
            }
            saved = t
        } else {
            var rng = SeededRandom(seed: seed)
            let z = rng.normalTensor(g.zShape(batch: count, strategy: strategy))
            input = GradMode.withoutGradients { g.latent(fromZ: Variable(z), strategy: strategy).value }
            saved = z
        }
        let n = input.shape[0]
        var images: [Tensor] = []
        var features: [[Tensor]] = []
        var start = 0
        while start < n {
            let end = min(n, start + batch)
            let (img, feats) = g.generate(input.slice(axis: 0, start..<end), features: true)
            images.append(img)
            features.append(feats)
            start = end
            FileHandle.standardError.write("\rsample: \(end)/\(n) images".data(using: .utf8)!)
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let image = Tensor.concat(images, axis: 0)
        try NPY.write(image, to: dir.appendingPathComponent("image.npy"))
        try NPY.write(saved, to: dir.appendingPathComponent("latents.npy"))
        for i in 0..<(features.first?.count ?? 0) {
            try NPY.write(Tensor.concat(features.map { $0[i] }, axis: 0), to: dir.appendingPathComponent("feature_\(i).npy"))
        }
        let cols = columns ?? Int(Double(n).squareRoot().rounded(.up))
        let png = try ImageSheet.grid(images: image, columns: cols)
        try Data(png).write(to: dir.appendingPathComponent("grid.png"), options: .atomic)
        print("wrote \(n) images, \(features.first?.count ?? 0) feature maps and grid.png to \(dir.path)")
    }
}
