// What the daemon counts for the dashboard's /metrics: an injected sink, so
// the daemon does not depend on the HTTP side (LGDashboard.QueueCounters
// implements it; `coordinator serve` wires the two).
import Foundation

/// Called from the connection and rescuer threads; implementations lock.
public protocol DaemonMetrics: AnyObject, Sendable {
    /// A claim request handed out `jobs` jobs (maybe 0) after `seconds` in the store.
    func claimed(jobs: Int, seconds: Double)
    /// A job completed (its lease was live).
    func completed()
    /// A worker reported a failed attempt; `requeued`: the job went back to the queue.
    func failed(requeued: Bool)
    /// A lease ran out; `requeued`: the job went back to the queue (else it failed).
    func leaseExpired(requeued: Bool)
    /// Checkpoint bytes received.
    func uploaded(bytes: Int)
    /// A `label_get` answered from the coordinator's label-cache copy (`hit`) or not.
    func labelServed(hit: Bool)
    /// A `label_put` entry stored (bytes written).
    func labelStored(bytes: Int)
}
