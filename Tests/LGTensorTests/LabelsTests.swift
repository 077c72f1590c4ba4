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

    func testArgmaxOverBlocksAndCoresIsThePerPixelArgmax() {
        // 2 samples of 7 channels, 61 x 83 pixels (several pixel blocks, a
        // partial last one); scores rounded to tenths so that ties occur,
        // and NaNs in channel 0 (kept) and in later channels (never taken).
        var scores = randn([2, 7, 61, 83], seed: 5)
        scores.data = scores.data.map { ($0 * 10).rounded() / 10 }
        for k in stride(from: 0, to: scores.count, by: 997) { scores.data[k] = .nan }
        let n = 2, c = 7, p = 61 * 83
        var expected = [Int32](repeating: 0, count: n * p)
        for i in 0..<n {
            for q in 0..<p {
                var best = scores.data[i * c * p + q], bi: Int32 = 0
                for j in 1..<c where scores.data[(i * c + j) * p + q] > best {
                    best = scores.data[(i * c + j) * p + q]
                    bi = Int32(j)
                }
                expected[i * p + q] = bi
            }
        }
        XCTAssertEqual(Labels.argmax(scores), Labels(shape: [2, 61, 83], data: expected))
        XCTAssertTrue(Set(expected).count == c, "every class wins somewhere")
        XCTAssertEqual(Labels.argmax(Tensor(shape: [1, 1, 2, 2], data: [3, 1, 2, 0])), Labels(zeros: [1, 2, 2]))
    }
}
