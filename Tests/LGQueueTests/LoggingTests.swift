import XCTest
import Foundation
import Logging
import LGNet
@testable import LGLogging

/// The daemons' log lines: text and JSON, and `--log-format json` live.
final class LoggingTests: XCTestCase {
    func testTextAndJSONLines() throws {
        let date = Date(timeIntervalSince1970: 1_796_000_000.25)
        let text = LineLogHandler.format(.text, date: date, level: .notice, label: "coordinator",
                                         message: "closing connection: bad_mac", metadata: ["worker": "h:1", "job": "4"])
        XCTAssertTrue(text.hasSuffix(" notice coordinator: closing connection: bad_mac job=4 worker=h:1"), text)
        XCTAssertTrue(text.hasPrefix("2026-11-30T"), text)
        let json = LineLogHandler.format(.json, date: date, level: .warning, label: "worker",
                                         message: "quote \" and newline \n", metadata: ["worker": "h:1", "tags": ["a", "b"]])
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(o["level"] as? String, "warning")
        XCTAssertEqual(o["label"] as? String, "worker")
        XCTAssertEqual(o["message"] as? String, "quote \" and newline \n")
        XCTAssertEqual(o["worker"] as? String, "h:1")
        XCTAssertEqual(o["tags"] as? [String], ["a", "b"])
        XCTAssertFalse(json.contains("\n"), "one event, one line")
    }

    func testLogLevelOption() throws {
        let o = try LogOptions.parse(["--log-level", "debug", "--log-format", "json"])
        XCTAssertEqual(o.logLevel, .debug)
        XCTAssertEqual(o.logFormat, .json)
        XCTAssertThrowsError(try LogOptions.parse(["--log-level", "loud"]))
    }

    /// `coordinator serve --log-format json`: every line on stderr is a JSON object.
    func testCoordinatorWritesJSONLines() throws {
        let cluster = try LiveCluster()
        defer { cluster.shutdown(); cluster.cleanup() }
        let portFile = cluster.dir + "/port"
        cluster.coordinator = try cluster.spawn("coordinator", ["serve", "--db", cluster.db, "--listen", "127.0.0.1:0",
                                                                "--port-file", portFile, "--log-format", "json", "--log-level", "debug"],
                                                log: "coordinator.log")
        try cluster.waitFor("coordinator to listen", timeout: 10) { FileManager.default.fileExists(atPath: portFile) }
        cluster.port = Int(try String(contentsOfFile: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        // A refused connection is logged.
        let s = try Socket.connect(host: "127.0.0.1", port: cluster.port)
        try s.send([0, 0, 0, 0])
        _ = try? s.receive()
        cluster.coordinator!.terminate(); cluster.coordinator!.waitUntilExit()
        let lines = try String(contentsOfFile: cluster.dir + "/coordinator.log", encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("{") }
        XCTAssertGreaterThanOrEqual(lines.count, 2, "the refusal and the shutdown")
        for l in lines {
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any], String(l))
            XCTAssertEqual(o["label"] as? String, "coordinator")
            XCTAssertNotNil(o["ts"]); XCTAssertNotNil(o["level"]); XCTAssertNotNil(o["message"])
        }
        XCTAssertTrue(lines.contains { $0.contains("bad_frame") }, lines.joined(separator: "\n"))
    }
}
