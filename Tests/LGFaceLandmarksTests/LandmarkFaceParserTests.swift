import LGFaceLandmarks
import LGModelIO
import LGTensor
import XCTest

/// The parser end to end on four real DCGAN samples (64 px, two of them with
/// a face dlib finds).
final class LandmarkFaceParserTests: XCTestCase {
    func images() throws -> Tensor {
        try NPY.read(try fixtureURL("dcgan_faces64.npy"))
    }

    func testCanvasMatchesTheReferencePreparation() throws {
        let parser = try LandmarkFaceParser(modelPath: try landmarkModelPath())
        let x = try images()
        let names = ["dcgan_face00.png", "dcgan_face04.png", "dcgan_face11.png", "dcgan_face18.png"]
        for (i, name) in names.enumerated() {
            let mine = try parser.parseImage(x, index: i)
            let ref = try fixturePNG(name)
            XCTAssertEqual(mine.width, ref.width)
            let off = zip(mine.pixels, ref.pixels).filter { abs(Int($0) - Int($1)) > 1 }.count
            XCTAssertEqual(off, 0, "\(name): \(off) bytes differ by more than 1")
        }
    }

    func testLabelsFacesAndReportsMisses() throws {
        let parser = try LandmarkFaceParser(modelPath: try landmarkModelPath())
        let labels = try parser.parse(try images(), labelResolution: 64)
        XCTAssertEqual(labels.shape, [4, 64, 64])
        XCTAssertEqual(parser.statistics.images, 4)
        XCTAssertEqual(parser.statistics.noFace, 2)
        let hw = 64 * 64
        for (i, hasFace) in [false, true, false, true].enumerated() {
            let map = labels.data[i * hw ..< (i + 1) * hw]
            let present = Set(map)
            if !hasFace {
                XCTAssertEqual(present, [0], "image \(i) has no face: all background")
                continue
            }
            // Every region but the inner mouth (closed mouths have none) shows up, skin is the largest face region, and the
            // face sits in the middle of the frame.
            for region in FaceRegions.Region.allCases where region != .mouth {
                XCTAssertTrue(present.contains(region.rawValue), "image \(i) lacks \(FaceRegions.classNames[Int(region.rawValue)])")
            }
            let skin = map.filter { $0 == FaceRegions.Region.skin.rawValue }.count
            XCTAssertGreaterThan(skin, hw / 8)
            XCTAssertEqual(map[map.startIndex + 32 * 64 + 32] != 0, true, "image \(i): centre pixel is background")
        }
        // The one-hot logits agree with the labels.
        let logits = parser.logits(image: try images().slice(axis: 0, 1 ..< 2), labelResolution: 32)
        XCTAssertEqual(logits.shape, [1, 8, 32, 32])
        XCTAssertEqual(Labels.argmax(logits), try parser.parse(try images().slice(axis: 0, 1 ..< 2), labelResolution: 32))
    }
}
