import Foundation
import LGModels
import LGTensor

/// A face parser from landmarks: detect the face with dlib's HOG detector,
/// fit the 68 landmarks, rasterise `FaceRegions` at the label resolution.
/// Images whose face is not found are labelled background and counted
/// (`statistics`).
///
/// Geometry: each image (N, 3, H, W) in [-1, 1] is bilinearly resized
/// (align_corners false) to `faceSize` px, rounded to 8 bits, and placed in
/// the middle of a `canvas` px square whose border repeats the edge pixels.
/// The detector needs faces of about 80 px and up, and finds tightly cropped
/// faces (the DCGAN's CelebA crops cut the chin) more often with a margin:
/// on DCGAN samples 192 in 256 finds about 80 % of faces, 256 without
/// margin about 65 % (docs/face-landmarks.md).
public final class LandmarkFaceParser: SegmentationPredictor, @unchecked Sendable {
    public let classNames = FaceRegions.classNames
    public let landmarker: DlibLandmarker
    public let faceSize: Int
    public let canvas: Int
    /// Detector upsampling passes (0: the canvas as is).
    public let upsample: Int
    private let lock = NSLock()
    private var counts = (images: 0, noFace: 0)

    public init(landmarker: DlibLandmarker, faceSize: Int = 192, canvas: Int = 256, upsample: Int = 0) throws {
        guard landmarker.numParts == 68 else { throw FaceLandmarkError.unsupportedModel(parts: landmarker.numParts) }
        guard faceSize > 0, canvas >= faceSize else {
            throw FaceLandmarkError.badImage("face size \(faceSize) must be positive and fit the canvas \(canvas)")
        }
        self.landmarker = landmarker
        self.faceSize = faceSize
        self.canvas = canvas
        self.upsample = upsample
    }

    public convenience init(modelPath: String, faceSize: Int = 192, canvas: Int = 256, upsample: Int = 0) throws {
        try self.init(landmarker: DlibLandmarker(modelPath: modelPath), faceSize: faceSize, canvas: canvas, upsample: upsample)
    }

    /// Offset of the face inside the canvas.
    public var margin: Int { (canvas - faceSize) / 2 }

    /// Images parsed so far and how many of them had no detected face.
    public var statistics: (images: Int, noFace: Int) {
        lock.lock(); defer { lock.unlock() }
        return counts
    }

    /// The 8-bit canvas the parser sees for image `n` of a batch.
    public func parseImage(_ images: Tensor, index n: Int) throws -> RGBImage {
        guard images.shape.count == 4, images.shape[1] == 3, n >= 0, n < images.shape[0] else {
            throw FaceLandmarkError.badImage("expected (N, 3, H, W) images and an index below N, got \(images.shape) and \(n)")
        }
        let one = images.slice(axis: 0, n ..< n + 1)
        let f = faceSize, c = canvas, m = margin
        let resized = (one.shape[2] == f && one.shape[3] == f) ? one : one.resizeBilinear(height: f, width: f, alignCorners: false)
        var px = [UInt8](repeating: 0, count: c * c * 3)
        resized.data.withUnsafeBufferPointer { d in
            for y in 0..<c {
                let sy = min(max(y - m, 0), f - 1)
                for x in 0..<c {
                    let sx = min(max(x - m, 0), f - 1)
                    for ch in 0..<3 {
                        let v = (d[(ch * f + sy) * f + sx] + 1) * 127.5
                        px[(y * c + x) * 3 + ch] = UInt8(max(0, min(255, v.rounded())))
                    }
                }
            }
        }
        return try RGBImage(width: c, height: c, pixels: px)
    }

    /// The landmarks of the best face of an image, or nil when none is found.
    public func landmarks(of image: RGBImage) throws -> [LandmarkPoint]? {
        guard let face = try landmarker.detect(image, upsample: upsample, maxFaces: 1).first else { return nil }
        return try landmarker.landmarks(image, face: face)
    }

    /// Label maps (N, r, r), r = `labelResolution` (the input size when nil).
    public func parse(_ images: Tensor, labelResolution: Int?) throws -> Labels {
        let n = images.shape[0], r = labelResolution ?? images.shape[2]
        var results = [[Int32]?](repeating: nil, count: n)
        var failure: Error?
        var missing = 0
        let resultLock = NSLock()
        Parallel.forEach(n) { range in
          for i in range {
            do {
                let img = try self.parseImage(images, index: i)
                let pts = try self.landmarks(of: img)
                let m = Double(self.margin)
                let face = pts.map { [$0.map { LandmarkPoint(x: $0.x - m, y: $0.y - m) }] } ?? []
                let labels = try FaceRegions.rasterize(faces: face, imageSize: self.faceSize, resolution: r)
                resultLock.lock(); results[i] = labels; if pts == nil { missing += 1 }; resultLock.unlock()
            } catch {
                resultLock.lock(); failure = error; resultLock.unlock()
            }
          }
        }
        if let failure { throw failure }
        lock.lock(); counts.images += n; counts.noFace += missing; lock.unlock()
        return Labels(shape: [n, r, r], data: results.flatMap { $0! })
    }

    // MARK: SegmentationPredictor

    public func labels(image: Tensor, labelResolution: Int?) -> Labels {
        do { return try parse(image, labelResolution: labelResolution) } catch {
            // The predictor interface cannot throw: a dlib failure on an
            // image is a bug in the shim, not bad user input.
            fatalError("landmark face parser: \(error)")
        }
    }

    /// One-hot scores of `labels(image:labelResolution:)`.
    public func logits(image: Tensor, labelResolution: Int?) -> Tensor {
        let labels = self.labels(image: image, labelResolution: labelResolution)
        let n = labels.shape[0], h = labels.shape[1], w = labels.shape[2], k = classNames.count
        var out = [Float](repeating: 0, count: n * k * h * w)
        for b in 0..<n {
            for i in 0..<(h * w) {
                out[(b * k + Int(labels.data[b * h * w + i])) * h * w + i] = 1
            }
        }
        return Tensor(shape: [n, k, h, w], data: out)
    }
}
