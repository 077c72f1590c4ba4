import CKernels
import Dispatch
import Foundation
import XCTest
@testable import LGTensor

/// The fork-join pool behind `Parallel.perform` / `forEach`: every part runs
/// exactly once, whichever thread takes it, over many short jobs in a row
/// (the case the pool's tickets guard: a thread still on the last job must
/// not take a part of the next), with jobs started from several threads at
/// once and from inside a part (both fall back to concurrentPerform).
final class ParallelTests: XCTestCase {
    func testEveryPartRunsOnceOverManyShortJobs() {
        if Parallel.width > 1, ProcessInfo.processInfo.environment["LG_POOL"] != "0" {
            XCTAssertEqual(Parallel.pool, Parallel.width - 1, "the pool's threads did not start")
        }
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { counts.deallocate() }
        let c = UncheckedSendable(counts)
        for job in 0..<20_000 {
            let parts = 1 + job % 7
            counts.update(repeating: 0, count: 64)
            Parallel.perform(parts) { p in c.value[p] += 1 + job }
            for p in 0..<parts where counts[p] != 1 + job {
                XCTFail("job \(job): part \(p) of \(parts) added \(counts[p]), not \(1 + job)")
                return
            }
            XCTAssertEqual(counts[parts], 0)
        }
    }

    func testJobsFromSeveralThreadsAndFromInsideAPart() {
        let total = 8 * 500 * 4
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: total)
        hits.initialize(repeating: 0, count: total)
        defer { hits.deallocate() }
        let h = UncheckedSendable(hits)
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for j in 0..<500 {
                Parallel.perform(4) { p in h.value[(t * 500 + j) * 4 + p] += 1 }
            }
        }
        XCTAssertEqual((0..<total).filter { hits[$0] != 1 }.count, 0, "parts not run exactly once")

        // forEach inside forEach: the inner regions find the pool busy.
        var sums = [Int](repeating: 0, count: 12)
        sums.withUnsafeMutableBufferPointer { s in
            let out = UncheckedSendable(s.baseAddress!)
            Parallel.forEach(12) { outer in
                for i in outer {
                    let inner = UnsafeMutablePointer<Int>.allocate(capacity: 10)
                    inner.initialize(repeating: 0, count: 10)
                    let q = UncheckedSendable(inner)
                    Parallel.forEach(10) { r in for k in r { q.value[k] = k * i } }
                    out.value[i] = (0..<10).map { inner[$0] }.reduce(0, +)
                    inner.deallocate()
                }
            }
        }
        XCTAssertEqual(sums, (0..<12).map { 45 * $0 })
    }

    func testTheCKernelRefusesWhatItCannotRun() {
        XCTAssertEqual(lg_fork_join(0, { _, _ in }, nil), 0)
        XCTAssertEqual(lg_fork_join(70_000, { _, _ in }, nil), 0)
        XCTAssertEqual(lg_fork_join(3, nil, nil), 0)
    }
}
