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

    public struct Upload: Equatable, Sendable {
        public var id: String
        public var job: Int
        public var fence: Int
        public var size: Int
        public var sha256: String
        public var received: Int
        /// A named file of the job (`label_sheet.png`) instead of its checkpoint.
        public var artifact: String? = nil

        /// Names a job may upload files under: 1-40 of [a-z0-9_], then .png, .svg or .json.
        public static func validArtifactName(_ s: String) -> Bool {
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, ["png", "svg", "json"].contains(String(parts[1])), (1...40).contains(parts[0].count) else { return false }
            return parts[0].allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
        }
        /// Files other than checkpoints are small.
        public static let maxArtifactBytes = 16 << 20
    }

    /// The largest label-cache entry `label_put` takes (one frame; a
    /// 1024-px label map is about 100 KB compressed).
    public static let maxLabelBytes = 512 << 10
    /// The largest cell a claim may ask for (`fuse`).
    public static let maxFuse = 16

    public enum Action: Equatable {
        /// A reply; write `frame(_:)` of it.
        case send(Message)
        /// A validated request for the daemon to carry out and answer (reply id `id`).
        case dispatch(Request, id: Int?, worker: String)
        /// Checkpoint bytes to append to upload `id` (already sequence-checked).
        case appendUpload(ServerMachine.Upload, [UInt8], msgID: Int?)
        case close
    }

    public private(set) var state: State = .awaitingHello
    /// The protocol version agreed in the handshake (0 before it).
    public private(set) var version = 0
    /// The authenticated worker's name (kept after the connection closes).
    public private(set) var workerName: String?
    public let nonce: String
    let secret: [UInt8]
    var decoder: FrameDecoder
    /// Set by a valid hello: every later frame in and out is authenticated.
    var sealer: FrameSealer?
    var opener: FrameOpener?
    public let leaseSeconds: Double
    public let heartbeatSeconds: Double
    public let maxUpload: Int

    public init(secret: [UInt8], nonce: String = Hex.random(16), maxFrame: Int = Framing.defaultMaxFrame,
                leaseSeconds: Double = 60, heartbeatSeconds: Double = 10, maxUpload: Int = 8 << 30) {
        self.secret = secret; self.nonce = nonce
        decoder = FrameDecoder(maxFrame: maxFrame)
        self.leaseSeconds = leaseSeconds; self.heartbeatSeconds = heartbeatSeconds; self.maxUpload = maxUpload
    }

    /// Whether frames are authenticated now (after a valid hello).
    public var authenticated: Bool { sealer != nil }

    /// The bytes that send `m` on this connection: a plain frame before the
    /// handshake, a sealed one (the next sequence number) after it. Call it
    /// once per message, in the order the messages are written.
    public mutating func frame(_ m: Message) -> [UInt8] {
        let payload = m.encoded()
        guard var s = sealer else { return Framing.encode(payload) }
        defer { sealer = s }
        return Framing.encode(s.seal(payload))
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
            guard var frame else { break }
            if var o = opener {
                do { frame = try o.open(frame) } catch {
                    return actions + fail(.badMAC, "\(error); closing the connection")
                }
                opener = o
            }
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
                return fail(.unsupportedVersion, "protocol version \(msg.version.map(String.init) ?? "none") is not supported; this coordinator speaks \(ProtocolVersion.supported): run a worker built from the same release as the coordinator", id: msg.id)
            }
            guard let cn = msg.nonce, let worker = msg.worker, let mac = msg.mac, !worker.isEmpty, cn.count >= 16 else {
                return fail(.malformed, "hello needs version, nonce (>= 16 hex digits), worker and mac", id: msg.id)
            }
            guard Handshake.matches(mac, Handshake.clientMAC(secret: secret, serverNonce: nonce, clientNonce: cn, worker: worker, version: v)) else {
                return fail(.authFailed, "authentication failed: the shared secret differs (copy the coordinator's expr/secret)", id: msg.id)
            }
            state = .ready(worker: worker, upload: nil)
            workerName = worker
            version = v
            (sealer, opener) = SessionKeys.derive(secret: secret, serverNonce: nonce, clientNonce: cn, worker: worker, version: v).server
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
        func lease() -> LeaseRef? { msg.job.flatMap { j in msg.fence.map { LeaseRef(job: j, fence: $0) } } }
        func dispatch(_ r: Request) -> [Action] { [.dispatch(r, id: msg.id, worker: worker)] }
        func validLimit(_ n: Int?) -> Int? { n.flatMap { (0...1000).contains($0) ? $0 : nil } }
        func validFuse(_ n: Int?) -> Int? { n.map { (1...Self.maxFuse).contains($0) ? $0 : nil } ?? 1 }
        switch msg.type {
        case .hello:
            return fail(.outOfOrder, "hello after authentication", id: msg.id)
        case .bye:
            state = .closed
            return [.send(Message(.ok, id: msg.id)), .close]
        case .claim:
            guard let n = validLimit(msg.limit) else { return fail(.malformed, "claim needs limit in 0...1000", id: msg.id) }
            guard let f = validFuse(msg.fuse) else { return fail(.malformed, "claim's fuse must be in 1...\(Self.maxFuse)", id: msg.id) }
            return dispatch(.claim(limit: n, kinds: msg.kinds, fuse: f))
        case .heartbeat:
            guard let b = msg.beats, b.count <= 1000 else { return fail(.malformed, "heartbeat needs beats (at most 1000)", id: msg.id) }
            guard b.allSatisfy(\.logFits) else {
                return fail(.malformed, "a beat's log has more than \(Beat.maxLogLines) lines or a line over \(Beat.maxLogLineBytes) bytes", id: msg.id)
            }
            return dispatch(.heartbeat(b))
        case .metrics:
            guard let l = lease() else { return fail(.malformed, "metrics needs job and fence", id: msg.id) }
            return dispatch(.metrics(l, msg.metrics ?? [:]))
        case .complete:
            guard let l = lease() else { return fail(.malformed, "complete needs job and fence", id: msg.id) }
            return dispatch(.complete(l, metrics: msg.metrics ?? [:], provenance: msg.provenance ?? [:]))
        case .release:
            guard let l = lease() else { return fail(.malformed, "release needs job and fence", id: msg.id) }
            return dispatch(.release(l))
        case .completeClaim:
            guard let l = lease(), let n = validLimit(msg.limit), let f = validFuse(msg.fuse) else {
                return fail(.malformed, "complete_claim needs job, fence, limit in 0...1000 and fuse (if given) in 1...\(Self.maxFuse)", id: msg.id)
            }
            return dispatch(.completeClaim(l, metrics: msg.metrics ?? [:], provenance: msg.provenance ?? [:], limit: n, kinds: msg.kinds,
                                           fuse: f))
        case .fail:
            guard let l = lease(), let text = msg.message else { return fail(.malformed, "fail needs job, fence and message", id: msg.id) }
            return dispatch(.fail(l, message: text, retryable: msg.retryable ?? false))
        case .ckptGet:
            guard let l = lease(), let off = msg.offset, off >= 0 else { return fail(.malformed, "ckpt_get needs job, fence and offset", id: msg.id) }
            return dispatch(.checkpointGet(l, offset: off, dependency: msg.of))
        case .ckptBegin:
            if let open = upload { return fail(.outOfOrder, "ckpt_begin while upload \(open.id) is open", id: msg.id) }
            guard let l = lease(), let size = msg.size, size >= 0, size <= maxUpload,
                  let sha = msg.sha256, sha.count == 64, Hex.decode(sha) != nil else {
                return fail(.malformed, "ckpt_begin needs job, fence, size (<= \(maxUpload)) and a 64-digit sha256", id: msg.id)
            }
            if let a = msg.artifact {
                guard Upload.validArtifactName(a), size <= Upload.maxArtifactBytes else {
                    return fail(.malformed, "ckpt_begin artifact must be a name like label_sheet.png (1-40 of a-z, 0-9, _; .png, .svg or .json) of at most \(Upload.maxArtifactBytes) bytes", id: msg.id)
                }
            }
            let u = Upload(id: "\(l.job).\(l.fence).\(Hex.random(4))", job: l.job, fence: l.fence, size: size, sha256: sha.lowercased(),
                           received: 0, artifact: msg.artifact)
            state = .ready(worker: worker, upload: u)
            return dispatch(.checkpointBegin(u))
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
            guard u.received == u.size else {
                return fail(.outOfOrder, "ckpt_end after \(u.received) of \(u.size) bytes", id: msg.id)
            }
            return dispatch(.checkpointEnd(u))
        case .workerInfo:
            guard let i = msg.info, !i.host.isEmpty, i.host.utf8.count <= 255, (1...4096).contains(i.slots),
                  (i.slurmJobID?.utf8.count ?? 0) <= 64, (i.slurmArrayTaskID?.utf8.count ?? 0) <= 64,
                  (i.holding?.count ?? 0) <= 4096 else {
                return fail(.malformed, "worker_info needs info with host (1-255 bytes), slots (1-4096), Slurm ids of at most 64 bytes and at most 4096 held leases", id: msg.id)
            }
            return dispatch(.workerInfo(i))
        case .labelGet:
            guard let d = msg.label, DigestStore.isDigest(d) else {
                return fail(.malformed, "label_get needs label, a SHA-256 of 64 lowercase hex digits", id: msg.id)
            }
            return dispatch(.labelGet(digest: d))
        case .labelPut:
            guard let d = msg.label, DigestStore.isDigest(d),
                  let bytes = msg.data.flatMap({ Data(base64Encoded: $0) }), !bytes.isEmpty, bytes.count <= Self.maxLabelBytes else {
                return fail(.malformed, "label_put needs label (a SHA-256 of 64 lowercase hex digits) and base64 data of 1 to \(Self.maxLabelBytes) bytes", id: msg.id)
            }
            return dispatch(.labelPut(digest: d, bytes: [UInt8](bytes)))
        case .challenge, .welcome, .error, .ok, .jobs, .beatResults, .ckptChunk, .labelData:
            return fail(.unknownType, "'\(msg.type.rawValue)' is a server message", id: msg.id)
        }
    }
}
