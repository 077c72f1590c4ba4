/// What can go wrong when parsing faces with landmarks.
public enum FaceLandmarkError: Error, CustomStringConvertible, Equatable {
    /// The landmark model file is not where it was looked for.
    case missingModel(paths: [String])
    /// dlib could not read the model file, or failed on an image.
    case dlib(String)
    /// An image of the wrong shape or range was given.
    case badImage(String)
    /// The model has a number of landmarks the region definitions do not use.
    case unsupportedModel(parts: Int)

    public var description: String {
        switch self {
        case .missingModel(let paths):
            return "the 68-point landmark model shape_predictor_68_face_landmarks.dat is missing (looked in: "
                + paths.joined(separator: ", ")
                + "). Run scripts/fetch-models.sh (it downloads PyPI face_recognition_models 0.3.0 into the model cache), or pass its path"
        case .dlib(let message):
            return "dlib: \(message)"
        case .badImage(let reason):
            return "bad image: \(reason)"
        case .unsupportedModel(let parts):
            return "the landmark model has \(parts) points; the face regions are defined on the 68-point iBUG layout"
        }
    }
}
