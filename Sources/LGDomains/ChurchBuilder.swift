import Foundation

/// Builds one random `ChurchScene`: the church (nave, towers, doors and
/// windows), the camera framing it, the ground layout, trees and people.
/// The facade faces -z at z = 0, centred on x = 0; the nave runs to z = L.
struct ChurchBuilder {
    var scene: ChurchScene
    var rng: SeededRandomSource
    private var noiseSeed: UInt32
    /// Footprints (x0, z0, x1, z1) of the church and of paved areas.
    private var solid: [SIMD4<Float>] = []
    private var paved: [SIMD4<Float>] = []
    private var haze: (RGB, Vec3) -> RGB = { c, _ in c }

    init(scene: ChurchScene, rng: SeededRandomSource) {
        self.scene = scene
        self.rng = rng
        noiseSeed = self.rng.u32()
    }

    private mutating func noise() -> Noise { noiseSeed &+= 0x9e37_79b9; return Noise(seed: noiseSeed) }

    mutating func build() {
        let height = addChurch()
        placeCamera(width: nave.x, length: nave.z, height: height)
        let cam = scene.camera.position, hz = scene.sky.horizon
        let fog = rng.range(150, 500)
        haze = { c, p in
            let d = p - cam
            return mix(c, hz, 1 - expf(-dot(d, d).squareRoot() / fog))
        }
        addGround()
        addTrees()
        addPeople()
        // Haze on every face-based object.
        let h = haze
        scene.haze = h
        let lighting = scene.lighting
        for i in scene.objects.indices where scene.objects[i].custom == nil {
            let faces = scene.objects[i].faces
            scene.objects[i].custom = { c, camera, _ in
                for f in faces { c.draw(f, camera: camera, lighting: lighting, post: h) }
            }
        }
    }

    // MARK: church

    private var nave = Vec3(10, 9, 25)   // width, wall height, length

    private mutating func buildingMaterial() -> (Material, RGB) {
        let k = rng.weighted([3, 2, 2, 2, 1, 1])
        let base: RGB = [RGB(0.75, 0.68, 0.55), RGB(0.6, 0.6, 0.58), RGB(0.92, 0.9, 0.85),
                         RGB(0.6, 0.3, 0.22), RGB(0.85, 0.75, 0.45), RGB(0.42, 0.4, 0.37)][k]
        let c = rng.jitter(base, std: 0.03, brightness: 0.08)
        switch k {
        case 2, 4: return (Materials.plain(c, noise: noise(), amp: 0.15, freq: 0.3), c)
        case 3: return (Materials.masonry(c, mortar: c * 1.3, noise: noise(), h: 0.3, l: 0.6, variation: 0.25), c)
        default: return (Materials.masonry(c, mortar: c * 0.75, noise: noise(), h: rng.range(0.4, 0.7), l: rng.range(0.8, 1.4), variation: 0.2), c)
        }
    }

    private mutating func roofMaterial() -> Material {
        let c: RGB = rng.pick([RGB(0.6, 0.25, 0.15), RGB(0.35, 0.22, 0.15), RGB(0.3, 0.32, 0.36), RGB(0.35, 0.6, 0.5), RGB(0.2, 0.2, 0.22)])
        return Materials.roofTiles(rng.jitter(c, std: 0.03, brightness: 0.1), noise: noise(), row: rng.range(0.35, 0.6))
    }

    /// A decal rectangle on a face (texture coordinates u0, v0, size w x h).
    private func decal(on f: Face3, u0: Float, v0: Float, w: Float, h: Float, material: @escaping Material,
                       mask: ((SIMD2<Float>) -> Bool)?) -> Face3 {
        var d = Face3(origin: f.origin + f.uAxis * u0 + f.vAxis * v0, u: f.uAxis * w, v: f.vAxis * h,
                      label: ChurchClass.building, material: material)
        d.normal = f.normal
        d.mask = mask
        return d.offset(0.06)
    }

    private func arch(_ w: Float, _ h: Float) -> (SIMD2<Float>) -> Bool {
        { uv in
            let r = w / 2
            if uv.y < h - r { return true }
            let dx = uv.x - r, dy = uv.y - (h - r)
            return dx * dx + dy * dy < r * r
        }
    }

    private mutating func glass() -> Material {
        let c = rng.chance(0.5) ? rng.hsv(h: 0.55...0.7, s: 0.2...0.5, v: 0.15...0.35) : gray(rng.range(0.08, 0.2))
        let n = noise()
        let lead = rng.range(0.3, 0.6)
        return { uv, _ in
            let fx = uv.x / lead - (uv.x / lead).rounded(.down), fy = uv.y / lead - (uv.y / lead).rounded(.down)
            let t = 0.7 + 0.6 * n.value(uv.x * 2, uv.y * 2)
            return (fx < 0.12 || fy < 0.12) ? c * 0.5 : c * t
        }
    }

    /// Adds the nave and towers; returns the church's total height.
    private mutating func addChurch() -> Float {
        let Wn = rng.range(8, 15), Hw = rng.range(6, 13), L = rng.range(15, 32)
        let Hr = Wn * rng.range(0.3, 0.75)
        nave = Vec3(Wn, Hw, L)
        let (wall, wallColor) = buildingMaterial()
        let roof = roofMaterial()
        let centre = Vec3(0, Hw / 2, L / 2)
        let hw = Wn / 2
        let up = Vec3(0, 1, 0)
        func pentagon(_ z: Float, _ n: Float) -> Face3 {
            Face3(vertices: [Vec3(-hw, 0, z), Vec3(hw, 0, z), Vec3(hw, Hw, z), Vec3(0, Hw + Hr, z), Vec3(-hw, Hw, z)],
                  normal: Vec3(0, 0, n), origin: Vec3(-hw, 0, z), uAxis: Vec3(1, 0, 0), vAxis: up,
                  label: ChurchClass.building, material: wall)
        }
        let front = pentagon(0, -1), back = pentagon(L, 1)
        let left = Face3(origin: Vec3(-hw, 0, 0), u: Vec3(0, 0, L), v: Vec3(0, Hw, 0), label: ChurchClass.building, material: wall).away(from: centre)
        let right = Face3(origin: Vec3(hw, 0, 0), u: Vec3(0, 0, L), v: Vec3(0, Hw, 0), label: ChurchClass.building, material: wall).away(from: centre)
        let roofL = Face3(origin: Vec3(-hw, Hw, 0), u: Vec3(0, 0, L), v: Vec3(hw, Hr, 0), label: ChurchClass.roof, material: roof).away(from: centre)
        let roofR = Face3(origin: Vec3(hw, Hw, 0), u: Vec3(0, 0, L), v: Vec3(-hw, Hr, 0), label: ChurchClass.roof, material: roof).away(from: centre)
        var faces = [front, back, left, right, roofL, roofR]
        // door, rose window, side windows
        let dw = rng.range(1.6, min(3.2, Wn * 0.3)), dh = min(Hw * 0.55, dw * rng.range(1.5, 2.2))
        let wood = rng.jitter(RGB(0.3, 0.18, 0.1), std: 0.04, brightness: 0.2)
        let towers = rng.weighted([0.2, 0.6, 0.2])
        let frontTower = towers == 1 && rng.chance(0.35)
        if !frontTower {
            faces.append(decal(on: front, u0: hw - dw / 2, v0: 0, w: dw, h: dh,
                               material: Materials.planks(wood, noise: noise(), plank: 0.25, alongV: true), mask: arch(dw, dh)))
        }
        if rng.chance(0.6) {
            let rr = min(Hr * 0.35, Wn * 0.15, rng.range(1, 2))
            let cy = Hw + (frontTower ? Hr * 0.4 : rng.range(-0.3, 0.4) * Hr)
            let g = glass(), stone = wallColor * 0.7
            faces.append(decal(on: front, u0: hw - rr, v0: cy - rr, w: 2 * rr, h: 2 * rr, material: { uv, p in
                let dx = uv.x - rr, dy = uv.y - rr
                let a = atan2f(dy, dx), d = (dx * dx + dy * dy).squareRoot()
                return (d > rr * 0.85 || abs(sinf(a * 4)) < 0.15) ? stone : g(uv, p)
            }, mask: { uv in let dx = uv.x - rr, dy = uv.y - rr; return dx * dx + dy * dy < rr * rr }))
        }
        let ww = rng.range(1.0, 1.8), wh = min(Hw * 0.6, ww * rng.range(1.8, 3)), sill = (Hw - wh) * rng.range(0.35, 0.6)
        let spacing = rng.range(3.2, 5)
        let g = glass()
        for side in [left, right] {
            var z = spacing * 0.7
            while z + ww < L - 1 {
                faces.append(decal(on: side, u0: z, v0: sill, w: ww, h: wh, material: g, mask: arch(ww, wh)))
                z += spacing
            }
        }
        for x in [-hw * 0.5, hw * 0.5] where !frontTower && rng.chance(0.5) && Wn > 10 {
            faces.append(decal(on: front, u0: hw + x - ww / 2, v0: sill, w: ww, h: wh, material: g, mask: arch(ww, wh)))
        }
        scene.objects.append(SceneObject(faces: faces))
        solid.append(SIMD4(-hw, 0, hw, L))
        var top = Hw + Hr
        // towers
        if towers > 0 {
            let tw = min(Wn * 0.7, rng.range(3.5, 6.5))
            let ht = Hw + Hr + rng.range(3, 22)
            let hs = rng.chance(0.8) ? tw * rng.range(1.2, 3.5) : tw * 0.4
            let spire = rng.chance(0.5) ? roof : roofMaterial()
            var spots: [(Float, Float)] = []   // (x centre, z start)
            if towers == 2 { spots = [(-hw + tw / 2, -tw), (hw - tw / 2, -tw)] }
            else if frontTower { spots = [(0, -tw)] }
            else { spots = [(rng.sign() * (hw + tw / 2), rng.range(0, max(0.01, L * 0.3)))] }
            for (tx, tz) in spots {
                top = max(top, addTower(x: tx, z: tz, w: tw, h: ht, spireHeight: hs, wall: wall, spire: spire,
                                        door: frontTower && towers == 1, wood: wood))
            }
        }
        return top
    }

    private mutating func addTower(x: Float, z: Float, w: Float, h: Float, spireHeight hs: Float,
                                   wall: @escaping Material, spire: @escaping Material, door: Bool, wood: RGB) -> Float {
        let lo = Vec3(x - w / 2, 0, z), hi = Vec3(x + w / 2, h, z + w)
        var faces = boxFaces(min: lo, max: hi, label: ChurchClass.building, material: { _ in wall })
        faces.remove(at: 3)   // the top is under the spire
        let sides = faces.filter { abs($0.normal.y) < 0.5 }
        let g = glass()
        let ow = w * rng.range(0.3, 0.45), oh = min(h * 0.2, ow * 2.2)
        let clock = rng.chance(0.5)
        for s in sides {
            faces.append(decal(on: s, u0: (w - ow) / 2, v0: h - oh - 1, w: ow, h: oh, material: { _, _ in RGB(0.05, 0.05, 0.06) }, mask: arch(ow, oh)))
            if clock {
                let cr = w * 0.22, cy = h - oh - 2 - cr
                faces.append(decal(on: s, u0: w / 2 - cr, v0: cy, w: 2 * cr, h: 2 * cr, material: { uv, _ in
                    let dx = uv.x - cr, dy = uv.y - cr
                    return dx * dx + dy * dy > cr * cr * 0.75 ? RGB(0.15, 0.12, 0.1) : RGB(0.9, 0.88, 0.8)
                }, mask: { uv in let dx = uv.x - cr, dy = uv.y - cr; return dx * dx + dy * dy < cr * cr }))
            } else {
                let wh = min(h * 0.25, ow * 2.5)
                faces.append(decal(on: s, u0: (w - ow * 0.7) / 2, v0: h * 0.4, w: ow * 0.7, h: wh, material: g, mask: arch(ow * 0.7, wh)))
            }
            if door && s.normal.z < -0.5 {
                let dw = w * 0.4, dh = dw * 1.9
                faces.append(decal(on: s, u0: (w - dw) / 2, v0: 0, w: dw, h: dh,
                                   material: Materials.planks(wood, noise: noise(), plank: 0.25, alongV: true), mask: arch(dw, dh)))
            }
        }
        faces += frustumFaces(x: x, z: z + w / 2, y0: h, y1: h + hs, bottom: w / 2 + 0.15, top: 0,
                              label: ChurchClass.roof, material: spire)
        scene.objects.append(SceneObject(faces: faces))
        solid.append(SIMD4(lo.x, lo.z, hi.x, hi.z))
        return h + hs
    }

    // MARK: camera

    private mutating func placeCamera(width: Float, length: Float, height: Float) {
        let f = rng.range(0.75, 1.1)
        let phi = max(-1.25, min(1.25, rng.normal(0, 0.7)))
        let fill = rng.range(0.5, 0.95)
        let r = max(width * 1.1, max(14, f * height / fill))
        let camY: Float = rng.chance(0.75) ? rng.range(1.5, 1.9) : rng.range(3, 12)
        let pos = Vec3(sinf(phi) * r + rng.normal(0, 2), camY, -cosf(phi) * r)
        let target = Vec3(rng.normal(0, width * 0.1), height * rng.range(0.3, 0.45), length * 0.3 * abs(sinf(phi)))
        let d = target - pos
        let yaw = atan2f(d.x, d.z)
        let pitch = atan2f(d.y, (d.x * d.x + d.z * d.z).squareRoot())
        scene.camera = Camera(position: pos, yaw: yaw, pitch: pitch, focal: f)
    }

    // MARK: ground

    private mutating func paving() -> Material {
        let c = rng.jitter(RGB(0.68, 0.66, 0.62), std: 0.05, brightness: 0.1)
        return Materials.tiles(c, grout: c * 0.75, noise: noise(), size: rng.range(0.4, 1.0))
    }

    private mutating func asphalt() -> Material {
        let c = gray(rng.range(0.22, 0.4))
        let n = noise()
        let dashed = rng.chance(0.6)
        return { uv, _ in
            var col = c * (0.85 + 0.3 * n.fbm(uv.x, uv.y, freq: 0.8, octaves: 3))
            if dashed, abs(uv.y) < 0.08, (uv.x / 3).rounded(.down).truncatingRemainder(dividingBy: 2) == 0 { col = gray(0.85) }
            return col
        }
    }

    private mutating func addRect(_ x0: Float, _ z0: Float, _ x1: Float, _ z1: Float, y: Float, label: Int32,
                                  material: @escaping Material, centreLine: Bool = false) {
        // Texture origin on the rectangle's centre line for road markings.
        let alongX = (x1 - x0) >= (z1 - z0)
        let o = centreLine ? (alongX ? Vec3(x0, y, (z0 + z1) / 2) : Vec3((x0 + x1) / 2, y, z0)) : Vec3(x0, y, z0)
        let f = Face3(vertices: [Vec3(x0, y, z0), Vec3(x1, y, z0), Vec3(x1, y, z1), Vec3(x0, y, z1)], normal: Vec3(0, 1, 0),
                      origin: o, uAxis: alongX ? Vec3(1, 0, 0) : Vec3(0, 0, 1), vAxis: alongX ? Vec3(0, 0, 1) : Vec3(1, 0, 0),
                      label: label, material: material)
        scene.ground.append(f)
        if label != ChurchClass.grass { paved.append(SIMD4(x0, z0, x1, z1)) }
    }

    private mutating func addGround() {
        let g1 = rng.hsv(h: 0.2...0.32, s: 0.4...0.75, v: 0.3...0.6), g2 = rng.hsv(h: 0.12...0.3, s: 0.3...0.7, v: 0.3...0.65)
        let gn = noise()
        addRect(-3000, -3000, 3000, 3000, y: 0, label: ChurchClass.grass, material: { uv, _ in
            let big = gn.fbm(uv.x, uv.y, freq: 0.05, octaves: 3)
            let fine = gn.value(uv.x * 3, uv.y * 3)
            return mix(g1, g2, big) * (0.8 + 0.35 * fine)
        })
        let hw = nave.x / 2
        let cz = scene.camera.position.z
        switch rng.weighted([0.45, 0.35, 0.2]) {
        case 0:
            let d0 = rng.range(3, 12), rw = rng.range(6, 11), sw = rng.range(2, 4)
            addRect(-3000, -d0 - rw, 3000, -d0, y: 0.01, label: ChurchClass.road, material: asphalt(), centreLine: true)
            addRect(-3000, -d0, 3000, -d0 + sw, y: 0.02, label: ChurchClass.sidewalk, material: paving())
            if rng.chance(0.6) {
                addRect(-3000, -d0 - rw - sw, 3000, -d0 - rw, y: 0.02, label: ChurchClass.sidewalk, material: paving())
            }
            if rng.chance(0.6) {
                addRect(-rng.range(1, 2.5), -d0 + sw, rng.range(1, 2.5), 0, y: 0.03, label: ChurchClass.sidewalk, material: paving())
            }
        case 1:
            let pd = rng.range(3, 10), pw = rng.range(2, 6)
            addRect(-hw - rng.range(1, 4), -pd, hw + rng.range(1, 4), 0, y: 0.02, label: ChurchClass.sidewalk, material: paving())
            let roadPath = rng.chance(0.5)
            addRect(-pw / 2, min(cz - 50, -pd - 1), pw / 2, -pd, y: 0.01, label: roadPath ? ChurchClass.road : ChurchClass.sidewalk,
                    material: roadPath ? asphalt() : paving(), centreLine: roadPath)
        default:
            addRect(-hw - rng.range(5, 30), min(cz - 5, -rng.range(15, 40)), hw + rng.range(5, 30), nave.z * 0.5,
                    y: 0.02, label: ChurchClass.sidewalk, material: paving())
        }
        if rng.chance(0.3) {
            let s = rng.sign(), g = rng.range(2, 8), rw = rng.range(5, 9)
            let x0 = s > 0 ? hw + g : -hw - g - rw
            addRect(x0, -3000, x0 + rw, 3000, y: 0.015, label: ChurchClass.road, material: asphalt(), centreLine: true)
        }
    }

    // MARK: trees and people

    private func blocked(_ x: Float, _ z: Float, _ r: Float, paved includePaved: Bool) -> Bool {
        for s in solid where x > s.x - r && x < s.z + r && z > s.y - r && z < s.w + r { return true }
        if includePaved { for s in paved where x > s.x && x < s.z && z > s.y && z < s.w { return true } }
        let c = scene.camera.position
        return (x - c.x) * (x - c.x) + (z - c.z) * (z - c.z) < (r + 2) * (r + 2)
    }

    private mutating func addTrees() {
        let cam = scene.camera.position
        var count = rng.int(0..<8)
        if rng.chance(0.5) { count += rng.int(4..<10) }   // a distant tree line
        var placed = 0
        for i in 0..<(count * 4) where placed < count {
            let far = i % 4 == 0 && placed >= count / 2
            let h = far ? rng.range(8, 16) : rng.range(4, 16)
            let kind = rng.weighted([0.6, 0.25, 0.15])
            let r = h * (kind == 1 ? 0.25 : kind == 2 ? 0.18 : rng.range(0.3, 0.42))
            var x: Float, z: Float
            switch rng.weighted([0.45, 0.3, 0.25]) {
            case 0: x = rng.sign() * (nave.x / 2 + r + rng.range(1, 20)); z = rng.range(-15, nave.z)
            case 1: x = cam.x + rng.sign() * rng.range(4, 14); z = cam.z + rng.range(4, 20)
            default: x = rng.range(-80, 80); z = nave.z + rng.range(10, 120)
            }
            guard !blocked(x, z, r, paved: true) else { continue }
            addTree(x: x, z: z, height: h, radius: r, kind: kind)
            placed += 1
        }
    }

    private mutating func addTree(x: Float, z: Float, height h: Float, radius r: Float, kind: Int) {
        let leaf = rng.hsv(h: 0.18...0.35, s: 0.4...0.8, v: 0.2...0.5)
        let bark = rng.jitter(RGB(0.3, 0.22, 0.15), std: 0.03)
        let n = noise()
        var blobs: [SIMD3<Float>] = []   // (dx, dy, radius) in metres around the crown centre
        for _ in 0..<rng.int(3..<7) {
            blobs.append(SIMD3(rng.normal(0, r * 0.35), rng.normal(0, r * 0.3), r * rng.range(0.45, 0.75)))
        }
        let sun = scene.sky.sun
        let crownY = kind == 1 ? h * 0.15 : h - r
        let trunkW = max(0.2, h * 0.035)
        let h2 = haze
        scene.objects.append(SceneObject(min: Vec3(x - r, 0, z - r * 0.5), max: Vec3(x + r, h, z + r * 0.5)) { c, cam, light in
            let base = cam.toCamera(Vec3(x, 0, z))
            guard base.z > 1 else { return }
            let s = cam.focal / base.z
            let pb = cam.project(base), pc = cam.project(cam.toCamera(Vec3(x, crownY, z)))
            let ambient = light.ambient + light.sunColor * 0.5
            let world = Vec3(x, crownY, z)
            c.fill(Box2(x0: pb.x - trunkW * s, y0: pc.y, x1: pb.x + trunkW * s, y1: pb.y), label: ChurchClass.tree,
                   inside: { px, py in abs(px - pb.x) < trunkW * s / 2 && py > pc.y && py < pb.y },
                   paint: { _, _, _ in h2(bark * ambient, world) })
            let box = Box2(x0: pc.x - r * 1.4 * s, y0: pc.y - (h - crownY) * s - r * 0.6 * s, x1: pc.x + r * 1.4 * s, y1: pc.y + r * 1.4 * s)
            c.fillSoft(box, label: ChurchClass.tree, softness: 1.5 * c.pixel / (s * r), field: { px, py in
                let dx = (px - pc.x) / s, dy = (pc.y - py) / s
                let wob = (n.fbm(dx, dy, freq: 0.9, octaves: 2) - 0.5) * 0.5
                switch kind {
                case 1:
                    let t = dy / (h - crownY)
                    guard t > -0.05, t < 1 else { return -1 }
                    let layer = 1 - 0.25 * (t * 5 - (t * 5).rounded(.down))
                    return (r * (1 - t) * layer - abs(dx)) / r + wob * 0.3
                default:
                    var f: Float = -1
                    for b in blobs {
                        let ex = (dx - b.x) / b.z, ey = (dy - b.y) / (b.z * (kind == 2 ? 2.2 : 1))
                        f = max(f, 1 - (ex * ex + ey * ey))
                    }
                    return f + wob
                }
            }, paint: { px, py, _ in
                let dx = (px - pc.x) / s, dy = (pc.y - py) / s
                let lit = 0.75 + 0.35 * (dx * sun.x + dy * sun.y) / r
                let tex = 0.6 + 0.7 * n.value(dx * 2.5, dy * 2.5)
                return h2(leaf * tex * lit * (light.ambient + light.sunColor * 0.6), world)
            })
        })
    }

    private mutating func addPeople() {
        let count = rng.chance(0.35) ? 0 : rng.int(1..<5)
        let cam = scene.camera
        var placed = 0
        for _ in 0..<(count * 10) where placed < count {
            let area = paved.isEmpty ? SIMD4<Float>(-10, -15, 10, 0) : paved[rng.int(0..<paved.count)]
            let x = rng.range(max(area.x, cam.position.x - 25), min(area.z, cam.position.x + 25))
            let z = rng.range(max(area.y, cam.position.z - 5), min(area.w, cam.position.z + 40))
            let pc = cam.toCamera(Vec3(x, 0, z))
            guard pc.z > 5, abs(pc.x / pc.z) < 0.5 / cam.focal, !blocked(x, z, 0.4, paved: false) else { continue }
            addPerson(x: x, z: z)
            placed += 1
        }
    }

    private mutating func addPerson(x: Float, z: Float) {
        let h = rng.range(1.55, 1.9)
        let skin = rng.jitter(mix(RGB(0.9, 0.75, 0.62), RGB(0.35, 0.22, 0.15), rng.unit()), std: 0.02)
        let shirt = rng.hsv(h: 0...1, s: 0.1...0.9, v: 0.15...0.9), legs = rng.hsv(h: 0.55...0.7, s: 0...0.6, v: 0.1...0.5)
        let stride = rng.range(0, 0.12)
        let h2 = haze
        let world = Vec3(x, 1, z)
        scene.objects.append(SceneObject(min: Vec3(x - 0.3, 0, z - 0.3), max: Vec3(x + 0.3, h, z + 0.3)) { c, cam, light in
            let base = cam.toCamera(Vec3(x, 0, z))
            guard base.z > 1 else { return }
            let s = cam.focal / base.z
            let pb = cam.project(base)
            let lit = light.ambient + light.sunColor * 0.6
            func m(_ px: Float, _ py: Float) -> SIMD2<Float> { SIMD2((px - pb.x) / s, (pb.y - py) / s) }
            let box = Box2(x0: pb.x - 0.4 * s, y0: pb.y - h * s, x1: pb.x + 0.4 * s, y1: pb.y)
            c.fill(box, label: ChurchClass.person, inside: { px, py in
                let q = m(px, py)
                if q.y < 0 || q.y > h { return false }
                let hy = q.y - (h - 0.12)
                if q.x * q.x + hy * hy < 0.12 * 0.12 { return true }
                if q.y > h * 0.5, q.y < h - 0.22 { return abs(q.x) < 0.22 - 0.04 * (q.y - h * 0.5) }
                if q.y <= h * 0.52 {
                    let spread = stride * (1 - q.y / (h * 0.52))
                    return abs(q.x - 0.09 - spread) < 0.075 || abs(q.x + 0.09 + spread) < 0.075
                }
                return false
            }, paint: { px, py, _ in
                let q = m(px, py)
                let col = q.y > h - 0.24 ? skin : (q.y > h * 0.5 ? shirt : legs)
                return h2(col * lit * (0.9 + 0.2 * q.x), world)
            })
        })
    }
}
