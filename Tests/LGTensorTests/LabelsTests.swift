import XCTest
@testable import LGTensor

final class LabelsTests: XCTestCase {
    func testSliceAndConcatRoundTrip() {
        let l = Labels(shape: [3, 2, 2], data: (0..<12).map { Int32($0) })
        XCTAssertEqual(l.slice(1..<3), Labels(shape: [2, 2, 2], data: (4..<12).map { Int32($0) }))
        XCTAssertEqual(l.slice(0..<0).shape, [0, 2, 2])
        XCTAssertEqual(Labels.concat([l.slice(0..<1), l.slice(1..<3)]), l)
    }

    func testArgmaxTakesTheLowestIndexOnTies() {
        // (1, 3, 1, 2): pixel 0 scores (1, 5, 5) -> 1; pixel 1 scores (2, 0, 2) -> 0.
        let scores = Tensor(shape: [1, 3, 1, 2], data: [1, 2, 5, 0, 5, 2])
        XCTAssertEqual(Labels.argmax(scores), Labels(shape: [1, 1, 2], data: [1, 0]))
    }
}
