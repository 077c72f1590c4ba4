import LGFaceLandmarks
import XCTest

/// The shim against dlib's own pipeline (scripts/dlib-reference/landmarks.cpp,
/// dlib's face_landmark_detection example) on DCGAN faces prepared as the
/// parser prepares them (192 px face in a 256 px canvas).
final class DlibLandmarkerTests: XCTestCase {
    nonisolated(unsafe) static var shared: DlibLandmarker?

    func landmarker() throws -> DlibLandmarker {
        if let l = Self.shared { return l }
        let l = try DlibLandmarker(modelPath: try landmarkModelPath())
        Self.shared = l
        return l
    }

    func testMatchesDlibsOwnPipelineWithinOnePixel() throws {
        let dlib = try landmarker()
        XCTAssertEqual(dlib.numParts, 68)
        let refs = try referenceFaces()
        XCTAssertEqual(refs.count, 4)
        XCTAssertEqual(refs.filter { $0.faces > 0 }.count, 2, "the fixture holds two images with a face and two without")
        for ref in refs {
            let image = try fixturePNG(ref.image)
            XCTAssertEqual(image.width, 256)
            let faces = try dlib.detect(image)
            XCTAssertEqual(faces.count, ref.faces, ref.image)
            guard let rect = ref.rect, let best = faces.first, let refPts = ref.landmarks else { continue }
            XCTAssertEqual([best.left, best.top, best.right, best.bottom], rect, ref.image)
            let pts = try dlib.landmarks(image, face: best)
            XCTAssertEqual(pts.count, refPts.count)
            for (p, r) in zip(pts, refPts) {
                XCTAssertLessThanOrEqual(abs(p.x - r[0]), 1, ref.image)
                XCTAssertLessThanOrEqual(abs(p.y - r[1]), 1, ref.image)
            }
        }
    }

    func testMissingOrCorruptModelGivesAClearError() throws {
        XCTAssertThrowsError(try DlibLandmarker(modelPath: "/nonexistent/shape_predictor_68_face_landmarks.dat")) { error in
            XCTAssertTrue("\(error)".contains("scripts/fetch-models.sh"), "\(error)")
        }
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).dat")
        try Data([1, 2, 3, 4, 5]).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        XCTAssertThrowsError(try DlibLandmarker(modelPath: bad.path)) { error in
            guard case FaceLandmarkError.dlib = error else { return XCTFail("\(error)") }
        }
    }

    func testImageSizeIsChecked() {
        XCTAssertThrowsError(try RGBImage(width: 4, height: 4, pixels: [0, 1, 2]))
    }
}
