import XCTest
@testable import LGTensor

/// The shape validators behind every public tensor op: a mismatch is an
/// error naming the operation and both shapes (the ops turn it into a
/// precondition failure with that message, which XCTest cannot catch, so
/// the validators are tested directly).
final class ShapeCheckTests: XCTestCase {
    func error(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try body()
            XCTFail("no shape error", file: file, line: line)
            return ""
        } catch let e as ShapeError {
            return e.description
        } catch {
            XCTFail("not a ShapeError: \(error)", file: file, line: line)
            return ""
        }
    }

    func assertNames(_ message: String, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        for p in parts { XCTAssertTrue(message.contains(p), "\"\(message)\" does not name \(p)", file: file, line: line) }
    }

    func testMatmul() throws {
        assertNames(error { _ = try Shapes.matmul([2, 3], [4, 5]) }, ["matmul", "[2, 3]", "[4, 5]"])
        assertNames(error { _ = try Shapes.matmul([2, 3, 1], [3, 5]) }, ["matmul", "[2, 3, 1]", "[3, 5]", "2-d"])
        assertNames(error { _ = try Shapes.matmul([8, 3], [8, 4], transB: true, op: "linear") }, ["linear", "[8, 3]", "[8, 4]"])
        let r = try Shapes.matmul([3, 2], [5, 3], transA: true, transB: true)
        XCTAssertEqual([r.m, r.n, r.k], [2, 5, 3])
    }

    func testConvolutions() throws {
        assertNames(error { _ = try Shapes.conv2d([1, 4, 8, 8], [16, 3, 3, 3], Conv2DOptions()) },
                    ["conv2d", "[1, 4, 8, 8]", "[16, 3, 3, 3]", "4 channels"])
        assertNames(error { _ = try Shapes.conv2d([1, 3, 2, 2], [16, 3, 3, 3], Conv2DOptions()) },
                    ["conv2d", "[1, 3, 2, 2]", "[16, 3, 3, 3]", "too small"])
        assertNames(error { _ = try Shapes.conv2d([3, 8, 8], [16, 3, 3, 3], Conv2DOptions()) }, ["conv2d", "[3, 8, 8]", "4-d"])
        XCTAssertEqual(try Shapes.conv2d([1, 3, 8, 8], [16, 3, 3, 3], Conv2DOptions(padding: 1)).outH, 8)
        assertNames(error { _ = try Shapes.convTranspose2d([1, 5, 4, 4], [4, 2, 4, 4], ConvTranspose2DOptions(stride: 2, padding: 1)) },
                    ["conv_transpose2d", "[1, 5, 4, 4]", "[4, 2, 4, 4]"])
        XCTAssertEqual(try Shapes.convTranspose2d([1, 4, 4, 4], [4, 2, 4, 4], ConvTranspose2DOptions(stride: 2, padding: 1)).height, 8)
    }

    func testBroadcastAndReduction() throws {
        assertNames(error { _ = try Shapes.broadcast([2, 3], [4, 3], op: "add") }, ["add", "[2, 3]", "[4, 3]"])
        XCTAssertEqual(try Shapes.broadcast([2, 1, 5], [3, 1]), [2, 3, 5])
        assertNames(error { try Shapes.reducible([2, 3], to: [4, 3]) }, ["sumToShape", "[2, 3]", "[4, 3]"])
        assertNames(error { try Shapes.reducible([3], to: [1, 3]) }, ["sumToShape", "[3]", "[1, 3]"])
        XCTAssertNoThrow(try Shapes.reducible([2, 3, 4], to: [3, 1]))
        assertNames(error { try Shapes.same([1, 2], [2, 1], op: "addScaled") }, ["addScaled", "[1, 2]", "[2, 1]"])
    }

    func testConcatSliceReshape() throws {
        assertNames(error { _ = try Shapes.concat([[2, 3, 4], [2, 5, 4], [1, 1, 4]], axis: 1) },
                    ["concat", "[2, 3, 4]", "[1, 1, 4]"])
        assertNames(error { _ = try Shapes.concat([[2, 3]], axis: 2) }, ["concat", "axis 2"])
        XCTAssertEqual(try Shapes.concat([[2, 3, 4], [2, 5, 4]], axis: -2), [2, 8, 4])
        assertNames(error { _ = try Shapes.slice([4, 6], axis: 1, 2..<7) }, ["slice", "[4, 6]", "2..<7"])
        assertNames(error { _ = try Shapes.slice([4, 6], axis: 2, 0..<1) }, ["slice", "[4, 6]", "axis 2"])
        XCTAssertEqual(try Shapes.slice([4, 6], axis: -1, 2..<6), 1)
        assertNames(error { _ = try Shapes.reshape([2, 3], to: [4, -1]) }, ["reshape", "[2, 3]", "[4, -1]"])
        assertNames(error { _ = try Shapes.reshape([2, 3], to: [5]) }, ["reshape", "[2, 3]", "[5]"])
        XCTAssertEqual(try Shapes.reshape([2, 3, 4], to: [-1, 4]), [6, 4])
    }
}
