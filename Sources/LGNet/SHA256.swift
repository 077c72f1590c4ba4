// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), self-contained so the
// queue needs no crypto library. Verified against the standard test vectors
// in LGQueueTests.
import Foundation

public struct SHA256 {
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]

    public init() {}

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        update(Array(bytes))
    }

    public mutating func update(_ data: [UInt8]) {
        data.withUnsafeBufferPointer { update($0) }
    }

    /// Hashes `buf` without copying it (a file's pieces, read as `Data`).
    public mutating func update(_ buf: UnsafeBufferPointer<UInt8>) {
        length &+= UInt64(buf.count)
        var start = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, buf.count)
            pending += buf[0..<take]
            start = take
            if pending.count == 64 { let p = pending; p.withUnsafeBufferPointer { block($0.baseAddress!) }; pending.removeAll(keepingCapacity: true) }
        }
        while start + 64 <= buf.count { block(buf.baseAddress! + start); start += 64 }
        if start < buf.count { pending += buf[start...] }
    }

    public mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        let padTo = (pending.count + 1) % 64 <= 56 ? 56 - (pending.count + 1) % 64 : 120 - (pending.count + 1) % 64
        tail += [UInt8](repeating: 0, count: padTo)
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        let saved = length
        update(tail)
        length = saved
        var out: [UInt8] = []
        for v in h { out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        return out
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    private mutating func block(_ p: UnsafePointer<UInt8>) {
        // The state is updated in place: copying `h` per block cost an
        // allocation every 64 bytes.
        h.withUnsafeMutableBufferPointer { hh8 in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for i in 0..<16 {
                    w[i] = UInt32(p[4*i]) << 24 | UInt32(p[4*i+1]) << 16 | UInt32(p[4*i+2]) << 8 | UInt32(p[4*i+3])
                }
                for i in 16..<64 {
                    let s0 = SHA256.rotr(w[i-15], 7) ^ SHA256.rotr(w[i-15], 18) ^ (w[i-15] >> 3)
                    let s1 = SHA256.rotr(w[i-2], 17) ^ SHA256.rotr(w[i-2], 19) ^ (w[i-2] >> 10)
                    w[i] = w[i-16] &+ s0 &+ w[i-7] &+ s1
                }
                var a = hh8[0], b = hh8[1], c = hh8[2], d = hh8[3], e = hh8[4], f = hh8[5], g = hh8[6], hh = hh8[7]
                SHA256.k.withUnsafeBufferPointer { k in
                    for i in 0..<64 {
                        let S1 = SHA256.rotr(e, 6) ^ SHA256.rotr(e, 11) ^ SHA256.rotr(e, 25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = hh &+ S1 &+ ch &+ k[i] &+ w[i]
                        let S0 = SHA256.rotr(a, 2) ^ SHA256.rotr(a, 13) ^ SHA256.rotr(a, 22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = S0 &+ maj
                        hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                    }
                }
                hh8[0] &+= a; hh8[1] &+= b; hh8[2] &+= c; hh8[3] &+= d; hh8[4] &+= e; hh8[5] &+= f; hh8[6] &+= g; hh8[7] &+= hh
            }
        }
    }

    public static func hash(_ data: [UInt8]) -> [UInt8] { var s = SHA256(); s.update(data); return s.finalize() }
    public static func hex(_ data: [UInt8]) -> String { Hex.encode(hash(data)) }

    /// The hex digest of a file, read in 1 MiB pieces.
    public static func hexOfFile(_ path: String) throws -> String {
        guard let fh = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        defer { try? fh.close() }
        var s = SHA256()
        while let d = try fh.read(upToCount: 1 << 20), !d.isEmpty {
            d.withUnsafeBytes { s.update($0.bindMemory(to: UInt8.self)) }
        }
        return Hex.encode(s.finalize())
    }
}

public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        var inner = SHA256(); inner.update(k.map { $0 ^ 0x36 }); inner.update(message)
        var outer = SHA256(); outer.update(k.map { $0 ^ 0x5c }); outer.update(inner.finalize())
        return outer.finalize()
    }

    /// Compares without an early exit (no timing leak of the prefix).
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in 0..<a.count { d |= a[i] ^ b[i] }
        return d == 0
    }
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
