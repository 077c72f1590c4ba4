import ArgumentParser
import LGLogging
import Foundation
import LGTensor
import LGModelIO
import LGDomains

/// `worker render`: renders samples of a procedural domain with their labels.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render samples of a procedural domain (toyface, toybedroom, toychurch) with exact label maps.",
        discussion: """
        Writes DIR/image.npy (N,3,H,W in [-1,1]), DIR/labels.npy (N,H,W int64), \
        DIR/images.png (a grid of the images) and DIR/labels.png (the label maps \
        in the PASCAL VOC palette, same layout). Prints each class's pixel \
        fraction and the rendering speed. Sample i uses seed --seed + i.

        Example:
          worker render --domain toyface --count 16 --seed 0 --resolution 64 --out DIR
        """
    )

    @Option(help: "Domain name: \(Domains.all.map(\.name).joined(separator: ", ")).")
    var domain: String

    @Option(help: "Number of samples.")
    var count: Int = 16

    @Option(help: "Seed of the first sample (sample i uses seed + i).")
    var seed: UInt64 = 0

    @Option(help: "Image size in pixels (16...1024).")
    var resolution: Int = 64

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Columns of the PNG sheets (default: ceil(sqrt(N))).")
    var columns: Int?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard (16...1024).contains(resolution) else { throw ValidationError("--resolution must be within 16...1024") }
        if let columns, columns <= 0 { throw ValidationError("--columns must be positive") }
    }

    func run() throws {
        let d: any RenderedDomain
        do { d = try Domains.named(domain) } catch let e as DomainError { throw CommandFailure(e.description) }
        let seeds = (0..<count).map { seed &+ UInt64($0) }
        let start = DispatchTime.now().uptimeNanoseconds
        let (images, labels) = d.batch(resolution: resolution, seeds: seeds)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try NPY.write(images, to: dir.appendingPathComponent("image.npy"))
        try NPY.writeInt64(labels.data.map { Int($0) }, shape: labels.shape, to: dir.appendingPathComponent("labels.npy"))
        let cols = columns ?? Int(Double(count).squareRoot().rounded(.up))
        try Data(ImageSheet.grid(images: images, columns: cols)).write(to: dir.appendingPathComponent("images.png"), options: .atomic)
        try Data(labelSheet(labels, classes: d.classNames.count, columns: cols))
            .write(to: dir.appendingPathComponent("labels.png"), options: .atomic)

        var counts = [Int](repeating: 0, count: d.classNames.count)
        var present = [Int](repeating: 0, count: d.classNames.count)
        let hw = resolution * resolution
        for i in 0..<count {
            var seen = [Bool](repeating: false, count: counts.count)
            for l in labels.data[(i * hw)..<((i + 1) * hw)] { counts[Int(l)] += 1; seen[Int(l)] = true }
            for c in 0..<counts.count where seen[c] { present[c] += 1 }
        }
        print("\(d.name): \(count) samples at \(resolution) px in \(String(format: "%.3f", seconds)) s, " +
              "\(String(format: "%.0f", Double(count) / max(seconds, 1e-9))) samples/s")
        print("class            pixels   in samples")
        for (c, name) in d.classNames.enumerated() {
            let frac = Double(counts[c]) / Double(count * hw)
            print(name.padding(toLength: 14, withPad: " ", startingAt: 0) +
                  String(format: " %6.2f%%  %6.1f%%", frac * 100, Double(present[c]) / Double(count) * 100))
        }
        print("wrote image.npy, labels.npy, images.png, labels.png to \(dir.path)")
    }

    /// Label maps tiled like `ImageSheet.grid` (2 px black padding), palette PNG.
    func labelSheet(_ labels: Labels, classes: Int, columns: Int) throws -> [UInt8] {
        let (n, h, w) = (labels.shape[0], labels.shape[1], labels.shape[2])
        let pad = 2
        let cols = min(max(columns, 1), n)
        let rows = (n + cols - 1) / cols
        let width = cols * w + (cols + 1) * pad, height = rows * h + (rows + 1) * pad
        var idx = [Int](repeating: 0, count: width * height)
        for k in 0..<n {
            let ox = pad + (k % cols) * (w + pad), oy = pad + (k / cols) * (h + pad)
            for y in 0..<h { for x in 0..<w { idx[(oy + y) * width + ox + x] = Int(labels.data[(k * h + y) * w + x]) } }
        }
        return try ImageSheet.labelMap(width: width, height: height, labels: idx, classes: classes)
    }
}
