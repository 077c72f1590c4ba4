import XCTest
import Foundation
import LGStore
import LGRunner

/// Memory per slot (issue #35 item 4): the pure rules, then a real worker
/// that holds a job back while another one's memory is taken.
final class MemoryGateTests: XCTestCase {
    let gb: UInt64 = 1 << 30

    func testAdmissionStartsWaitsOrRefuses() {
        XCTAssertEqual(Admission.decide(needs: 2 * gb, running: [], budget: 4 * gb), .start)
        XCTAssertEqual(Admission.decide(needs: 2 * gb, running: [gb], budget: 4 * gb), .start)
        XCTAssertEqual(Admission.decide(needs: 2 * gb, running: [3 * gb], budget: 4 * gb), .wait(needs: 2 * gb, free: gb))
        XCTAssertEqual(Admission.decide(needs: 2 * gb, running: [5 * gb], budget: 4 * gb), .wait(needs: 2 * gb, free: 0))
        XCTAssertEqual(Admission.decide(needs: 5 * gb, running: [], budget: 4 * gb), .tooLarge(needs: 5 * gb, budget: 4 * gb))
    }

    func testEstimatesComeFromTheGridThenThisHostThenThePaperTable() {
        var t = PeakMemoryTable()
        let params: [String: JSONValue] = ["G": "stylegan2_ffhq", "SE": "LSE"]
        XCTAssertEqual(t.estimate(kind: "train", params: params), PeakMemoryTable.paperScale["stylegan2_ffhq"])
        XCTAssertEqual(t.estimate(kind: "train", params: ["G": "zoo_x"]), PeakMemoryTable.unknownBytes)
        t.record(kind: "train", params: params, peakBytes: gb)
        t.record(kind: "train", params: params, peakBytes: gb / 2)   // the larger figure is kept
        XCTAssertEqual(t.estimate(kind: "train", params: params), gb)
        XCTAssertEqual(t.estimate(kind: "train", params: params.merging(["memory_mb": 300]) { a, _ in a }), 300 << 20)
        // Another extractor of the same generator is another key.
        XCTAssertEqual(t.estimate(kind: "train", params: ["G": "stylegan2_ffhq", "SE": "NSE-2"]),
                       PeakMemoryTable.paperScale["stylegan2_ffhq"])
        let path = NSTemporaryDirectory() + "peak-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertNoThrow(try t.save(path))
        XCTAssertEqual(PeakMemoryTable.load(path), t)
        XCTAssertEqual(PeakMemoryTable.load(path + ".missing"), PeakMemoryTable())
    }

    func testSlotsAutoAndSizes() {
        XCTAssertEqual(SlotCount.auto.resolve(cores: 2).slots, 2)
        XCTAssertEqual(SlotCount.auto.resolve(cores: 8).slots, 8)
        XCTAssertEqual(SlotCount.auto.resolve(cores: 8).threadsPerSlot, 1)
        XCTAssertEqual(SlotCount.fixed(3).resolve(cores: 8).threadsPerSlot, 2)
        XCTAssertEqual(SlotCount.fixed(4).resolve(cores: 2).threadsPerSlot, 1)
        XCTAssertEqual(SlotCount.fixed(3).corePlan(cores: 8), .fixed(threads: 2))
        XCTAssertEqual(SlotCount.auto.corePlan(cores: 8), .bySize(cores: 8))
        XCTAssertEqual(SlotCount(argument: "auto"), .auto)
        XCTAssertEqual(SlotCount(argument: "4"), .fixed(4))
        XCTAssertNil(SlotCount(argument: "many"))
        XCTAssertEqual(ByteCount.parse("512M"), 512 << 20)
        XCTAssertEqual(ByteCount.parse("1.5G"), 3 * gb / 2)
        XCTAssertEqual(ByteCount.parse("20GiB"), 20 * gb)
        XCTAssertEqual(ByteCount.parse("4096"), 4096)
        XCTAssertNil(ByteCount.parse("lots"))
        XCTAssertNil(ByteCount.parse("-1G"))
        XCTAssertEqual(HostResources.memoryLimit(meminfo: "MemTotal:       24000000 kB\nMemFree: 1 kB\n", cgroupMax: "max\n"), 24_000_000 * 1024)
        XCTAssertEqual(HostResources.memoryLimit(meminfo: "MemTotal:       24000000 kB\n", cgroupMax: "4294967296\n"), 4 * gb)
    }

    /// `--slots auto`'s cores: a paper-scale process (expected above 1 GB)
    /// takes two where free, one where only one is, none where none is; any
    /// other process one. A fixed slot count gives every process its share.
    func testAutoGivesPaperScaleJobsTwoCoresAndOthersOne() {
        let auto = CorePlan.bySize(cores: 2), eight = CorePlan.bySize(cores: 8)
        let paper = PeakMemoryTable.paperScale["stylegan2_bedroom"]!, zoo: UInt64 = 200 << 20
        XCTAssertEqual(auto.threads(expectedBytes: paper, running: []), 2)
        XCTAssertEqual(auto.threads(expectedBytes: zoo, running: []), 1)
        XCTAssertEqual(auto.threads(expectedBytes: PeakMemoryTable.unknownBytes, running: []), 1, "a kind never measured is not paper-scale")
        XCTAssertEqual(auto.threads(expectedBytes: paper, running: [1]), 1, "one core free: it runs on that one")
        XCTAssertNil(auto.threads(expectedBytes: zoo, running: [2]))
        XCTAssertNil(auto.threads(expectedBytes: zoo, running: [1, 1]))
        XCTAssertEqual(auto.freeCores(running: [2]), 0)
        XCTAssertEqual(eight.threads(expectedBytes: paper, running: [2, 2, 2]), 2)
        XCTAssertEqual(eight.freeCores(running: [2, 2, 2, 1]), 1)
        XCTAssertEqual(CorePlan.fixed(threads: 3).threads(expectedBytes: paper, running: [3, 3, 3]), 3)
        XCTAssertEqual(CorePlan.fixed(threads: 1).freeCores(running: [1, 1]), Int.max, "fixed: the slots bound it")
    }

    /// A live worker with `--slots auto` on two cores: two paper-scale jobs
    /// run one after the other, each on two threads (the second goes back
    /// to the queue without an attempt counted while the first holds both
    /// cores); two small ones then run side by side on one thread each.
    func testSlotsAutoRunsPaperScaleJobsOnTwoThreadsOneAtATime() throws {
        let cluster = try LiveCluster()
        defer { cluster.shutdown(); cluster.cleanup() }
        try cluster.startCoordinator()
        try cluster.enqueue(2, ["steps": .int(8), "step_ms": .int(100), "memory_mb": .int(2000), "report_threads": .int(1)])
        let w = try cluster.startWorker(slots: 2, exitWhenIdle: true,
                                        extraArguments: ["--slots", "auto", "--cores", "2", "--memory-limit", "16G"])
        let store = try cluster.store()
        try cluster.waitFor("both paper-scale jobs to succeed", timeout: 40) { try store.counts()[.succeeded] == 2 }
        var jobs = try store.jobs().sorted { ($0.startedAt ?? 0) < ($1.startedAt ?? 0) }
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(jobs[1].startedAt), try XCTUnwrap(jobs[0].finishedAt), cluster.logs())
        XCTAssertEqual(try jobs.map { try store.metrics(jobID: $0.id)["threads"] }, [2, 2], cluster.logs())
        XCTAssertTrue(jobs.allSatisfy { $0.attempt == 1 }, cluster.logs())
        w.waitUntilExit()

        _ = try store.enqueue((0..<2).map { NewJob(grid: "live", kind: "test_sleep", params: ["i": .int($0), "steps": .int(8), "step_ms": .int(100), "memory_mb": .int(200), "report_threads": .int(1)]) })
        let w2 = try cluster.startWorker(slots: 2, exitWhenIdle: true,
                                         extraArguments: ["--slots", "auto", "--cores", "2", "--memory-limit", "16G"])
        try cluster.waitFor("both small jobs to succeed", timeout: 40) { try store.counts()[.succeeded] == 4 }
        w2.waitUntilExit()
        jobs = try store.jobs().filter { $0.params["memory_mb"] == .int(200) }.sorted { ($0.startedAt ?? 0) < ($1.startedAt ?? 0) }
        XCTAssertEqual(try jobs.map { try store.metrics(jobID: $0.id)["threads"] }, [1, 1], cluster.logs())
        XCTAssertLessThan(try XCTUnwrap(jobs[1].startedAt), try XCTUnwrap(jobs[0].finishedAt), "side by side: \(cluster.logs())")
    }

    /// Two slots, room for one of two 1 GB jobs: they run one after the
    /// other, each once (the held-back one goes back to the queue without
    /// an attempt counted); a 4 GB job fails with what it needs.
    func testAJobThatDoesNotFitWaitsAndOneThatNeverFitsFailsClearly() throws {
        let cluster = try LiveCluster()
        defer { cluster.shutdown(); cluster.cleanup() }
        try cluster.startCoordinator()
        try cluster.enqueue(2, ["steps": .int(10), "step_ms": .int(100), "memory_mb": .int(1000)])
        let w = try cluster.startWorker(slots: 2, exitWhenIdle: true, extraArguments: ["--memory-limit", "1.5G"])
        let store = try cluster.store()
        try cluster.waitFor("both jobs to succeed", timeout: 40) { try store.counts()[.succeeded] == 2 }
        // The second ran from its last claim, made when the first finished.
        let jobs = try store.jobs().sorted { ($0.startedAt ?? 0) < ($1.startedAt ?? 0) }
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(jobs[1].startedAt), try XCTUnwrap(jobs[0].finishedAt), cluster.logs())
        XCTAssertTrue(cluster.logs().contains("back to the queue until a running job finishes"), cluster.logs())
        XCTAssertTrue(try store.jobs().allSatisfy { $0.attempt == 1 }, cluster.logs())
        w.waitUntilExit()
        // Its measured peak is kept for the next run on this host.
        let table = PeakMemoryTable.load(cluster.dir + "/work/peak-memory.json")
        XCTAssertEqual(table.measured.count, 1, cluster.logs())
        XCTAssertGreaterThan(table.measured.values.first ?? 0, 1 << 20)

        _ = try store.enqueue([NewJob(grid: "live", kind: "test_sleep", params: ["steps": .int(1), "memory_mb": .int(4000)])])
        let w2 = try cluster.startWorker(slots: 1, exitWhenIdle: true, extraArguments: ["--memory-limit", "1.5G"])
        try cluster.waitFor("the 4 GB job to fail", timeout: 30) { try store.counts()[.failed] == 1 }
        w2.waitUntilExit()
        let failed = try XCTUnwrap(store.jobs(state: .failed).first)
        XCTAssertTrue(failed.lastError?.contains("needs about 3.9 GB") == true, failed.lastError ?? "no error")
    }
}
