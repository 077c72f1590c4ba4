import LGTensor

/// One rendered sample: an RGB image and its exact label map.
public struct RenderedSample: Sendable {
    /// 3 x H x W, channel-major, values in [-1, 1] (the GANs' output range).
    public var image: [Float]
    /// H x W class indices into the domain's `classNames`.
    public var labels: [Int32]
    public var resolution: Int

    public init(image: [Float], labels: [Int32], resolution: Int) {
        precondition(image.count == 3 * resolution * resolution, "image of \(image.count) values at \(resolution) px")
        precondition(labels.count == resolution * resolution, "labels of \(labels.count) values at \(resolution) px")
        self.image = image
        self.labels = labels
        self.resolution = resolution
    }
}

/// A procedural domain: a seeded renderer with exact ground-truth labels.
/// The same (resolution, seed) always gives the same sample.
public protocol RenderedDomain: Sendable {
    /// Registry name: `toyface`, `toybedroom`, `toychurch`.
    var name: String { get }
    /// Class names; index 0 is the background-like class.
    var classNames: [String] { get }
    func render(resolution: Int, seed: UInt64) -> RenderedSample
}

extension RenderedDomain {
    /// A batch of samples as an N x 3 x H x W tensor and N x H x W labels.
    public func batch(resolution: Int, seeds: [UInt64]) -> (images: Tensor, labels: Labels) {
        let hw = resolution * resolution
        var image = [Float](repeating: 0, count: seeds.count * 3 * hw)
        var labels = [Int32](repeating: 0, count: seeds.count * hw)
        for (i, seed) in seeds.enumerated() {
            let s = render(resolution: resolution, seed: seed)
            image.replaceSubrange(i * 3 * hw ..< (i + 1) * 3 * hw, with: s.image)
            labels.replaceSubrange(i * hw ..< (i + 1) * hw, with: s.labels)
        }
        return (Tensor(shape: [seeds.count, 3, resolution, resolution], data: image),
                Labels(shape: [seeds.count, resolution, resolution], data: labels))
    }
}
