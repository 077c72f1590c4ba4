import LGTensor

/// The three semantic-extractor families of the paper.
public enum ExtractorType: String, Codable, Sendable, CaseIterable {
    case lse = "LSE"
    case nse1 = "NSE-1"
    case nse2 = "NSE-2"
}

/// How LSE / NSE-1 combine the per-layer outputs into the final one.
///
/// `softplus` / `sigmoid`: w = f(theta) / sum(f(theta)); `unweighted`
/// (reference name "none"): a plain sum, theta kept but unused; `direct`:
/// w = theta as is (reference only). Named `unweighted` rather than `none`
/// so that it cannot be confused with `Optional.none`.
public enum LayerWeightType: String, Codable, Sendable, CaseIterable {
    case softplus, sigmoid, direct
    case unweighted = "none"
}

/// The architecture record of a semantic extractor: the reference's
/// `arch_info()` dict, Codable to JSON with the reference's key names
/// (`type`, `n_class`, `dims`, `layers`, `lw_type`, `use_bias`, `ksize`,
/// `n_layers`). Fields a family does not use are nil.
public struct ExtractorArch: Codable, Equatable, Sendable {
    public var type: ExtractorType
    public var nClass: Int
    /// Channel count of each used feature map, in `layers` order.
    public var dims: [Int]
    /// Indices of the used feature maps among the generator's features.
    public var layers: [Int]
    public var lwType: LayerWeightType?
    public var useBias: Bool?
    public var ksize: Int?
    public var nLayers: Int?

    enum CodingKeys: String, CodingKey {
        case type, dims, layers, ksize
        case nClass = "n_class"
        case lwType = "lw_type"
        case useBias = "use_bias"
        case nLayers = "n_layers"
    }

    /// An architecture with the reference's defaults for `type`:
    /// LSE (softplus, no bias), NSE-1 (softplus, bias, 1x1 kernels, 3 convs),
    /// NSE-2 (3x3 kernels). `layers` defaults to 0..<dims.count.
    public init(type: ExtractorType, nClass: Int, dims: [Int], layers: [Int]? = nil,
                lwType: LayerWeightType? = nil, useBias: Bool? = nil,
                ksize: Int? = nil, nLayers: Int? = nil) {
        self.type = type
        self.nClass = nClass
        self.dims = dims
        self.layers = layers ?? Array(0..<dims.count)
        switch type {
        case .lse:
            self.lwType = lwType ?? .softplus
            self.useBias = useBias ?? false
            self.ksize = ksize
            self.nLayers = nLayers
        case .nse1:
            self.lwType = lwType ?? .softplus
            self.useBias = useBias ?? true
            self.ksize = ksize ?? 1
            self.nLayers = nLayers ?? 3
        case .nse2:
            self.lwType = lwType
            self.useBias = useBias
            self.ksize = ksize ?? 3
            self.nLayers = nLayers
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(type: try c.decode(ExtractorType.self, forKey: .type),
                  nClass: try c.decode(Int.self, forKey: .nClass),
                  dims: try c.decode([Int].self, forKey: .dims),
                  layers: try c.decodeIfPresent([Int].self, forKey: .layers),
                  lwType: try c.decodeIfPresent(LayerWeightType.self, forKey: .lwType),
                  useBias: try c.decodeIfPresent(Bool.self, forKey: .useBias),
                  ksize: try c.decodeIfPresent(Int.self, forKey: .ksize),
                  nLayers: try c.decodeIfPresent(Int.self, forKey: .nLayers))
    }

    /// The layer-weight type in effect (LSE / NSE-1), softplus if unset.
    public var layerWeightType: LayerWeightType { lwType ?? .softplus }

    /// Checks the record describes a buildable extractor.
    public func validate() throws {
        func bad(_ m: String) -> SemanticsError { .invalidArchitecture(m) }
        guard nClass >= 1 else { throw bad("n_class must be >= 1, got \(nClass)") }
        guard !dims.isEmpty else { throw bad("dims is empty: an extractor needs at least one feature layer") }
        guard dims.allSatisfy({ $0 >= 1 }) else { throw bad("dims must be positive, got \(dims)") }
        guard layers.count == dims.count else {
            throw bad("layers \(layers) and dims \(dims) differ in length; each used layer needs its channel count")
        }
        guard layers.allSatisfy({ $0 >= 0 }) else { throw bad("layer indices must be >= 0, got \(layers)") }
        switch type {
        case .lse:
            break
        case .nse1:
            let k = ksize ?? 1
            guard k == 1 || k == 3 else { throw bad("NSE-1 ksize must be 1 or 3, got \(k)") }
            guard (nLayers ?? 3) >= 2 else { throw bad("NSE-1 n_layers must be >= 2, got \(nLayers ?? 3)") }
        case .nse2:
            let k = ksize ?? 3
            guard k >= 1 && k % 2 == 1 else { throw bad("NSE-2 ksize must be odd, got \(k)") }
        }
    }
}

/// Errors of building, loading and running semantic extractors.
public enum SemanticsError: Error, CustomStringConvertible, Equatable {
    case invalidArchitecture(String)
    case featureMismatch(String)
    case badCheckpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidArchitecture(m):
            return "invalid semantic-extractor architecture: \(m)"
        case let .featureMismatch(m):
            return "features do not match the semantic extractor: \(m)"
        case let .badCheckpoint(path, reason):
            return "\(path): not a usable semantic-extractor checkpoint: \(reason)"
        }
    }
}
