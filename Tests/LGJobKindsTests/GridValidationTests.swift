import XCTest
import LGJobKinds
import LGGrid

/// Grid expansion checks every job against its kind's table at enqueue.
final class GridValidationTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lg-kinds-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ name: String, _ json: String) throws {
        try json.write(toFile: dir + "/\(name).json", atomically: true, encoding: .utf8)
    }

    func testUnknownOrMistypedParametersNameTheFileAndKey() throws {
        try write("typo", #"{"grid":"typo","kind":"train","fixed":{"G":"stylegan2_ffhq","los_type":"focal"}}"#)
        XCTAssertThrowsError(try GridLibrary(directory: dir).expand("typo")) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("typo.json") && text.contains("los_type") && text.contains("loss_type"), text)
        }
        try write("mistyped", #"{"grid":"mistyped","kind":"train","fixed":{"G":"stylegan2_ffhq"},"axes":[{"name":"epochs","values":[2,"two"]}]}"#)
        XCTAssertThrowsError(try GridLibrary(directory: dir).expand("mistyped")) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("mistyped.json") && text.contains("epochs=two") && text.contains("integer"), text)
        }
        try write("missing", #"{"grid":"missing","kind":"train_gan","fixed":{"family":"stylegan2"}}"#)
        XCTAssertThrowsError(try GridLibrary(directory: dir).expand("missing")) { XCTAssertTrue("\($0)".contains("domain"), "\($0)") }
    }

    func testSetChecksTypesToo() throws {
        try write("ok", #"{"grid":"ok","kind":"train","fixed":{"G":"stylegan2_ffhq"}}"#)
        let lib = GridLibrary(directory: dir)
        XCTAssertEqual(try lib.expand("ok", sets: ["winograd=always"]).first?.params["winograd"], .string("always"))
        XCTAssertThrowsError(try lib.expand("ok", sets: ["winograd=fast"])) { XCTAssertTrue("\($0)".contains("inference"), "\($0)") }
        XCTAssertThrowsError(try lib.expand("ok", sets: ["memory_mb=-5"])) { XCTAssertTrue("\($0)".contains("memory_mb"), "\($0)") }
    }

    /// Every grid in jobs/ fits the tables, under each of its presets
    /// (sr_LSE_arch and sr_NSE_arch named their loss axis `loss`, which
    /// every train job refused at the worker, until this check).
    func testEveryShippedGridFitsTheTables() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let lib = GridLibrary(directory: root.appendingPathComponent("jobs").path)
        XCTAssertFalse(lib.names().isEmpty)
        for g in lib.names() {
            let file = try lib.load(g)
            for preset in [nil] + (file.presets ?? [:]).keys.sorted() {
                XCTAssertNoThrow(try lib.expand(g, preset: preset), "\(g) preset \(preset ?? "default")")
            }
        }
        let arch = try lib.expand("sr_LSE_arch")
        XCTAssertEqual(Set(arch.compactMap { $0.params["loss_type"]?.stringValue }), ["focal", "normal"])
    }
}
