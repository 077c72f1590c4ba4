import XCTest
import LGWire
import LGJobKinds
@testable import LGStore
@testable import LGRunner

/// Fused cells in the claim: a claimed job brings the queued jobs of its
/// cell, and the worker groups what it got into one process per cell.
final class CellClaimTests: XCTestCase {
    var dir: String!
    var store: JobStore!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lgq-cells-\(UUID().uuidString)"
        store = try JobStore(path: dir + "/q.sqlite", clock: ManualClock())
    }
    override func tearDown() { store = nil; try? FileManager.default.removeItem(atPath: dir) }

    static func train(_ g: String, _ se: String, seed: Int = 0, lr: Double = 0.001) -> NewJob {
        NewJob(grid: "t", kind: "train", params: ["G": .string(g), "SE": .string(se), "seed": .int(seed), "lr": .double(lr)])
    }
    let rule = CellRule(size: 3) { kind, params in JobKind(rawValue: kind)?.table.cellKey(json: params) }

    func testAClaimedJobBringsTheQueuedJobsOfItsCell() throws {
        _ = try store.enqueue([Self.train("a", "LSE"), Self.train("b", "LSE"), Self.train("a", "NSE-1", lr: 0.01),
                               Self.train("a", "NSE-2", seed: 1), Self.train("a", "NSE-2"), Self.train("a", "LSE", seed: 2, lr: 0.1)])
        // Job 1 brings 3 and 5 (same generator and seed; another lr is the same cell), not 4 (another seed).
        let first = try store.claim(owner: "w", limit: 1, leaseSeconds: 60, cells: rule)
        XCTAssertEqual(first.map(\.id), [1, 3, 5])
        XCTAssertEqual(Set(first.map(\.fence)), [1])
        XCTAssertEqual(CellGroups.group(first, size: 3).map { $0.map(\.id) }, [[1, 3, 5]])
        // Without a rule (an older worker, or --fuse 1): one job per claim as before.
        XCTAssertEqual(try store.claim(owner: "w", limit: 1, leaseSeconds: 60).map(\.id), [2])
        // Two jobs asked for: each with its cell mates, none left here.
        let rest = try store.claim(owner: "w", limit: 2, leaseSeconds: 60, cells: rule)
        XCTAssertEqual(rest.map(\.id), [4, 6])
        XCTAssertEqual(CellGroups.group(rest, size: 3).map { $0.map(\.id) }, [[4], [6]])
        XCTAssertEqual(try store.claim(owner: "w", limit: 5, leaseSeconds: 60, cells: rule), [])
    }

    func testACellIsAtMostItsSizeAndKindsWithoutCellsRunAlone() throws {
        _ = try store.enqueue((0..<5).map { Self.train("a", "LSE", lr: 0.001 * Double($0 + 1)) }
                              + [NewJob(grid: "t", kind: "test_sleep", params: ["i": .int(1)]),
                                 NewJob(grid: "t", kind: "test_sleep", params: ["i": .int(2)])])
        XCTAssertEqual(try store.claim(owner: "w", limit: 1, leaseSeconds: 60, cells: rule).map(\.id), [1, 2, 3])
        XCTAssertEqual(try store.claim(owner: "w", limit: 1, leaseSeconds: 60, kinds: ["train"], cells: rule).map(\.id), [4, 5])
        let sleepers = try store.claim(owner: "w", limit: 2, leaseSeconds: 60, cells: rule)
        XCTAssertEqual(sleepers.map(\.id), [6, 7])
        XCTAssertEqual(CellGroups.group(sleepers, size: 3).count, 2)
    }

    func testTheWorkerGroupsByCellUpToTheSize() {
        func job(_ id: Int, _ se: String, seed: Int = 0) -> ClaimedJob {
            ClaimedJob(id: id, key: "k\(id)", grid: "t", kind: "train", params: ["G": .string("a"), "SE": .string(se), "seed": .int(seed)],
                       attempt: 1, maxAttempts: 3, fence: 1, checkpoint: nil)
        }
        let jobs = [job(1, "LSE"), job(2, "LSE", seed: 1), job(3, "NSE-1"), job(4, "NSE-2"), job(5, "LSE", seed: 1), job(6, "NSE-1")]
        XCTAssertEqual(CellGroups.group(jobs, size: 3).map { $0.map(\.id) }, [[1, 3, 4], [2, 5], [6]])
        XCTAssertEqual(CellGroups.group(jobs, size: 1).map { $0.map(\.id) }, [[1], [2], [3], [4], [5], [6]])
    }
}
