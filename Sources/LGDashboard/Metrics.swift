// /metrics in the Prometheus text exposition format (version 0.0.4),
// written by hand: gauges read from the store at scrape time (jobs by grid
// and state, connected workers, slots) and counters the daemon increments
// through `DaemonMetrics` (claims, completions, failures, retries, lease
// expiries, the claim-latency histogram, upload bytes). The counters live
// in this process: they restart from zero with the coordinator.
import Foundation
import Synchronization
import LGStore

/// The daemon's counters (thread-safe: one `Mutex` holds them all).
public final class QueueCounters: Sendable {
    /// Upper bounds (seconds) of the claim-latency histogram's buckets.
    public static let latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    private let state = Mutex(Snapshot())

    public init() {}

    public func claimed(jobs: Int, seconds: Double) {
        state.withLock { s in
            s.claimRequests += 1; s.claimedJobs += jobs
            s.latencySum += seconds; s.latencyCount += 1
            if let i = Self.latencyBuckets.firstIndex(where: { seconds <= $0 }) { s.latencyCounts[i] += 1 }
        }
    }
    public func completed() { state.withLock { $0.completions += 1 } }
    public func failed(requeued: Bool) { state.withLock { $0.failures += 1; if requeued { $0.retries += 1 } } }
    public func leaseExpired(requeued: Bool) { state.withLock { $0.leaseExpiries += 1; if requeued { $0.retries += 1 } } }
    public func uploaded(bytes: Int) { state.withLock { $0.uploadBytes += bytes } }
    public func labelServed(hit: Bool) { state.withLock { if hit { $0.labelHits += 1 } else { $0.labelMisses += 1 } } }
    public func labelStored(bytes: Int) { state.withLock { $0.labelPuts += 1; $0.labelBytes += bytes } }
    /// A job put back in the queue by hand (the dashboard's retry).
    public func retried() { state.withLock { $0.retries += 1 } }

    struct Snapshot: Sendable {
        var claimRequests = 0, claimedJobs = 0, completions = 0, failures = 0, retries = 0, leaseExpiries = 0, uploadBytes = 0
        var labelHits = 0, labelMisses = 0, labelPuts = 0, labelBytes = 0
        var latencyCounts = [Int](repeating: 0, count: QueueCounters.latencyBuckets.count), latencySum = 0.0, latencyCount = 0
    }

    func snapshot() -> Snapshot { state.withLock { $0 } }
}

enum Exposition {
    /// A label value escaped as the format requires (backslash, quote, newline).
    static func label(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    /// The whole exposition: store gauges now plus the counters.
    static func render(store: JobStore, counters: QueueCounters) throws -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        func sample(_ name: String, _ labels: [(String, String)], _ v: Double) {
            let l = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(label($0.1))\"" }.joined(separator: ",") + "}"
            out += "\(name)\(l) \(number(v))\n"
        }
        family("lg_jobs", "gauge", "Jobs in the queue database by grid and state.")
        for g in try store.gridSummaries() {
            for s in JobState.allCases { sample("lg_jobs", [("grid", g.grid), ("state", s.rawValue)], Double(g.count(s))) }
        }
        let workers = try store.workers().filter(\.connected)
        family("lg_workers_connected", "gauge", "Workers with an open connection.")
        sample("lg_workers_connected", [], Double(workers.count))
        family("lg_slots", "gauge", "Job slots of the connected workers.")
        sample("lg_slots", [], Double(workers.reduce(0) { $0 + $1.info.slots }))
        family("lg_slots_busy", "gauge", "Slots running a job (jobs in state running).")
        sample("lg_slots_busy", [], Double(try store.counts()[.running] ?? 0))

        let c = counters.snapshot()
        family("lg_claim_requests_total", "counter", "Claim requests answered (including empty ones).")
        sample("lg_claim_requests_total", [], Double(c.claimRequests))
        family("lg_claims_total", "counter", "Jobs handed to workers by claims.")
        sample("lg_claims_total", [], Double(c.claimedJobs))
        family("lg_completions_total", "counter", "Jobs completed with a live lease.")
        sample("lg_completions_total", [], Double(c.completions))
        family("lg_failures_total", "counter", "Failed attempts reported by workers.")
        sample("lg_failures_total", [], Double(c.failures))
        family("lg_retries_total", "counter", "Jobs put back in the queue after a failed attempt or an expired lease, or by a dashboard retry.")
        sample("lg_retries_total", [], Double(c.retries))
        family("lg_lease_expiries_total", "counter", "Leases that ran out without a heartbeat.")
        sample("lg_lease_expiries_total", [], Double(c.leaseExpiries))
        family("lg_upload_bytes_total", "counter", "Checkpoint bytes received from workers.")
        sample("lg_upload_bytes_total", [], Double(c.uploadBytes))
        family("lg_label_requests_total", "counter", "label_get requests by whether the coordinator's label-cache copy held the entry.")
        sample("lg_label_requests_total", [("result", "hit")], Double(c.labelHits))
        sample("lg_label_requests_total", [("result", "miss")], Double(c.labelMisses))
        family("lg_label_stored_total", "counter", "Label-cache entries workers offered that the coordinator stored.")
        sample("lg_label_stored_total", [], Double(c.labelPuts))
        family("lg_label_stored_bytes_total", "counter", "Bytes of those entries.")
        sample("lg_label_stored_bytes_total", [], Double(c.labelBytes))
        family("lg_claim_latency_seconds", "histogram", "Time the store took to answer a claim.")
        var cumulative = 0
        for (i, le) in QueueCounters.latencyBuckets.enumerated() {
            cumulative += c.latencyCounts[i]
            sample("lg_claim_latency_seconds_bucket", [("le", number(le))], Double(cumulative))
        }
        sample("lg_claim_latency_seconds_bucket", [("le", "+Inf")], Double(c.latencyCount))
        sample("lg_claim_latency_seconds_sum", [], c.latencySum)
        sample("lg_claim_latency_seconds_count", [], Double(c.latencyCount))
        return out
    }
}
