// Talking to Slurm through its commands (sbatch, squeue, scancel): the
// launcher needs no library and no accounting daemon (sacct is not used).
import Foundation

/// A Slurm job as squeue shows it.
public struct SlurmJob: Equatable, Sendable {
    public var id: String
    /// PENDING, RUNNING, COMPLETING, ...
    public var state: String
    public var isPending: Bool { state == "PENDING" || state == "CONFIGURING" }
}

/// What the launcher asks of Slurm; `SlurmCommands` runs the real tools,
/// tests substitute a fake.
public protocol SlurmScheduler: Sendable {
    /// Submits the script; returns the job id.
    func submit(script: String, in directory: String) throws -> String
    /// The jobs named `name` that are pending or running.
    func jobs(named name: String) throws -> [SlurmJob]
}

public enum SlurmError: Error, CustomStringConvertible {
    case commandFailed(String, status: Int32, output: String)
    case missing(String)
    public var description: String {
        switch self {
        case .commandFailed(let c, let s, let o): return "`\(c)` exited with status \(s): \(o.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .missing(let c): return "\(c) not found on PATH: run this on a Slurm login node (or bring up a local one with scripts/slurm-local.sh start)"
        }
    }
}

public struct SlurmCommands: SlurmScheduler {
    public init() {}

    public func submit(script: String, in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("worker-\(UUID().uuidString.prefix(8)).sbatch")
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let out = try run("sbatch", ["--parsable", path])
        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        guard let id = out.split(separator: "\n").first?.split(separator: ";").first, !id.isEmpty else {
            throw SlurmError.commandFailed("sbatch --parsable \(path)", status: 0, output: "no job id in: \(out)")
        }
        return String(id)
    }

    public func jobs(named name: String) throws -> [SlurmJob] {
        try run("squeue", ["-h", "--name", name, "-o", "%i %T"]).split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            return f.count == 2 ? SlurmJob(id: String(f[0]), state: String(f[1])) : nil
        }
    }

    func run(_ tool: String, _ args: [String]) throws -> String {
        guard let exe = Self.which(tool) else { throw SlurmError.missing(tool) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let out = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw SlurmError.commandFailed(([tool] + args).joined(separator: " "), status: p.terminationStatus, output: out)
        }
        return out
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
