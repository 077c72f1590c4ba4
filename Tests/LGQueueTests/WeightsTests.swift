import XCTest
import Foundation
import LGStore

/// A grid whose weights this host lacks: `enqueue` says which and points to
/// the zoo; a worker without them fails each job once, with the reason.
final class WeightsTests: XCTestCase {
    var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testEnqueueWarnsAndAJobWithMissingWeightsFailsOnceWithTheReason() throws {
        let cluster = try LiveCluster(lease: 5, heartbeat: 0.3)
        addTeardownBlock { cluster.shutdown(); if self.testRun?.hasSucceeded == false { print(cluster.logs()) } else { cluster.cleanup() } }
        // An empty weights folder and model cache: nothing of the paper's is found.
        let env = ["LINEARGAN_CONFIGS": repoRoot.appendingPathComponent("configs").path,
                   "LINEARGAN_WEIGHTS": cluster.dir + "/no-weights", "LINEARGAN_CACHE": cluster.dir + "/no-cache",
                   "OPENBLAS_NUM_THREADS": "1"]
        let grids = repoRoot.appendingPathComponent("jobs").path
        func coordinator(_ args: [String], log: String) throws -> (Int32, String) {
            let p = try cluster.spawn("coordinator", args, log: log, environment: env)
            p.waitUntilExit()
            return (p.terminationStatus, try String(contentsOfFile: cluster.dir + "/" + log, encoding: .utf8))
        }
        // --require-weights refuses and enqueues nothing.
        let (refused, why) = try coordinator(["enqueue", "sr_all_method", "--db", cluster.db, "--grids", grids, "--require-weights"],
                                             log: "refused.log")
        XCTAssertNotEqual(refused, 0)
        XCTAssertTrue(why.contains("generator stylegan2_ffhq") && why.contains("how to obtain:") && why.contains("sr_all_method_zoo"), why)
        XCTAssertFalse(why.contains("USAGE"), "a refusal is not a usage error: \(why)")
        XCTAssertEqual(try cluster.store().jobs().count, 0)
        // Without it: a warning, and the jobs are enqueued.
        let (ok, warned) = try coordinator(["enqueue", "sr_all_method", "--db", cluster.db, "--grids", grids,
                                            "--preset", "quick", "--set", "G=stylegan2_ffhq", "--set", "SE=LSE"], log: "enqueue.log")
        XCTAssertEqual(ok, 0, warned)
        XCTAssertTrue(warned.contains("weights missing on this host") && warned.contains("predictor face_seg")
                      && warned.contains("coordinator enqueue sr_all_method_zoo"), warned)
        let store = try cluster.store()
        XCTAssertEqual(try store.jobs().count, 1)
        // A worker without the weights: failed at once, attempt 1, the reason stored and logged.
        try cluster.startCoordinator()
        let w = try cluster.spawn("worker", ["--connect", "127.0.0.1:\(cluster.port)", "--secret", cluster.dir + "/expr/secret",
                                             "--workdir", cluster.dir + "/work", "--exit-when-idle", "--quiet"],
                                  log: "worker.log", environment: env)
        w.waitUntilExit()
        let j = try XCTUnwrap(try store.jobs().first)
        XCTAssertEqual(j.state, .failed)
        XCTAssertEqual(j.attempt, 1, "a permanent failure is not retried")
        XCTAssertTrue(j.lastError?.contains("weights of 'face_seg' not found") == true, j.lastError ?? "")
        let log = try String(contentsOfFile: cluster.dir + "/worker.log", encoding: .utf8)
        XCTAssertTrue(log.contains("job \(j.id) failed: weights of 'face_seg' not found"), log)
        XCTAssertTrue(log.contains("reported to the coordinator (permanent: not retried)"), log)
    }
}
