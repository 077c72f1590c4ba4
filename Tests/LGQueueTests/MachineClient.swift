import Foundation
@testable import LGNet

/// The client side of a ServerMachine conversation without sockets: makes
/// the hello and, after it, seals frames as a real client would.
struct MachineClient {
    let secret: [UInt8]
    let worker: String
    let nonce = String(repeating: "c", count: 32)
    var sealer: FrameSealer?
    var opener: FrameOpener?

    init(secret: [UInt8], worker: String = "w1") { self.secret = secret; self.worker = worker }

    /// A hello frame for `m`; with the machine's secret it also derives this
    /// client's session keys.
    mutating func hello(_ m: ServerMachine, version: Int = ProtocolVersion.current, secret other: [UInt8]? = nil) -> [UInt8] {
        var h = Message(.hello, id: 0)
        h.version = version; h.nonce = nonce; h.worker = worker
        h.mac = Handshake.clientMAC(secret: other ?? secret, serverNonce: m.nonce, clientNonce: nonce, worker: worker, version: version)
        (sealer, opener) = SessionKeys.derive(secret: secret, serverNonce: m.nonce, clientNonce: nonce, worker: worker, version: version).client
        return h.framed()
    }

    /// `msg` as this client sends it (sealed after the hello).
    mutating func frame(_ msg: Message) -> [UInt8] {
        guard var s = sealer else { return msg.framed() }
        defer { sealer = s }
        return Framing.encode(s.seal(msg.encoded()))
    }

    /// A raw JSON text as a sealed frame.
    mutating func frame(text: String) -> [UInt8] {
        guard var s = sealer else { return Framing.encode(Array(text.utf8)) }
        defer { sealer = s }
        return Framing.encode(s.seal(Array(text.utf8)))
    }

    /// Opens a frame the machine produced with `frame(_:)`.
    mutating func open(_ bytes: [UInt8]) throws -> Message {
        var d = FrameDecoder()
        d.feed(bytes)
        guard var f = try d.next() else { throw FrameError.empty }
        if var o = opener { f = try o.open(f); opener = o }
        return try Message.decode(f)
    }
}
