// Memory per slot: what a job is expected to need at its peak, how much this
// host may spend on jobs, and whether a claimed job may start now. Pure
// values (the runner reads /proc and the cgroup once and passes them in).
import Foundation
import LGJobKinds
import LGWire

/// What this host may spend on jobs, in bytes, and its cores.
public struct HostResources: Sendable, Equatable {
    public var memoryBytes: UInt64
    public var cores: Int

    public init(memoryBytes: UInt64, cores: Int) { self.memoryBytes = memoryBytes; self.cores = cores }

    /// MemTotal from /proc/meminfo, lowered to the cgroup's memory.max where
    /// one is set (Slurm's `--mem` is such a limit), and the usable cores.
    public static func current() -> HostResources {
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        return HostResources(memoryBytes: memoryLimit(meminfo: meminfo, cgroupMax: cgroupMemoryLimit()) ?? 4 << 30,
                             cores: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// This process's cgroup memory limit file's text: v2's memory.max
    /// (group from the "0::/path" line of /proc/self/cgroup) or v1's
    /// memory.limit_in_bytes (the "N:memory:/path" line); nil if neither.
    static func cgroupMemoryLimit() -> String? {
        let lines = ((try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        if let v1 = lines.first(where: { $0.split(separator: ":", maxSplits: 2).dropFirst().first == "memory" }),
           let path = v1.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last,
           let text = read("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes") ?? read("/sys/fs/cgroup/memory/memory.limit_in_bytes") {
            return text
        }
        if let v2 = lines.first(where: { $0.hasPrefix("0::") }) {
            let group = String(v2.dropFirst(3))
            return read("/sys/fs/cgroup" + (group == "/" ? "" : group) + "/memory.max")
        }
        return nil
    }

    /// The smaller of MemTotal and a finite cgroup limit; nil if neither parses.
    public static func memoryLimit(meminfo: String, cgroupMax: String?) -> UInt64? {
        var total: UInt64?
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 2, let kb = UInt64(f[1]) { total = kb * 1024 }
        }
        let limit = cgroupMax.flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        switch (total, limit) {
        case let (t?, l?): return min(t, l)
        case let (t?, nil): return t
        case let (nil, l?): return l
        default: return nil
        }
    }
}

/// `--slots N` or `--slots auto`.
public enum SlotCount: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case auto

    public init?(argument: String) {
        if argument == "auto" { self = .auto } else if let n = Int(argument) { self = .fixed(n) } else { return nil }
    }

    public var description: String {
        switch self { case .fixed(let n): return "\(n)"; case .auto: return "auto" }
    }

    /// Slots and BLAS threads per slot. `auto`: one slot per core, each
    /// process's threads chosen by its size when it starts (`CorePlan`); how
    /// many run at once is then bounded by the cores and by memory
    /// (`Admission`). A fixed count: cores / slots threads each, at least one.
    public func resolve(cores: Int) -> (slots: Int, threadsPerSlot: Int) {
        let cores = max(1, cores)
        switch self {
        case .fixed(let n): return (max(1, n), max(1, cores / max(1, n)))
        case .auto: return (cores, 1)
        }
    }

    /// How the worker gives cores to its processes: `auto` by their size, a
    /// fixed count `threadsPerSlot` each.
    public func corePlan(cores: Int) -> CorePlan {
        switch self {
        case .fixed: return .fixed(threads: resolve(cores: cores).threadsPerSlot)
        case .auto: return .bySize(cores: max(1, cores))
        }
    }
}

/// The threads (OPENBLAS_NUM_THREADS, which the numeric core's own parallel
/// regions follow too) each job process runs on.
///
/// Measured on a 2-core VM (docs/benchmarks.md, "Slots against threads"):
/// the zoo's 32-px jobs run 1.56x faster as two one-thread processes than
/// one after the other on two threads (small GEMMs and elementwise work do
/// not spread over cores), while a paper-scale step (a 256-1024 px
/// generator, its predictor and an extractor: large maps, bound by memory
/// traffic) runs up to 1.27x faster on two threads alone than as two
/// one-thread processes side by side (11 of 13 measurements; 0.94x and
/// 0.96x in the other two), at half the memory. So `--slots auto`
/// gives a process whose expected peak is above `wideBytes` (a paper-scale
/// job or cell) `wideThreads` cores where they are free, and any other one
/// core.
public enum CorePlan: Sendable, Equatable {
    /// `--slots N`: every process `threads`; the slot count alone bounds how many run.
    case fixed(threads: Int)
    /// `--slots auto`: threads by expected peak memory, within `cores`.
    case bySize(cores: Int)

    /// Above this expected peak a process is paper-scale (the zoo's jobs
    /// peak at 0.1-0.3 GB, paper-scale ones at 1.1-4.8 GB; a kind never
    /// measured is assumed `PeakMemoryTable.unknownBytes`, this figure, and
    /// is not).
    public static let wideBytes: UInt64 = PeakMemoryTable.unknownBytes
    /// Threads a paper-scale process takes where that many cores are free.
    public static let wideThreads = 2

    /// Cores not taken by running processes of `running` threads each
    /// (`fixed`: not counted, the slots bound it).
    public func freeCores(running: [Int]) -> Int {
        switch self {
        case .fixed: return Int.max
        case .bySize(let cores): return max(0, cores - running.reduce(0, +))
        }
    }

    /// Threads for a process expected to peak at `expectedBytes` beside
    /// running ones of `running` threads each; nil when no core is free.
    /// A paper-scale process started while only one core is free runs on
    /// that one rather than wait (two such side by side are at most 1.27x
    /// slower than one after the other on two threads).
    public func threads(expectedBytes: UInt64, running: [Int]) -> Int? {
        switch self {
        case .fixed(let t): return max(1, t)
        case .bySize:
            let free = freeCores(running: running)
            guard free >= 1 else { return nil }
            return expectedBytes > Self.wideBytes ? min(Self.wideThreads, free) : 1
        }
    }
}

/// A size on the command line: `512M`, `20G`, `1.5G`, or bytes.
public enum ByteCount {
    public static func parse(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Double)] = [("K", 1024), ("M", 1024 * 1024), ("G", 1024 * 1024 * 1024), ("T", 1024 * 1024 * 1024 * 1024)]
        for (suffix, scale) in units {
            for s in [suffix + "IB", suffix + "B", suffix] where t.hasSuffix(s) {
                guard let v = Double(t.dropLast(s.count)), v > 0 else { return nil }
                return UInt64(v * scale)
            }
        }
        return UInt64(t)
    }

    public static func text(_ bytes: UInt64) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GB", Double(bytes) / Double(1 << 30))
                         : String(format: "%.0f MB", Double(bytes) / Double(1 << 20))
    }
}

/// The peak resident memory of each kind of job, keyed by kind, generator
/// and extractor (what sets a job's size): measured on this host at earlier
/// runs (the larger figure kept), else the paper-scale figures measured by
/// `lg-bench --section job`, else `unknownBytes`. A job's `memory_mb`
/// parameter, where a grid sets one, comes first.
public struct PeakMemoryTable: Codable, Sendable, Equatable {
    public var measured: [String: UInt64] = [:]

    public init(measured: [String: UInt64] = [:]) { self.measured = measured }

    /// What a job of a kind we have never seen is assumed to need.
    public static let unknownBytes: UInt64 = 1 << 30

    /// Peak RSS of a `train` job's step at the paper's scale, by generator,
    /// the largest of LSE / NSE-1 / NSE-2 rounded up (lg-bench --section job,
    /// 2026-12-06 23:59: StyleGAN2-FFHQ 4.7 GB with NSE-2 (5.4 GB before the
    /// fused conv + ReLU), PGGAN-CelebA-HQ 1.8 GB, StyleGAN2-bedroom with the
    /// scene segmenter 2.4 GB; 2026-12-07 19:00, after the segmenter's fused
    /// Winograd began keeping its transformed weights, 2.6 GB;
    /// docs/benchmarks.md).
    /// StyleGAN-CelebA-HQ (1024 px, face parser) takes FFHQ's figure and the
    /// other 256-px scene GANs the bedroom's: same sizes and predictor, not
    /// measured on their own. Evaluation and few-shot jobs hold no more.
    public static let paperScale: [String: UInt64] = [
        "stylegan2_ffhq": 4_800 << 20, "stylegan_celebahq": 4_800 << 20, "pggan_celebahq": 2_000 << 20,
        "stylegan2_bedroom": 2_700 << 20, "stylegan2_church": 2_700 << 20,
        "stylegan_bedroom": 2_700 << 20, "stylegan_church": 2_700 << 20,
        "pggan_bedroom": 2_700 << 20, "pggan_church": 2_700 << 20,
    ]

    /// The job's generator: the parameter its kind's table names (`G`).
    static func generator(kind: String, params: [String: JSONValue]) -> String? {
        JobKind(rawValue: kind)?.table.generatorParameter.flatMap { params[$0]?.stringValue }
    }

    /// `kind|generator|variant` (variant: the table's `variantParameter`, `SE` for train jobs).
    public static func key(kind: String, params: [String: JSONValue]) -> String {
        let variant = JobKind(rawValue: kind)?.table.variantParameter.flatMap { params[$0]?.stringValue }
        return [kind, generator(kind: kind, params: params) ?? "-", variant ?? "-"].joined(separator: "|")
    }

    public func estimate(kind: String, params: [String: JSONValue]) -> UInt64 {
        if let mb = params["memory_mb"]?.doubleValue, mb > 0 { return UInt64(mb * 1024 * 1024) }
        if let m = measured[Self.key(kind: kind, params: params)] { return m }
        if let g = Self.generator(kind: kind, params: params), let p = Self.paperScale[g] { return p }
        return Self.unknownBytes
    }

    public mutating func record(kind: String, params: [String: JSONValue], peakBytes: UInt64) {
        let k = Self.key(kind: kind, params: params)
        measured[k] = max(measured[k] ?? 0, peakBytes)
    }

    public static func load(_ path: String) -> PeakMemoryTable {
        guard let d = FileManager.default.contents(atPath: path),
              let t = try? JSONDecoder().decode(PeakMemoryTable.self, from: d) else { return PeakMemoryTable() }
        return t
    }

    /// Written whole to a temporary file and renamed (a torn file is never read).
    public func save(_ path: String) throws {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys, .prettyPrinted]
        try e.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Whether a claimed job may start, given what the running ones are expected to hold.
public enum Admission: Equatable, Sendable {
    case start
    /// It fits once running jobs finish: give it back and claim again later.
    case wait(needs: UInt64, free: UInt64)
    /// It does not fit on this host even alone.
    case tooLarge(needs: UInt64, budget: UInt64)

    public static func decide(needs: UInt64, running: [UInt64], budget: UInt64) -> Admission {
        if needs > budget { return .tooLarge(needs: needs, budget: budget) }
        let held = running.reduce(0, +)
        let free = budget > held ? budget - held : 0
        return needs <= free ? .start : .wait(needs: needs, free: free)
    }
}
