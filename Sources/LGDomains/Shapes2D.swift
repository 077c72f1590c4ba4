import Foundation

/// Two-dimensional shape tests: a rotated, scaled local frame (for faces
/// drawn in face coordinates), ellipses, capsules and convex polygons.

/// A similarity transform from a local frame (u right, v down, unit =
/// `scale` image widths, rotated by `angle`) to normalised image coordinates.
struct Frame2D {
    var cx: Float, cy: Float, scale: Float
    let cosA: Float, sinA: Float

    init(cx: Float, cy: Float, scale: Float, angle: Float) {
        self.cx = cx; self.cy = cy; self.scale = scale
        cosA = cosf(angle); sinA = sinf(angle)
    }

    /// Image point to local coordinates.
    @inline(__always)
    func local(_ x: Float, _ y: Float) -> SIMD2<Float> {
        let dx = (x - cx) / scale, dy = (y - cy) / scale
        return SIMD2(dx * cosA + dy * sinA, -dx * sinA + dy * cosA)
    }

    /// Local point to image coordinates.
    @inline(__always)
    func image(_ u: Float, _ v: Float) -> SIMD2<Float> {
        SIMD2(cx + scale * (u * cosA - v * sinA), cy + scale * (u * sinA + v * cosA))
    }

    /// The image bounding box of a local box.
    func box(_ u0: Float, _ v0: Float, _ u1: Float, _ v1: Float) -> Box2 {
        Box2(points: [image(u0, v0), image(u1, v0), image(u0, v1), image(u1, v1)])
    }
}

/// Inside an axis-aligned ellipse.
@inline(__always)
func inEllipse(_ p: SIMD2<Float>, _ c: SIMD2<Float>, _ rx: Float, _ ry: Float) -> Bool {
    let dx = (p.x - c.x) / rx, dy = (p.y - c.y) / ry
    return dx * dx + dy * dy < 1
}

/// 1 - normalised squared radius of an ellipse (> 0 inside).
@inline(__always)
func ellipseField(_ p: SIMD2<Float>, _ c: SIMD2<Float>, _ rx: Float, _ ry: Float) -> Float {
    let dx = (p.x - c.x) / rx, dy = (p.y - c.y) / ry
    return 1 - (dx * dx + dy * dy)
}

/// Distance from p to the segment a-b.
@inline(__always)
func segmentDistance(_ p: SIMD2<Float>, _ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float {
    let ab = b - a, ap = p - a
    let t = min(1, max(0, (ap.x * ab.x + ap.y * ab.y) / max(1e-12, ab.x * ab.x + ab.y * ab.y)))
    let d = ap - ab * t
    return (d.x * d.x + d.y * d.y).squareRoot()
}

/// A convex polygon in image coordinates with a fast inside test.
struct ConvexPolygon {
    let points: [SIMD2<Float>]
    private let edges: [SIMD3<Float>]   // a x + b y + c >= 0 inside
    let box: Box2

    init?(_ pts: [SIMD2<Float>]) {
        guard pts.count >= 3 else { return nil }
        var area: Float = 0
        for i in 0..<pts.count {
            let a = pts[i], b = pts[(i + 1) % pts.count]
            area += a.x * b.y - b.x * a.y
        }
        guard abs(area) > 1e-9 else { return nil }
        let s: Float = area > 0 ? 1 : -1
        var e: [SIMD3<Float>] = []
        for i in 0..<pts.count {
            let a = pts[i], b = pts[(i + 1) % pts.count]
            // inside when cross(b - a, p - a) has the sign of the area
            let nx = -(b.y - a.y) * s, ny = (b.x - a.x) * s
            e.append(SIMD3(nx, ny, -(nx * a.x + ny * a.y)))
        }
        points = pts
        edges = e
        box = Box2(points: pts)
    }

    @inline(__always)
    func contains(_ x: Float, _ y: Float) -> Bool {
        for e in edges where e.x * x + e.y * y + e.z < 0 { return false }
        return true
    }
}
