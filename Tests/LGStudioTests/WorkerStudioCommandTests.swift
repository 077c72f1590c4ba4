import XCTest
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `worker studio` as a process: the serving line, a real socket, the
/// start-up extractor file, the token off loopback, a clean SIGTERM.
final class WorkerStudioCommandTests: XCTestCase {
    var worker: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("worker") }

    /// Starts the studio; returns the process, its base URL and the lines read so far.
    func start(_ http: String, out: URL) throws -> (Process, String, [String]) {
        guard FileManager.default.isExecutableFile(atPath: worker.path) else {
            throw XCTSkip("no worker binary at \(worker.path) (build with --build-tests)")
        }
        let p = Process()
        p.executableURL = worker
        p.arguments = ["studio", "--generator", "stylegan2_toyface32", "--http", http, "--out", out.path,
                       "--bootstrap-samples", "4", "--bootstrap-steps", "50", "--seed", "2"]
        p.currentDirectoryURL = StudioFixture.packageRoot
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        var lines: [String] = [], buffer = Data()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let nl = buffer.firstIndex(of: 0x0a) {
                lines.append(String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self))
                buffer = Data(buffer[(nl + 1)...])
            }
            if let l = lines.last(where: { $0.contains("studio: serving") }),
               let r = l.range(of: #"http://[^ ]+:\d+"#, options: .regularExpression) {
                let base = String(l[r]).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
                return (p, base, lines)
            }
        }
        p.terminate()
        XCTFail("no serving line: \(lines)")
        throw XCTSkip("server did not start")
    }

    func get(_ url: String, headers: [String: String] = [:]) throws -> (Int, String) {
        var req = URLRequest(url: URL(string: url)!)
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        final class Box: @unchecked Sendable { var status = -1; var body = "" }
        let box = Box(), done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: req) { data, response, _ in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? -1
            box.body = data.map { String(decoding: $0, as: UTF8.self) } ?? ""
            done.signal()
        }.resume()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        return (box.status, box.body)
    }

    func stop(_ p: Process) {
        p.terminate()
        let deadline = Date().addingTimeInterval(20)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(p.isRunning, "the studio did not stop on SIGTERM")
        if !p.isRunning { XCTAssertEqual(p.terminationStatus, 0) }
    }

    func testServesOnLoopbackWithoutToken() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("studio-cmd-\(UUID().uuidString)")
        let (p, base, lines) = try start("127.0.0.1:0", out: out)
        defer { if p.isRunning { p.terminate() } }
        XCTAssertTrue(lines.contains { $0.contains("extractor fitted at start-up: 4 samples") }, "\(lines)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("extractors/startup_stylegan2_toyface32_seed2.safetensors").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("studio_token").path))
        let (s, body) = try get(base + "/healthz")
        XCTAssertEqual(s, 200, body)
        XCTAssertTrue(body.contains("\"generator\":\"stylegan2_toyface32\""), body)
        let (s2, page) = try get(base + "/edit")
        XCTAssertEqual(s2, 200)
        XCTAssertTrue(page.contains("LinearGAN studio"))
        stop(p)
    }

    func testAnyOtherAddressNeedsTheTokenItPrints() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("studio-cmd-\(UUID().uuidString)")
        let (p, base, lines) = try start("0.0.0.0:0", out: out)
        defer { if p.isRunning { p.terminate() } }
        let tokenURL = out.appendingPathComponent("studio_token")
        let token = try String(contentsOf: tokenURL, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(token.count, 64)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: tokenURL.path)[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(lines.filter { $0.contains(token) }.count, 1, "printed once: \(lines)")
        let (s, body) = try get(base + "/healthz")
        XCTAssertEqual(s, 401, body)
        XCTAssertTrue(body.contains("missing or wrong token"))
        XCTAssertEqual(try get(base + "/healthz", headers: ["Authorization": "Bearer \(token)"]).0, 200)
        XCTAssertEqual(try get(base + "/healthz", headers: ["Cookie": "lgstudio_token=\(token)"]).0, 200)
        stop(p)
    }
}
