import Foundation

/// The scene segmenter's constructor arguments: PyTorch-Encoding's
/// `DeepLabV3(nclass, backbone=resnest*, aux, dilated)` with the ResNeSt
/// `ResNet(Bottleneck, layers, radix, groups, bottleneck_width, deep_stem,
/// stem_width, avg_down, avd, avd_first, dilated, dilation)` backbone and
/// `SplAtConv2d(radix, reduction_factor, groups)` convolutions.
///
/// Defaults are LinearGAN's `DeepLab_ResNeSt200_ADE`. `planes` (stage widths)
/// and `atrous_rates` are arguments here; the reference hard-codes
/// (64, 128, 256, 512) and (12, 24, 36).
public struct SceneSegmenterConfig: Codable, Sendable, Equatable {
    public var nClasses = 150
    /// Bottleneck blocks per stage (ResNeSt-200: 3, 24, 36, 3).
    public var layers = [3, 24, 36, 3]
    public var planes = [64, 128, 256, 512]
    public var stemWidth = 64
    public var deepStem = true
    public var radix = 2
    /// Cardinality (ResNeSt's `groups`).
    public var groups = 1
    public var bottleneckWidth = 64
    public var reductionFactor = 4
    public var avgDown = true
    public var avd = true
    public var avdFirst = false
    /// Output stride 8 (layer3/4 dilated 2/4) when true.
    public var dilated = true
    /// With `dilated` false: 2 gives output stride 16, 1 output stride 32.
    public var dilation = 1
    public var atrousRates = [12, 24, 36]
    /// Whether the FCN auxiliary head on layer3 is built (its weights are
    /// in the released checkpoint; LinearGAN never runs it).
    public var aux = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case nClasses = "nclass", layers, planes, stemWidth = "stem_width", deepStem = "deep_stem", radix, groups
        case bottleneckWidth = "bottleneck_width", reductionFactor = "reduction_factor", avgDown = "avg_down"
        case avd, avdFirst = "avd_first", dilated, dilation, atrousRates = "atrous_rates", aux
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SceneSegmenterConfig()
        nClasses = try c.decodeIfPresent(Int.self, forKey: .nClasses) ?? d.nClasses
        layers = try c.decodeIfPresent([Int].self, forKey: .layers) ?? d.layers
        planes = try c.decodeIfPresent([Int].self, forKey: .planes) ?? d.planes
        stemWidth = try c.decodeIfPresent(Int.self, forKey: .stemWidth) ?? d.stemWidth
        deepStem = try c.decodeIfPresent(Bool.self, forKey: .deepStem) ?? d.deepStem
        radix = try c.decodeIfPresent(Int.self, forKey: .radix) ?? d.radix
        groups = try c.decodeIfPresent(Int.self, forKey: .groups) ?? d.groups
        bottleneckWidth = try c.decodeIfPresent(Int.self, forKey: .bottleneckWidth) ?? d.bottleneckWidth
        reductionFactor = try c.decodeIfPresent(Int.self, forKey: .reductionFactor) ?? d.reductionFactor
        avgDown = try c.decodeIfPresent(Bool.self, forKey: .avgDown) ?? d.avgDown
        avd = try c.decodeIfPresent(Bool.self, forKey: .avd) ?? d.avd
        avdFirst = try c.decodeIfPresent(Bool.self, forKey: .avdFirst) ?? d.avdFirst
        dilated = try c.decodeIfPresent(Bool.self, forKey: .dilated) ?? d.dilated
        dilation = try c.decodeIfPresent(Int.self, forKey: .dilation) ?? d.dilation
        atrousRates = try c.decodeIfPresent([Int].self, forKey: .atrousRates) ?? d.atrousRates
        aux = try c.decodeIfPresent(Bool.self, forKey: .aux) ?? d.aux
    }

    /// Bottleneck width C of a stage: planes * bottleneck_width / 64 * cardinality.
    public func groupWidth(stage: Int) -> Int { planes[stage] * bottleneckWidth / 64 * groups }
    /// Output channels of a stage (Bottleneck expansion 4).
    public func outChannels(stage: Int) -> Int { planes[stage] * 4 }
    /// Channels after the stem (ResNeSt: 2 * stem_width with the deep stem, else 64).
    public var stemChannels: Int { deepStem ? 2 * stemWidth : 64 }
    /// Split-attention inner width I = max(C * radix / reduction_factor, 32).
    public func attentionWidth(stage: Int) -> Int { max(groupWidth(stage: stage) * radix / reductionFactor, 32) }

    /// (stride, dilation) of each stage, as ResNet's constructor picks them.
    public var stageGeometry: [(stride: Int, dilation: Int)] {
        if dilated || dilation == 4 { return [(1, 1), (2, 1), (1, 2), (1, 4)] }
        if dilation == 2 { return [(1, 1), (2, 1), (2, 1), (1, 2)] }
        return [(1, 1), (2, 1), (2, 1), (2, 1)]
    }

    public func validate() throws {
        func bad(_ s: String) -> ModelError { .invalidConfig("scene segmenter: \(s)") }
        guard layers.count == 4, layers.allSatisfy({ $0 >= 1 }) else { throw bad("layers must be 4 positive block counts, got \(layers)") }
        guard planes.count == 4, planes.allSatisfy({ $0 >= 1 && $0 * bottleneckWidth % 64 == 0 }) else {
            throw bad("planes must be 4 positive stage widths (times bottleneck_width/64 an integer), got \(planes)")
        }
        guard nClasses >= 1 else { throw bad("nclass must be positive, got \(nClasses)") }
        guard stemWidth >= 1 else { throw bad("stem_width must be positive, got \(stemWidth)") }
        guard radix >= 1 else { throw bad("radix must be at least 1 (ResNeSt split attention), got \(radix)") }
        guard groups >= 1, bottleneckWidth >= 1, reductionFactor >= 1 else {
            throw bad("groups, bottleneck_width and reduction_factor must be positive")
        }
        for s in 0..<4 where groupWidth(stage: s) % (groups * radix) != 0 || attentionWidth(stage: s) % groups != 0 {
            throw bad("stage \(s + 1): width \(groupWidth(stage: s)) does not split into \(groups) groups x radix \(radix)")
        }
        guard [1, 2, 4].contains(dilation) else { throw bad("dilation must be 1, 2 or 4, got \(dilation)") }
        guard !atrousRates.isEmpty, atrousRates.allSatisfy({ $0 >= 1 }) else { throw bad("atrous_rates must be positive, got \(atrousRates)") }
        guard outChannels(stage: 3) % 8 == 0 else { throw bad("layer4 width \(outChannels(stage: 3)) must be divisible by 8 (ASPP width)") }
        guard outChannels(stage: 2) % 4 == 0 else { throw bad("layer3 width must be divisible by 4 (aux head width)") }
    }

    /// Decodes a config from JSON in any of the layouts the fixtures and
    /// registry use: a flat object of the keys above (the fixture's
    /// `real_model`), the fixture's `constructor` object (`DeepLabV3`,
    /// `ResNet`, `SplAtConv2d`, `up_kwargs` sub-objects), or a whole fixture
    /// `config.json` holding `constructor`.
    public static func decode(_ data: Data) throws -> SceneSegmenterConfig {
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch {
            throw ModelError.invalidConfig("scene segmenter: not JSON (\(error.localizedDescription))")
        }
        guard var object = any as? [String: Any] else {
            throw ModelError.invalidConfig("scene segmenter: the config must be a JSON object")
        }
        if let inner = object["constructor"] as? [String: Any] { object = inner }
        var flat: [String: Any] = [:]
        if object["DeepLabV3"] != nil || object["ResNet"] != nil {
            try checkFixed(object)
            for part in ["ResNet", "SplAtConv2d", "DeepLabV3"] {
                guard let sub = object[part] else { continue }
                guard let dict = sub as? [String: Any] else { throw ModelError.invalidConfig("scene segmenter: '\(part)' must be an object") }
                for (k, v) in dict where CodingKeys(rawValue: k) != nil {
                    if let old = flat[k], jsonText(old) != jsonText(v) {
                        throw ModelError.invalidConfig("scene segmenter: '\(k)' differs between the constructor's parts (\(old) vs \(v))")
                    }
                    flat[k] = v
                }
            }
        } else {
            flat = object
        }
        let config: SceneSegmenterConfig
        do {
            config = try JSONDecoder().decode(SceneSegmenterConfig.self, from: JSONSerialization.data(withJSONObject: flat))
        } catch {
            throw ModelError.invalidConfig("scene segmenter: config does not decode: \(error)")
        }
        try config.validate()
        return config
    }

    private static func jsonText(_ v: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "\(v)"
    }

    /// Constructor values this port fixes: the Bottleneck block, plain
    /// (not rectified) convolutions, no DropBlock, bilinear align_corners upsampling.
    private static func checkFixed(_ object: [String: Any]) throws {
        func bad(_ s: String) -> ModelError { .invalidConfig("scene segmenter: \(s) is not supported (only PyTorch-Encoding's DeepLabV3 + ResNeSt as LinearGAN uses it)") }
        if let r = object["ResNet"] as? [String: Any] {
            if let b = r["block"] as? String, b != "Bottleneck" { throw bad("block '\(b)'") }
            if let rc = r["rectified_conv"] as? Bool, rc { throw bad("rectified_conv") }
            if let p = r["dropblock_prob"] as? Double, p != 0 { throw bad("dropblock_prob \(p)") }
        }
        if let s = object["SplAtConv2d"] as? [String: Any], let rc = s["rectified_conv"] as? Bool, rc { throw bad("rectified_conv") }
        if let u = object["up_kwargs"] as? [String: Any] {
            if let m = u["mode"] as? String, m != "bilinear" { throw bad("up_kwargs mode '\(m)'") }
            if let a = u["align_corners"] as? Bool, !a { throw bad("align_corners false") }
        }
    }
}
