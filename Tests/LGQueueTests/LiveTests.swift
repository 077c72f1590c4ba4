import XCTest
import Foundation
@testable import LGStore
import LGNet

/// End-to-end tests with real processes on loopback (a few seconds each).
final class LiveTests: XCTestCase {
    var cluster: LiveCluster!

    override func tearDown() {
        cluster?.shutdown()
        if testRun?.hasSucceeded == false, let c = cluster { print(c.logs()) } else { cluster?.cleanup() }
        cluster = nil
    }

    func assertOneMetricSetPerJob(_ store: JobStore, file: StaticString = #filePath, line: UInt = #line) throws {
        for j in try store.jobs() {
            XCTAssertEqual(j.state, .succeeded, "job \(j.id)", file: file, line: line)
            XCTAssertEqual(try store.metrics(jobID: j.id).count, 4, "job \(j.id)", file: file, line: line)
        }
        let rows = try store.allMetrics()
        XCTAssertEqual(Set(rows.map { "\($0.jobID)/\($0.key)" }).count, rows.count, file: file, line: line)
        XCTAssertEqual(try store.integrityCheck(), "ok", file: file, line: line)
    }

    func testThreeWorkersDrainAGrid() throws {
        cluster = try LiveCluster()
        try cluster.startCoordinator()
        try cluster.enqueue(24, ["steps": .int(4), "step_ms": .int(20), "checkpoint_every": .int(2), "echo": "made by test_sleep"])
        let ws = try (0..<3).map { _ in try cluster.startWorker(slots: 2, exitWhenIdle: true) }
        let store = try cluster.store()
        try cluster.waitFor("all jobs to succeed", timeout: 40) { try store.counts()[.succeeded] == 24 }
        for w in ws { w.waitUntilExit() }
        try assertOneMetricSetPerJob(store)
        XCTAssertTrue(try store.jobs().allSatisfy { $0.attempt == 1 })
        // The result's provenance travels child -> worker -> complete_claim -> store.
        for j in try store.jobs() { XCTAssertEqual(try store.provenance(jobID: j.id), ["echo": "made by test_sleep"], "job \(j.id)") }
        // Its stderr too: child -> worker -> heartbeats (the last lines just before complete) -> job_logs.
        for j in try store.jobs() {
            XCTAssertEqual(try store.logTail(jobID: j.id).map(\.line).filter { $0.hasPrefix("test_sleep: step") },
                           (1...4).map { "test_sleep: step \($0)/4" }, "job \(j.id)")
        }
    }

    /// Metric rows a job reports while it runs (training-curve points) reach
    /// the store before it finishes; its final result replaces them.
    func testLiveMetricRows() throws {
        cluster = try LiveCluster()
        try cluster.startCoordinator()
        try cluster.enqueue(1, ["steps": .int(30), "step_ms": .int(100), "value": .int(3)])
        let w = try cluster.startWorker(slots: 1, exitWhenIdle: true)
        let store = try cluster.store()
        try cluster.waitFor("curve points while the job runs", timeout: 20) {
            try store.job(id: 1)?.state == .running && store.metrics(jobID: 1).keys.contains { $0.hasPrefix("value@") }
        }
        XCTAssertEqual(try store.metrics(jobID: 1).filter { $0.key.hasPrefix("value@") }.values.first, 3)
        try cluster.waitFor("the job to succeed", timeout: 30) { try store.counts()[.succeeded] == 1 }
        w.waitUntilExit()
        XCTAssertEqual(Set(try store.metrics(jobID: 1).keys), ["value", "steps", "resumed_from", "attempt"])
    }

    /// A worker that has run many jobs holds no more descriptors than after
    /// its first few (each job's stdout/stderr pipes are closed at EOF;
    /// found by the one-hour soak: a worker stopped starting jobs with
    /// EBADF after about 10,000 of them).
    func testWorkerDoesNotLeakDescriptors() throws {
        cluster = try LiveCluster()
        try cluster.startCoordinator()
        try cluster.enqueue(10, ["steps": .int(0), "round": .int(0)])
        let w = try cluster.startWorker(slots: 2)
        let store = try cluster.store()
        func fds() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(w.processIdentifier)/fd").count) ?? -1 }
        try cluster.waitFor("the first jobs", timeout: 30) { try store.counts()[.succeeded] == 10 }
        Thread.sleep(forTimeInterval: 0.5)
        let before = fds()
        try cluster.enqueue(150, ["steps": .int(0), "round": .int(1)])
        try cluster.waitFor("150 more jobs", timeout: 90) { try store.counts()[.succeeded] == 160 }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertGreaterThan(before, 0)
        XCTAssertLessThan(fds() - before, 10, "descriptors before \(before), after 150 more jobs \(fds())")
    }

    /// `coordinator prioritize --priority -1 ID` (no daemon): a negative
    /// priority is a value, not an unknown option; it orders the claims.
    func testPrioritizeTakesANegativePriority() throws {
        cluster = try LiveCluster()
        try cluster.enqueue(3, ["steps": .int(1)])
        let p = try cluster.spawn("coordinator", ["prioritize", "--db", cluster.db, "--priority", "-2", "1"], log: "prioritize.log")
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, cluster.logs())
        let store = try cluster.store()
        XCTAssertEqual(try store.job(id: 1)?.priority, -2)
        let order = try (0..<3).flatMap { _ in try store.claim(owner: "w", limit: 1, leaseSeconds: 10).map(\.id) }
        XCTAssertEqual(order, [2, 3, 1])
    }

    /// Two queue databases in one folder would share checkpoints/job-N: the
    /// second daemon refuses to start and says why; the first keeps serving.
    func testSecondCoordinatorInTheSameFolderIsRefused() throws {
        cluster = try LiveCluster()
        try cluster.startCoordinator()
        let other = try cluster.spawn("coordinator", ["serve", "--db", cluster.dir + "/expr/other.sqlite", "--listen", "127.0.0.1:0"],
                                      log: "other.log")
        other.waitUntilExit()
        XCTAssertNotEqual(other.terminationStatus, 0)
        let log = try String(contentsOfFile: cluster.dir + "/other.log", encoding: .utf8)
        XCTAssertTrue(log.contains("give each queue database its own folder"), log)
        try cluster.enqueue(2, ["steps": .int(2), "step_ms": .int(10)])
        let w = try cluster.startWorker(slots: 1, exitWhenIdle: true)
        let store = try cluster.store()
        try cluster.waitFor("both jobs to succeed", timeout: 30) { try store.counts()[.succeeded] == 2 }
        w.waitUntilExit()
    }

    func testKilledWorkerJobIsRerunElsewhereFromItsCheckpoint() throws {
        cluster = try LiveCluster(lease: 1.5, heartbeat: 0.25)
        try cluster.startCoordinator()
        try cluster.enqueue(1, ["steps": .int(30), "step_ms": .int(50), "checkpoint_every": .int(4)])
        let store = try cluster.store()
        let a = try cluster.startWorker(slots: 1)
        try cluster.waitFor("a checkpoint", timeout: 20) { try !store.artifacts(jobID: 1).isEmpty && store.job(id: 1)!.progress > 0.2 }
        cluster.kill9(a)
        _ = try cluster.startWorker(slots: 1)
        try cluster.waitFor("the job to succeed elsewhere", timeout: 30) { try store.job(id: 1)!.state == .succeeded }
        let j = try store.job(id: 1)!
        XCTAssertEqual(j.attempt, 2)
        let m = try store.metrics(jobID: 1)
        XCTAssertEqual(m["attempt"], 2)
        XCTAssertGreaterThan(m["resumed_from"] ?? 0, 0, "the second attempt resumed from the uploaded checkpoint")
        try assertOneMetricSetPerJob(store)
    }

    func testCoordinatorKilledAndRestartedLosesNothing() throws {
        cluster = try LiveCluster(lease: 4, heartbeat: 0.3)
        try cluster.startCoordinator()
        try cluster.enqueue(10, ["steps": .int(16), "step_ms": .int(50), "checkpoint_every": .int(5)])
        let store = try cluster.store()
        _ = try cluster.startWorker(slots: 2)
        _ = try cluster.startWorker(slots: 2)
        try cluster.waitFor("jobs to run", timeout: 20) { try store.counts()[.running]! >= 2 }
        cluster.kill9(cluster.coordinator!)
        Thread.sleep(forTimeInterval: 1.0)
        try cluster.startCoordinator()   // same port
        try cluster.waitFor("all jobs to succeed", timeout: 40) { try store.counts()[.succeeded] == 10 }
        try assertOneMetricSetPerJob(store)
    }

    func testWorkerSIGTERMReleasesItsJobsWithACheckpoint() throws {
        cluster = try LiveCluster(lease: 3, heartbeat: 0.2)
        try cluster.startCoordinator()
        try cluster.enqueue(1, ["steps": .int(200), "step_ms": .int(20)])
        let store = try cluster.store()
        let w = try cluster.startWorker(slots: 1)
        try cluster.waitFor("the job to make progress", timeout: 20) { try store.job(id: 1)!.progress > 0.05 }
        // The worker's estimate of the time left reaches the store as a field (200 steps of 20 ms: a few seconds).
        try cluster.waitFor("an ETA in the heartbeat", timeout: 10) { try store.job(id: 1)!.etaSeconds != nil }
        XCTAssertLessThan(try store.job(id: 1)!.etaSeconds ?? .infinity, 60)
        w.terminate()
        w.waitUntilExit()
        XCTAssertEqual(w.terminationStatus, 0)
        let j = try store.job(id: 1)!
        XCTAssertEqual(j.state, .queued)
        XCTAssertEqual(j.attempt, 0, "a release does not use up an attempt")
        XCTAssertEqual(try store.artifacts(jobID: 1).count, 1, "the cancelled job's checkpoint was uploaded")
        // The next worker continues from that checkpoint instead of starting over.
        let w2 = try cluster.startWorker(slots: 1, exitWhenIdle: true)
        try cluster.waitFor("the job to finish", timeout: 30) { try store.job(id: 1)!.state == .succeeded }
        w2.waitUntilExit()
        let m = try store.metrics(jobID: 1)
        XCTAssertGreaterThan(m["resumed_from"] ?? 0, 0, "the released job resumed from its checkpoint: \(m)")
    }

    func testGarbageOversizedAndUnauthenticatedFramesAreRefused() throws {
        cluster = try LiveCluster()
        try cluster.startCoordinator()
        func exchange(_ bytes: [UInt8]) throws -> (Message?, closed: Bool) {
            let s = try Socket.connect(host: "127.0.0.1", port: cluster.port)
            s.setTimeouts(send: 5, receive: 5)
            let c = MessageConnection(socket: s)
            XCTAssertEqual(try c.receive().type, .challenge)
            try s.send(bytes)
            let reply = try? c.receive()
            let closed = (try? s.receive())?.isEmpty ?? true
            return (reply, closed)
        }
        var claim = Message(.claim, id: 1); claim.limit = 5
        let cases: [([UInt8], ErrorCode)] = [
            (Framing.encode(Array("GET / HTTP/1.1\r\n\r\n".utf8)), .malformed),
            ([0x7f, 0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 64), .oversized),
            (claim.framed(), .unauthenticated),
        ]
        for (bytes, code) in cases {
            let (reply, closed) = try exchange(bytes)
            XCTAssertEqual(reply?.type, .error); XCTAssertEqual(reply?.code, code)
            XCTAssertTrue(closed)
        }
        XCTAssertThrowsError(try QueueClient(address: "127.0.0.1:\(cluster.port)", secret: Array("not-the-secret-at-all".utf8), worker: "x")) {
            guard case ClientError.server(.authFailed, _) = $0 else { return XCTFail("\($0)") }
        }
        // Still serving everyone else.
        try cluster.enqueue(1, ["steps": .int(1)])
        let key = try SecretFile.load(cluster.dir + "/expr/secret")
        let client = try QueueClient(address: "127.0.0.1:\(cluster.port)", secret: key, worker: "t")
        let jobs = try client.claim(limit: 5, kinds: ["test_sleep"])
        XCTAssertEqual(jobs.count, 1)
        XCTAssertEqual(try client.complete(job: jobs[0].id, fence: jobs[0].fence + 1, metrics: ["x": 1]).outcome, "stale")
        XCTAssertEqual(try client.complete(job: jobs[0].id, fence: jobs[0].fence, metrics: ["x": 1],
                                           provenance: ["predictor": "p"]).outcome, "ok")
        XCTAssertEqual(try cluster.store().provenance(jobID: jobs[0].id), ["predictor": "p"])
        client.close()
        XCTAssertEqual(try cluster.store().integrityCheck(), "ok")
        // SIGTERM: clean exit.
        cluster.coordinator!.terminate(); cluster.coordinator!.waitUntilExit()
        XCTAssertEqual(cluster.coordinator!.terminationStatus, 0)
    }
}

/// Per-frame authentication against a real on-path attacker (TamperProxy).
final class TamperTests: XCTestCase {
    var clusters: [LiveCluster] = []

    override func tearDown() {
        for c in clusters {
            c.shutdown()
            if testRun?.hasSucceeded == false { print(c.logs()) } else { c.cleanup() }
        }
        clusters = []
    }

    /// Runs a small grid with one worker, through `proxy` when given; returns
    /// each job's metrics by key.
    func runGrid(through attacks: [TamperProxy.Attack]?) throws -> (metrics: [String: [String: Double]], cluster: LiveCluster, proxy: TamperProxy?) {
        let cluster = try LiveCluster(lease: 6, heartbeat: 0.2)
        clusters.append(cluster)
        try cluster.startCoordinator()
        try cluster.enqueue(6, ["steps": .int(6), "step_ms": .int(60), "checkpoint_every": .int(3)])
        var proxy: TamperProxy?
        if let attacks {
            proxy = try TamperProxy(targetPort: cluster.port, attacks: attacks)
            _ = try cluster.startWorker(slots: 2, exitWhenIdle: true, port: proxy!.port)
        } else {
            _ = try cluster.startWorker(slots: 2, exitWhenIdle: true)
        }
        let store = try cluster.store()
        try cluster.waitFor("all jobs to succeed", timeout: 60) { try store.counts()[.succeeded] == 6 }
        for w in cluster.workers { w.waitUntilExit() }
        proxy?.stop()
        var out: [String: [String: Double]] = [:]
        for j in try store.jobs() { out[j.key] = try store.metrics(jobID: j.id) }
        XCTAssertEqual(try store.integrityCheck(), "ok")
        return (out, cluster, proxy)
    }

    func testAlteredReplayedAndForgedFramesAreRefused() throws {
        let clean = try runGrid(through: nil).metrics
        let (tampered, cluster, proxy) = try runGrid(through: [
            .forgeComplete(beforeFrame: 3),
            .flipFromWorker(frame: 2),
            .replayFromWorker(frame: 2),
            .flipFromCoordinator(frame: 3),
        ])
        XCTAssertEqual(proxy?.done.count, 4, "every attack was carried out: \(proxy?.done ?? [])")
        // The grid's results equal the undisturbed run's: nothing forged,
        // lost or counted twice; no attempt spent.
        XCTAssertEqual(tampered, clean)
        XCTAssertFalse(tampered.values.contains { $0["value"] == TamperProxy.forgedValue })
        XCTAssertTrue(try cluster.store().jobs().allSatisfy { $0.attempt == 1 })
        // The coordinator refused each worker-side attack and said why; the
        // worker refused the altered reply and reconnected.
        let log = try String(contentsOfFile: cluster.dir + "/coordinator.log", encoding: .utf8)
        XCTAssertGreaterThanOrEqual(log.components(separatedBy: "bad_mac").count - 1, 3, log)
        let workerLog = try String(contentsOfFile: cluster.dir + "/worker-0.log", encoding: .utf8)
        XCTAssertTrue(workerLog.contains("failed authentication"), workerLog)
    }
}

/// Workers describe themselves; Slurm's warning signal drains them.
final class WorkerRegistryTests: XCTestCase {
    var cluster: LiveCluster!

    override func tearDown() {
        cluster?.shutdown()
        if testRun?.hasSucceeded == false, let c = cluster { print(c.logs()) } else { cluster?.cleanup() }
        cluster = nil
    }

    /// A worker started by Slurm reports its job and array task ids; SIGUSR1
    /// (Slurm's `--signal=B:USR1@N` warning), sent twice, drains it: the job
    /// is checkpointed, uploaded and released without spending an attempt,
    /// the worker exits 0, and `coordinator workers` shows it disconnected.
    func testSlurmIdsAndUSR1Drain() throws {
        cluster = try LiveCluster(lease: 3, heartbeat: 0.2)
        try cluster.startCoordinator()
        try cluster.enqueue(1, ["steps": .int(200), "step_ms": .int(20)])
        let store = try cluster.store()
        let w = try cluster.startWorker(slots: 2, environment: ["SLURM_JOB_ID": "4242", "SLURM_ARRAY_TASK_ID": "3"])
        try cluster.waitFor("the worker to register", timeout: 10) { try store.workers().first?.connected == true }
        let rec = try XCTUnwrap(try store.workers().first)
        XCTAssertEqual(rec.info.slurmJobID, "4242")
        XCTAssertEqual(rec.info.slurmArrayTaskID, "3")
        XCTAssertEqual(rec.info.slots, 2)
        let list = try cluster.spawn("coordinator", ["workers", "--db", cluster.db], log: "workers.log")
        list.waitUntilExit()
        let listed = try String(contentsOfFile: cluster.dir + "/workers.log", encoding: .utf8)
        XCTAssertTrue(listed.contains("connected") && listed.contains("4242_3"), listed)

        try cluster.waitFor("the job to make progress", timeout: 20) { try store.job(id: 1)!.progress > 0.05 }
        kill(w.processIdentifier, SIGUSR1)
        kill(w.processIdentifier, SIGUSR1)  // Slurm may repeat its warning
        w.waitUntilExit()
        XCTAssertEqual(w.terminationStatus, 0)
        let j = try XCTUnwrap(try store.job(id: 1))
        XCTAssertEqual(j.state, .queued)
        XCTAssertEqual(j.attempt, 0, "a drain does not spend an attempt")
        XCTAssertEqual(try store.artifacts(jobID: 1).count, 1, "the drained job's checkpoint was uploaded")
        try cluster.waitFor("the worker to show as disconnected", timeout: 5) { try store.workers().first?.connected == false }
    }
}
