import XCTest
import Foundation
import LGStore
@testable import LGCluster

/// `coordinator launch slurm`: the script and the adapt policy without
/// Slurm, then a real single-node Slurm (scripts/slurm-local.sh start).
final class SlurmTests: XCTestCase {
    func launch() -> SlurmLaunch {
        SlurmLaunch(jobName: "lineargan-abc", address: "head:7700", secretPath: "/home/u/expr/secret",
                    workerPath: "/opt/lg/worker", workdir: "/scratch/u/my runs", slots: 2, cpusPerTask: 8, memory: "8192M",
                    time: "4:00:00", warningSeconds: 120, stopGrace: 8, partition: "cpu", account: nil,
                    extraArguments: ["--qos=long"])
    }

    func testScriptExecsTheWorkerWithTheWarningSignalAndNoSecret() {
        let s = launch().script
        XCTAssertTrue(s.hasPrefix("#!/bin/bash\n"))
        for line in ["#SBATCH --job-name=lineargan-abc", "#SBATCH --cpus-per-task=8", "#SBATCH --mem=8192M",
                     "#SBATCH --time=4:00:00", "#SBATCH --signal=B:USR1@120", "#SBATCH --partition=cpu", "#SBATCH --qos=long"] {
            XCTAssertTrue(s.contains(line + "\n"), line)
        }
        XCTAssertFalse(s.contains("--account"))
        XCTAssertTrue(s.contains("\nexec /opt/lg/worker --connect head:7700 --slots 2 --secret /home/u/expr/secret --workdir '/scratch/u/my runs/work' --exit-when-idle --quiet --stop-grace 8\n"), s)
        XCTAssertTrue(s.contains("cd '/scratch/u/my runs'\n"))
        XCTAssertEqual(Shell.quote("it's"), "'it'\\''s'")
    }

    func testAdaptPolicy() {
        let p = AdaptPolicy(maxWorkers: 4)
        XCTAssertEqual(p.toSubmit(queuedJobs: 10, pendingWorkers: 0, runningWorkers: 0), 4)
        XCTAssertEqual(p.toSubmit(queuedJobs: 2, pendingWorkers: 0, runningWorkers: 0), 2, "no more pending workers than queued jobs")
        XCTAssertEqual(p.toSubmit(queuedJobs: 2, pendingWorkers: 2, runningWorkers: 1), 0)
        XCTAssertEqual(p.toSubmit(queuedJobs: 9, pendingWorkers: 1, runningWorkers: 3), 0, "at most maxWorkers")
        XCTAssertEqual(p.toSubmit(queuedJobs: 0, pendingWorkers: 0, runningWorkers: 0), 0, "nothing once the queue is empty")
    }

    /// The loop against a scheduler that records what it is asked.
    func testAdaptLoopSubmitsUntilTheQueueIsDrained() throws {
        final class FakeSlurm: SlurmScheduler, @unchecked Sendable {
            let lock = NSLock()
            var jobs: [SlurmJob] = []
            var next = 100
            func submit(script: String, in directory: String) throws -> String {
                lock.lock(); defer { lock.unlock() }
                next += 1; jobs.append(SlurmJob(id: String(next), state: "PENDING")); return String(next)
            }
            func jobs(named name: String) throws -> [SlurmJob] { lock.lock(); defer { lock.unlock() }; return jobs }
        }
        let slurm = FakeSlurm()
        var loads = [QueueLoad(queued: 3, running: 0), QueueLoad(queued: 3, running: 0), QueueLoad(queued: 1, running: 2),
                     QueueLoad(queued: 0, running: 1), QueueLoad(queued: 0, running: 0), QueueLoad(queued: 0, running: 0)]
        var rounds = 0
        let loop = AdaptLoop(launch: launch(), policy: AdaptPolicy(maxWorkers: 2), scheduler: slurm,
                             load: { loads.removeFirst() }, sleep: { _ in
                                 rounds += 1
                                 // Slurm starts the pending workers, then they finish once the queue is empty.
                                 slurm.lock.lock()
                                 if rounds == 1 { slurm.jobs = slurm.jobs.map { SlurmJob(id: $0.id, state: "RUNNING") } }
                                 if rounds == 4 { slurm.jobs = [] }
                                 slurm.lock.unlock()
                             }, say: { _ in })
        try loop.run(poll: 0)
        XCTAssertEqual(loop.submitted, ["101", "102"], "two workers, none added while two run")
        XCTAssertEqual(rounds, 4)
    }

    // MARK: A real Slurm

    var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func requireSlurm() throws {
        let ok = SlurmCommands.which("sbatch") != nil && (try? SlurmCommands().run("scontrol", ["ping"]))?.contains("UP") == true
        if !ok {
            if ProcessInfo.processInfo.environment["LG_REQUIRE_SLURM"] == "1" {
                XCTFail("LG_REQUIRE_SLURM=1 but no Slurm answers: run `bash scripts/slurm-local.sh start`")
            }
            throw XCTSkip("no Slurm here (bash scripts/slurm-local.sh start brings one up; .ci/run does)")
        }
    }

    /// The metric rows of a small zoo grid run by `worker` processes; with
    /// `slurm`, through `coordinator launch slurm` and with one worker
    /// drained by `scancel --signal=USR1 --batch` mid-job.
    func runZooGrid(slurm: Bool) throws -> (metrics: [String: [String: Double]], store: JobStore, cluster: LiveCluster) {
        let cluster = try LiveCluster(lease: 20, heartbeat: 0.5)
        addTeardownBlock { cluster.shutdown(); cluster.cleanup() }
        try cluster.startCoordinator()
        let env = ["LINEARGAN_CONFIGS": repoRoot.appendingPathComponent("configs").path, "OPENBLAS_NUM_THREADS": "1"]
        let enqueue = try cluster.spawn("coordinator", ["enqueue", "sr_all_method_zoo", "--db", cluster.db,
                                                        "--grids", repoRoot.appendingPathComponent("jobs").path,
                                                        "--set", "G=stylegan2_toyface32", "--set", "SE=LSE,NSE-1",
                                                        "--set", "epochs=2", "--set", "steps_per_epoch=400", "--set", "eval_samples=64"],
                                        log: "enqueue.log", environment: env)
        enqueue.waitUntilExit()
        XCTAssertEqual(enqueue.terminationStatus, 0, cluster.logs())
        let store = try cluster.store()
        XCTAssertEqual(try store.counts()[.queued], 2)
        let worker = LiveCluster.products.appendingPathComponent("worker").path
        if !slurm {
            let w = try cluster.spawn("worker", ["--connect", "127.0.0.1:\(cluster.port)", "--slots", "2", "--secret", cluster.dir + "/expr/secret",
                                                 "--workdir", cluster.dir + "/work", "--exit-when-idle", "--quiet"],
                                      log: "worker.log", environment: env)
            w.waitUntilExit()
        } else {
            let launch = try cluster.spawn("coordinator", ["launch", "slurm", "--db", cluster.db, "--workers", "2", "--slots", "1",
                                                           "--time", "10", "--mem", "1G", "--worker", worker, "--poll", "1",
                                                           "--address", "127.0.0.1:\(cluster.port)", "--stop-grace", "5"],
                                           log: "launch.log", environment: env)
            addTeardownBlock { if launch.isRunning { launch.terminate() } }
            // A running job on a Slurm worker, a fifth of the way in.
            var target: (slurmJob: String, job: Int)?
            try cluster.waitFor("a job a fifth done on a Slurm worker", timeout: 120) {
                let workers = try store.workers()
                for j in try store.jobs(state: .running) where j.progress > 0.2 && j.progress < 0.6 {
                    if let w = workers.first(where: { $0.name == j.leaseOwner }), let s = w.info.slurmJobID { target = (s, j.id); return true }
                }
                return false
            }
            let (slurmJob, drained) = try XCTUnwrap(target)
            let scancel = Process()
            scancel.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            scancel.arguments = ["20", "scancel", "--signal=USR1", "--batch", slurmJob]
            try scancel.run(); scancel.waitUntilExit()
            XCTAssertEqual(scancel.terminationStatus, 0)
            try cluster.waitFor("the drained job back in the queue or done elsewhere", timeout: 60) {
                let j = try store.job(id: drained)!
                return j.leaseOwner == nil || j.state == .succeeded
            }
            launch.waitUntilExit()
            XCTAssertEqual(launch.terminationStatus, 0, cluster.logs())
            let j = try XCTUnwrap(try store.job(id: drained))
            XCTAssertEqual(j.attempt, 1, "the drain spent no attempt (released, then claimed once more)")
            XCTAssertGreaterThanOrEqual(try store.workers().filter { $0.info.slurmJobID != nil }.count, 2)
        }
        XCTAssertEqual(try store.counts()[.succeeded], 2, cluster.logs())
        var out: [String: [String: Double]] = [:]
        // Wall-clock timings (train_seconds, eval_seconds) differ from run to run; every other row must not.
        for j in try store.jobs() { out[j.key] = try store.metrics(jobID: j.id).filter { !$0.key.hasSuffix("_seconds") } }
        return (out, store, cluster)
    }

    func testLaunchSlurmDrainsAZooGridWithAWorkerSignalledMidJob() throws {
        try requireSlurm()
        let undisturbed = try runZooGrid(slurm: false).metrics
        let (viaSlurm, _, cluster) = try runZooGrid(slurm: true)
        XCTAssertEqual(viaSlurm, undisturbed, "metric rows equal the undisturbed run's")
        XCTAssertGreaterThan(viaSlurm.values.first?.count ?? 0, 10, "mIoU, pixel accuracy and per-class IoU compared")
        let launchLog = try String(contentsOfFile: cluster.dir + "/launch.log", encoding: .utf8)
        XCTAssertTrue(launchLog.contains("queue drained; no worker of lineargan-"), launchLog)
        // No worker job of this launch is left in Slurm.
        let name = launchLog.components(separatedBy: "no worker of ").last?.split(separator: " ").first.map(String.init) ?? ""
        XCTAssertTrue(try SlurmCommands().jobs(named: name).isEmpty)
    }
}
