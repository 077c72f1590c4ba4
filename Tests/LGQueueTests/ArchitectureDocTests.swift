import XCTest
import Foundation

/// docs/architecture.md's target table names exactly Package.swift's targets.
final class ArchitectureDocTests: XCTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func matches(_ pattern: String, in text: String, group: Int = 1) throws -> [String] {
        let re = try NSRegularExpression(pattern: pattern)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: group), in: text).map { String(text[$0]) }
        }
    }

    func testTargetTableMatchesPackageSwift() throws {
        let package = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = Set(try matches(#"\.(?:target|executableTarget|testTarget|systemLibrary)\(name: "([^"]+)""#, in: package))
        XCTAssertGreaterThan(targets.count, 20)
        let doc = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        guard let start = doc.range(of: "## Targets"), let end = doc.range(of: "\n## ", range: start.upperBound..<doc.endIndex) else {
            return XCTFail("docs/architecture.md has no '## Targets' section")
        }
        // The first column of each table row: one or more `name`s.
        var documented = Set<String>()
        for line in doc[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let first = line.dropFirst(2).prefix { $0 != "|" }
            documented.formUnion(try matches("`([^`]+)`", in: String(first)))
        }
        XCTAssertEqual(targets.subtracting(documented).sorted(), [], "targets missing from docs/architecture.md")
        XCTAssertEqual(documented.subtracting(targets).sorted(), [], "docs/architecture.md names targets Package.swift does not have")
    }

    /// Only the coordinator side owns the database: the worker binaries do not link SQLite.
    func testWorkersDoNotLinkSQLite() throws {
        for tool in ["worker", "lg-queue-worker", "coordinator"] {
            let exe = LiveCluster.products.appendingPathComponent(tool)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
            p.arguments = [exe.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, out)
            XCTAssertEqual(out.contains("libsqlite3"), tool == "coordinator", "\(tool): \(out)")
        }
    }
}
