// Length-prefixed frames: a 4-byte big-endian payload length, then that
// many bytes of UTF-8 JSON (one Message). The decoder is pure: feed bytes,
// take frames.
import Foundation

public enum FrameError: Error, Equatable, CustomStringConvertible {
    case oversized(Int, max: Int)
    case empty
    public var description: String {
        switch self {
        case .oversized(let n, let m): return "frame of \(n) bytes exceeds the limit of \(m)"
        case .empty: return "empty frame"
        }
    }
}

public enum Framing {
    /// Default largest payload accepted (a 256 KiB checkpoint chunk in base64 fits).
    public static let defaultMaxFrame = 1 << 20

    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + payload
    }
}

public struct FrameDecoder {
    public let maxFrame: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxFrame: Int = Framing.defaultMaxFrame) { self.maxFrame = maxFrame }

    public mutating func feed(_ bytes: [UInt8]) { buffer += bytes }
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

    /// The next complete frame's payload, nil if more bytes are needed.
    /// Throws on a length over the limit (checked before the payload arrives).
    public mutating func next() throws -> [UInt8]? {
        let avail = buffer.count - start
        guard avail >= 4 else { compact(); return nil }
        let n = Int(buffer[start]) << 24 | Int(buffer[start+1]) << 16 | Int(buffer[start+2]) << 8 | Int(buffer[start+3])
        if n > maxFrame { throw FrameError.oversized(n, max: maxFrame) }
        if n == 0 { throw FrameError.empty }
        guard avail >= 4 + n else { compact(); return nil }
        let frame = Array(buffer[(start+4)..<(start+4+n)])
        start += 4 + n
        return frame
    }

    private mutating func compact() {
        if start > 0 { buffer.removeFirst(start); start = 0 }
    }
}
