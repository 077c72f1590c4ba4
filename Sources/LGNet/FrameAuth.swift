// Per-frame authentication (protocol version 3, docs/protocol.md "Frames").
//
// After the handshake both sides derive two session keys with HKDF-SHA256
// from the shared secret and both nonces, one per direction. Every later
// frame's payload is the JSON message followed by a 32-byte tag,
// HMAC-SHA256(direction key, 8-byte big-endian sequence number || JSON),
// where the sequence number counts that direction's sealed frames from 0
// and is never sent. An altered, replayed, reordered, dropped or injected
// frame therefore fails its tag, and the receiver closes the connection.
import Foundation
import Crypto

/// The two keys of one authenticated connection.
public struct SessionKeys {
    public let clientToServer: SymmetricKey
    public let serverToClient: SymmetricKey

    /// HKDF-SHA256 over the shared secret; the salt binds the version, both
    /// nonces and the worker name, the info string the direction.
    public static func derive(secret: [UInt8], serverNonce: String, clientNonce: String,
                              worker: String, version: Int) -> SessionKeys {
        let ikm = SymmetricKey(data: secret)
        let prefix = "\(ProtocolVersion.label)/\(version)"
        let salt = Array("\(prefix)|\(serverNonce)|\(clientNonce)|\(worker)".utf8)
        func key(_ direction: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: ikm, salt: salt,
                                   info: Array("\(prefix)|frames|\(direction)".utf8), outputByteCount: 32)
        }
        return SessionKeys(clientToServer: key("client->server"), serverToClient: key("server->client"))
    }

    /// The sealer and opener of the client side.
    public var client: (FrameSealer, FrameOpener) { (FrameSealer(key: clientToServer), FrameOpener(key: serverToClient)) }
    /// The sealer and opener of the server side.
    public var server: (FrameSealer, FrameOpener) { (FrameSealer(key: serverToClient), FrameOpener(key: clientToServer)) }
}

/// Why a sealed frame was refused.
public enum FrameAuthError: Error, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case badTag(sequence: UInt64)

    public var description: String {
        switch self {
        case .tooShort(let n): return "a \(n)-byte frame cannot carry a \(FrameAuth.tagSize)-byte authentication tag"
        case .badTag(let s):
            return "frame \(s) failed authentication (altered, replayed, reordered or injected on the way, or sent with another key)"
        }
    }
}

public enum FrameAuth {
    public static let tagSize = 32

    static func tag(_ key: SymmetricKey, _ sequence: UInt64, _ payload: some DataProtocol) -> [UInt8] {
        var h = HMAC<SHA256>(key: key)
        withUnsafeBytes(of: sequence.bigEndian) { h.update(data: $0) }
        h.update(data: payload)
        return Array(h.finalize())
    }

    /// Compares two byte strings in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in 0..<a.count { d |= a[i] ^ b[i] }
        return d == 0
    }
}

/// Appends the tag of the next outgoing frame.
public struct FrameSealer {
    let key: SymmetricKey
    public private(set) var sequence: UInt64 = 0

    public init(key: SymmetricKey) { self.key = key }

    public mutating func seal(_ payload: [UInt8]) -> [UInt8] {
        let t = FrameAuth.tag(key, sequence, payload)
        sequence += 1
        return payload + t
    }
}

/// Checks and strips the tag of the next incoming frame.
public struct FrameOpener {
    let key: SymmetricKey
    public private(set) var sequence: UInt64 = 0

    public init(key: SymmetricKey) { self.key = key }

    public mutating func open(_ frame: [UInt8]) throws -> [UInt8] {
        guard frame.count > FrameAuth.tagSize else { throw FrameAuthError.tooShort(frame.count) }
        let body = Array(frame[..<(frame.count - FrameAuth.tagSize)])
        let got = Array(frame[(frame.count - FrameAuth.tagSize)...])
        guard FrameAuth.constantTimeEqual(got, FrameAuth.tag(key, sequence, body)) else {
            throw FrameAuthError.badTag(sequence: sequence)
        }
        sequence += 1
        return body
    }
}
