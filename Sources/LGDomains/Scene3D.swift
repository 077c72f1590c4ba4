import Foundation

/// A small 3-D layer for the scene domains: a pinhole camera, planar convex
/// faces with perspective-correct texture coordinates and Lambert lighting,
/// objects (convex face sets or custom billboards) and a painter's ordering
/// of objects by separating planes of their bounding boxes.
///
/// World: x right, y up, z forward (metres). Camera space: x right, y up,
/// z along the view direction. Image: normalised, y down.

typealias Vec3 = SIMD3<Float>

@inline(__always) func dot(_ a: Vec3, _ b: Vec3) -> Float { (a * b).sum() }
@inline(__always) func cross(_ a: Vec3, _ b: Vec3) -> Vec3 {
    Vec3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
@inline(__always) func normalize(_ a: Vec3) -> Vec3 { a / max(1e-12, dot(a, a).squareRoot()) }

struct Camera {
    let position: Vec3
    let focal: Float
    // Camera axes in world coordinates.
    let right: Vec3, up: Vec3, forward: Vec3
    static let near: Float = 0.05

    /// `yaw` turns right (radians), `pitch` looks up; `focal` in image widths.
    init(position: Vec3, yaw: Float, pitch: Float, focal: Float) {
        self.position = position
        self.focal = focal
        let cy = cosf(yaw), sy = sinf(yaw), cp = cosf(pitch), sp = sinf(pitch)
        forward = Vec3(sy * cp, sp, cy * cp)
        right = Vec3(cy, 0, -sy)
        up = cross(forward, right)
    }

    @inline(__always) func toCamera(_ p: Vec3) -> Vec3 {
        let d = p - position
        return Vec3(dot(d, right), dot(d, up), dot(d, forward))
    }
    @inline(__always) func directionToCamera(_ d: Vec3) -> Vec3 { Vec3(dot(d, right), dot(d, up), dot(d, forward)) }
    @inline(__always) func toWorld(_ c: Vec3) -> Vec3 { position + right * c.x + up * c.y + forward * c.z }

    @inline(__always) func project(_ c: Vec3) -> SIMD2<Float> {
        SIMD2(0.5 + focal * c.x / c.z, 0.5 - focal * c.y / c.z)
    }
    /// Camera-space ray direction through an image point (z = 1).
    @inline(__always) func ray(_ x: Float, _ y: Float) -> Vec3 {
        Vec3((x - 0.5) / focal, -(y - 0.5) / focal, 1)
    }
    /// World-space unit direction through an image point.
    @inline(__always) func worldRay(_ x: Float, _ y: Float) -> Vec3 {
        let r = ray(x, y)
        return normalize(right * r.x + up * r.y + forward * r.z)
    }
}

/// Surface colour before lighting at texture coordinates (metres along the
/// face's axes) and world point.
typealias Material = (SIMD2<Float>, Vec3) -> RGB

/// A planar convex polygon with a label and a material.
struct Face3 {
    var vertices: [Vec3]
    var normal: Vec3
    var origin: Vec3, uAxis: Vec3, vAxis: Vec3
    var label: Int32?
    var material: Material
    /// Optional cut-out in texture coordinates (arched windows, round frames).
    var mask: ((SIMD2<Float>) -> Bool)?
    /// Light emitted regardless of lighting (lamp shades, window views): 0...1.
    var emissive: Float = 0

    /// A parallelogram o, o+u, o+u+v, o+v; the normal is u x v normalised.
    init(origin o: Vec3, u: Vec3, v: Vec3, label: Int32?, material: @escaping Material) {
        vertices = [o, o + u, o + u + v, o + v]
        normal = normalize(cross(u, v))
        origin = o; uAxis = normalize(u); vAxis = normalize(v)
        self.label = label; self.material = material
    }

    /// A general convex planar polygon with explicit texture axes and normal.
    init(vertices: [Vec3], normal: Vec3, origin: Vec3, uAxis: Vec3, vAxis: Vec3, label: Int32?, material: @escaping Material) {
        self.vertices = vertices; self.normal = normalize(normal)
        self.origin = origin; self.uAxis = normalize(uAxis); self.vAxis = normalize(vAxis)
        self.label = label; self.material = material
    }

    /// The same face moved `d` along its normal (decals in front of walls).
    func offset(_ d: Float) -> Face3 {
        var f = self
        f.vertices = vertices.map { $0 + normal * d }
        f.origin = origin + normal * d
        return f
    }

    /// Flips the normal to point towards `p` (room walls seen from inside).
    func facing(_ p: Vec3) -> Face3 {
        var f = self
        if dot(normal, p - vertices[0]) < 0 { f.normal = -normal }
        return f
    }

    /// Flips the normal to point away from `p` (outside of a solid).
    func away(from p: Vec3) -> Face3 {
        var f = self
        if dot(normal, vertices[0] - p) < 0 { f.normal = -normal }
        return f
    }
}

/// Directional light plus ambient plus point lights, applied per pixel.
struct Lighting {
    var ambient: RGB
    var sunDirection: Vec3          // towards the light
    var sunColor: RGB
    var points: [(position: Vec3, color: RGB)] = []

    @inline(__always)
    func light(normal: Vec3, at p: Vec3) -> RGB {
        var c = ambient + sunColor * max(0, dot(normal, sunDirection))
        for l in points {
            let d = l.position - p
            let r2 = max(0.05, dot(d, d))
            let ndl = max(0, dot(normal, d) / r2.squareRoot())
            c += l.color * (0.35 + 0.65 * ndl) / (1 + r2)
        }
        return c
    }
}

extension Canvas {
    /// Draws one face if it faces the camera: near-plane clipping, convex fill,
    /// perspective texture coordinates, lighting.
    mutating func draw(_ face: Face3, camera: Camera, lighting: Lighting,
                       post: ((RGB, Vec3) -> RGB)? = nil) {
        guard dot(face.normal, camera.position - face.vertices[0]) > 1e-5 else { return }
        var cam = face.vertices.map { camera.toCamera($0) }
        cam = clipNear(cam)
        guard cam.count >= 3, let poly = ConvexPolygon(cam.map { camera.project($0) }) else { return }
        let nc = camera.directionToCamera(face.normal)
        let planeC = dot(nc, camera.toCamera(face.origin))
        let uc = camera.directionToCamera(face.uAxis), vc = camera.directionToCamera(face.vAxis)
        let oc = camera.toCamera(face.origin)
        let n = face.normal, emissive = face.emissive
        let material = face.material
        @inline(__always) func surface(_ x: Float, _ y: Float) -> (SIMD2<Float>, Vec3) {
            let d = camera.ray(x, y)
            let den = dot(nc, d)
            let t = abs(den) > 1e-9 ? Swift.max(0, planeC / den) : 0
            let pc = d * t
            let rel = pc - oc
            return (SIMD2(dot(rel, uc), dot(rel, vc)), camera.toWorld(pc))
        }
        let paint: (Float, Float, RGB) -> RGB = { x, y, _ in
            let (uv, pw) = surface(x, y)
            let base = material(uv, pw)
            var c = emissive >= 1 ? base : base * (lighting.light(normal: n, at: pw) * (1 - emissive) + emissive)
            if let post { c = post(c, pw) }
            return c
        }
        if let mask = face.mask {
            fill(poly.box, label: face.label, inside: { x, y in poly.contains(x, y) && mask(surface(x, y).0) }, paint: paint)
        } else {
            fill(poly.box, label: face.label, inside: { x, y in poly.contains(x, y) }, paint: paint)
        }
    }
}

/// Sutherland-Hodgman clipping of a camera-space polygon against z >= near.
func clipNear(_ poly: [Vec3]) -> [Vec3] {
    let near = Camera.near
    var out: [Vec3] = []
    for i in 0..<poly.count {
        let a = poly[i], b = poly[(i + 1) % poly.count]
        let ina = a.z >= near, inb = b.z >= near
        if ina { out.append(a) }
        if ina != inb {
            let t = (near - a.z) / (b.z - a.z)
            out.append(a + (b - a) * t)
        }
    }
    return out
}

/// An object of a scene: an axis-aligned bounding box for ordering, and
/// either convex faces (drawn with back-face culling) or a custom routine
/// (billboards).
struct SceneObject {
    var min: Vec3, max: Vec3
    var faces: [Face3] = []
    var custom: ((inout Canvas, Camera, Lighting) -> Void)? = nil

    /// A billboard or other custom drawing inside the given bounds.
    init(min: Vec3, max: Vec3, draw: @escaping (inout Canvas, Camera, Lighting) -> Void) {
        self.min = min; self.max = max; self.custom = draw
    }

    /// A convex solid.
    init(faces: [Face3]) {
        var lo = Vec3(repeating: .infinity), hi = Vec3(repeating: -.infinity)
        for f in faces { for v in f.vertices { lo = pointwiseMin(lo, v); hi = pointwiseMax(hi, v) } }
        self.min = lo; self.max = hi
        self.faces = faces
    }

    func draw(_ canvas: inout Canvas, camera: Camera, lighting: Lighting, post: ((RGB, Vec3) -> RGB)? = nil) {
        if let custom { custom(&canvas, camera, lighting); return }
        for f in faces { canvas.draw(f, camera: camera, lighting: lighting, post: post) }
    }

    var centre: Vec3 { (min + max) * 0.5 }
}

/// Orders objects back to front: when two boxes are separated along an
/// axis, the one on the camera's side is drawn later; otherwise the nearer
/// centre is drawn later. Cycles fall back to distance.
func paintersOrder(_ objects: [SceneObject], camera: Vec3) -> [Int] {
    let n = objects.count
    var after = [[Int]](repeating: [], count: n)   // after[a]: objects drawn after a
    var indegree = [Int](repeating: 0, count: n)
    let dist = objects.map { o -> Float in let d = o.centre - camera; return dot(d, d) }
    for a in 0..<n {
        for b in (a + 1)..<max(a + 1, n) {
            let A = objects[a], B = objects[b]
            var front: Int? = nil   // which is nearer the camera
            for k in 0..<3 {
                if A.max[k] <= B.min[k] + 1e-4 {
                    front = camera[k] < (A.max[k] + B.min[k]) / 2 ? a : b; break
                }
                if B.max[k] <= A.min[k] + 1e-4 {
                    front = camera[k] < (B.max[k] + A.min[k]) / 2 ? b : a; break
                }
            }
            let f = front ?? (dist[a] < dist[b] ? a : b)
            let back = f == a ? b : a
            after[back].append(f)
            indegree[f] += 1
        }
    }
    var done = [Bool](repeating: false, count: n)
    var order: [Int] = []
    while order.count < n {
        // Among ready objects the farthest; on a cycle the farthest remaining.
        var pick = -1
        for i in 0..<n where !done[i] && indegree[i] == 0 {
            if pick < 0 || dist[i] > dist[pick] { pick = i }
        }
        if pick < 0 {
            for i in 0..<n where !done[i] { if pick < 0 || dist[i] > dist[pick] { pick = i } }
        }
        done[pick] = true
        order.append(pick)
        for j in after[pick] { indegree[j] -= 1 }
    }
    return order
}

/// The six faces of an axis-aligned box, normals outward; `material` by side
/// (0 -x, 1 +x, 2 -y bottom, 3 +y top, 4 -z, 5 +z).
func boxFaces(min lo: Vec3, max hi: Vec3, label: Int32?, material: (Int) -> Material) -> [Face3] {
    let c = (lo + hi) * 0.5
    let s = hi - lo
    let dx = Vec3(s.x, 0, 0), dy = Vec3(0, s.y, 0), dz = Vec3(0, 0, s.z)
    let faces = [
        Face3(origin: lo, u: dz, v: dy, label: label, material: material(0)),
        Face3(origin: lo + dx, u: dz, v: dy, label: label, material: material(1)),
        Face3(origin: lo, u: dx, v: dz, label: label, material: material(2)),
        Face3(origin: lo + dy, u: dx, v: dz, label: label, material: material(3)),
        Face3(origin: lo, u: dx, v: dy, label: label, material: material(4)),
        Face3(origin: lo + dz, u: dx, v: dy, label: label, material: material(5)),
    ]
    return faces.map { $0.away(from: c) }
}

/// A square frustum (lamp shades, spires when `top` is 0) centred on
/// (x, z) between heights y0 and y1, half-widths `bottom` and `top`.
/// Faces: four sides, the top (unless a point) and the bottom.
func frustumFaces(x: Float, z: Float, y0: Float, y1: Float, bottom: Float, top: Float,
                  label: Int32?, material: @escaping Material, capMaterial: Material? = nil) -> [Face3] {
    let c = Vec3(x, (y0 + y1) / 2, z)
    func ring(_ y: Float, _ h: Float) -> [Vec3] {
        [Vec3(x - h, y, z - h), Vec3(x + h, y, z - h), Vec3(x + h, y, z + h), Vec3(x - h, y, z + h)]
    }
    let lo = ring(y0, bottom), hi = ring(y1, max(top, 1e-4))
    var faces: [Face3] = []
    for i in 0..<4 {
        let a = lo[i], b = lo[(i + 1) % 4], t1 = hi[(i + 1) % 4], t0 = hi[i]
        let verts = top > 1e-4 ? [a, b, t1, t0] : [a, b, t0]
        let n = cross(b - a, t0 - a)
        faces.append(Face3(vertices: verts, normal: n, origin: a, uAxis: b - a, vAxis: t0 - a,
                           label: label, material: material).away(from: c))
    }
    if top > 1e-4 {
        faces.append(Face3(vertices: hi, normal: Vec3(0, 1, 0), origin: hi[0], uAxis: Vec3(1, 0, 0), vAxis: Vec3(0, 0, 1),
                           label: label, material: capMaterial ?? material))
    }
    faces.append(Face3(vertices: lo, normal: Vec3(0, -1, 0), origin: lo[0], uAxis: Vec3(1, 0, 0), vAxis: Vec3(0, 0, 1),
                       label: label, material: capMaterial ?? material))
    return faces
}
