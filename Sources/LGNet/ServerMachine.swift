// The server side of one connection as a pure state machine: bytes in,
// actions out. No sockets, no database: the daemon performs `.dispatch`
// requests against the store and writes `.send` replies.
import Foundation

public struct ServerMachine {
    public enum State: Equatable {
        /// Challenge sent; only `hello` is accepted.
        case awaitingHello
        /// Authenticated as `worker`; `upload` is the checkpoint upload in progress.
        case ready(worker: String, upload: Upload?)
        case closed
    }

    public struct Upload: Equatable {
        public var id: String
        public var job: Int
        public var fence: Int
        public var size: Int
        public var sha256: String
        public var received: Int
    }

    public enum Action: Equatable {
        case send(Message)
        /// An authenticated request for the daemon to carry out and answer.
        case dispatch(Message, worker: String)
        /// Checkpoint bytes to append to upload `id` (already sequence-checked).
        case appendUpload(ServerMachine.Upload, [UInt8], msgID: Int?)
        case close
    }

    public private(set) var state: State = .awaitingHello
    /// The upload closed by the last `ckpt_end` (for the daemon to verify).
    public private(set) var lastFinishedUpload: Upload?
    /// The protocol version agreed in the handshake (0 before it).
    public private(set) var version = 0
    public let nonce: String
    let secret: [UInt8]
    var decoder: FrameDecoder
    public let leaseSeconds: Double
    public let heartbeatSeconds: Double
    public let maxUpload: Int

    public init(secret: [UInt8], nonce: String = Hex.random(16), maxFrame: Int = Framing.defaultMaxFrame,
                leaseSeconds: Double = 60, heartbeatSeconds: Double = 10, maxUpload: Int = 8 << 30) {
        self.secret = secret; self.nonce = nonce
        decoder = FrameDecoder(maxFrame: maxFrame)
        self.leaseSeconds = leaseSeconds; self.heartbeatSeconds = heartbeatSeconds; self.maxUpload = maxUpload
    }

    /// The first message on a new connection.
    public func greeting() -> Message {
        var m = Message(.challenge)
        m.versions = ProtocolVersion.supported; m.nonce = nonce
        return m
    }

    /// Feeds received bytes; returns what to do, in order.
    public mutating func receive(_ bytes: [UInt8]) -> [Action] {
        guard state != .closed else { return [] }
        decoder.feed(bytes)
        var actions: [Action] = []
        while state != .closed {
            let frame: [UInt8]?
            do { frame = try decoder.next() } catch let e as FrameError {
                let code: ErrorCode = { if case .oversized = e { return .oversized }; return .badFrame }()
                return actions + fail(code, e.description)
            } catch { return actions + fail(.badFrame, "\(error)") }
            guard let frame else { break }
            actions += handle(frame)
        }
        return actions
    }

    /// Drops the open upload (the daemon refused it); the connection stays usable.
    public mutating func abort() {
        if case .ready(let w, _) = state { state = .ready(worker: w, upload: nil) }
    }

    /// The peer closed its end.
    public mutating func peerClosed() { state = .closed }

    mutating func fail(_ code: ErrorCode, _ text: String, id: Int? = nil) -> [Action] {
        state = .closed
        return [.send(.error(code, text, id: id)), .close]
    }

    mutating func handle(_ frame: [UInt8]) -> [Action] {
        guard let msg = try? Message.decode(frame) else {
            return fail(.malformed, "the frame is not a valid JSON message (see docs/protocol.md)")
        }
        switch state {
        case .closed:
            return []
        case .awaitingHello:
            guard msg.type == .hello else {
                return fail(.unauthenticated, "'\(msg.type.rawValue)' before authentication; send hello first", id: msg.id)
            }
            guard let v = msg.version, ProtocolVersion.supported.contains(v) else {
                return fail(.unsupportedVersion, "protocol version \(msg.version.map(String.init) ?? "none") is not supported; this coordinator speaks \(ProtocolVersion.supported)", id: msg.id)
            }
            guard let cn = msg.nonce, let worker = msg.worker, let mac = msg.mac, !worker.isEmpty, cn.count >= 16,
                  let got = Hex.decode(mac) else {
                return fail(.malformed, "hello needs version, nonce (>= 16 hex digits), worker and mac", id: msg.id)
            }
            let want = Hex.decode(Handshake.clientMAC(secret: secret, serverNonce: nonce, clientNonce: cn, worker: worker, version: v))!
            guard HMAC.equal(got, want) else {
                return fail(.authFailed, "authentication failed: the shared secret differs (copy the coordinator's expr/secret)", id: msg.id)
            }
            state = .ready(worker: worker, upload: nil)
            version = v
            var w = Message(.welcome, id: msg.id)
            w.version = v
            w.mac = Handshake.serverMAC(secret: secret, serverNonce: nonce, clientNonce: cn, version: v)
            w.leaseSeconds = leaseSeconds; w.heartbeatSeconds = heartbeatSeconds
            return [.send(w)]
        case .ready(let worker, let upload):
            return ready(msg, worker: worker, upload: upload)
        }
    }

    mutating func ready(_ msg: Message, worker: String, upload: Upload?) -> [Action] {
        switch msg.type {
        case .hello:
            return fail(.outOfOrder, "hello after authentication", id: msg.id)
        case .bye:
            state = .closed
            return [.send(Message(.ok, id: msg.id)), .close]
        case .claim:
            guard let n = msg.limit, n >= 0, n <= 1000 else { return fail(.malformed, "claim needs limit in 0...1000", id: msg.id) }
            return [.dispatch(msg, worker: worker)]
        case .heartbeat:
            guard let b = msg.beats, b.count <= 1000 else { return fail(.malformed, "heartbeat needs beats", id: msg.id) }
            return [.dispatch(msg, worker: worker)]
        case .metrics, .complete, .release:
            guard msg.job != nil, msg.fence != nil else { return fail(.malformed, "\(msg.type.rawValue) needs job and fence", id: msg.id) }
            return [.dispatch(msg, worker: worker)]
        case .completeClaim:
            guard version >= 2 else { return fail(.unknownType, "complete_claim needs protocol version 2 (this connection speaks \(version))", id: msg.id) }
            guard msg.job != nil, msg.fence != nil, let n = msg.limit, n >= 0, n <= 1000 else {
                return fail(.malformed, "complete_claim needs job, fence and limit in 0...1000", id: msg.id)
            }
            return [.dispatch(msg, worker: worker)]
        case .fail:
            guard msg.job != nil, msg.fence != nil, msg.message != nil else { return fail(.malformed, "fail needs job, fence and message", id: msg.id) }
            return [.dispatch(msg, worker: worker)]
        case .ckptGet:
            guard msg.job != nil, let off = msg.offset, off >= 0 else { return fail(.malformed, "ckpt_get needs job and offset", id: msg.id) }
            return [.dispatch(msg, worker: worker)]
        case .ckptBegin:
            guard upload == nil else { return fail(.outOfOrder, "ckpt_begin while upload \(upload!.id) is open", id: msg.id) }
            guard let job = msg.job, let fence = msg.fence, let size = msg.size, size >= 0, size <= maxUpload,
                  let sha = msg.sha256, sha.count == 64, Hex.decode(sha) != nil else {
                return fail(.malformed, "ckpt_begin needs job, fence, size (<= \(maxUpload)) and a 64-digit sha256", id: msg.id)
            }
            let u = Upload(id: "\(job).\(fence).\(Hex.random(4))", job: job, fence: fence, size: size, sha256: sha.lowercased(), received: 0)
            state = .ready(worker: worker, upload: u)
            var m = msg; m.upload = u.id
            return [.dispatch(m, worker: worker)]
        case .ckptData:
            guard let u = upload, msg.upload == u.id else { return fail(.outOfOrder, "ckpt_data without a matching ckpt_begin", id: msg.id) }
            guard msg.offset == u.received else {
                return fail(.outOfOrder, "ckpt_data at offset \(msg.offset.map(String.init) ?? "none"), expected \(u.received)", id: msg.id)
            }
            guard let d = msg.data.flatMap({ Data(base64Encoded: $0) }), u.received + d.count <= u.size else {
                return fail(.malformed, "ckpt_data needs base64 data within the announced size", id: msg.id)
            }
            var nu = u; nu.received += d.count
            state = .ready(worker: worker, upload: nu)
            return [.appendUpload(u, [UInt8](d), msgID: msg.id)]
        case .ckptEnd:
            guard let u = upload, msg.upload == u.id else { return fail(.outOfOrder, "ckpt_end without a matching ckpt_begin", id: msg.id) }
            state = .ready(worker: worker, upload: nil)
            lastFinishedUpload = u
            guard u.received == u.size else {
                return fail(.outOfOrder, "ckpt_end after \(u.received) of \(u.size) bytes", id: msg.id)
            }
            return [.dispatch(msg, worker: worker)]
        case .challenge, .welcome, .error, .ok, .jobs, .beatResults, .ckptChunk:
            return fail(.unknownType, "'\(msg.type.rawValue)' is a server message", id: msg.id)
        }
    }
}
