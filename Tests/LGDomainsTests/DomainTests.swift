import XCTest
import LGDomains

final class RenderedSampleTests: XCTestCase {
    func testSampleChecksItsSizes() {
        let s = RenderedSample(image: [Float](repeating: 0, count: 12), labels: [0, 0, 0, 0], resolution: 2)
        XCTAssertEqual(s.resolution, 2)
    }
}
