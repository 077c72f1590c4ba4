// SHA-256 digests and hex text, on swift-crypto (BoringSSL on Linux).
import Foundation
import Crypto

/// SHA-256 digests as lowercase hex, as the protocol and the store carry them.
public enum SHA256Hex {
    /// The hex digest of `bytes`.
    public static func of<D: DataProtocol>(_ bytes: D) -> String {
        Hex.encode(Array(SHA256.hash(data: bytes)))
    }

    /// The hex digest of a file, read in 1 MiB pieces.
    public static func ofFile(_ path: String) throws -> String {
        guard let fh = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        defer { try? fh.close() }
        var s = SHA256()
        while let d = try fh.read(upToCount: 1 << 20), !d.isEmpty { s.update(data: d) }
        return Hex.encode(Array(s.finalize()))
    }
}

/// A SHA-256 computed piece by piece (checkpoint uploads).
public struct SHA256Stream {
    private var state = SHA256()
    public init() {}
    public mutating func update(_ bytes: [UInt8]) { state.update(data: bytes) }
    public func finalizeHex() -> String { Hex.encode(Array(state.finalize())) }
}

public enum Hex {
    public static func encode(_ b: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(b.count * 2)
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
    public static func decode(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c { case 48...57: return c - 48; case 97...102: return c - 87; case 65...70: return c - 55; default: return nil }
        }
        var out = [UInt8](); out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count { guard let a = v(u[i]), let b = v(u[i+1]) else { return nil }; out.append(a << 4 | b); i += 2 }
        return out
    }
    public static func random(_ n: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return encode((0..<n).map { _ in UInt8.random(in: 0...255, using: &g) })
    }
}
