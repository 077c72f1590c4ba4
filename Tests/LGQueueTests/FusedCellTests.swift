import XCTest
import Foundation
import LGStore
import LGWire

/// Fused cells through coordinator and real workers: LSE, NSE-1 and NSE-2
/// of one generator and seed claimed together and run in one process (one
/// generator and predictor pass per step) end with the metric rows they
/// get when each runs alone, also when the cell is stopped (SIGTERM: each
/// job checkpoints) and its worker killed with -9 on the way.
final class FusedCellTests: XCTestCase {
    var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
    var env: [String: String] { ["LINEARGAN_CONFIGS": repoRoot.appendingPathComponent("configs").path, "OPENBLAS_NUM_THREADS": "1",
                                 "LG_LABEL_CACHE": "off", "LG_LABEL_SERVER": "off"] }

    func cluster(steps: Int = 60) throws -> LiveCluster {
        let c = try LiveCluster(lease: 4, heartbeat: 0.5)
        addTeardownBlock { c.shutdown(); if self.testRun?.hasSucceeded == false { print(c.logs()) } else { c.cleanup() } }
        try c.startCoordinator()
        let jobs = ["LSE", "NSE-1", "NSE-2"].map { se in
            NewJob(grid: "cell", kind: "train", params: ["G": .string("fixture_stylegan2_r32"), "SE": .string(se), "epochs": .int(2),
                                                         "steps_per_epoch": .int(steps), "eval_samples": .int(20), "seed": .int(3),
                                                         "accumulation": .string("0:1,1:4")])
        }
        _ = try c.store().enqueue(jobs)
        return c
    }

    func worker(_ c: LiveCluster, _ log: String, fuse: Int, exitWhenIdle: Bool = true) throws -> Process {
        try c.spawn("worker", ["--connect", "127.0.0.1:\(c.port)", "--slots", "1", "--fuse", "\(fuse)", "--secret", c.dir + "/expr/secret",
                               "--workdir", c.dir + "/work", "--quiet", "--poll", "0.1", "--max-backoff", "0.5"]
                                + (exitWhenIdle ? ["--exit-when-idle"] : []),
                    log: log, environment: env)
    }

    /// Each job's metric rows but the measured times, by extractor.
    func results(_ c: LiveCluster) throws -> [String: [String: Double]] {
        let store = try c.store()
        var out: [String: [String: Double]] = [:]
        for j in try store.jobs() {
            out[j.params["SE"]?.description ?? "?"] = try store.metrics(jobID: j.id).filter { !$0.key.contains("seconds") }
        }
        return out
    }

    func testAStoppedAndKilledCellEndsWithTheResultsOfItsJobsRunAlone() throws {
        let alone = try cluster(steps: 150)
        let w = try worker(alone, "worker.log", fuse: 1)
        w.waitUntilExit()
        XCTAssertEqual(try alone.store().counts()[.succeeded], 3, alone.logs())
        let expected = try results(alone)
        XCTAssertEqual(expected.count, 3)
        XCTAssertFalse((try String(contentsOfFile: alone.dir + "/worker.log", encoding: .utf8)).contains("one cell"))

        let fused = try cluster(steps: 150)
        // Stopped once training is under way: every job of the cell checkpoints and goes back.
        let first = try worker(fused, "worker-1.log", fuse: 3)
        try fused.waitFor("the cell to train", timeout: 120) { try fused.store().jobs().contains { $0.progress > 0.3 } }
        first.terminate()
        first.waitUntilExit()
        let log1 = try String(contentsOfFile: fused.dir + "/worker-1.log", encoding: .utf8)
        XCTAssertTrue(log1.contains("one cell"), log1)
        XCTAssertEqual(try fused.store().counts()[.queued], 3, fused.logs())
        // Resumed from those checkpoints, then killed outright mid-run: the leases run out.
        let second = try worker(fused, "worker-2.log", fuse: 3)
        try fused.waitFor("the cell to resume", timeout: 60) {
            (try? String(contentsOfFile: fused.dir + "/worker-2.log", encoding: .utf8))?.contains("one cell") == true
        }
        // Killed once the resumed cell has moved on from its checkpoints, well
        // before its end (polled, not slept: machines differ fivefold in speed).
        try fused.waitFor("the resumed cell to advance", timeout: 60) { try fused.store().jobs().allSatisfy { $0.progress > 0.5 } }
        fused.kill9(second)
        XCTAssertLessThan(try fused.store().counts()[.succeeded] ?? 0, 3, "the kill landed after the cell's end: nothing was tested")
        // (Not --exit-when-idle: the killed worker's leases hold the jobs for a few seconds.)
        let third = try worker(fused, "worker-3.log", fuse: 3, exitWhenIdle: false)
        try fused.waitFor("the cell to finish", timeout: 120) { try fused.store().counts()[.succeeded] == 3 }
        third.terminate()
        third.waitUntilExit()
        let log3 = try String(contentsOfFile: fused.dir + "/worker-3.log", encoding: .utf8)
        XCTAssertTrue(log3.contains("one cell"), log3)
        let got = try results(fused)
        for (se, metrics) in expected {
            XCTAssertEqual(got[se], metrics, "\(se): the fused cell's rows differ from the job's own")
        }
    }

    /// Cancelling one job of a running cell stops that job only (the worker
    /// tells the cell's process on its stdin); the others finish.
    func testCancellingOneJobOfACellLeavesTheOthersRunning() throws {
        let c = try cluster(steps: 200)
        let w = try worker(c, "worker.log", fuse: 3)
        try c.waitFor("the cell to train", timeout: 120) { try c.store().jobs().allSatisfy { $0.progress > 0.02 } }
        let nse1 = try XCTUnwrap(try c.store().jobs().first { $0.params["SE"] == .string("NSE-1") })
        XCTAssertEqual(try c.store().cancel(ids: [nse1.id]), 1)
        w.waitUntilExit()
        let jobs = try c.store().jobs()
        XCTAssertEqual(jobs.filter { $0.state == .succeeded }.count, 2, c.logs())
        XCTAssertEqual(try c.store().job(id: nse1.id)?.state, .cancelled)
        let log = try String(contentsOfFile: c.dir + "/worker.log", encoding: .utf8)
        XCTAssertTrue(log.contains("job \(nse1.id): lease cancelled"), log)
        // The others' rows are whole: every curve point of both epochs and the evaluation.
        for j in jobs where j.state == .succeeded {
            let m = try c.store().metrics(jobID: j.id)
            XCTAssertNotNil(m["loss@400"], "job \(j.id)")
            XCTAssertEqual(m["eval_samples"], 20)
        }
    }
}
