// How many workers to submit, as dask-jobqueue's adapt() decides it: keep up
// to `maxWorkers` Slurm jobs while jobs are queued, never more pending Slurm
// jobs than queued jobs, none once the queue is empty.
import Foundation

public struct AdaptPolicy: Sendable, Equatable {
    public var maxWorkers: Int
    public init(maxWorkers: Int) { self.maxWorkers = maxWorkers }

    /// Workers to submit now, given the queue and this launch's Slurm jobs.
    public func toSubmit(queuedJobs: Int, pendingWorkers: Int, runningWorkers: Int) -> Int {
        guard queuedJobs > 0 else { return 0 }
        let room = maxWorkers - pendingWorkers - runningWorkers
        let pendingRoom = queuedJobs - pendingWorkers
        return max(0, min(room, pendingRoom))
    }
}

/// The queue as the launcher sees it.
public struct QueueLoad: Sendable, Equatable {
    public var queued: Int
    public var running: Int
    public init(queued: Int, running: Int) { self.queued = queued; self.running = running }
    public var isDrained: Bool { queued == 0 && running == 0 }
}

/// The adapt loop: polls the queue and Slurm, submits workers, and returns
/// once the queue is drained and none of its workers is left in Slurm.
public final class AdaptLoop: @unchecked Sendable {
    public let launch: SlurmLaunch
    public let policy: AdaptPolicy
    let scheduler: any SlurmScheduler
    let load: () throws -> QueueLoad
    let sleep: (Double) -> Void
    let say: (String) -> Void
    public private(set) var submitted: [String] = []

    public init(launch: SlurmLaunch, policy: AdaptPolicy, scheduler: any SlurmScheduler,
                load: @escaping () throws -> QueueLoad, sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
                say: @escaping (String) -> Void = { print($0) }) {
        self.launch = launch; self.policy = policy; self.scheduler = scheduler; self.load = load
        self.sleep = sleep; self.say = say
    }

    /// One round: submits what the policy asks; returns false once there is
    /// nothing left to do (queue drained, no worker of this launch in Slurm).
    public func step() throws -> Bool {
        let q = try load()
        let ours = try scheduler.jobs(named: launch.jobName)
        let pending = ours.filter(\.isPending).count
        if q.isDrained && ours.isEmpty { return false }
        let n = policy.toSubmit(queuedJobs: q.queued, pendingWorkers: pending, runningWorkers: ours.count - pending)
        for _ in 0..<n {
            let id = try scheduler.submit(script: launch.script, in: launch.workdir)
            submitted.append(id)
            say("submitted worker job \(id) (\(q.queued) jobs queued, \(ours.count - pending) workers running, \(pending) pending)")
        }
        return true
    }

    /// Runs rounds every `poll` seconds until done. Slurm errors are reported
    /// and retried; `maxErrors` in a row end the loop with the last one.
    public func run(poll: Double, maxErrors: Int = 10) throws {
        var errors = 0
        while true {
            do {
                guard try step() else { return }
                errors = 0
            } catch {
                errors += 1
                say("launch: \(error) (\(errors) in a row)")
                if errors >= maxErrors { throw error }
            }
            sleep(poll)
        }
    }
}
