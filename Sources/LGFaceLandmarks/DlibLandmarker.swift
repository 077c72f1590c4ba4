import CDlibShim
import Foundation

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw FaceLandmarkError.badImage("\(pixels.count) bytes for \(width)x\(height) RGB")
        }
        self.width = width; self.height = height; self.pixels = pixels
    }
}

/// A detected face: dlib's rectangle (inclusive pixel bounds) and score.
public struct FaceDetection: Sendable, Equatable {
    public var left, top, right, bottom: Double
    public var score: Double
}

/// A landmark point in pixel coordinates of the image it was fitted on.
public struct LandmarkPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// dlib's HOG frontal face detector and a regression-tree shape predictor
/// (`shape_predictor_68_face_landmarks.dat`), through the C shim.
/// Safe to share between threads: the shim serialises detector calls, and
/// the shape predictor is read-only.
public final class DlibLandmarker: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Number of landmark points of the model.
    public let numParts: Int

    public init(modelPath: String) throws {
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw FaceLandmarkError.missingModel(paths: [modelPath])
        }
        var err = [CChar](repeating: 0, count: 512)
        guard let h = lg_dlib_create(modelPath, &err, err.count) else {
            throw FaceLandmarkError.dlib("cannot load \(modelPath): \(Self.message(err))")
        }
        handle = h
        numParts = Int(lg_dlib_num_parts(h))
    }

    deinit { lg_dlib_destroy(handle) }

    /// Faces in `image`, best first. `upsample` doubles the image that many
    /// times before detecting (the detector finds faces of about 80 px and up).
    public func detect(_ image: RGBImage, upsample: Int = 0, maxFaces: Int = 8) throws -> [FaceDetection] {
        var rects = [Double](repeating: 0, count: 4 * maxFaces)
        var scores = [Double](repeating: 0, count: maxFaces)
        var err = [CChar](repeating: 0, count: 512)
        let n = image.pixels.withUnsafeBufferPointer { px in
            lg_dlib_detect(handle, px.baseAddress, Int32(image.height), Int32(image.width), Int32(upsample),
                           &rects, &scores, Int32(maxFaces), &err, err.count)
        }
        guard n >= 0 else { throw FaceLandmarkError.dlib(Self.message(err)) }
        return (0..<min(Int(n), maxFaces)).map { i in
            FaceDetection(left: rects[4 * i], top: rects[4 * i + 1], right: rects[4 * i + 2],
                          bottom: rects[4 * i + 3], score: scores[i])
        }
    }

    /// The landmarks fitted inside `face`.
    public func landmarks(_ image: RGBImage, face: FaceDetection) throws -> [LandmarkPoint] {
        var xy = [Double](repeating: 0, count: 2 * numParts)
        var err = [CChar](repeating: 0, count: 512)
        let rect = [face.left, face.top, face.right, face.bottom]
        let rc = image.pixels.withUnsafeBufferPointer { px in
            lg_dlib_landmarks(handle, px.baseAddress, Int32(image.height), Int32(image.width), rect, &xy, &err, err.count)
        }
        guard rc == 0 else { throw FaceLandmarkError.dlib(Self.message(err)) }
        return (0..<numParts).map { LandmarkPoint(x: xy[2 * $0], y: xy[2 * $0 + 1]) }
    }

    private static func message(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
