// The child-process side (`worker exec-job --spec FILE`): runs one job and
// streams events to stdout as JSON lines (ChildEvent). Exit status: 0 done,
// 1 the job threw, 3 cancelled; anything else (a crash) is retried.
// `exec-job --spec A --spec B ...` runs the jobs of one fused cell: every
// event names its job, and a `cancel JOB` line on stdin stops one of them.
import Foundation
import Synchronization
import LGJobKinds
import LGWire
import LGNet

/// One line on the child's stdout.
public struct ChildEvent: Codable, Sendable {
    public enum Kind: String, Codable, Sendable { case progress, checkpoint, artifact, metrics, result, error, cancelled }
    public var event: Kind
    public var progress: Double?
    public var rate: Double?
    public var note: String?
    public var eta: Double?
    public var path: String?
    public var metrics: [String: Double]?
    public var provenance: [String: String]?
    public var message: String?
    /// The name of an `artifact` event's file (its `path` is where it is).
    public var name: String?
    /// The child's peak resident memory (VmHWM), on its last event.
    public var peakBytes: UInt64?
    /// The job the event is about, in a fused cell's process (nil: the process's only job).
    public var job: Int?
    public init(_ e: Kind) { event = e }
}

public enum ChildExit {
    public static let success: Int32 = 0
    public static let failed: Int32 = 1
    public static let cancelled: Int32 = 3
}

/// Used by the job's thread and the SIGTERM handler: `cancelled` is an
/// `Atomic`, and `out` serialises writes to the output stream;
/// `lastProgress` belongs to the job's thread.
final class ChildContext: JobContext, @unchecked Sendable {
    let spec: JobSpec
    let workDirectory: URL
    private let cancelled = Atomic<Bool>(false)
    private var lastProgress = Date.distantPast

    /// Names the job in every event (a fused cell's process).
    let tagged: Bool
    /// One lock for every context of the process: their lines must not interleave.
    static let output = NSLock()

    init(spec: JobSpec, tagged: Bool = false) {
        self.spec = spec
        self.tagged = tagged
        workDirectory = URL(fileURLWithPath: spec.workDirectory)
    }

    func emit(_ e: ChildEvent) {
        var e = e
        if tagged { e.job = spec.id }
        if e.event != .progress && e.event != .checkpoint { e.peakBytes = Self.peakResidentBytes() }
        Self.output.lock(); defer { Self.output.unlock() }
        guard var d = try? JSONEncoder().encode(e) else { return }
        d.append(0x0a)
        FileHandle.standardOutput.write(d)
    }

    /// VmHWM from /proc/self/status (nil where there is none).
    static func peakResidentBytes() -> UInt64? {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ UInt64($0) })
        else { return nil }
        return kb * 1024
    }

    func reportProgress(_ fraction: Double, rate: Double?, note: String?, etaSeconds: Double?) {
        // At most ~5 events a second.
        if Date().timeIntervalSince(lastProgress) < 0.2 && fraction < 1 { return }
        lastProgress = Date()
        var e = ChildEvent(.progress); e.progress = fraction; e.rate = rate; e.note = note; e.eta = etaSeconds
        emit(e)
    }

    func saveCheckpoint(_ data: Data) throws {
        let dest = workDirectory.appendingPathComponent("checkpoint.bin")
        let tmp = workDirectory.appendingPathComponent("checkpoint.bin.tmp")
        try data.write(to: tmp)
        guard rename(tmp.path, dest.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var e = ChildEvent(.checkpoint); e.path = dest.path
        emit(e)
    }

    func saveArtifact(name: String, data: Data) throws {
        guard ServerMachine.Upload.validArtifactName(name), data.count <= ServerMachine.Upload.maxArtifactBytes else {
            throw CocoaError(.fileWriteInvalidFileName, userInfo: [NSLocalizedDescriptionKey:
                "artifact '\(name)' (\(data.count) bytes): a name like label_sheet.png of at most \(ServerMachine.Upload.maxArtifactBytes) bytes"])
        }
        let dir = workDirectory.appendingPathComponent("artifacts")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let dest = dir.appendingPathComponent(name), tmp = dir.appendingPathComponent(name + ".tmp")
        try data.write(to: tmp)
        guard rename(tmp.path, dest.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var e = ChildEvent(.artifact); e.path = dest.path; e.name = name
        emit(e)
    }

    func reportMetrics(_ metrics: [String: Double]) {
        guard !metrics.isEmpty else { return }
        var e = ChildEvent(.metrics); e.metrics = metrics
        emit(e)
    }

    func loadCheckpoint() throws -> Data? {
        let mine = workDirectory.appendingPathComponent("checkpoint.bin")
        if let d = FileManager.default.contents(atPath: mine.path) { return d }
        guard let p = spec.resumeCheckpoint else { return nil }
        return FileManager.default.contents(atPath: p)
    }

    var isCancelled: Bool { cancelled.load(ordering: .sequentiallyConsistent) }
    func cancel() { cancelled.store(true, ordering: .sequentiallyConsistent) }

    func log(_ line: String) {
        FileHandle.standardError.write(Data(((tagged ? "[job \(spec.id)] " : "") + line + "\n").utf8))
    }
}

/// A kind whose jobs of one cell can run together (`KindTable.cellKey`):
/// one pass of the shared work per step for all of them.
public protocol CellExecutor: JobExecutor {
    /// Runs `jobs` (of one cell, each with its own context) together; one
    /// result per job, in order. A job that throws `JobCancelled` was
    /// stopped after a checkpoint; the others go on.
    func runCell(jobs: [JobSpec], contexts: [JobContext]) -> [Result<JobResult, Error>]
}

public enum ChildHost {
    /// Runs the jobs described by the JSON files at `specPaths` (one job,
    /// or the jobs of one fused cell); returns the exit status.
    public static func run(specPaths: [String], registry: JobRegistry) -> Int32 {
        if specPaths.count == 1 { return run(specPath: specPaths[0], registry: registry) }
        var specs: [JobSpec] = []
        for p in specPaths {
            do { specs.append(try JSONDecoder().decode(JobSpec.self, from: Data(contentsOf: URL(fileURLWithPath: p)))) } catch {
                FileHandle.standardError.write(Data("exec-job: cannot read job spec \(p): \(error)\n".utf8))
                return ChildExit.failed
            }
        }
        let contexts = specs.map { ChildContext(spec: $0, tagged: true) }
        let watch = SignalWatch([SIGTERM]) { _ in contexts.forEach { $0.cancel() } }
        defer { withExtendedLifetime(watch) {} }
        watchParent()
        // `cancel JOB` lines: one job's lease is gone, the others go on.
        let control = Thread {
            var buf = Data()
            while true {
                let d = FileHandle.standardInput.availableData
                if d.isEmpty { return }
                buf.append(d)
                while let nl = buf.firstIndex(of: 0x0a) {
                    let words = String(decoding: buf[buf.startIndex..<nl], as: UTF8.self).split(separator: " ")
                    buf = Data(buf[(nl + 1)...])
                    if words.count == 2, words[0] == "cancel", let id = Int(words[1]) {
                        contexts.first { $0.spec.id == id }?.cancel()
                    }
                }
            }
        }
        control.start()
        for c in contexts { try? FileManager.default.createDirectory(at: c.workDirectory, withIntermediateDirectories: true) }
        let kind = specs[0].kind
        let results: [Result<JobResult, Error>]
        if let exec = registry[kind] as? CellExecutor, specs.allSatisfy({ $0.kind == kind }) {
            results = exec.runCell(jobs: specs, contexts: contexts)
        } else {
            // A kind without a cell executor: the jobs one after another.
            results = zip(specs, contexts).map { spec, ctx in
                guard let exec = registry[spec.kind] else { return .failure(UnknownKind(kind: spec.kind, known: registry.kinds)) }
                return Result { try exec.run(job: spec, context: ctx) }
            }
        }
        var status = ChildExit.success
        for (ctx, r) in zip(contexts, results) {
            switch report(r, context: ctx) {
            case ChildExit.failed: status = ChildExit.failed
            case ChildExit.cancelled where status == ChildExit.success: status = ChildExit.cancelled
            default: break
            }
        }
        return status
    }

    struct UnknownKind: Error, CustomStringConvertible {
        let kind: String, known: [String]
        var description: String { "this worker has no job kind '\(kind)' (known: \(known.joined(separator: ", ")))" }
    }

    /// Exits if the worker dies (kill -9 leaves us orphaned).
    static func watchParent() {
        let parent = getppid()
        let watchdog = Thread {
            while true { Thread.sleep(forTimeInterval: 0.5); if getppid() != parent { _exit(137) } }
        }
        watchdog.start()
    }

    /// Emits a job's outcome; returns the exit status it stands for.
    static func report(_ r: Result<JobResult, Error>, context ctx: ChildContext) -> Int32 {
        do {
            let r = try r.get()
            // One metric-key convention (LGJobKinds): a key the kind's table
            // does not declare is a bug of the executor; say so, keep the row.
            if let kind = JobKind(rawValue: ctx.spec.kind) {
                let odd = kind.table.undeclaredMetrics(r.metrics.keys)
                if !odd.isEmpty { ctx.log("warning: \(ctx.spec.kind) wrote metric keys its table does not declare: \(odd.joined(separator: ", "))") }
            }
            var e = ChildEvent(.result); e.metrics = r.metrics; e.provenance = r.provenance.isEmpty ? nil : r.provenance
            ctx.emit(e)
            return ChildExit.success
        } catch is JobCancelled {
            ctx.emit(ChildEvent(.cancelled))
            return ChildExit.cancelled
        } catch {
            var e = ChildEvent(.error); e.message = String(describing: error)
            if let l = error as? LocalizedError, let d = l.errorDescription { e.message = d }
            else if let n = error as NSError?, n.domain != "" , let d = n.userInfo[NSLocalizedDescriptionKey] as? String { e.message = d }
            ctx.emit(e)
            return ChildExit.failed
        }
    }

    /// Runs the job described by the JSON file at `specPath`; returns the exit status.
    public static func run(specPath: String, registry: JobRegistry) -> Int32 {
        let spec: JobSpec
        do { spec = try JSONDecoder().decode(JobSpec.self, from: Data(contentsOf: URL(fileURLWithPath: specPath))) } catch {
            FileHandle.standardError.write(Data("exec-job: cannot read job spec \(specPath): \(error)\n".utf8))
            return ChildExit.failed
        }
        let ctx = ChildContext(spec: spec)
        guard let exec = registry[spec.kind] else {
            var e = ChildEvent(.error); e.message = UnknownKind(kind: spec.kind, known: registry.kinds).description
            ctx.emit(e)
            return ChildExit.failed
        }
        // SIGTERM asks the job to checkpoint and stop.
        let watch = SignalWatch([SIGTERM]) { _ in ctx.cancel() }
        defer { withExtendedLifetime(watch) {} }
        watchParent()
        try? FileManager.default.createDirectory(at: ctx.workDirectory, withIntermediateDirectories: true)
        return report(Result { try exec.run(job: spec, context: ctx) }, context: ctx)
    }
}
