// Protocol messages (docs/protocol.md). One flat Codable struct: `type`
// names the message, the fields it uses are listed per type in the doc;
// absent fields are omitted on the wire.
import Foundation
import Crypto
import LGWire

public enum ProtocolVersion {
    /// Versions this build speaks, newest last.
    /// Version 2 added `complete_claim` (complete one job and claim the next
    /// in one round trip and one transaction); version 3 authenticates every
    /// frame after the handshake (FrameAuth.swift). Versions 1 and 2 are
    /// refused: a peer that could fall back to them could be talked down to
    /// unauthenticated frames by whoever sits on the path.
    public static let supported = [3]
    public static let current = 3
    static let label = "lineargan-queue"
}

public enum MessageType: String, Codable, Sendable {
    // server -> client
    case challenge, welcome, error, ok, jobs, beatResults = "beat_results", ckptChunk = "ckpt_chunk"
    /// The answer to `label_get`: `data` holds the entry, absent when the coordinator has none.
    case labelData = "label_data"
    // client -> server
    case hello, claim, heartbeat, metrics, complete, fail, release
    /// Version 2: `complete` (job, fence, metrics) + `claim` (limit, kinds).
    case completeClaim = "complete_claim"
    case ckptBegin = "ckpt_begin", ckptData = "ckpt_data", ckptEnd = "ckpt_end", ckptGet = "ckpt_get", bye
    /// The worker describes itself (host, slots, Slurm ids) after the handshake.
    case workerInfo = "worker_info"
    /// The label cache's tier on the coordinator, for workers on other
    /// hosts: fetch / offer the entry named `label` (docs/protocol.md).
    case labelGet = "label_get", labelPut = "label_put"
}

/// Error codes carried by `error` messages.
public enum ErrorCode: String, Codable, Sendable {
    case badFrame = "bad_frame", oversized, malformed, unauthenticated, authFailed = "auth_failed"
    case unsupportedVersion = "unsupported_version", outOfOrder = "out_of_order", unknownType = "unknown_type"
    case checksum, notFound = "not_found", shuttingDown = "shutting_down", internalError = "internal"
    /// Protocol 3: a frame after the handshake failed its authentication tag.
    case badMAC = "bad_mac"
}

/// One heartbeat entry: a running job's progress.
public struct Beat: Codable, Sendable, Equatable {
    public var job: Int
    public var fence: Int
    public var progress: Double?
    public var rate: Double?
    public var note: String?
    /// Seconds left by the worker's own measure (absent: no estimate yet).
    public var eta: Double?
    /// The job's log lines (its process's stderr) since the last beat, for
    /// the dashboard's live tail; at most `Beat.maxLogLines` lines of at
    /// most `Beat.maxLogLineBytes` bytes.
    public var log: [String]?
    public init(job: Int, fence: Int, progress: Double? = nil, rate: Double? = nil, note: String? = nil, eta: Double? = nil,
                log: [String]? = nil) {
        self.job = job; self.fence = fence; self.progress = progress; self.rate = rate; self.note = note; self.eta = eta
        self.log = log
    }

    public static let maxLogLines = 500
    public static let maxLogLineBytes = 2000

    /// Whether the log fits the limits (the server refuses a beat that does not).
    public var logFits: Bool {
        guard let log else { return true }
        return log.count <= Self.maxLogLines && log.allSatisfy { $0.utf8.count <= Self.maxLogLineBytes }
    }
}

/// The server's answer about one lease: "ok", "stale" or "cancelled".
public struct LeaseReply: Codable, Sendable, Equatable {
    public var job: Int
    public var outcome: String
    public var message: String?
    public init(job: Int, _ o: LeaseOutcome) {
        self.job = job
        switch o {
        case .ok: outcome = "ok"
        case .stale(let m): outcome = "stale"; message = m
        case .cancelled: outcome = "cancelled"
        }
    }
}

public struct Message: Codable, Sendable, Equatable {
    public var type: MessageType
    /// Request id, echoed by the reply.
    public var id: Int?
    // handshake
    public var version: Int?
    public var versions: [Int]?
    public var nonce: String?
    public var worker: String?
    public var mac: String?
    public var leaseSeconds: Double?
    public var heartbeatSeconds: Double?
    // errors
    public var code: ErrorCode?
    public var message: String?
    // claim
    public var limit: Int?
    public var kinds: [String]?
    /// `claim` / `complete_claim`: each job handed out may bring up to
    /// `fuse - 1` queued jobs of its cell (fused cells); absent: 1.
    public var fuse: Int?
    public var jobs: [ClaimedJob]?
    // leases
    public var job: Int?
    public var fence: Int?
    public var beats: [Beat]?
    public var results: [LeaseReply]?
    public var outcome: String?
    public var metrics: [String: Double]?
    /// `complete` / `complete_claim`: text facts of the result, such as the
    /// predictor that labelled it (optional; older daemons ignore it).
    public var provenance: [String: String]?
    public var retryable: Bool?
    // checkpoints
    public var upload: String?
    /// On `ckpt_begin`: the upload is a named file of the job (`label_sheet.png`), not its checkpoint.
    public var artifact: String?
    public var size: Int?
    public var sha256: String?
    public var offset: Int?
    /// `ckpt_get` only: fetch the checkpoint of this job, a dependency of `job` .
    public var of: Int?
    public var data: String?
    public var last: Bool?
    // worker_info
    public var info: WorkerInfo?
    /// `label_get` / `label_put`: the entry's name, the SHA-256 (64 lowercase
    /// hex digits) of its label-cache key; its bytes go in `data` (base64).
    public var label: String?

    public init(_ type: MessageType, id: Int? = nil) { self.type = type; self.id = id }

    public static func error(_ code: ErrorCode, _ text: String, id: Int? = nil) -> Message {
        var m = Message(.error, id: id); m.code = code; m.message = text; return m
    }

    public static func lease(_ o: LeaseOutcome, job: Int, id: Int?) -> Message {
        var m = Message(.ok, id: id)
        let r = LeaseReply(job: job, o)
        m.job = job; m.outcome = r.outcome; m.message = r.message
        return m
    }

    static let encoder: JSONEncoder = { let e = JSONEncoder(); e.outputFormatting = [.withoutEscapingSlashes]; return e }()

    public func encoded() -> [UInt8] {
        (try? [UInt8](Message.encoder.encode(self))) ?? []
    }

    public func framed() -> [UInt8] { Framing.encode(encoded()) }

    public static func decode(_ payload: [UInt8]) throws -> Message {
        try JSONDecoder().decode(Message.self, from: Data(payload))
    }
}

/// The shared-secret MACs of the handshake (HMAC-SHA256, hex).
public enum Handshake {
    public static func clientMAC(secret: [UInt8], serverNonce: String, clientNonce: String, worker: String, version: Int) -> String {
        mac(secret, "\(ProtocolVersion.label)/\(version)|hello|\(serverNonce)|\(clientNonce)|\(worker)")
    }
    public static func serverMAC(secret: [UInt8], serverNonce: String, clientNonce: String, version: Int) -> String {
        mac(secret, "\(ProtocolVersion.label)/\(version)|welcome|\(serverNonce)|\(clientNonce)")
    }
    /// Whether `hex` is the MAC `expected` (constant time; false for non-hex text).
    public static func matches(_ hex: String, _ expected: String) -> Bool {
        guard let a = Hex.decode(hex), let b = Hex.decode(expected) else { return false }
        return FrameAuth.constantTimeEqual(a, b)
    }
    static func mac(_ secret: [UInt8], _ text: String) -> String {
        Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: secret))))
    }
}
