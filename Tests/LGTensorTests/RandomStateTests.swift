import Foundation
import XCTest
import LGTensor

final class RandomStateTests: XCTestCase {
    func testStateRoundTripsThroughJSONExactly() throws {
        var r = RandomStreams.make(42, "latents")
        _ = r.normal()  // leaves a spare normal behind
        let data = try JSONEncoder().encode(RandomState(r))
        var back = try JSONDecoder().decode(RandomState.self, from: data).random().get()
        for _ in 0..<5 { XCTAssertEqual(r.normal(), back.normal()) }
    }

    func testStreamsDifferByNameAndSeed() {
        XCTAssertNotEqual(RandomStreams.seed(1, "a"), RandomStreams.seed(1, "b"))
        XCTAssertNotEqual(RandomStreams.seed(1, "a"), RandomStreams.seed(2, "a"))
        XCTAssertEqual(RandomStreams.seed(7, "eval"), RandomStreams.seed(7, "eval"))
    }

    func testMalformedStateIsRejectedWithReason() {
        var s = RandomState(SeededRandom(seed: 1))
        s.words = ["1", "2", "zz", "4"]
        XCTAssertEqual(s.random().map { _ in 0 }, .failure(.badWords(["1", "2", "zz", "4"])))
        s = RandomState(SeededRandom(seed: 1)); s.spare = "not-hex"
        XCTAssertEqual(s.random().map { _ in 0 }, .failure(.badSpare("not-hex")))
    }
}
