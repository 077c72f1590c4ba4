// One running job on a worker: its child process and what it reported.
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

    let index: Int
    let job: ClaimedJob
    let process: Process
    let workDir: String
    let startedAt = Date()
    /// What the reader threads fill in.
    private struct Pipes {
        var events: [ChildEvent] = []
        var stderrTail = Data()
        /// Whole stderr lines not yet sent with a heartbeat (the dashboard's
        /// live tail), the newest `Beat.maxLogLines`; `partialLine` is the rest.
        var pendingLog: [String] = []
        var partialLine = Data()
        var stdoutDone = false
        var stderrDone = false

        /// Splits stderr bytes into lines for `takeLog`.
        mutating func collectLines(_ d: Data) {
            partialLine.append(d)
            while let nl = partialLine.firstIndex(of: 0x0a) {
                pendingLog.append(Slot.logLine(partialLine[partialLine.startIndex..<nl]))
                partialLine = Data(partialLine[(nl + 1)...])
            }
            // A line that never ends is cut where a beat allows.
            if partialLine.count > Beat.maxLogLineBytes { pendingLog.append(Slot.logLine(partialLine)); partialLine = Data() }
            if pendingLog.count > Beat.maxLogLines { pendingLog.removeFirst(pendingLog.count - Beat.maxLogLines) }
        }
    }
    private let pipes = Mutex(Pipes())

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
    var termSentAt: Date?
    /// The peak memory the job was admitted with (PeakMemoryTable's estimate).
    let expectedBytes: UInt64
    /// The child's measured peak, from its last event.
    var peakBytes: UInt64?

    init(index: Int, job: ClaimedJob, process: Process, workDir: String, expectedBytes: UInt64 = 0) {
        self.index = index; self.job = job; self.process = process; self.workDir = workDir
        self.expectedBytes = expectedBytes
    }

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

    /// The log lines since the last call (with `final`, the unfinished last line too).
    func takeLog(final: Bool = false) -> [String] {
        pipes.withLock { p in
            if final && !p.partialLine.isEmpty { p.pendingLog.append(Self.logLine(p.partialLine)); p.partialLine = Data() }
            let lines = p.pendingLog; p.pendingLog = []
            return lines
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

    /// Applies child events; returns true if a new checkpoint appeared.
    func apply(_ events: [ChildEvent]) {
        for e in events {
            if let p = e.peakBytes { peakBytes = p }
            switch e.event {
            case .progress: progress = e.progress ?? progress; rate = e.rate ?? rate; note = e.note ?? note; eta = e.eta
            case .checkpoint: pendingCheckpoint = e.path
            case .artifact: if let n = e.name, let p = e.path { pendingArtifacts.append((n, p)) }
            case .metrics: pendingMetrics.merge(e.metrics ?? [:]) { $1 }
            case .result: result = JobResult(metrics: e.metrics ?? [:], provenance: e.provenance ?? [:])
            case .error: errorMessage = e.message
            case .cancelled: cancelledReported = true
            }
        }
    }

    /// Decides the outcome once the child has exited.
    func decide(stopping: Bool) -> Outcome {
        let status = process.terminationStatus
        let signalled = process.terminationReason == .uncaughtSignal
        if !signalled && status == ChildExit.success, let r = result { return .complete(r) }
        if !signalled && status == ChildExit.cancelled || cancelledReported { return .release }
        if !signalled && status == ChildExit.failed {
            return .fail(errorMessage ?? "job failed\n" + stderrText, retryable: false)
        }
        if stopping && termSentAt != nil { return .release }
        let how = signalled ? "was killed by signal \(status)" : "exited with status \(status)"
        return .fail("job process \(how); stderr tail:\n" + stderrText, retryable: true)
    }
}
