// Byte helpers shared by the readers and writers of LGCodec and LGModelIO.

/// Appends a little-endian integer to a byte array.
@inline(__always)
package func appendLE<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}

/// Appends a big-endian integer to a byte array.
@inline(__always)
package func appendBE<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
    withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
}

/// A short printable description of the first bytes of a file, for error messages.
package func describeLeadingBytes(_ bytes: some Collection<UInt8>, count: Int = 16) -> String {
    let head = Array(bytes.prefix(count))
    if head.isEmpty { return "nothing (the file is empty)" }
    let hex = head.map { b -> String in
        let s = String(b, radix: 16)
        return s.count < 2 ? "0" + s : s
    }.joined(separator: " ")
    let ascii = String(head.map { ($0 >= 0x20 && $0 < 0x7f) ? Character(Unicode.Scalar($0)) : "." })
    return "bytes \(hex) (\"\(ascii)\")"
}
