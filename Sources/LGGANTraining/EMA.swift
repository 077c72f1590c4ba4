import Foundation
import LGTensor
import LGModels

/// The exponential moving average of the generator's weights (G_ema), as
/// StyleGAN2 schedules it: a half-life in images, optionally ramped up
/// with the number of images seen (half-life = min(halfLife, rampup * seen)),
/// so that a short run's average does not lag behind its first steps.
public struct GeneratorEMA: Codable, Sendable, Equatable {
    public var halfLifeImages: Double
    /// nil: no ramp-up.
    public var rampup: Double?

    public init(halfLifeImages: Double = 10_000, rampup: Double? = 0.05) {
        self.halfLifeImages = halfLifeImages
        self.rampup = rampup
    }

    enum CodingKeys: String, CodingKey { case halfLifeImages = "half_life_images", rampup }

    /// The decay for one step of `batch` images after `imagesSeen` images.
    public func beta(batch: Int, imagesSeen: Int) -> Float {
        var half = halfLifeImages
        if let r = rampup { half = min(half, Double(imagesSeen) * r) }
        guard half > 0 else { return 0 }
        return Float(Foundation.pow(0.5, Double(batch) / half))
    }

    /// ema = g + beta * (ema - g) for every parameter; buffers (w_avg, noise)
    /// are copied from `source`.
    public static func update(_ ema: ParameterStore, from source: ParameterStore, beta: Float) {
        let params = Dictionary(uniqueKeysWithValues: source.namedParameters.map { ($0.0, $0.1.value) })
        for (key, _) in ema.declaredShapes {
            guard let g = params[key] else {
                let v = source[key].value
                if ema[key].value != v { ema.set(key, v) }
                continue
            }
            var out = ema[key].value
            g.data.withUnsafeBufferPointer { gp in
                out.data.withUnsafeMutableBufferPointer { ep in
                    for i in 0..<ep.count { ep[i] = gp[i] + beta * (ep[i] - gp[i]) }
                }
            }
            ema.set(key, out)
        }
    }
}
