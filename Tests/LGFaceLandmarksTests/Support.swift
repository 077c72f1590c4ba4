import Foundation
import LGFaceLandmarks
import LGModelIO
import LGModels
import XCTest

/// The landmark model comes from the model cache (scripts/fetch-models.sh).
/// Under CI (which fetches it first) a missing file fails instead of skipping.
func landmarkModelPath() throws -> String {
    let candidates = [ModelCache.path(LandmarkModelFiles.fileName),
                      URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                          .appendingPathComponent("../../cache/models/\(LandmarkModelFiles.fileName)").standardized.path]
    if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
    if ProcessInfo.processInfo.environment["CI"] != nil {
        XCTFail("landmark model missing at \(candidates[0]): CI must run scripts/fetch-models.sh first")
    }
    throw XCTSkip("landmark model not in the model cache; run scripts/fetch-models.sh")
}

func fixtureURL(_ name: String) throws -> URL {
    let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
    guard let url = Bundle.module.url(forResource: parts[0], withExtension: parts.count > 1 ? parts[1] : nil, subdirectory: "Fixtures") else {
        throw XCTSkip("fixture \(name) is not in the test bundle")
    }
    return url
}

func fixturePNG(_ name: String) throws -> RGBImage {
    let png = try PNG.decode([UInt8](Data(contentsOf: try fixtureURL(name))))
    return try RGBImage(width: png.width, height: png.height, pixels: png.rgb())
}

/// One entry of dlib_reference.json (scripts/dlib-reference/landmarks.cpp).
struct ReferenceFace: Decodable {
    var image: String
    var faces: Int
    var rect: [Double]?
    var landmarks: [[Double]]?
}

func referenceFaces() throws -> [ReferenceFace] {
    try JSONDecoder().decode([ReferenceFace].self, from: Data(contentsOf: try fixtureURL("dlib_reference.json")))
}
