// The batch script `coordinator launch slurm` submits: one worker per Slurm
// job, exec'ed so that it is the batch shell and receives the time-limit
// warning (`--signal=B:USR1@N`; without `B:` the shell gets nothing).
import Foundation

/// Everything a worker job needs, as `coordinator launch slurm` resolved it.
public struct SlurmLaunch: Sendable, Equatable {
    /// The name every submitted job carries (how the launcher finds its jobs in squeue).
    public var jobName: String
    /// HOST:PORT the workers dial.
    public var address: String
    /// Absolute path of the shared secret (readable by the user only; never on a command line).
    public var secretPath: String
    /// The worker executable, as the compute nodes see it.
    public var workerPath: String
    /// The workers' working folder (job work directories, Slurm output).
    public var workdir: String
    public var slots: Int
    public var cpusPerTask: Int
    /// `--mem` as Slurm reads it ("8G", "16000M").
    public var memory: String
    /// `--time` as Slurm reads it (minutes, "HH:MM:SS", "D-HH").
    public var time: String
    /// Seconds before the time limit that Slurm sends SIGUSR1 to the worker.
    public var warningSeconds: Int
    /// Seconds a draining worker gives its jobs to checkpoint (keep it below the cluster's KillWait).
    public var stopGrace: Int
    public var partition: String?
    public var account: String?
    /// More `#SBATCH` lines, as given (`--sbatch-arg=--qos=long`).
    public var extraArguments: [String]

    public init(jobName: String, address: String, secretPath: String, workerPath: String, workdir: String, slots: Int,
                cpusPerTask: Int, memory: String, time: String, warningSeconds: Int, stopGrace: Int,
                partition: String? = nil, account: String? = nil, extraArguments: [String] = []) {
        self.jobName = jobName; self.address = address; self.secretPath = secretPath; self.workerPath = workerPath
        self.workdir = workdir; self.slots = slots; self.cpusPerTask = cpusPerTask; self.memory = memory; self.time = time
        self.warningSeconds = warningSeconds; self.stopGrace = stopGrace; self.partition = partition
        self.account = account; self.extraArguments = extraArguments
    }

    /// The batch script.
    public var script: String {
        var lines = ["#!/bin/bash",
                     "#SBATCH --job-name=\(jobName)",
                     "#SBATCH --nodes=1",
                     "#SBATCH --ntasks=1",
                     "#SBATCH --cpus-per-task=\(cpusPerTask)",
                     "#SBATCH --mem=\(memory)",
                     "#SBATCH --time=\(time)",
                     "#SBATCH --signal=B:USR1@\(warningSeconds)",
                     "#SBATCH --output=\(workdir)/slurm-%j.out",
                     "#SBATCH --open-mode=append"]
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if let account { lines.append("#SBATCH --account=\(account)") }
        lines += extraArguments.map { "#SBATCH \($0)" }
        lines += [
            "# One LinearGAN worker (written by `coordinator launch slurm`; docs/cluster.md).",
            "# SIGUSR1 (the time-limit warning) or SIGTERM (scancel, the limit itself) drains it:",
            "# running jobs checkpoint, the checkpoints go to the coordinator, the jobs return",
            "# to the queue without spending an attempt, and the worker exits 0.",
            "set -eu",
            "cd \(Shell.quote(workdir))",
            "export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-$(( ${SLURM_CPUS_PER_TASK:-\(cpusPerTask)} / \(slots) > 0 ? ${SLURM_CPUS_PER_TASK:-\(cpusPerTask)} / \(slots) : 1 ))}",
            "exec " + ([workerPath, "--connect", address, "--slots", String(slots), "--secret", secretPath,
                        "--workdir", workdir + "/work", "--exit-when-idle", "--quiet", "--stop-grace", String(stopGrace)]
                       .map(Shell.quote).joined(separator: " ")),
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

enum Shell {
    /// Single-quotes a word unless it is plainly safe.
    static func quote(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,")
        if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
