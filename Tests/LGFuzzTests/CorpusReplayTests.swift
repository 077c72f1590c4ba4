import XCTest
import Foundation
import LGFuzz

/// Every committed seed (fuzz/corpus/TARGET/) and every input that once
/// crashed a reader (fuzz/regressions/TARGET/) runs through its target.
final class CorpusReplayTests: XCTestCase {
    var fuzzRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fuzz")
    }

    func inputs(_ kind: String, _ t: FuzzTarget) -> [URL] {
        let dir = fuzzRoot.appendingPathComponent(kind).appendingPathComponent(t.rawValue)
        return ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.lastPathComponent != "README.md" }
    }

    func testEveryTargetHasSeeds() {
        for t in FuzzTarget.allCases { XCTAssertFalse(inputs("corpus", t).isEmpty, "fuzz/corpus/\(t.rawValue) has no seed") }
    }

    func testSeedsAndRegressionsRunWithoutACrash() throws {
        var n = 0
        for t in FuzzTarget.allCases {
            for f in inputs("corpus", t) + inputs("regressions", t) {
                t.run([UInt8](try Data(contentsOf: f))); n += 1
            }
        }
        XCTAssertGreaterThan(n, FuzzTarget.allCases.count)
    }
}
