import XCTest
import Foundation
import LGStore

/// The scene path through the queue: `fixture_scene_smoke` (the fixture
/// StyleGAN2 labelled by the reduced DeepLabV3 + ResNeSt segmenter with
/// stylegan2_bedroom's classes) through coordinator and a real worker.
final class SceneGridTests: XCTestCase {
    var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testSceneGridRunsThroughCoordinatorAndWorker() throws {
        let cluster = try LiveCluster(lease: 30, heartbeat: 0.5)
        addTeardownBlock { cluster.shutdown(); if self.testRun?.hasSucceeded == false { print(cluster.logs()) } else { cluster.cleanup() } }
        // The fixture models are pinned to paths under the repository: run from there.
        let env = ["LINEARGAN_CONFIGS": repoRoot.appendingPathComponent("configs").path, "OPENBLAS_NUM_THREADS": "1"]
        try cluster.startCoordinator()
        let enqueue = try cluster.spawn("coordinator", ["enqueue", "fixture_scene_smoke", "--db", cluster.db,
                                                        "--grids", repoRoot.appendingPathComponent("jobs").path],
                                        log: "enqueue.log", environment: env)
        enqueue.waitUntilExit()
        XCTAssertEqual(enqueue.terminationStatus, 0, cluster.logs())
        let w = try cluster.spawn("worker", ["--connect", "127.0.0.1:\(cluster.port)", "--slots", "2", "--secret", cluster.dir + "/expr/secret",
                                             "--workdir", cluster.dir + "/work", "--exit-when-idle", "--quiet"],
                                  log: "worker.log", environment: env)
        w.waitUntilExit()
        let store = try cluster.store()
        XCTAssertEqual(try store.counts()[.succeeded], 3, cluster.logs())
        let csv = try String(contentsOf: repoRoot.appendingPathComponent("configs/selected_labels.csv"), encoding: .utf8)
        let row = try XCTUnwrap(csv.split(separator: "\n").first { $0.hasPrefix("stylegan2_bedroom,") })
        let bedroomClasses = row.split(separator: ",").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        XCTAssertEqual(bedroomClasses.count, 16)
        for j in try store.jobs() {
            let m = try store.metrics(jobID: j.id)
            XCTAssertNotNil(m["mIoU"], "job \(j.id): \(m)")
            // One IoU per class LinearGAN selects for stylegan2_bedroom (selected_labels.csv), by name.
            XCTAssertEqual(Set(m.keys.filter { $0.hasPrefix("iou/") }), Set(bedroomClasses.map { "iou/" + $0 }))
            XCTAssertEqual(try store.provenance(jobID: j.id)["predictor"], "fixture_scene_deeplab_small")
            // The extractor's label sheet: rendered by the job, uploaded by the worker, kept by the coordinator.
            let sheet = try XCTUnwrap(try store.artifacts(jobID: j.id).first { $0.kind == "label_sheet.png" }, "job \(j.id)")
            let file = (cluster.dir as NSString).appendingPathComponent("expr/" + sheet.path)
            XCTAssertEqual(FileManager.default.contents(atPath: file).map { Array($0.prefix(4)) }, [0x89, 0x50, 0x4e, 0x47], file)
        }
    }

    /// Labels shared through the coordinator by workers that share no disk:
    /// worker A (its own label-cache folder) computes the scene labels of a
    /// stream and offers them; worker B (another empty folder) runs three
    /// more jobs of the same stream and computes none of them.
    func testWorkersOnOtherHostsShareLabelsThroughTheCoordinator() throws {
        let cluster = try LiveCluster(lease: 30, heartbeat: 0.5)
        addTeardownBlock { cluster.shutdown(); if self.testRun?.hasSucceeded == false { print(cluster.logs()) } else { cluster.cleanup() } }
        let env = ["LINEARGAN_CONFIGS": repoRoot.appendingPathComponent("configs").path, "OPENBLAS_NUM_THREADS": "1"]
        try cluster.startCoordinator()
        func enqueue(_ extra: [String]) throws {
            let p = try cluster.spawn("coordinator", ["enqueue", "fixture_scene_smoke", "--db", cluster.db,
                                                      "--grids", repoRoot.appendingPathComponent("jobs").path] + extra,
                                      log: "enqueue.log", environment: env)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, cluster.logs())
        }
        func work(_ host: String) throws {
            let w = try cluster.spawn("worker", ["--connect", "127.0.0.1:\(cluster.port)", "--slots", "1", "--secret", cluster.dir + "/expr/secret",
                                                 "--workdir", cluster.dir + "/work-" + host, "--exit-when-idle", "--quiet"],
                                      log: "worker-\(host).log",
                                      environment: env.merging(["LG_LABEL_CACHE": cluster.dir + "/cache-" + host]) { $1 })
            w.waitUntilExit()
            XCTAssertEqual(w.terminationStatus, 0, cluster.logs())
        }
        func entries(_ dir: String) -> Int {
            (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".lbl") }.count
        }
        /// (from the coordinator, computed) as the job's log reports them.
        func labelCounts(_ job: Int) throws -> (remote: Int, computed: Int) {
            let line = try XCTUnwrap(try cluster.store().logTail(jobID: job).map(\.line).last { $0.contains("label cache:") }, "job \(job)")
            func count(_ what: String) -> Int? {
                line.range(of: #"(\d+) "# + what, options: .regularExpression).flatMap { Int(line[$0].split(separator: " ")[0]) }
            }
            return (try XCTUnwrap(count("from the coordinator"), line), try XCTUnwrap(count("computed"), line))
        }
        try enqueue([])
        try work("a")
        let store = try cluster.store()
        XCTAssertEqual(try store.counts()[.succeeded], 3, cluster.logs())
        // 8 training and 4 evaluation samples of one stream: computed once, offered to the coordinator.
        XCTAssertEqual(entries(cluster.dir + "/cache-a"), 12)
        XCTAssertEqual(entries(cluster.dir + "/expr/label-cache"), 12)
        XCTAssertEqual(try store.jobs().map { try labelCounts($0.id).computed }.reduce(0, +), 12)
        // The same stream under other job keys, on a host with nothing on its disk.
        try enqueue(["--set", "winograd=inference"])
        try work("b")
        XCTAssertEqual(try store.counts()[.succeeded], 6, cluster.logs())
        let second = try store.jobs().filter { $0.params["winograd"] != nil }
        XCTAssertEqual(second.count, 3)
        XCTAssertEqual(try second.map { try labelCounts($0.id).computed }, [0, 0, 0])
        XCTAssertEqual(try second.map { try labelCounts($0.id).remote }.reduce(0, +), 12)
        XCTAssertEqual(entries(cluster.dir + "/cache-b"), 12)
    }
}
