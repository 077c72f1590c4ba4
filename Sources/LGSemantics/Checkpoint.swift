import Foundation
import LGTensor
import LGModelIO
import LGModels

/// Saving and loading semantic extractors.
///
/// Project format: one safetensors file with the parameters under the
/// reference's state_dict keys; its `__metadata__` holds `format` =
/// `lineargan-semantic-extractor` and `arch` = the architecture JSON
/// (reference key names), plus any caller metadata.
/// Reference format: `torch.save({"arch": arch_info(), "param": state_dict})`.
public enum SemanticCheckpoint {
    public static let formatTag = "lineargan-semantic-extractor"

    /// The architecture as JSON (sorted keys, reference names).
    public static func archJSON(_ arch: ExtractorArch) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: try enc.encode(arch), as: UTF8.self)
    }

    public static func arch(fromJSON json: String) throws -> ExtractorArch {
        try JSONDecoder().decode(ExtractorArch.self, from: Data(json.utf8))
    }

    /// Writes `extractor` to `url` (atomically). `metadata` is stored beside
    /// `format` and `arch`, which it may not override.
    public static func save(_ extractor: any SemanticExtractor, to url: URL,
                            metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["format"] = formatTag
        meta["arch"] = try archJSON(extractor.arch)
        try Safetensors.write(extractor.stateDict(), metadata: meta, to: url)
    }

    /// Reads a project checkpoint: the architecture, the parameters and the metadata.
    public static func read(_ url: URL) throws -> (arch: ExtractorArch, parameters: [String: Tensor], metadata: [String: String]) {
        let (tensors, meta) = try Safetensors.read(url)
        guard let json = meta["arch"] else {
            throw SemanticsError.badCheckpoint(path: url.path,
                reason: "no 'arch' entry in the safetensors metadata; it was not written by this program (a reference .pth checkpoint is imported with importReference)")
        }
        let arch: ExtractorArch
        do { arch = try self.arch(fromJSON: json) } catch {
            throw SemanticsError.badCheckpoint(path: url.path, reason: "unreadable architecture JSON \(json): \(error)")
        }
        return (arch, tensors, meta)
    }

    /// Loads a project checkpoint into a ready extractor.
    public static func load(_ url: URL) throws -> any SemanticExtractor {
        try loadWithMetadata(url).extractor
    }

    /// `load`, with the safetensors metadata (the training job's record:
    /// schedule, generator, ...).
    public static func loadWithMetadata(_ url: URL) throws -> (extractor: any SemanticExtractor, metadata: [String: String]) {
        let (arch, params, metadata) = try read(url)
        return (try makeSemanticExtractor(arch, stateDict: StateDict(params, source: url.path)), metadata)
    }

    /// Whether `url` names a reference `.pth` / `.pt` / `.tar` checkpoint
    /// (imported with `importReference`) rather than the project's safetensors.
    public static func isReferenceFile(_ url: URL) -> Bool {
        ["pth", "pt", "tar"].contains(url.pathExtension.lowercased())
    }

    /// Loads a checkpoint of either format: `.pth` / `.pt` / `.tar` through
    /// `importReference`, anything else as the project's safetensors.
    public static func loadAny(_ url: URL) throws -> any SemanticExtractor {
        try loadAnyWithMetadata(url).extractor
    }

    /// `loadAny` reading the file once, with the safetensors metadata (the
    /// training job's record: schedule, generator, ...); empty for a
    /// reference `.pth`, which has none.
    public static func loadAnyWithMetadata(_ url: URL) throws -> (extractor: any SemanticExtractor, metadata: [String: String]) {
        isReferenceFile(url) ? (try importReference(url), [:]) : try loadWithMetadata(url)
    }

    /// The metadata of a checkpoint without reading its parameters (empty
    /// for a reference `.pth`, which has none).
    public static func readMetadata(_ url: URL) throws -> [String: String] {
        isReferenceFile(url) ? [:] : try Safetensors.readMetadata(url)
    }

    /// Imports a reference checkpoint `{"arch": {...}, "param": state_dict}`.
    /// When `arch` is missing (a known bug of some reference NSE-2 files) or
    /// the file is a bare state dict, the architecture is inferred from the
    /// parameter shapes (layers = 0..<number of heads).
    public static func importReference(_ url: URL) throws -> any SemanticExtractor {
        let root = try TorchFile.load(url: url)
        return try importReference(root, source: url.path)
    }

    public static func importReference(_ path: String) throws -> any SemanticExtractor {
        try importReference(URL(fileURLWithPath: path))
    }

    /// Imports from an already loaded reference checkpoint value.
    public static func importReference(_ root: TorchValue, source: String) throws -> any SemanticExtractor {
        let paramValue = root["param"] ?? root["state_dict"] ?? root
        var params: [String: Tensor] = [:]
        for (k, t) in paramValue.flattenTensors() where !k.isEmpty {
            params[k] = t.floatTensor()
        }
        guard !params.isEmpty else {
            throw SemanticsError.badCheckpoint(path: source, reason: "no parameter tensors found (expected a dict with 'param')")
        }
        let arch: ExtractorArch
        if let a = root["arch"] {
            arch = try referenceArch(a, source: source)
        } else {
            arch = try inferArch(params, source: source)
        }
        return try makeSemanticExtractor(arch, stateDict: StateDict(params, source: source))
    }

    /// Converts a reference `arch_info()` dict.
    public static func referenceArch(_ v: TorchValue, source: String = "checkpoint") throws -> ExtractorArch {
        func fail(_ m: String) -> SemanticsError { .badCheckpoint(path: source, reason: "arch: \(m)") }
        guard let typeName = v["type"]?.string else { throw fail("missing 'type'") }
        guard let type = ExtractorType(rawValue: typeName) else {
            throw fail("unknown type '\(typeName)' (expected LSE, NSE-1 or NSE-2)")
        }
        guard let nClass = v["n_class"]?.int else { throw fail("missing integer 'n_class'") }
        func ints(_ key: String) throws -> [Int]? {
            guard let x = v[key] else { return nil }
            if let arr = x.array {
                return try arr.map { e in
                    guard let i = e.int ?? e.double.map({ Int($0) }) else { throw fail("'\(key)' holds \(e), not an integer") }
                    return i
                }
            }
            if let t = x.tensor { return t.intValues() }
            throw fail("'\(key)' is \(x), not a list of integers")
        }
        guard let dims = try ints("dims") else { throw fail("missing 'dims'") }
        var lw: LayerWeightType? = nil
        if let s = v["lw_type"]?.string {
            guard let t = LayerWeightType(rawValue: s) else { throw fail("unknown lw_type '\(s)'") }
            lw = t
        }
        let arch = ExtractorArch(type: type, nClass: nClass, dims: dims, layers: try ints("layers"),
                                 lwType: lw, useBias: v["use_bias"]?.bool ?? v["use_bias"]?.int.map { $0 != 0 },
                                 ksize: v["ksize"]?.int, nLayers: v["n_layers"]?.int)
        do { try arch.validate() } catch { throw SemanticsError.badCheckpoint(path: source, reason: "\(error)") }
        return arch
    }

    /// Infers the architecture from reference state-dict keys and shapes.
    public static func inferArch(_ params: [String: Tensor], source: String = "checkpoint") throws -> ExtractorArch {
        func fail(_ m: String) -> SemanticsError { .badCheckpoint(path: source, reason: "cannot infer the architecture: \(m)") }
        var heads = 0
        while params.keys.contains(where: { $0.hasPrefix("extractor.\(heads).") }) { heads += 1 }
        guard heads > 0 else { throw fail("no 'extractor.0.*' parameters") }
        if let vis = params["visualizer.weight"] {
            let dims = try (0..<heads).map { i -> Int in
                guard let w = params["extractor.\(i).0.weight"] else { throw fail("missing extractor.\(i).0.weight") }
                return w.shape[1]
            }
            return ExtractorArch(type: .nse2, nClass: vis.shape[0], dims: dims, ksize: vis.shape[2])
        }
        if params["extractor.0.0.weight"] != nil {
            var n = 0
            while params["extractor.0.\(2 * n).weight"] != nil { n += 1 }
            let first = params["extractor.0.0.weight"]!
            let last = params["extractor.0.\(2 * (n - 1)).weight"]!
            let dims = try (0..<heads).map { i -> Int in
                guard let w = params["extractor.\(i).0.weight"] else { throw fail("missing extractor.\(i).0.weight") }
                return w.shape[1]
            }
            return ExtractorArch(type: .nse1, nClass: last.shape[0], dims: dims, ksize: first.shape[2], nLayers: n)
        }
        let dims = try (0..<heads).map { i -> Int in
            guard let w = params["extractor.\(i).weight"] else { throw fail("missing extractor.\(i).weight") }
            return w.shape[1]
        }
        return ExtractorArch(type: .lse, nClass: params["extractor.0.weight"]!.shape[0], dims: dims,
                             useBias: params["extractor.0.bias"] != nil)
    }
}
