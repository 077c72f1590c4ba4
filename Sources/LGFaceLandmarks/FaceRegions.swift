/// The face regions rasterised from the 68 iBUG landmarks (0-16 jaw,
/// 17-21 / 22-26 brows, 27-30 nose bridge, 31-35 nostrils, 36-41 / 42-47
/// eyes, 48-59 outer lips, 60-67 inner lips). docs/face-landmarks.md shows
/// them on an image.
public enum FaceRegions {
    /// Class names, index = label value.
    public static let classNames = ["background", "skin", "brow", "eye", "nose", "upper_lip", "lower_lip", "mouth"]

    public enum Region: Int32, CaseIterable, Sendable {
        case background = 0, skin, brow, eye, nose, upperLip, lowerLip, mouth
    }

    /// The polygons of one face, in the order they are painted (later ones
    /// cover earlier ones): skin, nose, brows, eyes, upper lip, lower lip,
    /// inner mouth.
    ///
    /// - skin: the jaw line 0..16 closed along the brows (26..17);
    /// - nose: bridge top 27 to the nostril base 35..31;
    /// - brow: a band along each brow's five points, 0.12 x the inter-ocular
    ///   distance thick (0.04 above the points, 0.08 below, "below" being the
    ///   direction from the brows' middle to the chin);
    /// - eye: 36..41 and 42..47;
    /// - upper lip: outer 48..54 then inner 64..60; lower lip: outer
    ///   54..59, 48 then inner 60, 67..64; mouth: inner 60..67.
    public static func polygons(_ p: [LandmarkPoint]) throws -> [(Region, [LandmarkPoint])] {
        guard p.count == 68 else { throw FaceLandmarkError.unsupportedModel(parts: p.count) }
        func pts(_ idx: [Int]) -> [LandmarkPoint] { idx.map { p[$0] } }
        let eyeL = centroid(pts(Array(36...41))), eyeR = centroid(pts(Array(42...47)))
        let iod = ((eyeL.x - eyeR.x) * (eyeL.x - eyeR.x) + (eyeL.y - eyeR.y) * (eyeL.y - eyeR.y)).squareRoot()
        let browMid = LandmarkPoint(x: (p[21].x + p[22].x) / 2, y: (p[21].y + p[22].y) / 2)
        var dx = p[8].x - browMid.x, dy = p[8].y - browMid.y
        let len = max((dx * dx + dy * dy).squareRoot(), 1e-9)
        dx /= len; dy /= len
        func band(_ idx: [Int]) -> [LandmarkPoint] {
            let up = idx.map { LandmarkPoint(x: p[$0].x - 0.04 * iod * dx, y: p[$0].y - 0.04 * iod * dy) }
            let down = idx.reversed().map { LandmarkPoint(x: p[$0].x + 0.08 * iod * dx, y: p[$0].y + 0.08 * iod * dy) }
            return up + down
        }
        return [
            (.skin, pts(Array(0...16) + Array((17...26).reversed()))),
            (.nose, pts([27, 35, 34, 33, 32, 31])),
            (.brow, band(Array(17...21))),
            (.brow, band(Array(22...26))),
            (.eye, pts(Array(36...41))),
            (.eye, pts(Array(42...47))),
            (.upperLip, pts(Array(48...54) + [64, 63, 62, 61, 60])),
            (.lowerLip, pts([54, 55, 56, 57, 58, 59, 48, 60, 67, 66, 65, 64])),
            (.mouth, pts(Array(60...67))),
        ]
    }

    /// Paints the regions of each face into a `resolution` x `resolution`
    /// label map. Landmarks are in pixel coordinates of an image of
    /// `imageSize` pixels (pixel i covers [i - 0.5, i + 0.5]); a label pixel
    /// takes the region whose polygon contains its centre (even-odd rule).
    public static func rasterize(faces: [[LandmarkPoint]], imageSize: Int, resolution: Int) throws -> [Int32] {
        var out = [Int32](repeating: Region.background.rawValue, count: resolution * resolution)
        let scale = Double(resolution) / Double(imageSize)
        for face in faces {
            for (region, poly) in try polygons(face) {
                // To label-map continuous coordinates (pixel j covers [j, j + 1]).
                let q = poly.map { LandmarkPoint(x: ($0.x + 0.5) * scale, y: ($0.y + 0.5) * scale) }
                fill(q, value: region.rawValue, into: &out, resolution: resolution)
            }
        }
        return out
    }

    static func fill(_ poly: [LandmarkPoint], value: Int32, into out: inout [Int32], resolution r: Int) {
        guard poly.count >= 3 else { return }
        let minY = max(0, Int((poly.map(\.y).min()! - 0.5).rounded(.down)))
        let maxY = min(r - 1, Int((poly.map(\.y).max()! - 0.5).rounded(.up)))
        guard minY <= maxY else { return }
        var xs: [Double] = []
        for y in minY...maxY {
            let cy = Double(y) + 0.5
            xs.removeAll(keepingCapacity: true)
            var j = poly.count - 1
            for i in 0..<poly.count {
                let a = poly[i], b = poly[j]
                if (a.y > cy) != (b.y > cy) {
                    xs.append(a.x + (cy - a.y) / (b.y - a.y) * (b.x - a.x))
                }
                j = i
            }
            xs.sort()
            var k = 0
            while k + 1 < xs.count {
                // Pixel centres x + 0.5 inside [xs[k], xs[k+1]).
                let x0 = max(0, Int((xs[k] - 0.5).rounded(.up)))
                let x1 = min(r - 1, Int((xs[k + 1] - 0.5).rounded(.up)) - 1)
                if x0 <= x1 { for x in x0...x1 { out[y * r + x] = value } }
                k += 2
            }
        }
    }

    static func centroid(_ p: [LandmarkPoint]) -> LandmarkPoint {
        LandmarkPoint(x: p.map(\.x).reduce(0, +) / Double(p.count), y: p.map(\.y).reduce(0, +) / Double(p.count))
    }
}
