import Foundation
import XCTest
import LGStore

/// A temporary job store in which tests record finished jobs with their
/// metrics, the way workers do (enqueue, claim, complete).
final class CompletedJobs {
    let directory = NSTemporaryDirectory() + "lgq-rep-\(UUID().uuidString)"
    let store: JobStore

    init() throws { store = try JobStore(path: directory + "/q.sqlite") }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func add(_ kind: String, _ p: [String: JSONValue], _ m: [String: Double], grid: String = "g",
             provenance: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try store.enqueue([NewJob(grid: grid, kind: kind, params: p)])
        let c = try store.claim(owner: "w", limit: 1, leaseSeconds: 10)[0]
        XCTAssertEqual(try store.complete(jobID: c.id, fence: c.fence, metrics: m, provenance: provenance), .ok, file: file, line: line)
    }
}
