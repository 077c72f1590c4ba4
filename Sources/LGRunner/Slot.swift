// One running process on a worker, its job (or a fused cell's jobs) and what it reported.
import Foundation
import Synchronization
import LGWire
import LGNet

/// Its reader threads touch only `pipes` (a `Mutex`, so the compiler checks
/// that); every other field belongs to the worker loop's thread, which is
/// why the class stays `@unchecked Sendable`.
final class Slot: @unchecked Sendable {
    enum Outcome {
        case complete(JobResult)
        case fail(String, retryable: Bool)
        case release
    }

    /// One job of the slot's process: a fused cell's process runs several
    /// (docs/architecture.md "Fused cells"), each with its own lease,
    /// progress, checkpoints and outcome.
    final class Member {
        let job: ClaimedJob
        let workDir: String
        var progress: Double = 0
        var rate: Double?
        var note: String?
        /// Seconds left, as the job last reported (nil: no estimate).
        var eta: Double?
        var pendingCheckpoint: String?
        /// Named files (`label_sheet.png`) to upload: name and path.
        var pendingArtifacts: [(name: String, path: String)] = []
        /// Metric rows reported while running, not yet sent.
        var pendingMetrics: [String: Double] = [:]
        var result: JobResult?
        var errorMessage: String?
        var cancelledReported = false
        /// The coordinator said this lease is gone: never report on it.
        var abandoned = false
        var outcome: Outcome?
        /// The outcome went to the coordinator.
        var reported = false

        init(job: ClaimedJob, workDir: String) { self.job = job; self.workDir = workDir }

        /// Nothing more to say to the coordinator about this job.
        var settled: Bool { abandoned || reported }
    }

    let index: Int
    let members: [Member]
    let process: Process
    /// The worker's end of the socket that is a fused cell's process's
    /// stdin, where it reads `cancel JOB` lines (nil: a one-job process,
    /// stopped with SIGTERM). A socket, not a pipe: a line sent after the
    /// process is gone fails with EPIPE instead of a SIGPIPE for the worker.
    let control: Int32?
    let startedAt = Date()
    var termSentAt: Date?
    /// The peak memory the slot was admitted with (PeakMemoryTable's estimate).
    let expectedBytes: UInt64
    /// The process's measured peak, from its last event.
    var peakBytes: UInt64?

    /// The process's threads (its OPENBLAS_NUM_THREADS; `CorePlan`).
    let threads: Int

    init(index: Int, members: [Member], process: Process, control: Int32? = nil, expectedBytes: UInt64 = 0, threads: Int = 1) {
        self.index = index; self.members = members; self.process = process; self.control = control
        self.expectedBytes = expectedBytes; self.threads = threads
    }

    deinit { if let control { close(control) } }

    /// What the reader threads fill in.
    private struct Pipes {
        var events: [ChildEvent] = []
        var stderrTail = Data()
        /// Whole stderr lines not yet sent with a heartbeat (the dashboard's
        /// live tail), the newest `Beat.maxLogLines` per job (a fused cell's
        /// lines start `[job N] `; key 0: lines that name no job);
        /// `partialLine` is the rest.
        var pendingLog: [Int: [String]] = [:]
        var partialLine = Data()

        mutating func append(_ line: String) {
            var job = 0, text = line
            if line.hasPrefix("[job "), let close = line.firstIndex(of: "]"),
               let id = Int(line[line.index(line.startIndex, offsetBy: 5)..<close]) {
                job = id
                text = String(line[line.index(after: close)...].drop { $0 == " " })
            }
            pendingLog[job, default: []].append(text)
            if pendingLog[job]!.count > Beat.maxLogLines { pendingLog[job]!.removeFirst(pendingLog[job]!.count - Beat.maxLogLines) }
        }
        var stdoutDone = false
        var stderrDone = false

        /// Splits stderr bytes into lines for `takeLog`.
        mutating func collectLines(_ d: Data) {
            partialLine.append(d)
            while let nl = partialLine.firstIndex(of: 0x0a) {
                append(Slot.logLine(partialLine[partialLine.startIndex..<nl]))
                partialLine = Data(partialLine[(nl + 1)...])
            }
            // A line that never ends is cut where a beat allows.
            if partialLine.count > Beat.maxLogLineBytes { append(Slot.logLine(partialLine)); partialLine = Data() }
        }
    }
    private let pipes = Mutex(Pipes())

    /// The slot's first job (its only one, unless it runs a fused cell).
    var job: ClaimedJob { members[0].job }
    var fused: Bool { members.count > 1 }

    /// Starts the reader threads for the child's stdout (events) and stderr (tail).
    func attach(stdout: FileHandle, stderr: FileHandle) {
        let out = Thread { [weak self] in
            var buf = Data()
            while true {
                let d = stdout.availableData
                if d.isEmpty { break }
                buf.append(d)
                while let nl = buf.firstIndex(of: 0x0a) {
                    let line = buf[buf.startIndex..<nl]
                    buf = Data(buf[(nl + 1)...])
                    if let e = try? JSONDecoder().decode(ChildEvent.self, from: line) {
                        self?.pipes.withLock { $0.events.append(e) }
                    }
                }
            }
            // Closed here: the pipe's read end would otherwise stay open
            // in the worker, two descriptors per job until none are left.
            try? stdout.close()
            self?.pipes.withLock { $0.stdoutDone = true }
        }
        out.start()
        let err = Thread { [weak self] in
            while true {
                let d = stderr.availableData
                if d.isEmpty { break }
                self?.pipes.withLock { p in
                    p.stderrTail.append(d)
                    if p.stderrTail.count > 8192 { p.stderrTail = Data(p.stderrTail.suffix(4096)) }
                    p.collectLines(d)
                }
            }
            try? stderr.close()
            self?.pipes.withLock { $0.stderrDone = true }
        }
        err.start()
    }

    /// A line as UTF-8 text no longer than a beat allows.
    static func logLine(_ bytes: Data) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        while text.utf8.count > Beat.maxLogLineBytes { text.removeLast() }
        return text
    }

    /// `m`'s log lines since the last call: the lines naming it, and the
    /// lines naming no job when `m` is the first job not yet settled (with
    /// `final`, the unfinished last line too).
    func takeLog(for m: Member, final: Bool = false) -> [String] {
        let untagged = members.first { !$0.settled } === m
        return pipes.withLock { p in
            if final && !p.partialLine.isEmpty { p.append(Self.logLine(p.partialLine)); p.partialLine = Data() }
            var lines = p.pendingLog.removeValue(forKey: m.job.id) ?? []
            if untagged { lines = (p.pendingLog.removeValue(forKey: 0) ?? []) + lines }
            return Array(lines.suffix(Beat.maxLogLines))
        }
    }

    func drainEvents() -> [ChildEvent] {
        pipes.withLock { p in
            let e = p.events; p.events = []
            return e
        }
    }

    var finished: Bool {
        pipes.withLock { $0.stdoutDone && $0.stderrDone } && !process.isRunning
    }

    var stderrText: String {
        pipes.withLock { String(decoding: $0.stderrTail.suffix(2000), as: UTF8.self) }
    }

    /// Applies child events, each to the member it names (a one-job
    /// process's events name none).
    func apply(_ events: [ChildEvent]) {
        for e in events {
            if let p = e.peakBytes { peakBytes = p }
            guard let m = e.job.flatMap({ id in members.first { $0.job.id == id } }) ?? (fused ? nil : members[0]) else { continue }
            switch e.event {
            case .progress: m.progress = e.progress ?? m.progress; m.rate = e.rate ?? m.rate; m.note = e.note ?? m.note; m.eta = e.eta
            case .checkpoint: m.pendingCheckpoint = e.path
            case .artifact: if let n = e.name, let p = e.path { m.pendingArtifacts.append((n, p)) }
            case .metrics: m.pendingMetrics.merge(e.metrics ?? [:]) { $1 }
            case .result: m.result = JobResult(metrics: e.metrics ?? [:], provenance: e.provenance ?? [:])
            case .error: m.errorMessage = e.message
            case .cancelled: m.cancelledReported = true
            }
        }
    }

    /// Stops one job: a fused cell's process is told on its stdin and goes
    /// on with the others; a one-job process gets SIGTERM (and SIGKILL 10 s later).
    func stop(_ m: Member) {
        if let control, fused {
            let line = Array("cancel \(m.job.id)\n".utf8)
            _ = line.withUnsafeBytes { send(control, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return
        }
        if process.isRunning { process.terminate() }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 10) { kill(pid, SIGKILL) }
    }

    /// Decides each member's outcome once the process has exited.
    func decideAll(stopping: Bool) {
        for m in members where m.outcome == nil { m.outcome = decide(m, stopping: stopping) }
    }

    /// A member's outcome: what its own events said, else what the exit says.
    func decide(_ m: Member, stopping: Bool) -> Outcome {
        let status = process.terminationStatus
        let signalled = process.terminationReason == .uncaughtSignal
        // A fused cell's job is done once its result is out, whatever happens to the others.
        if let r = m.result, fused || (!signalled && status == ChildExit.success) { return .complete(r) }
        if m.cancelledReported || (!fused && !signalled && status == ChildExit.cancelled) { return .release }
        if let e = m.errorMessage, fused || (!signalled && status == ChildExit.failed) { return .fail(e, retryable: false) }
        if !fused && !signalled && status == ChildExit.failed { return .fail("job failed\n" + stderrText, retryable: false) }
        if stopping && termSentAt != nil { return .release }
        let how = signalled ? "was killed by signal \(status)" : "exited with status \(status)"
        return .fail("job process \(how); stderr tail:\n" + stderrText, retryable: true)
    }
}
