import Foundation
import LGModels

/// Where the landmark model lives: an explicit path, or the model cache
/// (`scripts/fetch-models.sh` unpacks PyPI face_recognition_models 0.3.0
/// into `cache/models/`).
public enum LandmarkModelFiles {
    public static let fileName = "shape_predictor_68_face_landmarks.dat"

    public static func locate(explicit: String? = nil) throws -> String {
        let candidates = explicit.map { [$0] } ?? [ModelCache.path(fileName)]
        for path in candidates where FileManager.default.fileExists(atPath: path) { return path }
        throw FaceLandmarkError.missingModel(paths: candidates)
    }
}
