import LGModels

/// Settings of a discriminator, after genforce's discriminator constructors
/// (`resolution`, `image_channels`, `minibatch_std_group_size`,
/// `minibatch_std_channels`, `fmaps_base`, `fmaps_max`), plus whether every
/// weight is spectrally normalised (the training recipe's stabiliser, used
/// instead of genforce's R1 penalty, which needs double backward).
public struct DiscriminatorConfig: Codable, Sendable, Equatable {
    /// Which genforce discriminator the network mirrors.
    public var family: GeneratorFamily
    public var resolution: Int
    public var imageChannels: Int
    /// Channels at resolution r: min(fmapsBase / r, fmapsMax).
    public var fmapsBase: Int
    public var fmapsMax: Int
    /// Samples per minibatch-stddev group (0 or 1 disables the layer); the
    /// batch must be a multiple of min(group, batch).
    public var minibatchStdGroupSize: Int
    public var minibatchStdChannels: Int
    /// Spectral normalisation of every conv and dense weight (power
    /// iteration with a persistent u); off: genforce's equalised lr scale.
    public var spectralNorm: Bool

    public init(family: GeneratorFamily, resolution: Int, imageChannels: Int = 3,
                fmapsBase: Int, fmapsMax: Int, minibatchStdGroupSize: Int = 4,
                minibatchStdChannels: Int = 1, spectralNorm: Bool = true) {
        self.family = family; self.resolution = resolution; self.imageChannels = imageChannels
        self.fmapsBase = fmapsBase; self.fmapsMax = fmapsMax
        self.minibatchStdGroupSize = minibatchStdGroupSize; self.minibatchStdChannels = minibatchStdChannels
        self.spectralNorm = spectralNorm
    }

    enum CodingKeys: String, CodingKey {
        case family, resolution, imageChannels = "image_channels", fmapsBase = "fmaps_base", fmapsMax = "fmaps_max"
        case minibatchStdGroupSize = "minibatch_std_group_size", minibatchStdChannels = "minibatch_std_channels"
        case spectralNorm = "spectral_norm"
    }

    /// Feature maps at resolution `res`.
    public func channels(at res: Int) -> Int { min(fmapsBase / res, fmapsMax) }

    /// Number of resolutions from `resolution` down to 4 px.
    var blockCount: Int { Int.bitWidth - 1 - resolution.leadingZeroBitCount - 1 }

    public func validate() throws {
        guard [8, 16, 32, 64, 128, 256, 512, 1024].contains(resolution) else {
            throw GANTrainingError.invalidConfig("discriminator resolution \(resolution) is not a power of two in 8...1024")
        }
        guard imageChannels > 0 else { throw GANTrainingError.invalidConfig("image_channels must be positive") }
        guard fmapsMax > 0, channels(at: resolution) > 0, channels(at: 2) > 0 else {
            throw GANTrainingError.invalidConfig("fmaps_base \(fmapsBase) / fmaps_max \(fmapsMax) leave a layer without channels at \(resolution) px")
        }
        guard minibatchStdGroupSize >= 0, minibatchStdChannels >= 1,
              channels(at: 4) % minibatchStdChannels == 0 else {
            throw GANTrainingError.invalidConfig("minibatch_std_channels \(minibatchStdChannels) must divide the \(channels(at: 4)) channels at 4 px")
        }
    }

    /// Whether a batch of `n` works with the minibatch-stddev grouping.
    public func acceptsBatch(_ n: Int) -> Bool {
        guard minibatchStdGroupSize > 1 else { return n > 0 }
        return n > 0 && n % min(minibatchStdGroupSize, n) == 0
    }
}
