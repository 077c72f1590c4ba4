import Foundation

// Configurations of the generators, decoded from JSON objects whose keys are
// the reference constructors' argument names (e.g. `z_space_dim`); absent
// keys take the reference's defaults.

/// `PGGANGeneratorNet(...)` arguments.
public struct PGGANConfig: Codable, Sendable, Equatable {
    public var resolution: Int
    public var zSpaceDim: Int = 512
    public var imageChannels: Int = 3
    public var finalTanh: Bool = false
    public var labelSize: Int = 0
    public var fusedScale: Bool = false
    public var fmapsBase: Int = 16 << 10
    public var fmapsMax: Int = 512

    public init(resolution: Int, zSpaceDim: Int = 512, imageChannels: Int = 3, finalTanh: Bool = false,
                fusedScale: Bool = false, fmapsBase: Int = 16 << 10, fmapsMax: Int = 512) {
        self.resolution = resolution; self.zSpaceDim = zSpaceDim; self.imageChannels = imageChannels
        self.finalTanh = finalTanh; self.fusedScale = fusedScale; self.fmapsBase = fmapsBase; self.fmapsMax = fmapsMax
    }

    enum CodingKeys: String, CodingKey {
        case resolution, zSpaceDim = "z_space_dim", imageChannels = "image_channels", finalTanh = "final_tanh"
        case labelSize = "label_size", fusedScale = "fused_scale", fmapsBase = "fmaps_base", fmapsMax = "fmaps_max"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        resolution = try c.decode(Int.self, forKey: .resolution)
        zSpaceDim = try c.decodeIfPresent(Int.self, forKey: .zSpaceDim) ?? 512
        imageChannels = try c.decodeIfPresent(Int.self, forKey: .imageChannels) ?? 3
        finalTanh = try c.decodeIfPresent(Bool.self, forKey: .finalTanh) ?? false
        labelSize = try c.decodeIfPresent(Int.self, forKey: .labelSize) ?? 0
        fusedScale = try c.decodeIfPresent(Bool.self, forKey: .fusedScale) ?? false
        fmapsBase = try c.decodeIfPresent(Int.self, forKey: .fmapsBase) ?? (16 << 10)
        fmapsMax = try c.decodeIfPresent(Int.self, forKey: .fmapsMax) ?? 512
    }

    /// Feature maps at resolution `res`.
    public func channels(at res: Int) -> Int { min(fmapsBase / res, fmapsMax) }

    func validate() throws {
        try checkResolution(resolution)
        guard labelSize == 0 else { throw ModelError.invalidConfig("label_size \(labelSize): conditional generators are not supported") }
        guard zSpaceDim > 0, imageChannels > 0 else { throw ModelError.invalidConfig("z_space_dim and image_channels must be positive") }
    }
}

/// StyleGAN's `fused_scale`: true, false or "auto" (transposed conv from 128 px on).
public enum FusedScale: Codable, Sendable, Equatable {
    case always, never, auto

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = b ? .always : .never; return }
        let s = try c.decode(String.self)
        guard s == "auto" else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "fused_scale must be true, false or \"auto\", got \(s)")
        }
        self = .auto
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .always: try c.encode(true)
        case .never: try c.encode(false)
        case .auto: try c.encode("auto")
        }
    }

    /// Whether the up-sampling layer producing `res` px uses a transposed conv.
    public func isFused(at res: Int) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return res >= 128
        }
    }
}

/// `StyleGANGeneratorNet(...)` and `StyleGAN2GeneratorNet(...)` arguments
/// (the families share their names; defaults differ and come from `family`).
public struct StyleGANConfig: Codable, Sendable, Equatable {
    public enum Family: String, Codable, Sendable { case stylegan, stylegan2 }

    public var family: Family
    public var resolution: Int
    public var zSpaceDim: Int
    public var wSpaceDim: Int
    public var numMappingLayers: Int
    public var repeatW: Bool
    public var imageChannels: Int
    public var finalTanh: Bool
    public var labelSize: Int
    /// StyleGAN (v1) only.
    public var fusedScale: FusedScale
    /// StyleGAN2 only: "skip" (config F) is supported.
    public var architectureType: String
    /// StyleGAN2 only; the result does not depend on it.
    public var fusedModulate: Bool
    /// nil (with `truncationLayers`) means no truncation, as in the reference.
    public var truncationPsi: Float?
    public var truncationLayers: Int?
    public var randomizeNoise: Bool
    public var fmapsBase: Int
    public var fmapsMax: Int

    /// The reference constructor's defaults for `family`.
    public init(family: Family, resolution: Int) {
        self.family = family
        self.resolution = resolution
        zSpaceDim = 512; wSpaceDim = 512; numMappingLayers = 8; repeatW = true
        imageChannels = 3; finalTanh = false; labelSize = 0
        fusedScale = .auto; architectureType = "skip"; fusedModulate = true
        truncationPsi = family == .stylegan ? 0.7 : 0.5
        truncationLayers = family == .stylegan ? 8 : 18
        randomizeNoise = false
        fmapsBase = family == .stylegan ? 16 << 10 : 32 << 10
        fmapsMax = 512
    }

    enum CodingKeys: String, CodingKey {
        case family, resolution, zSpaceDim = "z_space_dim", wSpaceDim = "w_space_dim"
        case numMappingLayers = "num_mapping_layers", repeatW = "repeat_w", imageChannels = "image_channels"
        case finalTanh = "final_tanh", labelSize = "label_size", fusedScale = "fused_scale"
        case architectureType = "architecture_type", fusedModulate = "fused_modulate"
        case truncationPsi = "truncation_psi", truncationLayers = "truncation_layers"
        case randomizeNoise = "randomize_noise", fmapsBase = "fmaps_base", fmapsMax = "fmaps_max"
    }

    /// Decodes with the family taken from the JSON's `family` key, or from
    /// `userInfo[StyleGANConfig.familyKey]` (see `decode(_:family:)`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let fam = try c.decodeIfPresent(Family.self, forKey: .family)
            ?? (decoder.userInfo[StyleGANConfig.familyKey] as? Family) ?? .stylegan2
        self.init(family: fam, resolution: try c.decode(Int.self, forKey: .resolution))
        zSpaceDim = try c.decodeIfPresent(Int.self, forKey: .zSpaceDim) ?? zSpaceDim
        wSpaceDim = try c.decodeIfPresent(Int.self, forKey: .wSpaceDim) ?? wSpaceDim
        numMappingLayers = try c.decodeIfPresent(Int.self, forKey: .numMappingLayers) ?? numMappingLayers
        repeatW = try c.decodeIfPresent(Bool.self, forKey: .repeatW) ?? repeatW
        imageChannels = try c.decodeIfPresent(Int.self, forKey: .imageChannels) ?? imageChannels
        finalTanh = try c.decodeIfPresent(Bool.self, forKey: .finalTanh) ?? finalTanh
        labelSize = try c.decodeIfPresent(Int.self, forKey: .labelSize) ?? labelSize
        fusedScale = try c.decodeIfPresent(FusedScale.self, forKey: .fusedScale) ?? fusedScale
        architectureType = try c.decodeIfPresent(String.self, forKey: .architectureType) ?? architectureType
        fusedModulate = try c.decodeIfPresent(Bool.self, forKey: .fusedModulate) ?? fusedModulate
        // An explicit null disables truncation; an absent key keeps the default.
        if c.contains(.truncationPsi) { truncationPsi = try c.decodeIfPresent(Float.self, forKey: .truncationPsi) }
        if c.contains(.truncationLayers) { truncationLayers = try c.decodeIfPresent(Int.self, forKey: .truncationLayers) }
        randomizeNoise = try c.decodeIfPresent(Bool.self, forKey: .randomizeNoise) ?? randomizeNoise
        fmapsBase = try c.decodeIfPresent(Int.self, forKey: .fmapsBase) ?? fmapsBase
        fmapsMax = try c.decodeIfPresent(Int.self, forKey: .fmapsMax) ?? fmapsMax
    }

    public static let familyKey = CodingUserInfoKey(rawValue: "LGModels.StyleGANConfig.family")!

    /// Decodes a config JSON for `family` (a `family` key in the JSON wins).
    public static func decode(_ data: Data, family: Family) throws -> StyleGANConfig {
        let d = JSONDecoder()
        d.userInfo[familyKey] = family
        return try d.decode(StyleGANConfig.self, from: data)
    }

    /// Number of synthesis layers (= entries of wp): 2 per resolution 4..R.
    public var numLayers: Int { 2 * (log2Int(resolution) - 1) }

    public func channels(at res: Int) -> Int { min(fmapsBase / res, fmapsMax) }

    /// The per-layer truncation coefficients (1 where not truncated).
    public var truncationCoefficients: [Float] {
        guard let psi = truncationPsi, let layers = truncationLayers else {
            return [Float](repeating: 1, count: numLayers)
        }
        return (0..<numLayers).map { $0 < layers ? psi : 1 }
    }

    func validate() throws {
        try checkResolution(resolution)
        guard labelSize == 0 else { throw ModelError.invalidConfig("label_size \(labelSize): conditional generators are not supported") }
        guard zSpaceDim > 0, wSpaceDim > 0, numMappingLayers > 0 else {
            throw ModelError.invalidConfig("z_space_dim, w_space_dim and num_mapping_layers must be positive")
        }
        if family == .stylegan2 && architectureType != "skip" {
            throw ModelError.invalidConfig("architecture_type '\(architectureType)': only 'skip' (config F) is supported")
        }
    }
}

/// `UNet(...)` arguments of the face parser.
public struct FaceParserConfig: Codable, Sendable, Equatable {
    public var resolution: Int = 512
    public var featureScale: Int = 4
    public var nClasses: Int = 15
    public var isDeconv: Bool = true
    public var inChannels: Int = 3
    public var isBatchnorm: Bool = true

    public init(resolution: Int = 512, featureScale: Int = 4, nClasses: Int = 15) {
        self.resolution = resolution; self.featureScale = featureScale; self.nClasses = nClasses
    }

    enum CodingKeys: String, CodingKey {
        case resolution, featureScale = "feature_scale", nClasses = "n_classes", isDeconv = "is_deconv"
        case inChannels = "in_channels", isBatchnorm = "is_batchnorm"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        resolution = try c.decodeIfPresent(Int.self, forKey: .resolution) ?? 512
        featureScale = try c.decodeIfPresent(Int.self, forKey: .featureScale) ?? 4
        nClasses = try c.decodeIfPresent(Int.self, forKey: .nClasses) ?? 15
        isDeconv = try c.decodeIfPresent(Bool.self, forKey: .isDeconv) ?? true
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? 3
        isBatchnorm = try c.decodeIfPresent(Bool.self, forKey: .isBatchnorm) ?? true
    }

    /// Channels of the five UNet stages.
    public var filters: [Int] { [64, 128, 256, 512, 1024].map { $0 / featureScale } }

    func validate() throws {
        guard isDeconv else { throw ModelError.invalidConfig("is_deconv false (bilinear up path) is not supported") }
        guard featureScale > 0, filters.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidConfig("feature_scale \(featureScale) leaves no channels")
        }
        guard resolution % 16 == 0 else { throw ModelError.invalidConfig("resolution \(resolution) must be a multiple of 16") }
    }
}

let allowedResolutions = [8, 16, 32, 64, 128, 256, 512, 1024]

func checkResolution(_ r: Int) throws {
    guard allowedResolutions.contains(r) else {
        throw ModelError.invalidConfig("resolution \(r) is not one of \(allowedResolutions)")
    }
}

func log2Int(_ x: Int) -> Int { Int.bitWidth - 1 - x.leadingZeroBitCount }
