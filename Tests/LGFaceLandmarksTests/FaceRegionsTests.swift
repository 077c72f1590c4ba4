import XCTest
@testable import LGFaceLandmarks

final class FaceRegionsTests: XCTestCase {
    /// A square polygon covers exactly the pixel centres inside it.
    func testFillCoversPixelCentresInside() {
        var out = [Int32](repeating: 0, count: 16)
        let sq = [LandmarkPoint(x: 1, y: 1), LandmarkPoint(x: 3, y: 1), LandmarkPoint(x: 3, y: 3), LandmarkPoint(x: 1, y: 3)]
        FaceRegions.fill(sq, value: 7, into: &out, resolution: 4)
        XCTAssertEqual(out, [0, 0, 0, 0,
                             0, 7, 7, 0,
                             0, 7, 7, 0,
                             0, 0, 0, 0])
    }

    func testRegionsNeedTheSixtyEightPointLayout() {
        XCTAssertThrowsError(try FaceRegions.polygons([LandmarkPoint](repeating: LandmarkPoint(x: 0, y: 0), count: 5)))
    }
}
