import XCTest
import Synchronization
@testable import LGStore

final class StoreTests: XCTestCase {
    var dir: String!
    var clock: ManualClock!
    var store: JobStore!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lgq-store-\(UUID().uuidString)"
        clock = ManualClock()
        store = try JobStore(path: dir + "/q.sqlite", clock: clock)
    }
    override func tearDown() { store = nil; try? FileManager.default.removeItem(atPath: dir) }

    func jobs(_ n: Int, grid: String = "g", priority: Int = 0, maxAttempts: Int = 3) -> [NewJob] {
        (0..<n).map { NewJob(grid: grid, kind: "test_sleep", params: ["i": .int($0), "grid": .string(grid)], priority: priority, maxAttempts: maxAttempts) }
    }

    func testMigrationsAreForwardOnlyAndIdempotent() throws {
        XCTAssertEqual(store.schemaVersion, Migrations.all.count)
        let again = try JobStore(path: dir + "/q.sqlite", clock: clock)
        XCTAssertEqual(again.schemaVersion, Migrations.all.count)
        try store.locked { try store.db.execute("PRAGMA user_version = 99") }
        XCTAssertThrowsError(try JobStore(path: dir + "/q.sqlite", clock: clock)) { e in
            guard case StoreError.newerSchema = e else { return XCTFail("\(e)") }
        }
    }

    func testCheckConstraints() throws {
        _ = try store.enqueue(jobs(1))
        for bad in ["UPDATE jobs SET state = 'bogus'",
                    "UPDATE jobs SET state = 'succeeded'",                 // finished_at missing
                    "UPDATE jobs SET finished_at = 1",                     // finished while queued
                    "UPDATE jobs SET state = 'running'",                   // running without a lease
                    "UPDATE jobs SET progress = 2"] {
            XCTAssertThrowsError(try store.locked { try store.db.execute(bad) }, bad) { e in
                XCTAssertTrue((e as? SQLiteError)?.isConstraint == true, "\(bad): \(e)")
            }
        }
    }

    func testEnqueueIsIdempotent() throws {
        XCTAssertEqual(try store.enqueue(jobs(5)), EnqueueResult(added: 5, existing: 0))
        XCTAssertEqual(try store.enqueue(jobs(7)), EnqueueResult(added: 2, existing: 5))
        XCTAssertEqual(try store.counts()[.queued], 7)
    }

    /// `coordinator status`'s per-grid lines: counts by state and the
    /// fraction done, running jobs counted by their progress.
    func testGridSummaries() throws {
        _ = try store.enqueue(jobs(3, grid: "a"))
        _ = try store.enqueue(jobs(2, grid: "b"))
        let claimed = try store.claim(owner: "w", limit: 2, leaseSeconds: 10)  // a's first two
        XCTAssertEqual(claimed.map(\.id), [1, 2])
        _ = try store.heartbeat(jobID: 1, fence: claimed[0].fence, progress: 0.5, rate: nil, note: nil, leaseSeconds: 10)
        _ = try store.complete(jobID: 2, fence: claimed[1].fence, metrics: [:])
        let s = try store.gridSummaries()
        XCTAssertEqual(s.map(\.grid), ["a", "b"])
        XCTAssertEqual(s[0].count(.succeeded), 1); XCTAssertEqual(s[0].count(.running), 1); XCTAssertEqual(s[0].count(.queued), 1)
        XCTAssertEqual(s[0].total, 3)
        XCTAssertEqual(s[0].fractionDone, 1.5 / 3, accuracy: 1e-12)
        XCTAssertEqual(s[1].fractionDone, 0)
        XCTAssertEqual(GridSummary(grid: "c", counts: [.cancelled: 2]).fractionDone, 1)
    }

    func testClaimOrderPriorityAndExclusivity() throws {
        _ = try store.enqueue(jobs(3))
        _ = try store.enqueue(jobs(1, grid: "urgent", priority: 5))
        let a = try store.claim(owner: "w1", limit: 2, leaseSeconds: 10)
        XCTAssertEqual(a.map(\.id), [1, 4])  // priority first, then oldest
        XCTAssertTrue(a.allSatisfy { $0.attempt == 1 && $0.fence == 1 })
        let b = try store.claim(owner: "w2", limit: 10, leaseSeconds: 10)
        XCTAssertEqual(b.map(\.id), [2, 3])
        XCTAssertEqual(try store.claim(owner: "w3", limit: 10, leaseSeconds: 10).count, 0)
        XCTAssertEqual(try store.claim(owner: "w3", limit: 10, leaseSeconds: 10, kinds: ["train"]).count, 0)
    }

    func testConcurrentClaimsNeverDuplicate() throws {
        _ = try store.enqueue(jobs(400))
        let got = Mutex<[Int]>([])
        let store = self.store!
        DispatchQueue.concurrentPerform(iterations: 8) { w in
            while true {
                let c = (try? store.claim(owner: "w\(w)", limit: 3, leaseSeconds: 10)) ?? []
                if c.isEmpty { break }
                got.withLock { $0 += c.map(\.id) }
            }
        }
        let claimed = got.withLock { $0 }
        XCTAssertEqual(claimed.count, 400)
        XCTAssertEqual(Set(claimed).count, 400)
    }

    func testDependenciesGateClaims() throws {
        let a = NewJob(grid: "few", kind: "train_fewshot", params: ["n": .int(1)])
        let b = NewJob(grid: "scs", kind: "scs", params: ["n": .int(1)], needs: [a.key])
        _ = try store.enqueue([a, b])
        let c = try store.claim(owner: "w", limit: 5, leaseSeconds: 10)
        XCTAssertEqual(c.map(\.kind), ["train_fewshot"])
        XCTAssertEqual(try store.unmetDependencies(of: 2), [1])
        XCTAssertEqual(try store.complete(jobID: c[0].id, fence: c[0].fence, metrics: [:]), .ok)
        XCTAssertEqual(try store.claim(owner: "w", limit: 5, leaseSeconds: 10).map(\.kind), ["scs"])
        XCTAssertThrowsError(try store.enqueue([NewJob(grid: "x", kind: "scs", params: [:], needs: ["nope"])]))
    }

    func testStaleFencingTokenChangesNothing() throws {
        _ = try store.enqueue(jobs(1))
        let first = try store.claim(owner: "w1", limit: 1, leaseSeconds: 10)[0]
        clock.advance(11)
        XCTAssertEqual(try store.rescueExpired().map(\.id), [1])
        let second = try store.claim(owner: "w2", limit: 1, leaseSeconds: 10)[0]
        XCTAssertEqual(second.attempt, 2)
        XCTAssertEqual(second.fence, first.fence + 1)
        for outcome in [try store.complete(jobID: 1, fence: first.fence, metrics: ["x": 1]),
                        try store.heartbeat(jobID: 1, fence: first.fence, progress: 0.9, rate: nil, note: nil, leaseSeconds: 10),
                        try store.fail(jobID: 1, fence: first.fence, error: "e", retryable: false),
                        try store.release(jobID: 1, fence: first.fence),
                        try store.recordMetrics(jobID: 1, fence: first.fence, metrics: ["y": 2])] {
            guard case .stale = outcome else { return XCTFail("\(outcome)") }
        }
        let j = try store.job(id: 1)!
        XCTAssertEqual(j.state, .running); XCTAssertEqual(j.leaseOwner, "w2"); XCTAssertEqual(j.progress, 0)
        XCTAssertEqual(try store.metrics(jobID: 1), [:])
        XCTAssertEqual(try store.complete(jobID: 1, fence: second.fence, metrics: ["x": 2]), .ok)
        XCTAssertEqual(try store.metrics(jobID: 1), ["x": 2])
        XCTAssertNotNil(try store.job(id: 1)!.finishedAt)
    }

    func testHeartbeatRenewsLease() throws {
        _ = try store.enqueue(jobs(1))
        let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        clock.advance(8)
        XCTAssertEqual(try store.heartbeat(jobID: 1, fence: c.fence, progress: 0.5, rate: 2, note: "half", leaseSeconds: 10), .ok)
        clock.advance(8)
        XCTAssertTrue(try store.rescueExpired().isEmpty)
        XCTAssertEqual(try store.job(id: 1)!.progress, 0.5)
        clock.advance(3)
        XCTAssertEqual(try store.rescueExpired().map(\.state), [.queued])
    }

    /// Log lines ride on heartbeats: appended under the lease check, the newest kept.
    func testHeartbeatLogLines() throws {
        _ = try store.enqueue(jobs(1))
        let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        XCTAssertEqual(try store.heartbeat(jobID: 1, fence: c.fence, progress: nil, rate: nil, note: nil, log: ["a", "b"], leaseSeconds: 10), .ok)
        XCTAssertEqual(try store.logTail(jobID: 1).map(\.line), ["a", "b"])
        // A stale fence adds nothing.
        guard case .stale = try store.heartbeat(jobID: 1, fence: c.fence + 1, progress: nil, rate: nil, note: nil, log: ["forged"], leaseSeconds: 10)
        else { return XCTFail("a stale beat was accepted") }
        XCTAssertEqual(try store.logTail(jobID: 1).map(\.line), ["a", "b"])
        // Bounded: the newest logLinesKept stay.
        let n = JobStore.logLinesKept
        for chunk in stride(from: 0, to: n + 100, by: 500) {
            let lines = (chunk..<min(chunk + 500, n + 100)).map { "line \($0)" }
            XCTAssertEqual(try store.heartbeat(jobID: 1, fence: c.fence, progress: nil, rate: nil, note: nil, log: lines, leaseSeconds: 10), .ok)
        }
        let all = try store.logTail(jobID: 1, limit: n + 500)
        XCTAssertEqual(all.count, n)
        XCTAssertEqual(all.last?.line, "line \(n + 99)")
        XCTAssertEqual(all.first?.line, "line 100")
        XCTAssertEqual(try store.logTail(jobID: 1, after: all[all.count - 3].seq).map(\.line), ["line \(n + 98)", "line \(n + 99)"])
    }

    func testHeartbeatCarriesTheWorkersETA() throws {
        _ = try store.enqueue(jobs(1))
        var c = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        XCTAssertNil(try store.job(id: 1)!.etaSeconds)
        clock.advance(5)
        XCTAssertEqual(try store.heartbeat(jobID: 1, fence: c.fence, progress: 0.25, rate: 2, note: "n", etaSeconds: 600, leaseSeconds: 10), .ok)
        var j = try store.job(id: 1)!
        XCTAssertEqual(j.etaSeconds, 600)
        // Counted down since the heartbeat; the worker's figure wins over extrapolation (5 s for 25 % -> 15 s).
        XCTAssertEqual(j.secondsLeft(now: clock.now() + 100)!, 500, accuracy: 1e-9)
        // A beat without an estimate (a new phase) clears it; then the progress is extrapolated.
        XCTAssertEqual(try store.heartbeat(jobID: 1, fence: c.fence, progress: nil, rate: nil, note: nil, etaSeconds: nil, leaseSeconds: 10), .ok)
        j = try store.job(id: 1)!
        XCTAssertNil(j.etaSeconds)
        XCTAssertEqual(j.secondsLeft(now: clock.now())!, 15, accuracy: 1e-9)
        // Nonsense estimates are not stored; a new attempt starts without one.
        XCTAssertEqual(try store.heartbeat(jobID: 1, fence: c.fence, progress: nil, rate: nil, note: nil, etaSeconds: -3, leaseSeconds: 10), .ok)
        XCTAssertNil(try store.job(id: 1)!.etaSeconds)
        XCTAssertEqual(try store.heartbeat(jobID: 1, fence: c.fence, progress: nil, rate: nil, note: nil, etaSeconds: 60, leaseSeconds: 10), .ok)
        XCTAssertEqual(try store.release(jobID: 1, fence: c.fence), .ok)
        c = try store.claim(owner: "w2", limit: 1, leaseSeconds: 10)[0]
        XCTAssertNil(try store.job(id: 1)!.etaSeconds)
    }

    /// A result's provenance is stored with its metrics, replaced by a later
    /// completion, untouched by a stale one, and absent for a job that gave none.
    func testProvenanceIsStoredWithTheResult() throws {
        _ = try store.enqueue(jobs(3))
        var c = try store.claim(owner: "w", limit: 3, leaseSeconds: 10)
        XCTAssertEqual(try store.complete(jobID: 1, fence: c[0].fence, metrics: ["x": 1],
                                          provenance: ["predictor": "toyface_seg32_wide", "predictor_sha256": "ab"]), .ok)
        XCTAssertEqual(try store.provenance(jobID: 1), ["predictor": "toyface_seg32_wide", "predictor_sha256": "ab"])
        guard case .stale = try store.complete(jobID: 2, fence: c[1].fence + 1, metrics: [:], provenance: ["predictor": "stale"]) else {
            return XCTFail("a wrong fence must be stale")
        }
        XCTAssertEqual(try store.provenance(jobID: 2), [:])
        XCTAssertEqual(try store.complete(jobID: 3, fence: c[2].fence, metrics: ["x": 1]), .ok)
        XCTAssertEqual(try store.provenance(jobID: 3), [:])
        // Run again (a retry after success is not possible; a new attempt of job 2 replaces nothing it did not have).
        XCTAssertEqual(try store.fail(jobID: 2, fence: c[1].fence, error: "boom", retryable: true), .ok)
        c = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)
        let (o, _) = try store.completeAndClaim(jobID: 2, fence: c[0].fence, metrics: ["x": 2], provenance: ["predictor": "toyface_seg32"],
                                                owner: "w", limit: 0, leaseSeconds: 10)
        XCTAssertEqual(o, .ok)
        XCTAssertEqual(try store.provenance(jobID: 2), ["predictor": "toyface_seg32"])
        // All at once, for reports: the jobs that recorded any, by id.
        XCTAssertEqual(try store.allProvenance(), [1: ["predictor": "toyface_seg32_wide", "predictor_sha256": "ab"],
                                                   2: ["predictor": "toyface_seg32"]])
        XCTAssertEqual(try store.allProvenance(grid: "g").count, 2)
        XCTAssertEqual(try store.allProvenance(grid: "no_such_grid"), [:])
    }

    func testVersionOneDatabaseIsMigratedKeepingItsJobs() throws {
        // A queue written before the ETA column (schema 1) opens with its jobs intact.
        let path = dir + "/old.sqlite"
        do {
            let db = try Database(path: path)
            try db.execute(Migrations.all[0])
            try db.execute("PRAGMA user_version = 1")
            try db.execute("INSERT INTO jobs (key, grid, kind, params, created_at) VALUES ('k', 'g', 'test_sleep', '{}', 1)")
        }
        let migrated = try JobStore(path: path, clock: clock)
        XCTAssertEqual(migrated.schemaVersion, Migrations.all.count)
        let j = try XCTUnwrap(try migrated.job(id: 1))
        XCTAssertEqual(j.key, "k")
        XCTAssertNil(j.etaSeconds)
        XCTAssertNil(j.secondsLeft(now: 5), "a job not started has no estimate")
        let c = try migrated.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        XCTAssertEqual(try migrated.heartbeat(jobID: 1, fence: c.fence, progress: 0.5, rate: nil, note: nil, etaSeconds: 30, leaseSeconds: 10), .ok)
        XCTAssertEqual(try migrated.job(id: 1)!.etaSeconds, 30)
        // Schema 3: results of migrated queues keep their provenance too.
        XCTAssertEqual(try migrated.complete(jobID: 1, fence: c.fence, metrics: ["x": 1], provenance: ["predictor": "p"]), .ok)
        XCTAssertEqual(try migrated.provenance(jobID: 1), ["predictor": "p"])
    }

    func testLeaseExpiryFailsAfterLastAttempt() throws {
        _ = try store.enqueue(jobs(1, maxAttempts: 2))
        for attempt in 1...2 {
            let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 5)
            XCTAssertEqual(c.first?.attempt, attempt)
            clock.advance(6)
            _ = try store.rescueExpired()
        }
        let j = try store.job(id: 1)!
        XCTAssertEqual(j.state, .failed)
        XCTAssertNotNil(j.finishedAt)
        XCTAssertTrue(j.lastError?.contains("lease expired") == true)
        XCTAssertEqual(try store.retry(ids: [1]), 1)
        XCTAssertEqual(try store.job(id: 1)!.state, .queued)
        XCTAssertNil(try store.job(id: 1)!.finishedAt)
    }

    func testReleaseKeepsTheAttemptBudgetAndFailRetries() throws {
        _ = try store.enqueue(jobs(1, maxAttempts: 2))
        var c = try store.claim(owner: "w", limit: 1, leaseSeconds: 5)[0]
        XCTAssertEqual(try store.release(jobID: 1, fence: c.fence), .ok)
        XCTAssertEqual(try store.job(id: 1)!.attempt, 0)
        c = try store.claim(owner: "w", limit: 1, leaseSeconds: 5)[0]
        XCTAssertEqual(c.attempt, 1)
        XCTAssertEqual(try store.fail(jobID: 1, fence: c.fence, error: "crash", retryable: true), .ok)
        XCTAssertEqual(try store.job(id: 1)!.state, .queued)
        c = try store.claim(owner: "w", limit: 1, leaseSeconds: 5)[0]
        XCTAssertEqual(try store.fail(jobID: 1, fence: c.fence, error: "crash again", retryable: true), .ok)
        XCTAssertEqual(try store.job(id: 1)!.state, .failed)
        XCTAssertEqual(try store.job(id: 1)!.lastError, "crash again")
    }

    func testRaisedPriorityIsClaimedFirstAndFinishedJobsKeepTheirs() throws {
        _ = try store.enqueue(jobs(3, grid: "a") + jobs(2, grid: "b"))
        let first = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        XCTAssertEqual(try store.complete(jobID: first.id, fence: first.fence, metrics: [:]), .ok)
        XCTAssertEqual(try store.setPriority(5, grid: "b"), 2)
        XCTAssertEqual(try store.setPriority(9, ids: [first.id]), 0, "a finished job is left as it is")
        let next = try store.claim(owner: "w", limit: 2, leaseSeconds: 10)
        XCTAssertEqual(next.map(\.grid), ["b", "b"])
    }

    func testCancelTellsTheRunningWorker() throws {
        _ = try store.enqueue(jobs(3))
        let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 5)[0]
        XCTAssertEqual(try store.cancel(grid: "g"), 3)
        XCTAssertEqual(try store.heartbeat(jobID: c.id, fence: c.fence, progress: 0.1, rate: nil, note: nil, leaseSeconds: 5), .cancelled)
        XCTAssertEqual(try store.complete(jobID: c.id, fence: c.fence, metrics: [:]), .cancelled)
        XCTAssertEqual(try store.counts()[.cancelled], 3)
        XCTAssertEqual(try store.retry(includeCancelled: true), 3)
    }

    func testArtifactsAndCheckpointOnReclaim() throws {
        _ = try store.enqueue(jobs(1))
        let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 5)[0]
        XCTAssertNil(c.checkpoint)
        let a = Artifact(jobID: 1, kind: "checkpoint", path: "checkpoints/job-1/latest.ckpt", size: 3, sha256: String(repeating: "a", count: 64))
        XCTAssertEqual(try store.addArtifact(a, fence: c.fence), .ok)
        XCTAssertEqual(try store.addArtifact(a, fence: c.fence), .ok)  // replaced, not duplicated
        XCTAssertEqual(try store.artifacts(jobID: 1).count, 1)
        clock.advance(6); _ = try store.rescueExpired()
        let again = try store.claim(owner: "w2", limit: 1, leaseSeconds: 5)[0]
        XCTAssertEqual(again.checkpoint, a)
        XCTAssertEqual(try store.integrityCheck(), "ok")
    }

    /// A worker stopped by SIGTERM uploads a checkpoint and releases the job,
    /// which gives the attempt back: the next claim (attempt 1 again) must
    /// still carry the checkpoint, or the job starts over.
    func testReleasedJobIsReclaimedWithItsCheckpoint() throws {
        _ = try store.enqueue(jobs(1))
        let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 5)[0]
        let a = Artifact(jobID: 1, kind: "checkpoint", path: "checkpoints/job-1/latest.ckpt", size: 3, sha256: String(repeating: "b", count: 64))
        XCTAssertEqual(try store.addArtifact(a, fence: c.fence), .ok)
        XCTAssertEqual(try store.release(jobID: 1, fence: c.fence), .ok)
        let again = try store.claim(owner: "w2", limit: 1, leaseSeconds: 5)[0]
        XCTAssertEqual(again.attempt, 1)
        XCTAssertEqual(again.checkpoint, a)
    }
}

extension StoreTests {
    /// A claim whose reply was lost: the worker reconnects listing what it
    /// holds, and the job it never heard of goes back, its attempt given back.
    func testReleaseUnheldGivesBackClaimsWhoseReplyWasLost() throws {
        _ = try store.enqueue(jobs(3))
        let held = try store.claim(owner: "w1", limit: 1, leaseSeconds: 10)[0]
        let lost = try store.claim(owner: "w1", limit: 1, leaseSeconds: 10)[0]
        let other = try store.claim(owner: "w2", limit: 1, leaseSeconds: 10)[0]
        XCTAssertEqual(try store.releaseUnheld(owner: "w1", holding: [HeldLease(job: held.id, fence: held.fence)]), [lost.id])
        let j = try XCTUnwrap(try store.job(id: lost.id))
        XCTAssertEqual(j.state, .queued); XCTAssertEqual(j.attempt, 0); XCTAssertNil(j.leaseOwner)
        XCTAssertEqual(try store.job(id: held.id)?.state, .running)
        XCTAssertEqual(try store.job(id: other.id)?.state, .running, "another worker's lease is untouched")
        // A stale fence for a held job counts as not held.
        XCTAssertEqual(try store.releaseUnheld(owner: "w1", holding: [HeldLease(job: held.id, fence: held.fence + 1)]), [held.id])
        XCTAssertEqual(try store.integrityCheck(), "ok")
    }
}
