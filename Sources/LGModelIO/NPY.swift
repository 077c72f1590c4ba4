/// Reading and writing NumPy `.npy` files.
///
/// Reads format versions 1.0, 2.0 and 3.0 with dtypes `<f4 <f8 <f2 <i8 <i4
/// <i2 |i1 |u1 |b1` (little-endian or byte-sized); Fortran-ordered arrays are
/// read through their strides and come back in C order. Writes float32 (from a
/// `Tensor`) and int64 (from `[Int]` + shape) as version 1.0 with the header
/// padded so the data starts at a multiple of 64 bytes.
import Foundation
import LGTensor

public enum NPY {
    // MARK: Reading

    /// Reads an .npy file as a Float32 tensor (any supported dtype is converted).
    public static func read(_ url: URL) throws -> Tensor {
        try readRaw(url).floatTensor()
    }

    /// Reads an .npy file keeping its dtype (use `intValues()` for exact integers).
    public static func readRaw(_ url: URL) throws -> TorchTensor {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelIOError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decode([UInt8](data))
    }

    /// Decodes .npy bytes keeping the dtype.
    public static func decode(_ bytes: [UInt8]) throws -> TorchTensor {
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw ModelIOError.corruptNPY("the file does not start with the .npy magic (it starts with \(describeLeadingBytes(bytes)))")
        }
        let major = bytes[6]
        let headerLen: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLen = Int(loadLE(bytes, 8, UInt16.self)); headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw ModelIOError.corruptNPY("the file ends inside its header length") }
            headerLen = Int(loadLE(bytes, 8, UInt32.self)); headerStart = 12
        default:
            throw ModelIOError.corruptNPY("format version \(major).\(bytes[7]) is not supported (1.0, 2.0, 3.0 are)")
        }
        guard headerLen <= bytes.count - headerStart else {
            throw ModelIOError.corruptNPY("the header claims \(headerLen) bytes but the file has \(bytes.count - headerStart) after the length field")
        }
        let dataStart = headerStart + headerLen
        guard let text = String(validating: bytes[headerStart..<dataStart], as: UTF8.self) else {
            throw ModelIOError.corruptNPY("the header is not valid text")
        }
        var parser = HeaderParser(text)
        let header = try parser.parseDict()
        guard case let .string(descr)? = header["descr"] else {
            throw ModelIOError.corruptNPY("the header has no 'descr' string (structured dtypes are not supported)")
        }
        guard case let .bool(fortran)? = header["fortran_order"] else {
            throw ModelIOError.corruptNPY("the header has no 'fortran_order'")
        }
        guard case let .tuple(shape)? = header["shape"], shape.allSatisfy({ $0 >= 0 }) else {
            throw ModelIOError.corruptNPY("the header has no valid 'shape' tuple")
        }
        guard let dtype = dtypeFromDescr(descr) else {
            throw ModelIOError.corruptNPY("dtype '\(descr)' is not supported (readable: <f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 |b1)")
        }
        var count = 1
        for d in shape {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw ModelIOError.corruptNPY("shape \(shape) is too large") }
            count = c
        }
        let (need, o) = count.multipliedReportingOverflow(by: dtype.elementSize)
        guard !o, need <= bytes.count - dataStart else {
            throw ModelIOError.corruptNPY("shape \(shape) of \(descr) needs \(o ? Int.max : need) data bytes but the file has \(bytes.count - dataStart); it is truncated")
        }
        let storage = Array(bytes[dataStart..<(dataStart + need)])
        var strides = TorchTensor.contiguousStrides(shape)
        if fortran {
            // Column-major: stride of dim i is the product of the dims before it.
            // Wrapping, as `contiguousStrides`: the product can only overflow when
            // a dimension is 0 (the count was checked above), and an empty
            // tensor's strides address nothing.
            var acc = 1
            for i in shape.indices { strides[i] = acc; acc = acc &* max(shape[i], 1) }
        }
        return try TorchTensor(dtype: dtype, shape: shape, strides: strides, storage: storage)
    }

    static func dtypeFromDescr(_ d: String) -> TorchDType? {
        switch d {
        case "<f4": return .float32
        case "<f8": return .float64
        case "<f2": return .float16
        case "<i8": return .int64
        case "<i4": return .int32
        case "<i2": return .int16
        case "|i1", "<i1": return .int8
        case "|u1", "<u1": return .uint8
        case "|b1", "<b1": return .bool
        default: return nil
        }
    }

    // MARK: Writing

    /// Writes a float32 .npy file (version 1.0, C order).
    public static func write(_ tensor: Tensor, to url: URL) throws {
        try writeAtomically(encode(tensor), to: url)
    }

    /// Writes an int64 .npy file (version 1.0, C order).
    public static func writeInt64(_ values: [Int], shape: [Int], to url: URL) throws {
        try writeAtomically(try encodeInt64(values, shape: shape), to: url)
    }

    /// The bytes of a float32 .npy file.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        var out = header(descr: "<f4", shape: tensor.shape)
        out.reserveCapacity(out.count + tensor.count * 4)
        for v in tensor.data { appendLE(&out, v.bitPattern) }
        return out
    }

    /// The bytes of an int64 .npy file.
    public static func encodeInt64(_ values: [Int], shape: [Int]) throws -> [UInt8] {
        guard shape.allSatisfy({ $0 >= 0 }), Tensor.count(of: shape) == values.count else {
            throw ModelIOError.invalidArgument("int64 array of shape \(shape) given \(values.count) values")
        }
        var out = header(descr: "<i8", shape: shape)
        for v in values { appendLE(&out, Int64(v)) }
        return out
    }

    static func header(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // magic(6) + version(2) + length(2) + dict + padding + '\n' must be a multiple of 64.
        let total = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        appendLE(&out, UInt16(dict.utf8.count))
        out += Array(dict.utf8)
        return out
    }
}

/// Parses the Python dict literal of an .npy header.
private struct HeaderParser {
    enum Value { case string(String), bool(Bool), tuple([Int]), int(Int) }
    let s: [Character]
    var i = 0
    init(_ text: String) { s = Array(text) }

    func fail(_ m: String) -> ModelIOError { .corruptNPY("header \(String(s).debugDescription): \(m)") }

    mutating func skipSpace() { while i < s.count, s[i].isWhitespace { i += 1 } }

    mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < s.count, s[i] == c else { throw fail("expected '\(c)'") }
        i += 1
    }

    mutating func peek() -> Character? { skipSpace(); return i < s.count ? s[i] : nil }

    mutating func parseString() throws -> String {
        skipSpace()
        guard i < s.count, s[i] == "'" || s[i] == "\"" else { throw fail("expected a quoted string") }
        let q = s[i]; i += 1
        var out = ""
        while i < s.count, s[i] != q { out.append(s[i]); i += 1 }
        guard i < s.count else { throw fail("unterminated string") }
        i += 1
        return out
    }

    mutating func parseInt() throws -> Int {
        skipSpace()
        var t = ""
        while i < s.count, s[i].isNumber || s[i] == "-" || s[i] == "L" { if s[i] != "L" { t.append(s[i]) }; i += 1 }
        guard let v = Int(t) else { throw fail("expected an integer") }
        return v
    }

    mutating func parseValue() throws -> Value {
        switch peek() {
        case "'", "\"": return .string(try parseString())
        case "(", "[":
            let close: Character = s[i] == "(" ? ")" : "]"
            i += 1
            var xs: [Int] = []
            while peek() != close {
                xs.append(try parseInt())
                if peek() == "," { i += 1 } else { break }
            }
            try expect(close)
            return .tuple(xs)
        case "T", "F":
            var w = ""
            while i < s.count, s[i].isLetter { w.append(s[i]); i += 1 }
            if w == "True" { return .bool(true) }
            if w == "False" { return .bool(false) }
            throw fail("unexpected word '\(w)'")
        default:
            return .int(try parseInt())
        }
    }

    mutating func parseDict() throws -> [String: Value] {
        try expect("{")
        var out: [String: Value] = [:]
        while peek() != "}" {
            guard peek() != nil else { throw fail("unterminated dict") }
            let k = try parseString()
            try expect(":")
            out[k] = try parseValue()
            if peek() == "," { i += 1 } else { break }
        }
        try expect("}")
        return out
    }
}
