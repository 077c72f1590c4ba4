import Foundation
import XCTest
@testable import LGModelIO

enum Fixture {
    static func url(_ name: String) -> URL {
        let base = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
        return base.appendingPathComponent(name)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }

    nonisolated(unsafe) static var expectedCache: [String: Any]?

    static func expected() throws -> [String: Any] {
        if let e = expectedCache { return e }
        let e = try JSONSerialization.jsonObject(with: Data(contentsOf: url("expected.json"))) as! [String: Any]
        expectedCache = e
        return e
    }
}

func temporaryURL(_ name: String) -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lgmodelio-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name)
}

/// Asserts that `body` throws a ModelIOError (not any other error, and does not crash).
@discardableResult
func assertModelIOError<T>(_ body: @autoclosure () throws -> T, _ message: String = "",
                           file: StaticString = #filePath, line: UInt = #line) -> ModelIOError? {
    do {
        _ = try body()
        XCTFail("expected a ModelIOError \(message)", file: file, line: line)
        return nil
    } catch let e as ModelIOError {
        XCTAssertFalse(e.description.isEmpty, file: file, line: line)
        return e
    } catch {
        XCTFail("expected a ModelIOError, got \(error) \(message)", file: file, line: line)
        return nil
    }
}

func assertClose(_ a: [Float], _ b: [Double], tol: Double = 1e-6, _ what: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "count \(what)", file: file, line: line)
    for (x, y) in zip(a, b) where abs(Double(x) - y) > tol * max(1, abs(y)) {
        XCTFail("\(what): \(x) vs \(y)", file: file, line: line)
        return
    }
}
