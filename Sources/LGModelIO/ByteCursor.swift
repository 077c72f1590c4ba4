/// Bounds-checked little-endian reads over a byte array.
///
/// Every read checks the remaining length first and throws
/// `ModelIOError.truncated` naming `what` is being read, so a truncated or
/// corrupt file never reads out of bounds.
struct ByteCursor {
    let bytes: [UInt8]
    var position: Int
    /// What the bytes are, for error messages (e.g. "data.pkl").
    let what: String

    init(_ bytes: [UInt8], at position: Int = 0, what: String) {
        self.bytes = bytes
        self.position = position
        self.what = what
    }

    var remaining: Int { bytes.count - position }
    var atEnd: Bool { position >= bytes.count }

    func require(_ n: Int) throws {
        guard n >= 0, position >= 0, position <= bytes.count, n <= bytes.count - position else {
            throw ModelIOError.truncated(what: what, offset: position, needed: n, available: bytes.count)
        }
    }

    mutating func u8() throws -> UInt8 {
        try require(1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        try require(n)
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func le<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let n = MemoryLayout<T>.size
        try require(n)
        defer { position += n }
        return loadLE(bytes, position, T.self)
    }

    /// Bytes up to (not including) the next `\n`; consumes the newline.
    mutating func line() throws -> ArraySlice<UInt8> {
        guard let end = bytes[position...].firstIndex(of: 0x0a) else {
            throw ModelIOError.truncated(what: what + " (text line)", offset: position, needed: bytes.count - position + 1, available: bytes.count)
        }
        defer { position = end + 1 }
        return bytes[position..<end]
    }
}

/// Loads a little-endian integer from `bytes` at `offset` (caller has bounds-checked).
@inline(__always)
func loadLE<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
    bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
}

// appendLE, appendBE and describeLeadingBytes are in LGCodec (Bytes.swift).
