/// Thin, checked wrappers over the system zlib (CZlib): raw-deflate and
/// zlib-stream inflation with a known output size, compression, and CRC-32.
import CZlib

public enum Zlib {
    /// CRC-32 (the ZIP/PNG polynomial) of a byte sequence, optionally continuing `initial`.
    public static func crc32(_ bytes: some Collection<UInt8>, initial: UInt32 = 0) -> UInt32 {
        var crc = uLong(initial)
        let chunk = 1 << 30
        let arr = Array(bytes)
        arr.withUnsafeBufferPointer { buf in
            var off = 0
            while off < buf.count {
                let n = min(chunk, buf.count - off)
                crc = CZlib.crc32(crc, buf.baseAddress! + off, uInt(n))
                off += n
            }
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// Inflates `input` into exactly `expectedSize` bytes.
    /// - Parameter raw: true for raw deflate (ZIP, windowBits -15), false for a zlib stream (PNG).
    public static func inflate(_ input: UnsafeRawBufferPointer, expectedSize: Int, raw: Bool, what: String) throws -> [UInt8] {
        guard expectedSize >= 0 else { throw ModelIOError.zlib(what: "inflating \(what): negative size", code: Z_DATA_ERROR) }
        // Deflate cannot expand data by more than ~1032:1; a larger claim is corruption.
        guard expectedSize <= input.count &* 1100 &+ 4096 else {
            throw ModelIOError.zlib(what: "inflating \(what): claimed size \(expectedSize) is impossible for \(input.count) compressed bytes", code: Z_DATA_ERROR)
        }
        // One spare byte detects streams longer than recorded.
        let capacity = expectedSize + 1
        var out = [UInt8](repeating: 0, count: capacity)
        var stream = z_stream()
        var rc = inflateInit2_(&stream, raw ? -15 : 15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw ModelIOError.zlib(what: "starting to inflate \(what)", code: rc) }
        defer { inflateEnd(&stream) }
        let step = Int(UInt32.max / 2)
        var inOff = 0
        var outOff = 0
        let inBase = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        try out.withUnsafeMutableBufferPointer { obuf in
            while true {
                if stream.avail_in == 0 && inOff < input.count, let base = inBase {
                    let n = min(step, input.count - inOff)
                    stream.next_in = base + inOff
                    stream.avail_in = uInt(n)
                    inOff += n
                }
                if stream.avail_out == 0 && outOff < capacity {
                    let n = min(step, capacity - outOff)
                    stream.next_out = obuf.baseAddress! + outOff
                    stream.avail_out = uInt(n)
                    outOff += n
                }
                rc = CZlib.inflate(&stream, Z_NO_FLUSH)
                if rc == Z_STREAM_END {
                    guard Int(stream.total_out) == expectedSize else {
                        throw ModelIOError.zlib(what: "inflating \(what): got \(stream.total_out) bytes, expected \(expectedSize)", code: Z_DATA_ERROR)
                    }
                    return
                }
                if Int(stream.total_out) > expectedSize {
                    throw ModelIOError.zlib(what: "inflating \(what): data is longer than the \(expectedSize) bytes recorded", code: Z_DATA_ERROR)
                }
                if rc == Z_BUF_ERROR || rc == Z_OK {
                    if stream.avail_in == 0 && inOff >= input.count && rc == Z_BUF_ERROR {
                        throw ModelIOError.zlib(what: "inflating \(what): compressed data ends early", code: Z_BUF_ERROR)
                    }
                    if rc == Z_OK || stream.avail_in == 0 || stream.avail_out == 0 { continue }
                }
                throw ModelIOError.zlib(what: "inflating \(what)", code: rc)
            }
        }
        out.removeLast()
        return out
    }

    /// zlib-stream compression (`compress2`).
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var destLen = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(destLen))
        let rc = input.withUnsafeBufferPointer { ib in
            out.withUnsafeMutableBufferPointer { ob in
                compress2(ob.baseAddress!, &destLen, ib.baseAddress ?? UnsafePointer(ob.baseAddress!), uLong(input.count), level)
            }
        }
        guard rc == Z_OK else { throw ModelIOError.zlib(what: "compressing", code: rc) }
        out.removeSubrange(Int(destLen)...)
        return out
    }
}
