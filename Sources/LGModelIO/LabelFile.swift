/// One label map as a self-checking file: the label cache's entry
/// (LGJobs.LabelCache). Little-endian:
///
///     "LGLABEL1"  key length (u32)  key (UTF-8)  rank (u32)  dims (u32 x rank)
///     width (u8: 1 or 4 bytes per label)  raw length (u64)  deflated length (u64)
///     deflated labels (zlib stream)  CRC-32 of everything before it (u32)
///
/// `decode` refuses anything that is not exactly such a file (short, long,
/// another key, a bad CRC, labels that do not inflate to the recorded size):
/// a torn or corrupted entry is never read as labels.
import Foundation
import LGTensor

public enum LabelFile {
    static let magic = Array("LGLABEL1".utf8)

    public static func encode(_ labels: Labels, key: String) throws -> [UInt8] {
        let narrow = labels.data.allSatisfy { $0 >= 0 && $0 < 256 }
        var raw: [UInt8] = []
        if narrow {
            raw = labels.data.map { UInt8($0) }
        } else {
            raw.reserveCapacity(labels.count * 4)
            for v in labels.data { appendLE(&raw, UInt32(bitPattern: v)) }
        }
        let packed = try Zlib.compress(raw, level: 6)
        var out = magic
        let k = Array(key.utf8)
        appendLE(&out, UInt32(k.count)); out += k
        appendLE(&out, UInt32(labels.shape.count))
        for d in labels.shape { appendLE(&out, UInt32(d)) }
        out.append(narrow ? 1 : 4)
        appendLE64(&out, UInt64(raw.count)); appendLE64(&out, UInt64(packed.count))
        out += packed
        appendLE(&out, Zlib.crc32(out))
        return out
    }

    /// The labels stored under `key`, or an error saying what is wrong.
    public static func decode(_ bytes: [UInt8], key: String) throws -> Labels {
        func bad(_ why: String) -> ModelIOError { .invalidArgument("label cache entry: \(why)") }
        guard bytes.count >= magic.count + 4 + 4 + 1 + 16 + 4, Array(bytes[0..<magic.count]) == magic else { throw bad("no LGLABEL1 header") }
        let body = bytes[0..<(bytes.count - 4)]
        guard Zlib.crc32(body) == readLE(bytes, bytes.count - 4) else { throw bad("CRC mismatch (torn or corrupted)") }
        var p = magic.count
        func u32() throws -> Int {
            guard p + 4 <= body.count else { throw bad("truncated") }
            defer { p += 4 }
            return Int(readLE(bytes, p))
        }
        func u64() throws -> Int {
            guard p + 8 <= body.count else { throw bad("truncated") }
            let lo = UInt64(readLE(bytes, p)), hi = UInt64(readLE(bytes, p + 4))
            p += 8
            let v = hi << 32 | lo
            guard v <= UInt64(Int32.max) else { throw bad("a length of \(v)") }
            return Int(v)
        }
        let klen = try u32()
        guard klen <= body.count - p else { throw bad("truncated key") }
        guard Array(bytes[p..<(p + klen)]) == Array(key.utf8) else { throw bad("written for another key") }
        p += klen
        let rank = try u32()
        guard rank >= 1, rank <= 8 else { throw bad("rank \(rank)") }
        var shape: [Int] = []
        var count = 1
        for _ in 0..<rank {
            let d = try u32()
            guard d >= 1, count.multipliedReportingOverflow(by: d).overflow == false else { throw bad("dimension \(d)") }
            shape.append(d); count *= d
        }
        guard p < body.count else { throw bad("truncated") }
        let width = Int(bytes[p]); p += 1
        guard width == 1 || width == 4 else { throw bad("label width \(width)") }
        let rawLen = try u64(), packedLen = try u64()
        guard rawLen == count * width, packedLen == body.count - p else { throw bad("lengths do not match the shape") }
        let raw = try bytes[p..<(p + packedLen)].withUnsafeBytes {
            try Zlib.inflate($0, expectedSize: rawLen, raw: false, what: "label cache entry")
        }
        let data: [Int32] = width == 1 ? raw.map { Int32($0) }
            : (0..<count).map { Int32(bitPattern: readLE(raw, 4 * $0)) }
        return Labels(shape: shape, data: data)
    }

    static func appendLE(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
    }
    static func appendLE64(_ out: inout [UInt8], _ v: UInt64) {
        appendLE(&out, UInt32(v & 0xffff_ffff)); appendLE(&out, UInt32(v >> 32))
    }
    static func readLE(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
