// The client side: connect, authenticate (mutual HMAC challenge, then
// per-frame tags: FrameAuth.swift), then
// synchronous request/reply. Thread-safe: one request at a time.
import Foundation
import Synchronization
import LGWire

public enum ClientError: Error, CustomStringConvertible {
    case server(ErrorCode, String)
    case protocolViolation(String)
    case serverNotAuthenticated

    public var description: String {
        switch self {
        case .server(let c, let m): return "coordinator error \(c.rawValue): \(m)"
        case .protocolViolation(let m): return "protocol violation: \(m)"
        case .serverNotAuthenticated: return "the coordinator did not prove it knows the shared secret"
        }
    }
}

/// Requests are serialised by `nextID`'s `Mutex` (the connection, its sealer
/// and opener are used while it is held), so threads may share a client.
public final class QueueClient: @unchecked Sendable {
    public let connection: MessageConnection
    public let worker: String
    public private(set) var leaseSeconds: Double = 60
    public private(set) var heartbeatSeconds: Double = 10
    /// The protocol version agreed with the coordinator.
    public private(set) var version = ProtocolVersion.current
    private let nextID = Mutex(1)

    /// Connects to `address` ("HOST:PORT") and authenticates as `worker`.
    public init(address: String, secret: [UInt8], worker: String, timeout: Double = 10) throws {
        let (host, port) = try Socket.parse(address)
        let s = try Socket.connect(host: host, port: port, timeout: timeout)
        s.setTimeouts(send: timeout, receive: timeout)
        connection = MessageConnection(socket: s)
        self.worker = worker
        let ch = try connection.receive()
        guard ch.type == .challenge, let sn = ch.nonce else {
            if ch.type == .error { throw ClientError.server(ch.code ?? .internalError, ch.message ?? "") }
            throw ClientError.protocolViolation("expected challenge, got \(ch.type.rawValue)")
        }
        guard let version = (ch.versions ?? []).filter({ ProtocolVersion.supported.contains($0) }).max() else {
            throw ClientError.protocolViolation("the coordinator speaks protocol versions \(ch.versions ?? []), this worker \(ProtocolVersion.supported): run a worker built from the same release as the coordinator")
        }
        let cn = Hex.random(16)
        var hello = Message(.hello, id: 0)
        hello.version = version; hello.nonce = cn; hello.worker = worker
        hello.mac = Handshake.clientMAC(secret: secret, serverNonce: sn, clientNonce: cn, worker: worker, version: version)
        try connection.send(hello)
        // The welcome is the server's first sealed frame: opening it proves the
        // coordinator derived the same keys, so it knows the secret. A refusal
        // comes as a plain error frame.
        let (sealer, opener) = SessionKeys.derive(secret: secret, serverNonce: sn, clientNonce: cn, worker: worker, version: version).client
        let raw = try connection.receiveFrame()
        var o = opener
        guard let body = try? o.open(raw) else {
            if let e = try? Message.decode(raw), e.type == .error { throw ClientError.server(e.code ?? .internalError, e.message ?? "") }
            throw ClientError.serverNotAuthenticated
        }
        let w = try Message.decode(body)
        if w.type == .error { throw ClientError.server(w.code ?? .internalError, w.message ?? "") }
        guard w.type == .welcome, let mac = w.mac,
              Handshake.matches(mac, Handshake.serverMAC(secret: secret, serverNonce: sn, clientNonce: cn, version: version)) else {
            throw ClientError.serverNotAuthenticated
        }
        connection.authenticate(sealer: sealer, opener: o)
        self.version = version
        leaseSeconds = w.leaseSeconds ?? 60
        heartbeatSeconds = w.heartbeatSeconds ?? 10
    }

    /// Sends `m` and waits for its reply. An `error` reply throws.
    public func request(_ m: Message) throws -> Message {
        try nextID.withLock { id in
            var m = m
            m.id = id; id += 1
            try connection.send(m)
            let r = try connection.receive()
            if r.type == .error { throw ClientError.server(r.code ?? .internalError, r.message ?? "") }
            guard r.id == m.id else { throw ClientError.protocolViolation("reply id \(r.id ?? -1) for request \(m.id ?? -1)") }
            return r
        }
    }

    /// Tells the coordinator where this worker runs (shown by `coordinator workers`).
    public func announce(_ info: WorkerInfo) throws {
        var m = Message(.workerInfo); m.info = info
        _ = try request(m)
    }

    public func close() {
        _ = try? request(Message(.bye))
        connection.socket.close()
    }

    // MARK: typed helpers

    /// `fuse`: each job may bring up to `fuse - 1` queued jobs of its cell, listed after it.
    public func claim(limit: Int, kinds: [String]?, fuse: Int = 1) throws -> [ClaimedJob] {
        var m = Message(.claim); m.limit = limit; m.kinds = kinds; m.fuse = fuse > 1 ? fuse : nil
        return try request(m).jobs ?? []
    }

    public func heartbeat(_ beats: [Beat]) throws -> [LeaseReply] {
        var m = Message(.heartbeat); m.beats = beats
        return try request(m).results ?? []
    }

    private func leaseRequest(_ m: Message) throws -> LeaseReply {
        let r = try request(m)
        return LeaseReply(job: r.job ?? m.job ?? 0, r.outcome == "ok" ? .ok : r.outcome == "cancelled" ? .cancelled : .stale(r.message ?? "stale"))
    }

    public func complete(job: Int, fence: Int, metrics: [String: Double],
                         provenance: [String: String] = [:]) throws -> LeaseReply {
        var m = Message(.complete); m.job = job; m.fence = fence; m.metrics = metrics
        m.provenance = provenance.isEmpty ? nil : provenance
        return try leaseRequest(m)
    }

    /// Completes `job` and claims up to `limit` more in one round trip
    /// (`complete_claim`; one transaction on the server).
    public func completeAndClaim(job: Int, fence: Int, metrics: [String: Double], provenance: [String: String] = [:],
                                 limit: Int, kinds: [String]?, fuse: Int = 1) throws -> (LeaseReply, [ClaimedJob]) {
        var m = Message(.completeClaim); m.job = job; m.fence = fence; m.metrics = metrics; m.limit = limit; m.kinds = kinds
        m.fuse = fuse > 1 ? fuse : nil
        m.provenance = provenance.isEmpty ? nil : provenance
        let r = try request(m)
        let o: LeaseOutcome = r.outcome == "ok" ? .ok : r.outcome == "cancelled" ? .cancelled : .stale(r.message ?? "stale")
        return (LeaseReply(job: r.job ?? job, o), r.jobs ?? [])
    }

    public func metrics(job: Int, fence: Int, metrics: [String: Double]) throws -> LeaseReply {
        var m = Message(.metrics); m.job = job; m.fence = fence; m.metrics = metrics
        return try leaseRequest(m)
    }

    public func fail(job: Int, fence: Int, error: String, retryable: Bool) throws -> LeaseReply {
        var m = Message(.fail); m.job = job; m.fence = fence; m.message = error; m.retryable = retryable
        return try leaseRequest(m)
    }

    public func release(job: Int, fence: Int) throws -> LeaseReply {
        var m = Message(.release); m.job = job; m.fence = fence
        return try leaseRequest(m)
    }

    /// Uploads a checkpoint file in chunks; the server verifies the sha256
    /// and stores it atomically.
    /// With `artifact`, the file is stored as that named file of the job (`label_sheet.png`) instead of its checkpoint.
    public func uploadCheckpoint(job: Int, fence: Int, path: String, artifact: String? = nil, chunk: Int = 192 * 1024) throws -> LeaseReply {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var b = Message(.ckptBegin); b.job = job; b.fence = fence; b.size = data.count; b.sha256 = SHA256Hex.of(data)
        b.artifact = artifact
        let r = try request(b)
        if r.outcome != nil && r.outcome != "ok" {
            return LeaseReply(job: job, r.outcome == "cancelled" ? .cancelled : .stale(r.message ?? "stale"))
        }
        guard let up = r.upload else { throw ClientError.protocolViolation("ckpt_begin reply without upload id") }
        var off = 0
        while off < data.count {
            let end = min(data.count, off + chunk)
            var d = Message(.ckptData); d.upload = up; d.offset = off
            d.data = Data(data[off..<end]).base64EncodedString()
            _ = try request(d)
            off = end
        }
        var e = Message(.ckptEnd); e.upload = up
        return try leaseRequest(e)
    }

    /// The coordinator's label-cache entry `digest`, nil when it has none.
    public func labelGet(digest: String) throws -> [UInt8]? {
        var m = Message(.labelGet); m.label = digest
        let r = try request(m)
        guard r.type == .labelData else { throw ClientError.protocolViolation("label_get answered with \(r.type.rawValue)") }
        guard let s = r.data else { return nil }
        guard let d = Data(base64Encoded: s) else { throw ClientError.protocolViolation("label_data is not base64") }
        return [UInt8](d)
    }

    /// Offers a label-cache entry to the coordinator.
    public func labelPut(digest: String, bytes: [UInt8]) throws {
        var m = Message(.labelPut); m.label = digest; m.data = Data(bytes).base64EncodedString()
        _ = try request(m)
    }

    /// Downloads job's latest checkpoint to `path`, verifying its sha256.
    /// With `of`, downloads the checkpoint of that job instead, which must be
    /// a dependency of `job` (the lease holder).
    public func downloadCheckpoint(job: Int, fence: Int, expected: Artifact, to path: String, of dependency: Int? = nil) throws {
        var out = [UInt8](); out.reserveCapacity(expected.size)
        while out.count < expected.size || (expected.size == 0 && out.isEmpty && false) {
            var g = Message(.ckptGet); g.job = job; g.fence = fence; g.offset = out.count; g.of = dependency
            let r = try request(g)
            guard let s = r.data, let d = Data(base64Encoded: s), !d.isEmpty else {
                throw ClientError.protocolViolation("empty checkpoint chunk at \(out.count)")
            }
            out += d
            if r.last == true { break }
        }
        guard SHA256Hex.of(out) == expected.sha256 else {
            throw ClientError.server(.checksum, "downloaded checkpoint does not match its sha256")
        }
        let tmp = path + ".part"
        try Data(out).write(to: URL(fileURLWithPath: tmp))
        _ = rename(tmp, path)
    }
}
