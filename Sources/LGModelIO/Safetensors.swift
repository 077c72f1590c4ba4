/// Reading and writing safetensors files.
///
/// Layout: an 8-byte little-endian header length N, an N-byte JSON header
/// mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the data after the header) plus an optional
/// `"__metadata__"` string-to-string map, then the raw little-endian data.
/// Reading accepts F32, F64, F16, BF16, I64, I32, I16, I8, U8 and BOOL and
/// validates every offset (inside the data, sized by dtype x shape, no
/// overlaps). Writing emits F32 or F16 (and I64) with sorted keys, written
/// to a temporary file and renamed into place.
import Foundation
import LGTensor

public enum Safetensors {
    /// An int64 tensor to write.
    public struct Int64Tensor: Sendable {
        public var shape: [Int]
        public var values: [Int]
        public init(shape: [Int], values: [Int]) {
            self.shape = shape
            self.values = values
        }
    }

    /// How float tensors are stored.
    public enum FloatStorage: String, Sendable, CaseIterable {
        /// IEEE single precision ("F32"), exact.
        case f32
        /// IEEE half precision ("F16"), half the bytes: each value rounded to
        /// nearest-even (relative error at most 2^-11 above 6.1e-5 in magnitude,
        /// smaller values kept as subnormals or zero). A finite value beyond
        /// half's range (65504) is an error rather than an infinity.
        case f16
        /// F16 for each tensor whose values all fit half's range, F32 for the
        /// others (a BatchNorm's running variance can exceed 65504).
        case f16WhereInRange

        /// The dtype `t` is stored as.
        func dtype(of t: Tensor) -> String {
            switch self {
            case .f32: return "F32"
            case .f16: return "F16"
            case .f16WhereInRange:
                return t.data.allSatisfy { !$0.isFinite || abs($0) <= Float(Float16.greatestFiniteMagnitude) } ? "F16" : "F32"
            }
        }
    }

    // MARK: Writing

    /// Writes float tensors (F32 unless `floats` says F16, and optional
    /// int64 tensors) with string metadata, atomically.
    public static func write(_ tensors: [String: Tensor], int64 intTensors: [String: Int64Tensor] = [:],
                             metadata: [String: String] = [:], floats: FloatStorage = .f32, to url: URL) throws {
        let bytes = try encode(tensors, int64: intTensors, metadata: metadata, floats: floats)
        try writeAtomically(bytes, to: url)
    }

    /// The bytes of a safetensors file (see `write`).
    public static func encode(_ tensors: [String: Tensor], int64 intTensors: [String: Int64Tensor] = [:],
                              metadata: [String: String] = [:], floats: FloatStorage = .f32) throws -> [UInt8] {
        for k in intTensors.keys where tensors[k] != nil {
            throw ModelIOError.invalidArgument("tensor name '\(k)' is given both as float32 and as int64")
        }
        for (k, t) in intTensors where Tensor.count(of: t.shape) != t.values.count || t.shape.contains(where: { $0 < 0 }) {
            throw ModelIOError.invalidArgument("int64 tensor '\(k)' has shape \(t.shape) but \(t.values.count) values")
        }
        if tensors["__metadata__"] != nil || intTensors["__metadata__"] != nil {
            throw ModelIOError.invalidArgument("'__metadata__' is reserved and cannot name a tensor")
        }
        let names = (Array(tensors.keys) + Array(intTensors.keys)).sorted()
        var fields: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{" + m.joined(separator: ",") + "}")
        }
        var offset = 0
        var floatDTypes: [String: String] = [:]
        for name in names {
            let (dtype, shape, nbytes): (String, [Int], Int)
            if let t = tensors[name] {
                let d = floats.dtype(of: t)
                (dtype, shape, nbytes) = (d, t.shape, t.count * (d == "F32" ? 4 : 2))
                floatDTypes[name] = d
            } else {
                let t = intTensors[name]!
                (dtype, shape, nbytes) = ("I64", t.shape, t.values.count * 8)
            }
            let shapeText = shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shapeText)],\"data_offsets\":[\(offset),\(offset + nbytes)]}")
            offset += nbytes
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        appendLE(&out, UInt64(header.count))
        out += header
        for name in names {
            if let t = tensors[name] {
                if floatDTypes[name] == "F32" {
                    for v in t.data { appendLE(&out, v.bitPattern) }
                } else {
                    for v in t.data {
                        let h = Float16(v)
                        if h.isInfinite && v.isFinite {
                            throw ModelIOError.invalidArgument("tensor '\(name)' holds \(v), beyond half precision's range (65504): store it as F32")
                        }
                        appendLE(&out, h.bitPattern)
                    }
                }
            } else {
                for v in intTensors[name]!.values { appendLE(&out, Int64(v)) }
            }
        }
        return out
    }

    // MARK: Reading

    /// Reads a file, converting every tensor to Float32.
    public static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let raw = try readRaw(url)
        return (raw.tensors.mapValues { $0.floatTensor() }, raw.metadata)
    }

    /// Reads a file keeping each tensor's dtype (use `intValues()` for exact integers).
    public static func readRaw(_ url: URL) throws -> (tensors: [String: TorchTensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw ModelIOError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decode([UInt8](data))
    }

    /// Reads only the `__metadata__` of a file (its 8-byte length and JSON
    /// header, not the tensor data): what a caller choosing among many
    /// checkpoints by their records needs.
    public static func readMetadata(_ url: URL) throws -> [String: String] {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw ModelIOError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        defer { try? handle.close() }
        do {
            let fileSize = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            let prefix = [UInt8](try handle.read(upToCount: 8) ?? Data())
            guard prefix.count == 8 else {
                throw ModelIOError.corruptSafetensors("the file is \(prefix.count) bytes, shorter than the 8-byte header length")
            }
            let n = loadLE(prefix, 0, UInt64.self)
            guard n >= 2, n <= fileSize - 8, n <= 100_000_000 else {
                throw ModelIOError.corruptSafetensors("the header length \(n) does not fit the file (\(fileSize) bytes)")
            }
            let headerBytes = try handle.read(upToCount: Int(n)) ?? Data()
            guard headerBytes.count == Int(n) else {
                throw ModelIOError.corruptSafetensors("the file ends inside its JSON header")
            }
            let json: Any
            do { json = try JSONSerialization.jsonObject(with: headerBytes) } catch {
                throw ModelIOError.corruptSafetensors("the JSON header cannot be parsed (\(error.localizedDescription))")
            }
            guard let header = json as? [String: Any] else {
                throw ModelIOError.corruptSafetensors("the JSON header is not an object")
            }
            return try header["__metadata__"].map(parseMetadata) ?? [:]
        } catch let e as ModelIOError {
            throw e
        } catch {
            throw ModelIOError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// The `__metadata__` object: string keys to string values.
    static func parseMetadata(_ value: Any) throws -> [String: String] {
        guard let m = value as? [String: Any] else {
            throw ModelIOError.corruptSafetensors("__metadata__ is not an object")
        }
        var metadata: [String: String] = [:]
        for (k, v) in m {
            guard let s = v as? String else { throw ModelIOError.corruptSafetensors("__metadata__ value for '\(k)' is not a string") }
            metadata[k] = s
        }
        return metadata
    }

    /// Decodes safetensors bytes keeping each tensor's dtype.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: TorchTensor], metadata: [String: String]) {
        guard bytes.count >= 8 else {
            throw ModelIOError.corruptSafetensors("the file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let n = loadLE(bytes, 0, UInt64.self)
        guard n >= 2, n <= UInt64(bytes.count - 8), n <= 100_000_000 else {
            throw ModelIOError.corruptSafetensors("the header length \(n) does not fit the file (\(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(n)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch {
            throw ModelIOError.corruptSafetensors("the JSON header cannot be parsed (\(error.localizedDescription))")
        }
        guard let header = json as? [String: Any] else {
            throw ModelIOError.corruptSafetensors("the JSON header is not an object")
        }
        let dataCount = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var tensors: [String: TorchTensor] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = try parseMetadata(value)
                continue
            }
            guard let info = value as? [String: Any], let dt = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any], let offAny = info["data_offsets"] as? [Any] else {
                throw ModelIOError.corruptSafetensors("the entry for '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = dtypeFromCode(dt) else {
                throw ModelIOError.corruptSafetensors("tensor '\(name)' has unsupported dtype '\(dt)' (readable: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)")
            }
            guard let shape = jsonInts(shapeAny), shape.allSatisfy({ $0 >= 0 }),
                  let offs = jsonInts(offAny), offs.count == 2 else {
                throw ModelIOError.corruptSafetensors("tensor '\(name)' has a malformed shape or data_offsets")
            }
            let (b, e) = (offs[0], offs[1])
            guard b >= 0, b <= e, e <= dataCount else {
                throw ModelIOError.corruptSafetensors("tensor '\(name)' has data_offsets [\(b), \(e)] outside the \(dataCount) data bytes")
            }
            var count = 1
            for d in shape {
                let (c, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw ModelIOError.corruptSafetensors("tensor '\(name)' shape \(shape) is too large") }
                count = c
            }
            let (need, o) = count.multipliedReportingOverflow(by: dtype.elementSize)
            guard !o, need == e - b else {
                throw ModelIOError.corruptSafetensors("tensor '\(name)' of dtype \(dt) and shape \(shape) needs \(o ? Int.max : need) bytes but data_offsets span \(e - b)")
            }
            ranges.append((b, e, name))
            tensors[name] = try TorchTensor(dtype: dtype, shape: shape, storage: Array(bytes[(headerEnd + b)..<(headerEnd + e)]))
        }
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 {
            throw ModelIOError.corruptSafetensors("tensors '\(ranges[i - 1].2)' and '\(ranges[i].2)' overlap")
        }
        return (tensors, metadata)
    }

    static func dtypeFromCode(_ s: String) -> TorchDType? {
        switch s {
        case "F32": return .float32
        case "F64": return .float64
        case "F16": return .float16
        case "BF16": return .bfloat16
        case "I64": return .int64
        case "I32": return .int32
        case "I16": return .int16
        case "I8": return .int8
        case "U8": return .uint8
        case "BOOL": return .bool
        default: return nil
        }
    }

    static func jsonInts(_ xs: [Any]) -> [Int]? {
        var out: [Int] = []
        for x in xs {
            guard let n = x as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d.rounded() == d, abs(d) < 9e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }
}

/// A JSON string literal with escapes.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// Writes bytes to a temporary file next to `url`, then renames it into place.
func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
    do {
        try Data(bytes).write(to: tmp)
    } catch {
        try? FileManager.default.removeItem(at: tmp)
        throw ModelIOError.unwritable(path: url.path, reason: error.localizedDescription)
    }
    if rename(tmp.path, url.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: tmp)
        throw ModelIOError.unwritable(path: url.path, reason: reason)
    }
}
