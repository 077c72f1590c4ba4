import ArgumentParser
import Foundation
import LGTensor
import LGModelIO
import LGModels

/// `worker sample`: renders images and feature maps from a generator.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images and feature maps from a generator.",
        discussion: """
        Writes DIR/image.npy (N,3,H,W in [-1,1]), DIR/feature_0.npy ... (one per \
        feature layer), DIR/latents.npy (the latents used) and DIR/grid.png.

        Example (the packaged DCGAN faces model, after scripts/fetch-models.sh):
          worker sample --arch dcgan --count 16 --seed 1 --out expr/samples/dcgan
        """
    )

    enum Arch: String, ExpressibleByArgument, CaseIterable {
        case dcgan
    }

    @Option(help: "Generator architecture: \(Arch.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: Arch

    @Option(help: "Checkpoint file (.pth/.tar). Default for dcgan: the model cache's dcgan_face64.tar.")
    var weights: String?

    @Option(help: "An .npy file of latents, shape (N, zdim) or (N, zdim, 1, 1).")
    var latents: String?

    @Option(help: "Number of latents to draw when --latents is not given.")
    var count: Int = 8

    @Option(help: "Seed for drawing latents.")
    var seed: UInt64 = 0

    @Option(help: "Images per batch.")
    var batch: Int = 64

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Columns of the PNG grid (default: ceil(sqrt(N))).")
    var columns: Int?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() throws {
        let g = try DCGAN(stateDict: try StateDict.loadTorch(weights ?? ModelCache.path("dcgan_face64.tar"), key: "netG_state_dict"))
        let z: Tensor
        if let latents {
            z = try NPY.read(URL(fileURLWithPath: latents))
            guard (z.rank == 2 || z.rank == 4), z.shape[1] == g.latentDim, z.count == z.shape[0] * g.latentDim else {
                throw ValidationError("\(latents) holds shape \(z.shape); the generator takes (N, \(g.latentDim)) or (N, \(g.latentDim), 1, 1)")
            }
        } else {
            var rng = SeededRandom(seed: seed)
            z = rng.normalTensor([count, g.latentDim, 1, 1])
        }
        let n = z.shape[0]
        var images: [Tensor] = []
        var features: [[Tensor]] = []
        var start = 0
        while start < n {
            let end = min(n, start + batch)
            let zb = Variable(z.slice(axis: 0, start..<end))
            let (img, feats) = GradMode.withoutGradients { g(zb, features: true) }
            images.append(img.value)
            features.append(feats.map(\.value))
            start = end
            FileHandle.standardError.write("\rsample: \(end)/\(n) images".data(using: .utf8)!)
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let image = Tensor.concat(images, axis: 0)
        try NPY.write(image, to: dir.appendingPathComponent("image.npy"))
        try NPY.write(z, to: dir.appendingPathComponent("latents.npy"))
        for i in 0..<(features.first?.count ?? 0) {
            try NPY.write(Tensor.concat(features.map { $0[i] }, axis: 0), to: dir.appendingPathComponent("feature_\(i).npy"))
        }
        let cols = columns ?? Int(Double(n).squareRoot().rounded(.up))
        let png = try ImageSheet.grid(images: image, columns: cols)
        try Data(png).write(to: dir.appendingPathComponent("grid.png"), options: .atomic)
        print("wrote \(n) images, \(features.first?.count ?? 0) feature maps and grid.png to \(dir.path)")
    }
}
