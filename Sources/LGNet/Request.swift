// Requests as the daemon sees them: validated by ServerMachine, so every
// field a request needs is present and in range by construction.
import Foundation
import LGWire

/// A job's lease as a request names it: the job and the fencing token of
/// the attempt the sender holds.
public struct LeaseRef: Equatable, Sendable {
    public var job: Int
    public var fence: Int
    public init(job: Int, fence: Int) { self.job = job; self.fence = fence }
}

/// A validated, authenticated request (docs/protocol.md "Requests").
public enum Request: Equatable, Sendable {
    /// `fuse`: jobs per cell at most (1: no cell mates).
    case claim(limit: Int, kinds: [String]?, fuse: Int = 1)
    case heartbeat([Beat])
    case metrics(LeaseRef, [String: Double])
    case complete(LeaseRef, metrics: [String: Double], provenance: [String: String])
    /// `complete`, then `claim` up to `limit` jobs, in one transaction.
    case completeClaim(LeaseRef, metrics: [String: Double], provenance: [String: String], limit: Int, kinds: [String]?, fuse: Int = 1)
    case fail(LeaseRef, message: String, retryable: Bool)
    case release(LeaseRef)
    /// A checkpoint upload opened by the machine (its id is the machine's).
    case checkpointBegin(ServerMachine.Upload)
    /// An upload whose bytes all arrived: verify and store it.
    case checkpointEnd(ServerMachine.Upload)
    /// A chunk of the latest checkpoint of `lease.job`, or of `dependency`
    /// (which `lease.job` must need).
    case checkpointGet(LeaseRef, offset: Int, dependency: Int?)
    /// Where the worker runs: recorded in the workers table.
    case workerInfo(WorkerInfo)
    /// The label-cache entry named `digest`, if the coordinator keeps it.
    case labelGet(digest: String)
    /// An entry offered to the coordinator's label cache.
    case labelPut(digest: String, bytes: [UInt8])

    /// The wire name of the request, for logs.
    public var name: String {
        switch self {
        case .claim: return MessageType.claim.rawValue
        case .heartbeat: return MessageType.heartbeat.rawValue
        case .metrics: return MessageType.metrics.rawValue
        case .complete: return MessageType.complete.rawValue
        case .completeClaim: return MessageType.completeClaim.rawValue
        case .fail: return MessageType.fail.rawValue
        case .release: return MessageType.release.rawValue
        case .checkpointBegin: return MessageType.ckptBegin.rawValue
        case .checkpointEnd: return MessageType.ckptEnd.rawValue
        case .checkpointGet: return MessageType.ckptGet.rawValue
        case .workerInfo: return MessageType.workerInfo.rawValue
        case .labelGet: return MessageType.labelGet.rawValue
        case .labelPut: return MessageType.labelPut.rawValue
        }
    }
}
