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
        XCTAssertEqual(SlotCount.auto.resolve(budgetBytes: 24 * gb, cores: 2).slots, 2)
        XCTAssertEqual(SlotCount.auto.resolve(budgetBytes: 24 * gb, cores: 2).threadsPerSlot, 1)
        XCTAssertEqual(SlotCount.auto.resolve(budgetBytes: 6 * gb, cores: 8).slots, 1)
        XCTAssertEqual(SlotCount.auto.resolve(budgetBytes: 6 * gb, cores: 8).threadsPerSlot, 8)
        XCTAssertEqual(SlotCount.auto.resolve(budgetBytes: 64 * gb, cores: 8).slots, 8)
        XCTAssertEqual(SlotCount.auto.resolve(budgetBytes: 24 * gb, cores: 8).slots, 4)
        XCTAssertEqual(SlotCount.fixed(3).resolve(budgetBytes: gb, cores: 8).threadsPerSlot, 2)
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
