// The worker's connect loop: claims jobs for its slots, runs each in a child
// process, heartbeats progress, uploads checkpoints, reports results, and
// survives coordinator restarts (reconnect with backoff; results are kept
// and delivered if the lease is still valid).
import Foundation
import Synchronization
import LGWire
import LGNet
import Logging

public struct WorkerOptions {
    public var address: String
    public var secret: [UInt8]
    public var slots: Int
    public var name: String
    /// Local folder for job work directories.
    public var workRoot: String
    public var registry: JobRegistry
    /// The program to run as `PROGRAM exec-job --spec FILE` (default: this executable).
    public var executable: String
    /// Seconds between claims when the queue was empty.
    public var pollInterval = 1.0
    public var maxBackoff = 10.0
    /// Seconds to wait for jobs to checkpoint after SIGTERM before killing them.
    public var stopGrace = 30.0
    /// Print a live line per slot to stderr.
    public var showProgress = true
    /// Exit once the queue has nothing claimable and no job runs (tests, scripts).
    public var exitWhenIdle = false
    /// Memory the jobs may hold together (nil: no gating); see MemoryGate.swift.
    public var memoryBudget: UInt64?
    /// OPENBLAS_NUM_THREADS for each child (nil: cores / slots each; see
    /// `CorePlan`). The worker's own OPENBLAS_NUM_THREADS, when set, is what
    /// every child gets.
    public var corePlan: CorePlan?
    /// Where measured peaks persist between runs on this host (nil: memory only).
    public var memoryTablePath: String?
    /// Jobs of one cell (`KindTable.cellKey`: the same generator, predictor,
    /// seed and latent strategy) run together in one process, one generator
    /// and predictor pass per step for all of them, at most this many (1: never).
    public var fuse = 3
    /// Where the loop's events go (the per-slot progress lines stay plain stderr).
    public var logger = Logger(label: "worker")
    /// The secret file, handed to the job processes with the coordinator's
    /// address (LG_LABEL_SERVER, LG_LABEL_SERVER_SECRET) so that their label
    /// cache can share entries through the coordinator (QueueLabelRemote);
    /// nil: they do not. LG_LABEL_SERVER=off in the worker's environment
    /// turns it off too.
    public var secretPath: String?

    public init(address: String, secret: [UInt8], slots: Int, name: String, workRoot: String, registry: JobRegistry,
                executable: String = CommandLine.arguments[0]) {
        self.address = address; self.secret = secret; self.slots = slots; self.name = name
        self.workRoot = workRoot; self.registry = registry; self.executable = executable
    }
}

/// The loop's state belongs to the thread in `run()`; only `stopRequested`
/// is set from elsewhere (signal handlers); it is an `Atomic`.
public final class WorkerRunner: @unchecked Sendable {
    let opts: WorkerOptions
    var client: QueueClient?
    var slots: [Slot?]
    private let stopRequested = Atomic<Bool>(false)
    var backoff = 0.5
    var nextConnect = Date.distantPast
    var nextClaim = Date.distantPast
    var nextBeat = Date.distantPast
    var nextLine = Date.distantPast
    var heartbeatSeconds = 10.0
    var stopDeadline: Date?
    var sawEmptyQueue = false
    var memoryTable: PeakMemoryTable
    /// A claimed job did not fit beside the running ones: no claims until a slot frees.
    var waitingForMemory = false

    public init(options: WorkerOptions) {
        opts = options
        slots = Array(repeating: nil, count: max(1, options.slots))
        memoryTable = options.memoryTablePath.map(PeakMemoryTable.load) ?? PeakMemoryTable()
    }

    var corePlan: CorePlan {
        opts.corePlan ?? .fixed(threads: max(1, ProcessInfo.processInfo.activeProcessorCount / slots.count))
    }
    /// The threads of the running processes.
    var runningThreads: [Int] { slots.compactMap { $0?.threads } }

    public func requestStop() { stopRequested.store(true, ordering: .sequentiallyConsistent) }
    var stopping: Bool { stopRequested.load(ordering: .sequentiallyConsistent) }

    var logger: Logger { opts.logger }
    func log(_ s: String) { logger.info("\(s)") }

    /// Runs until stopped (SIGTERM) and every job is released or reported.
    public func run() {
        while true {
            let now = Date()
            if stopping && stopDeadline == nil {
                stopDeadline = now.addingTimeInterval(opts.stopGrace)
                log("stopping: asking \(slots.compactMap { $0 }.count) running jobs to checkpoint")
                for s in slots.compactMap({ $0 }) where s.process.isRunning { s.termSentAt = now; s.process.terminate() }
            }
            if let d = stopDeadline, now > d {
                for s in slots.compactMap({ $0 }) where s.process.isRunning { kill(s.process.processIdentifier, SIGKILL) }
            }
            ensureConnected(now)
            pumpSlots()
            if client != nil { deliver(now) }
            if client != nil && !stopping { claim(now) }
            if opts.showProgress && now >= nextLine { printLines(); nextLine = now.addingTimeInterval(2) }
            let busy = slots.contains { $0 != nil }
            if stopping && !busy { break }
            if stopping && client == nil && stopDeadline.map({ now > $0.addingTimeInterval(10) }) == true { break }
            if opts.exitWhenIdle && !busy && sawEmptyQueue { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        client?.close()
        log("stopped")
    }

    func ensureConnected(_ now: Date) {
        guard client == nil, now >= nextConnect else { return }
        do {
            let c = try QueueClient(address: opts.address, secret: opts.secret, worker: opts.name, timeout: 10)
            // The leases this worker holds: any other job leased to it was
            // claimed by a reply lost on the way, and goes back to the queue.
            try c.announce(WorkerInfo.current(slots: slots.count,
                                              holding: slots.compactMap { $0 }.flatMap { s in
                                                  s.members.filter { !$0.settled }.map { HeldLease(job: $0.job.id, fence: $0.job.fence) }
                                              }))
            client = c
            heartbeatSeconds = c.heartbeatSeconds
            backoff = 0.5
            nextBeat = now
            let slurm = ProcessInfo.processInfo.environment["SLURM_JOB_ID"].map { " (Slurm job \($0))" } ?? ""
            log("connected to \(opts.address)\(slurm)")
        } catch {
            let jitter = Double.random(in: 0...0.3) * backoff
            nextConnect = now.addingTimeInterval(backoff + jitter)
            logger.warning("cannot reach the coordinator at \(opts.address) (\(error)); retrying in \(String(format: "%.1f", backoff + jitter)) s")
            backoff = min(opts.maxBackoff, backoff * 2)
            if case ClientError.server(.authFailed, _)? = error as? ClientError { backoff = opts.maxBackoff }
        }
    }

    func disconnected(_ error: Error) {
        logger.warning("lost the coordinator (\(error)); jobs keep running, reconnecting")
        client?.connection.socket.close()
        client = nil
        nextConnect = Date().addingTimeInterval(backoff)
    }

    /// Applies child events and decides outcomes of finished children.
    func pumpSlots() {
        for case let s? in slots {
            s.apply(s.drainEvents())
            if s.members.contains(where: { $0.outcome == nil }) && s.finished {
                s.apply(s.drainEvents())
                s.decideAll(stopping: stopping)
            }
        }
    }

    /// Uploads checkpoints, sends heartbeats and reports outcomes.
    func deliver(_ now: Date) {
        guard let c = client else { return }
        do {
            for case let s? in slots {
                for m in s.members where !m.abandoned { try deliverFiles(m, of: s, client: c) }
            }
            if now >= nextBeat {
                nextBeat = now.addingTimeInterval(heartbeatSeconds)
                let live = slots.compactMap { $0 }.flatMap { s in s.members.filter { !$0.abandoned && $0.outcome == nil }.map { (s, $0) } }
                if !live.isEmpty {
                    let replies = try c.heartbeat(live.map { s, m in
                        let log = s.takeLog(for: m)
                        return Beat(job: m.job.id, fence: m.job.fence, progress: m.progress, rate: m.rate, note: m.note, eta: m.eta,
                                    log: log.isEmpty ? nil : log)
                    })
                    for r in replies where r.outcome != "ok" {
                        if let (s, m) = live.first(where: { $0.1.job.id == r.job }) { abandon(m, of: s, r) }
                    }
                }
            }
            for (i, slot) in slots.enumerated() {
                guard let s = slot else { continue }
                var next: [ClaimedJob] = []
                for m in s.members where !m.settled {
                    guard let o = m.outcome else { continue }
                    // The last report of the slot claims the job the freed slot takes
                    // next, in the same round trip (complete_claim).
                    let last = s.members.allSatisfy { $0 === m || $0.settled }
                    next += try report(o, of: m, in: s, claimNext: last && !stopping, client: c)
                }
                // Free once every job is settled and the process has exited.
                guard s.members.allSatisfy({ $0.settled && $0.outcome != nil }) else { continue }
                slots[i] = nil
                waitingForMemory = false
                for m in s.members { try? FileManager.default.removeItem(atPath: m.workDir) }
                // A fused process's peak is the cell's, not one job's.
                if !s.fused, case .complete? = s.members[0].outcome, let peak = s.peakBytes { remember(peak: peak, of: s.job) }
                if !next.isEmpty {
                    sawEmptyQueue = false
                    launchCells(next, slots: [i], client: c)
                }
            }
        } catch {
            disconnected(error)
        }
    }

    /// Uploads a job's new checkpoint, metric rows and named files.
    func deliverFiles(_ m: Slot.Member, of s: Slot, client c: QueueClient) throws {
        if let p = m.pendingCheckpoint {
            m.pendingCheckpoint = nil
            let r = try c.uploadCheckpoint(job: m.job.id, fence: m.job.fence, path: p)
            if r.outcome != "ok" { abandon(m, of: s, r) }
        }
        if !m.pendingMetrics.isEmpty, m.outcome == nil, !m.abandoned {
            let metrics = m.pendingMetrics
            m.pendingMetrics = [:]
            let r = try c.metrics(job: m.job.id, fence: m.job.fence, metrics: metrics)
            if r.outcome != "ok" { abandon(m, of: s, r) }
        }
        while !m.abandoned, !m.pendingArtifacts.isEmpty {
            let a = m.pendingArtifacts.removeFirst()
            let r = try c.uploadCheckpoint(job: m.job.id, fence: m.job.fence, path: a.path, artifact: a.name)
            if r.outcome != "ok" { abandon(m, of: s, r) }
        }
    }

    /// Reports a job's outcome; with `claimNext`, claims the slot's next
    /// jobs in the same round trip and returns them.
    func report(_ o: Slot.Outcome, of m: Slot.Member, in s: Slot, claimNext: Bool, client c: QueueClient) throws -> [ClaimedJob] {
        var next: [ClaimedJob] = []
        // The job's last log lines, while its lease still holds.
        let tail = s.takeLog(for: m, final: s.members.allSatisfy { $0 === m || $0.settled })
        if !tail.isEmpty { _ = try c.heartbeat([Beat(job: m.job.id, fence: m.job.fence, log: tail)]) }
        let r: LeaseReply
        switch o {
        case .complete(let result):
            // The final checkpoint (a finished job's state and result) is kept too.
            if let p = m.pendingCheckpoint { m.pendingCheckpoint = nil; _ = try c.uploadCheckpoint(job: m.job.id, fence: m.job.fence, path: p) }
            if claimNext {
                let (reply, jobs) = try c.completeAndClaim(job: m.job.id, fence: m.job.fence, metrics: result.metrics,
                                                           provenance: result.provenance,
                                                           limit: 1, kinds: opts.registry.kinds, fuse: opts.fuse)
                r = reply
                next = jobs
            } else {
                r = try c.complete(job: m.job.id, fence: m.job.fence, metrics: result.metrics, provenance: result.provenance)
            }
        case .fail(let e, let retry): r = try c.fail(job: m.job.id, fence: m.job.fence, error: e, retryable: retry)
        case .release:
            if let p = m.pendingCheckpoint { m.pendingCheckpoint = nil; _ = try c.uploadCheckpoint(job: m.job.id, fence: m.job.fence, path: p) }
            r = try c.release(job: m.job.id, fence: m.job.fence)
        }
        m.reported = true
        log(Self.report(job: m.job.id, o, r))
        return next
    }

    /// The log line of a delivered outcome: what happened to the job, then
    /// what the coordinator did with the report.
    static func report(job: Int, _ o: Slot.Outcome, _ r: LeaseReply) -> String {
        let what: String
        switch o {
        case .complete: what = "job \(job) done"
        case .fail(let e, let retryable):
            let reason = e.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "no reason given"
            what = "job \(job) \(retryable ? "crashed" : "failed"): \(reason)"
        case .release: what = "job \(job) released with its checkpoint"
        }
        switch r.outcome {
        case "ok":
            if case .fail(_, let retryable) = o {
                return what + "; reported to the coordinator (\(retryable ? "retried while attempts remain" : "permanent: not retried"))"
            }
            return what + "; reported to the coordinator"
        case "cancelled": return what + "; the coordinator had cancelled the job"
        default: return what + "; the coordinator refused the report (\(r.outcome)\(r.message.map { ": \($0)" } ?? ""))"
        }
    }

    func abandon(_ m: Slot.Member, of s: Slot, _ r: LeaseReply) {
        logger.warning("job \(m.job.id): lease \(r.outcome) (\(r.message ?? "")); stopping it")
        m.abandoned = true
        s.stop(m)
    }

    func claim(_ now: Date) {
        let free = slots.indices.filter { slots[$0] == nil }
        let cores = corePlan.freeCores(running: runningThreads)
        guard !free.isEmpty, cores > 0, now >= nextClaim, !waitingForMemory, let c = client else { return }
        do {
            let jobs = try c.claim(limit: min(free.count, cores), kinds: opts.registry.kinds, fuse: opts.fuse)
            if jobs.isEmpty { nextClaim = now.addingTimeInterval(opts.pollInterval); sawEmptyQueue = true; return }
            sawEmptyQueue = false
            launchCells(jobs, slots: free, client: c)
        } catch {
            disconnected(error)
        }
    }

    /// Starts claimed jobs in the free `slots`, one cell per slot (`CellGroups`).
    func launchCells(_ jobs: [ClaimedJob], slots free: [Int], client c: QueueClient) {
        let cells = CellGroups.group(jobs, size: opts.fuse)
        for (cell, i) in zip(cells, free) { launch(cell, slot: i, client: c) }
        // More cells than slots (the claim's jobs did not group as the coordinator grouped them): back to the queue.
        for cell in cells.dropFirst(free.count) {
            for j in cell { _ = try? c.release(job: j.id, fence: j.fence) }
        }
    }

    /// Starts a claimed cell (one job, or jobs of one cell) in slot `i` if
    /// its expected peak memory fits beside the running jobs'; a cell that
    /// does not fit runs its first job alone if that fits, and gives the
    /// others back. A job that does not fit goes back (release: no attempt
    /// counted) and nothing more is claimed until a slot frees. A job larger
    /// than the whole budget fails the attempt with what it needs.
    func launch(_ cell: [ClaimedJob], slot i: Int, client c: QueueClient) {
        var cell = cell
        // The sum of the jobs' estimates: an upper bound of the cell's (it holds one generator, not several).
        var needs = cell.map { memoryTable.estimate(kind: $0.kind, params: $0.params) }.reduce(0, +)
        if let budget = opts.memoryBudget {
            let running = slots.compactMap { $0?.expectedBytes }
            let fits: Bool
            if case .start = Admission.decide(needs: needs, running: running, budget: budget) { fits = true } else { fits = false }
            if cell.count > 1 && !fits {
                for j in cell.dropFirst() { _ = try? c.release(job: j.id, fence: j.fence) }
                log("jobs \(cell.dropFirst().map { String($0.id) }.joined(separator: ", ")) back to the queue: with job \(cell[0].id) they would need about \(ByteCount.text(needs)) beside the running jobs")
                cell = [cell[0]]
                needs = memoryTable.estimate(kind: cell[0].kind, params: cell[0].params)
            }
            let j = cell[0]
            switch Admission.decide(needs: needs, running: running, budget: budget) {
            case .start: break
            case .wait(let needs, let free):
                log("job \(j.id) (\(j.kind)) needs about \(ByteCount.text(needs)), \(ByteCount.text(free)) is free: back to the queue until a running job finishes")
                waitingForMemory = true
                _ = try? c.release(job: j.id, fence: j.fence)
                return
            case .tooLarge(let needs, let budget):
                let why = "needs about \(ByteCount.text(needs)) of memory at its peak; worker \(opts.name) may use \(ByteCount.text(budget)) (--memory-limit, else the host's memory or cgroup limit): run it on a larger host, or set the grid's memory_mb if the estimate is wrong"
                logger.warning("job \(j.id): \(why)")
                _ = try? c.fail(job: j.id, fence: j.fence, error: why, retryable: true)
                return
            }
        }
        // Its threads by its size where cores are counted (`--slots auto`):
        // none free (a paper-scale job took two) sends it back like memory.
        guard let threads = corePlan.threads(expectedBytes: needs, running: runningThreads) else {
            log("jobs \(cell.map { String($0.id) }.joined(separator: ", ")) back to the queue: every core is taken; claiming again when a job finishes")
            for j in cell { _ = try? c.release(job: j.id, fence: j.fence) }
            return
        }
        do { slots[i] = try start(cell, slot: i, client: c, expectedBytes: needs, threads: threads) } catch {
            for j in cell {
                logger.warning("job \(j.id): cannot start (\(error)); failing the attempt")
                _ = try? c.fail(job: j.id, fence: j.fence, error: "worker \(opts.name) could not start the job: \(error)", retryable: true)
            }
        }
    }

    /// Keeps a finished job's measured peak (the larger figure per key) for the next admissions, on disk.
    func remember(peak: UInt64, of j: ClaimedJob) {
        memoryTable.record(kind: j.kind, params: j.params, peakBytes: peak)
        if let p = opts.memoryTablePath {
            do { try memoryTable.save(p) } catch { logger.warning("cannot save the peak-memory table \(p): \(error)") }
        }
    }

    /// Prepares a job's folder: its resume checkpoint and its dependencies' ones, and its spec file.
    func prepare(_ j: ClaimedJob, client c: QueueClient) throws -> (dir: String, spec: String) {
        let dir = (opts.workRoot as NSString).appendingPathComponent("job-\(j.id)-f\(j.fence)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var resume: String?
        if let a = j.checkpoint {
            let p = (dir as NSString).appendingPathComponent("resume.ckpt")
            try c.downloadCheckpoint(job: j.id, fence: j.fence, expected: a, to: p)
            resume = p
            log("job \(j.id): resuming from a \(a.size)-byte checkpoint")
        }
        var deps: [String] = []
        for a in j.needs ?? [] {
            let p = (dir as NSString).appendingPathComponent("dependency-\(a.jobID).ckpt")
            try c.downloadCheckpoint(job: j.id, fence: j.fence, expected: a, to: p, of: a.jobID)
            deps.append(p)
        }
        var spec = JobSpec(id: j.id, key: j.key, grid: j.grid, kind: j.kind, params: j.params, attempt: j.attempt,
                           workDirectory: dir, resumeCheckpoint: resume)
        if !deps.isEmpty { spec.dependencyCheckpoints = deps }
        let specPath = (dir as NSString).appendingPathComponent("job.json")
        try JSONEncoder().encode(spec).write(to: URL(fileURLWithPath: specPath))
        return (dir, specPath)
    }

    /// Starts one process for `cell` (`exec-job --spec A [--spec B ...]`).
    func start(_ cell: [ClaimedJob], slot: Int, client c: QueueClient, expectedBytes: UInt64 = 0, threads: Int = 1) throws -> Slot {
        let prepared = try cell.map { try prepare($0, client: c) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: opts.executable)
        p.arguments = ["exec-job"] + prepared.flatMap { ["--spec", $0.spec] }
        var env = ProcessInfo.processInfo.environment
        if env["OPENBLAS_NUM_THREADS"] == nil { env["OPENBLAS_NUM_THREADS"] = String(threads) }
        if let sp = opts.secretPath, env["LG_LABEL_SERVER"] == nil {
            env["LG_LABEL_SERVER"] = opts.address
            env["LG_LABEL_SERVER_SECRET"] = sp
        }
        p.environment = env
        let out = Pipe(), err = Pipe()
        // A cell's process takes `cancel JOB` lines on stdin (one job's lease gone).
        var control: [Int32] = [-1, -1]
        if cell.count > 1 {
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &control) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        }
        p.standardOutput = out; p.standardError = err
        p.standardInput = cell.count > 1 ? FileHandle(fileDescriptor: control[1], closeOnDealloc: false) : FileHandle.nullDevice
        // The child has its own copy of its end (or none, on failure): ours are closed here.
        defer { if cell.count > 1 { close(control[1]) } }
        do { try p.run() } catch {
            if cell.count > 1 { close(control[0]) }
            throw error
        }
        let members = zip(cell, prepared).map { Slot.Member(job: $0, workDir: $1.dir) }
        let s = Slot(index: slot, members: members, process: p, control: cell.count > 1 ? control[0] : nil,
                     expectedBytes: expectedBytes, threads: threads)
        s.attach(stdout: out.fileHandleForReading, stderr: err.fileHandleForReading)
        if cell.count == 1 {
            log("job \(cell[0].id) (\(cell[0].kind), attempt \(cell[0].attempt)) started in slot \(slot) on \(threads) thread(s)")
        } else {
            log("jobs \(cell.map { String($0.id) }.joined(separator: ", ")) (\(cell[0].kind), one cell: one generator and predictor pass per step for all) started in slot \(slot) on \(threads) thread(s)")
        }
        return s
    }

    func printLines() {
        for (i, slot) in slots.enumerated() {
            guard let s = slot else { continue }
            for m in s.members where m.outcome == nil && !m.abandoned {
                let rate = m.rate.map { String(format: "%.2f/s", $0) } ?? "-"
                let eta = m.eta.map { " eta " + DurationText.short($0) } ?? ""
                log("slot \(i): job \(m.job.id) \(m.job.kind) \(String(format: "%5.1f%%", m.progress * 100)) \(rate) \(m.note ?? "")\(eta)")
            }
        }
    }
}
