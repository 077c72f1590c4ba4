import Foundation

/// Builds one random `Room`: furniture placed against walls (checked for
/// overlaps), wall decals, then the shell whose floor carries the
/// furniture's contact shadows.
struct RoomBuilder {
    var room: Room
    var rng: SeededRandomSource
    private var noiseSeed: UInt32 = 0

    init(room: Room, rng: SeededRandomSource) {
        self.room = room
        self.rng = rng
        noiseSeed = self.rng.u32()
    }

    private mutating func noise() -> Noise { noiseSeed &+= 0x9e37_79b9; return Noise(seed: noiseSeed) }
    private var W: Float { room.size.x }
    private var H: Float { room.size.y }
    private var D: Float { room.size.z }

    /// Walls 0 back (z = D), 1 left (x = 0), 2 right (x = W): length along the wall.
    private func wallLength(_ w: Int) -> Float { w == 0 ? W : D }

    /// A box given in wall coordinates: t along the wall, n out from it, y up.
    private func wallBox(_ w: Int, t0: Float, t1: Float, n0: Float, n1: Float, y0: Float, y1: Float) -> (Vec3, Vec3) {
        switch w {
        case 0: return (Vec3(t0, y0, D - n1), Vec3(t1, y1, D - n0))
        case 1: return (Vec3(n0, y0, t0), Vec3(n1, y1, t1))
        default: return (Vec3(W - n1, y0, t0), Vec3(W - n0, y1, t1))
        }
    }

    /// A flat rectangle on wall `w` (t, height y), offset `off` into the room.
    private func wallQuad(_ w: Int, t0: Float, t1: Float, y0: Float, y1: Float, off: Float,
                          label: Int32?, material: @escaping Material) -> Face3 {
        let o: Vec3, u: Vec3
        switch w {
        case 0: o = Vec3(t0, y0, D - off); u = Vec3(t1 - t0, 0, 0)
        case 1: o = Vec3(off, y0, t1); u = Vec3(0, 0, t0 - t1)
        default: o = Vec3(W - off, y0, t0); u = Vec3(0, 0, t1 - t0)
        }
        let centre = room.size * 0.5
        return Face3(origin: o, u: u, v: Vec3(0, y1 - y0, 0), label: label, material: material).facing(centre)
    }

    private func free(_ lo: Vec3, _ hi: Vec3) -> Bool {
        for f in room.footprints where lo.x < f.z && hi.x > f.x && lo.z < f.w && hi.z > f.y { return false }
        let cam = room.camera.position
        return !(cam.x > lo.x - 0.4 && cam.x < hi.x + 0.4 && cam.z > lo.z - 0.4 && cam.z < hi.z + 0.4)
    }

    private mutating func addBox(_ b: (Vec3, Vec3), label: Int32, material: @escaping Material, footprint: Bool = true) {
        room.objects.append(SceneObject(faces: boxFaces(min: b.0, max: b.1, label: label, material: { _ in material })))
        if footprint { room.footprints.append(SIMD4(b.0.x, b.0.z, b.1.x, b.1.z)) }
    }

    private mutating func woodColor() -> RGB {
        rng.chance(0.25) ? gray(rng.range(0.75, 0.95)) : rng.jitter(RGB(0.45, 0.3, 0.18), std: 0.05, brightness: 0.3)
    }

    mutating func build() {
        let bedWall = rng.weighted([0.65, 0.175, 0.175])
        let bedSpan = addBed(wall: bedWall)
        addDesk(avoiding: bedWall)
        addCeilingAndFloorLamps()
        addWindowAndCurtains(bedWall: bedWall, bedSpan: bedSpan)
        addShell()
    }

    // MARK: bed, nightstands, lamps

    private mutating func addBed(wall w: Int) -> ClosedRange<Float> {
        let len = wallLength(w)
        let minT: Float = w == 0 ? 0.05 : 1.3
        let bw = min(rng.range(1.2, 2.0), len - minT - 0.2)
        let bl = rng.range(1.9, 2.2)
        let tc = rng.range(minT + bw / 2 + 0.1, max(minT + bw / 2 + 0.11, len - bw / 2 - 0.1))
        let hb = rng.range(0.3, 0.45)
        let frame = woodColor()
        let fabric = rng.chance(0.4)
        let headH = hb + rng.range(0.55, 1.0)
        addBox(wallBox(w, t0: tc - bw / 2 - 0.05, t1: tc + bw / 2 + 0.05, n0: 0, n1: 0.08, y0: 0, y1: headH),
               label: BedroomClass.bed,
               material: fabric ? Materials.fabric(rng.hsv(h: 0...1, s: 0.1...0.5, v: 0.3...0.8), noise: noise(), foldWidth: 0.25)
                                : Materials.planks(frame, noise: noise(), plank: 0.15, alongV: true))
        let y1 = hb - 0.1
        addBox(wallBox(w, t0: tc - bw / 2, t1: tc + bw / 2, n0: 0.08, n1: 0.08 + bl, y0: 0, y1: y1),
               label: BedroomClass.bed, material: Materials.plain(frame, noise: noise(), amp: 0.2, freq: 3))
        let cover = rng.range(0.55, 0.78)
        let nB = 0.08 + bl * (1 - cover)
        let sheet = rng.jitter(RGB(0.9, 0.9, 0.88), std: 0.04)
        addBox(wallBox(w, t0: tc - bw / 2 + 0.01, t1: tc + bw / 2 - 0.01, n0: 0.08, n1: nB, y0: y1, y1: hb + 0.2),
               label: BedroomClass.bed, material: Materials.plain(sheet, noise: noise(), amp: 0.1, freq: 4), footprint: false)
        let a = rng.hsv(h: 0...1, s: 0.1...0.8, v: 0.3...0.95), b = rng.hsv(h: 0...1, s: 0.1...0.8, v: 0.3...0.95)
        let blanket = rng.chance(0.35) ? Materials.fabric(a, noise: noise(), foldWidth: rng.range(0.2, 0.5))
            : Materials.pattern(a, b, kind: rng.int(0..<3), noise: noise(), scale: rng.range(0.06, 0.25))
        addBox(wallBox(w, t0: tc - bw / 2 - 0.03, t1: tc + bw / 2 + 0.03, n0: nB, n1: 0.11 + bl, y0: y1, y1: hb + 0.25),
               label: BedroomClass.bed, material: blanket, footprint: false)
        // pillows
        let count = bw > 1.35 ? 2 : 1
        let pillowColor = rng.chance(0.5) ? sheet : rng.hsv(h: 0...1, s: 0.1...0.6, v: 0.5...0.95)
        let slot = bw / Float(count)
        for i in 0..<count {
            let pw = min(slot - 0.08, rng.range(0.5, 0.68)), pd = rng.range(0.3, 0.4), ph = rng.range(0.12, 0.2)
            let c = tc - bw / 2 + slot * (Float(i) + 0.5) + rng.normal(0, 0.02)
            addBox(wallBox(w, t0: c - pw / 2, t1: c + pw / 2, n0: 0.1, n1: 0.1 + pd, y0: hb + 0.2, y1: hb + 0.2 + ph),
                   label: BedroomClass.pillow, material: Materials.fabric(pillowColor, noise: noise(), foldWidth: 0.3), footprint: false)
        }
        // nightstands with lamps
        let standColor = woodColor()
        for side: Float in [-1, 1] where rng.chance(0.7) {
            let sw = rng.range(0.4, 0.55), sh = rng.range(0.45, 0.62)
            let t0 = side < 0 ? tc - bw / 2 - 0.08 - sw : tc + bw / 2 + 0.08
            guard t0 > 0.02, t0 + sw < len - 0.02 else { continue }
            let box = wallBox(w, t0: t0, t1: t0 + sw, n0: 0.02, n1: 0.45, y0: 0, y1: sh)
            guard free(box.0, box.1) else { continue }
            addBox(box, label: BedroomClass.table, material: drawers(standColor))
            if rng.chance(0.75) {
                let cx = (box.0.x + box.1.x) / 2, cz = (box.0.z + box.1.z) / 2
                addLamp(x: cx, z: cz, base: sh, pole: rng.range(0.15, 0.3), shade: rng.range(0.1, 0.18))
            }
        }
        return (tc - bw / 2 - 0.6)...(tc + bw / 2 + 0.6)
    }

    private mutating func drawers(_ c: RGB) -> Material {
        let n = noise()
        return { uv, _ in
            let f = uv.y / 0.22 - (uv.y / 0.22).rounded(.down)
            return c * (f < 0.06 ? 0.55 : 0.95 + 0.1 * n.value(uv.x * 10, uv.y * 2))
        }
    }

    private mutating func addLamp(x: Float, z: Float, base: Float, pole: Float, shade: Float) {
        let metal = rng.chance(0.5) ? gray(rng.range(0.2, 0.8)) : rng.hsv(h: 0...1, s: 0.2...0.7, v: 0.3...0.8)
        addBox((Vec3(x - 0.03, base, z - 0.03), Vec3(x + 0.03, base + pole, z + 0.03)),
               label: BedroomClass.lamp, material: Materials.plain(metal, noise: noise()), footprint: false)
        let glow = rng.jitter(RGB(1.0, 0.9, 0.7), std: 0.08)
        var faces = frustumFaces(x: x, z: z, y0: base + pole, y1: base + pole + shade * 1.3, bottom: shade, top: shade * 0.65,
                                 label: BedroomClass.lamp, material: Materials.fabric(glow, noise: noise(), foldWidth: 0.05))
        for i in faces.indices { faces[i].emissive = 0.65 }
        room.objects.append(SceneObject(faces: faces))
        room.lighting.points.append((Vec3(x, base + pole + shade * 0.6, z), glow * rng.range(0.3, 0.9)))
    }

    private mutating func addDesk(avoiding bedWall: Int) {
        guard rng.chance(0.5) else { return }
        let w = [0, 1, 2].filter { $0 != bedWall }[rng.int(0..<2)]
        let len = wallLength(w)
        let dw = rng.range(0.9, 1.4), dd = rng.range(0.5, 0.65), dh = rng.range(0.7, 0.78)
        for _ in 0..<4 {
            let t0 = rng.range(w == 0 ? 0.05 : 1.0, max(1.05, len - dw - 0.05))
            let top = wallBox(w, t0: t0, t1: t0 + dw, n0: 0.02, n1: 0.02 + dd, y0: dh - 0.04, y1: dh)
            guard top.1.x <= W, top.1.z <= D, free(top.0, top.1) else { continue }
            let c = woodColor()
            addBox(top, label: BedroomClass.table, material: Materials.planks(c, noise: noise(), plank: 0.2))
            let l: Float = 0.05
            for (x, z) in [(top.0.x, top.0.z), (top.1.x - l, top.0.z), (top.0.x, top.1.z - l), (top.1.x - l, top.1.z - l)] {
                addBox((Vec3(x, 0, z), Vec3(x + l, dh - 0.04, z + l)), label: BedroomClass.table,
                       material: Materials.plain(c * 0.8, noise: noise()), footprint: false)
            }
            if rng.chance(0.5) {
                addLamp(x: top.0.x + 0.2, z: (top.0.z + top.1.z) / 2, base: dh, pole: rng.range(0.25, 0.4), shade: rng.range(0.1, 0.15))
            }
            return
        }
    }

    private mutating func addCeilingAndFloorLamps() {
        if rng.chance(0.35) {
            let x = W * rng.range(0.35, 0.65), z = D * rng.range(0.45, 0.7)
            let drop = rng.chance(0.5) ? rng.range(0.3, 0.8) : 0
            if drop > 0 {
                addBox((Vec3(x - 0.01, H - drop, z - 0.01), Vec3(x + 0.01, H, z + 0.01)), label: BedroomClass.lamp,
                       material: Materials.plain(gray(0.2), noise: noise()), footprint: false)
            }
            let s = rng.range(0.15, 0.3)
            let glow = rng.jitter(RGB(1, 0.95, 0.85), std: 0.05)
            var faces = frustumFaces(x: x, z: z, y0: H - drop - s * 0.7, y1: H - drop, bottom: s, top: s * rng.range(0.3, 0.9),
                                     label: BedroomClass.lamp, material: Materials.plain(glow, noise: noise(), amp: 0.1))
            for i in faces.indices { faces[i].emissive = 0.7 }
            room.objects.append(SceneObject(faces: faces))
            room.lighting.points.append((Vec3(x, H - drop - s, z), glow * rng.range(0.4, 1.0)))
        }
        if rng.chance(0.2) {
            for _ in 0..<3 {
                let x = rng.chance(0.5) ? rng.range(0.25, 0.5) : W - rng.range(0.25, 0.5), z = rng.range(1.5, D - 0.3)
                guard free(Vec3(x - 0.2, 0, z - 0.2), Vec3(x + 0.2, 1, z + 0.2)) else { continue }
                addLamp(x: x, z: z, base: 0, pole: rng.range(1.2, 1.55), shade: rng.range(0.15, 0.22))
                room.footprints.append(SIMD4(x - 0.15, z - 0.15, x + 0.15, z + 0.15))
                return
            }
        }
    }

    // MARK: wall decals

    private mutating func addWindowAndCurtains(bedWall: Int, bedSpan: ClosedRange<Float>) {
        var windowSpan: (Int, ClosedRange<Float>)? = nil
        if rng.chance(0.85) {
            let w = rng.weighted([0.35, 0.325, 0.325])
            let len = wallLength(w)
            let ww = rng.range(0.8, 1.8), wh = rng.range(1.0, min(1.6, H - 1.1))
            let t0 = rng.range(w == 0 ? 0.3 : 1.2, max(w == 0 ? 0.31 : 1.21, len - ww - 0.3))
            let y0 = rng.range(0.75, 1.0)
            let y1 = min(H - 0.15, y0 + wh)
            room.decals.append(windowFace(w, t0: t0, t1: t0 + ww, y0: y0, y1: y1))
            room.lighting.points.append((centreOf(w, t: t0 + ww / 2, y: (y0 + y1) / 2, off: 0.6), RGB(0.8, 0.85, 1) * rng.range(0.4, 1.2)))
            windowSpan = (w, (t0 - 0.3)...(t0 + ww + 0.3))
            if rng.chance(0.7) {
                let c = rng.chance(0.3) ? rng.jitter(RGB(0.92, 0.9, 0.85), std: 0.04) : rng.hsv(h: 0...1, s: 0.15...0.7, v: 0.3...0.9)
                let top = min(H - 0.02, y1 + rng.range(0.05, 0.3))
                let bottom = rng.chance(0.5) ? rng.range(0.02, 0.1) : y0 - rng.range(0.05, 0.25)
                let pw = ww * rng.range(0.18, 0.55)
                let fold = rng.range(0.08, 0.16)
                for (a, b) in [(t0 - 0.15, t0 - 0.15 + pw), (t0 + ww + 0.15 - pw, t0 + ww + 0.15)] {
                    room.decals.append(wallQuad(w, t0: a, t1: b, y0: bottom, y1: top, off: 0.06,
                                                label: BedroomClass.curtain, material: Materials.fabric(c, noise: noise(), foldWidth: fold)))
                }
            }
        }
        if rng.chance(0.75) {
            let overBed = rng.chance(0.55)
            let w = overBed ? bedWall : rng.weighted([0.4, 0.3, 0.3])
            let len = wallLength(w)
            let pw = rng.range(0.45, 1.3), ph = rng.range(0.4, 0.9)
            let cy = min(H - ph / 2 - 0.15, rng.range(1.45, 1.9))
            let tc = overBed ? (bedSpan.lowerBound + bedSpan.upperBound) / 2 + rng.normal(0, 0.1)
                             : rng.range(pw / 2 + (w == 0 ? 0.2 : 1.0), max(pw / 2 + 1.01, len - pw / 2 - 0.2))
            let span = (tc - pw / 2)...(tc + pw / 2)
            let clash = windowSpan.map { $0.0 == w && $0.1.overlaps(span) } ?? false
            if !clash && span.upperBound < len {
                room.decals.append(wallQuad(w, t0: span.lowerBound, t1: span.upperBound, y0: cy - ph / 2, y1: cy + ph / 2,
                                            off: 0.025, label: BedroomClass.painting, material: paintingMaterial(pw, ph)))
            }
        }
    }

    private func centreOf(_ w: Int, t: Float, y: Float, off: Float) -> Vec3 {
        switch w {
        case 0: return Vec3(t, y, D - off)
        case 1: return Vec3(off, y, t)
        default: return Vec3(W - off, y, t)
        }
    }

    private mutating func windowFace(_ w: Int, t0: Float, t1: Float, y0: Float, y1: Float) -> Face3 {
        let ww = t1 - t0, wh = y1 - y0
        let frame = rng.chance(0.6) ? gray(rng.range(0.8, 0.95)) : woodColor()
        let sky = rng.hsv(h: 0.52...0.62, s: 0.1...0.5, v: 0.75...1.0)
        let green = rng.hsv(h: 0.2...0.4, s: 0.3...0.7, v: 0.25...0.6)
        let horizon = rng.range(0.15, 0.5)
        let bars = rng.int(0..<3)
        let n = noise()
        let fw: Float = 0.06
        var f = wallQuad(w, t0: t0, t1: t1, y0: y0, y1: y1, off: 0.012, label: BedroomClass.window, material: { uv, _ in
            let u = min(uv.x, ww - uv.x), v = min(uv.y, wh - uv.y)
            if u < fw || v < fw { return frame }
            if bars >= 1 && abs(uv.x - ww / 2) < 0.025 { return frame }
            if bars == 2 && abs(uv.y - wh * 0.62) < 0.025 { return frame }
            let h = uv.y / wh
            let trees = horizon + 0.15 * n.fbm(uv.x, 0, freq: 2, octaves: 2)
            if h < trees { return green * (0.7 + 0.6 * n.fbm(uv.x, uv.y, freq: 6, octaves: 2)) * 1.3 }
            return mix(RGB(1, 1, 1), sky, min(1, h)) * 1.35
        })
        f.emissive = 0.6
        return f
    }

    private mutating func paintingMaterial(_ pw: Float, _ ph: Float) -> Material {
        let frame = rng.pick([RGB(0.7, 0.55, 0.2), gray(0.08), RGB(0.4, 0.25, 0.12), gray(0.92)])
        let fb = rng.range(0.03, 0.07)
        let cols = (0..<3).map { _ in rng.hsv(h: 0...1, s: 0.2...0.9, v: 0.2...0.95) }
        let style = rng.int(0..<3)
        let n = noise()
        let horizon = rng.range(0.3, 0.6)
        return { uv, _ in
            if uv.x < fb || uv.y < fb || uv.x > pw - fb || uv.y > ph - fb { return frame }
            let x = uv.x / pw, y = uv.y / ph
            switch style {
            case 0:
                let t = n.fbm(x, y, freq: 3, octaves: 3)
                return t < 0.45 ? cols[0] : (t < 0.55 ? cols[1] : cols[2])
            case 1:
                if y > horizon + 0.1 * sinf(x * 6) { return mix(cols[0], RGB(1, 1, 1), (y - horizon) * 0.8) }
                return cols[1] * (0.6 + 0.6 * n.fbm(x, y, freq: 5, octaves: 2))
            default:
                let cx = (x * 3).rounded(.down), cy = (y * 2).rounded(.down)
                return cols[Int(hashUnit(UInt32(cx), UInt32(cy), n.seed) * 2.99)]
            }
        }
    }

    // MARK: shell

    private mutating func addShell() {
        let centre = room.size * 0.5
        let wallColor = rng.chance(0.4) ? rng.jitter(RGB(0.9, 0.88, 0.82), std: 0.05) : rng.hsv(h: 0...1, s: 0.05...0.45, v: 0.45...0.95)
        let second = clamp01(wallColor * rng.range(0.6, 0.9) + rng.hsv(h: 0...1, s: 0.2...0.5, v: 0...0.2))
        let style = rng.weighted([0.45, 0.2, 0.15, 0.2])
        let wn = noise()
        let wainscot = rng.range(0.8, 1.0)
        let wall: Material
        switch style {
        case 1: wall = Materials.stripes(wallColor, second, noise: wn, width: rng.range(0.08, 0.25))
        case 2: wall = Materials.dots(wallColor, second, noise: wn, spacing: rng.range(0.12, 0.3))
        case 3:
            let upper = Materials.plain(wallColor, noise: wn, amp: 0.12, freq: 1.5)
            let lower = Materials.planks(second, noise: wn, plank: 0.12, alongV: true)
            wall = { uv, p in p.y < wainscot ? (p.y > wainscot - 0.04 ? second * 1.2 : lower(uv, p)) : upper(uv, p) }
        default: wall = Materials.plain(wallColor, noise: wn, amp: 0.12, freq: 1.5)
        }
        let accent: Material = rng.chance(0.25)
            ? Materials.plain(rng.hsv(h: 0...1, s: 0.2...0.6, v: 0.3...0.8), noise: noise(), amp: 0.1) : wall
        let floorBase = rng.weighted([0.55, 0.25, 0.2])
        let fc = floorBase == 0 ? rng.jitter(RGB(0.55, 0.38, 0.22), std: 0.05, brightness: 0.3)
                                : rng.hsv(h: 0...1, s: 0.05...0.5, v: 0.25...0.8)
        let fn = noise()
        let floorTex: Material
        switch floorBase {
        case 0: floorTex = Materials.planks(fc, noise: fn, plank: rng.range(0.1, 0.22), alongV: rng.chance(0.5))
        case 1: floorTex = { uv, _ in fc * (0.8 + 0.35 * fn.fbm(uv.x, uv.y, freq: 8, octaves: 3)) }
        default: floorTex = Materials.tiles(fc, grout: fc * 0.6, noise: fn, size: rng.range(0.3, 0.6))
        }
        let prints = room.footprints
        let floor: Material = { uv, p in
            var s: Float = 1
            for f in prints {
                let dx = max(f.x - p.x, 0, p.x - f.z), dz = max(f.y - p.z, 0, p.z - f.w)
                s *= 1 - 0.45 * expf(-(dx + dz) * 9)
            }
            return floorTex(uv, p) * s
        }
        let ceiling = Materials.plain(rng.jitter(RGB(0.93, 0.92, 0.9), std: 0.03), noise: noise(), amp: 0.06)
        let z = Vec3(0, 0, D), x = Vec3(W, 0, 0), y = Vec3(0, H, 0)
        room.shell = [
            Face3(origin: Vec3(0, 0, D), u: x, v: y, label: BedroomClass.wall, material: accent),
            Face3(origin: .zero, u: z, v: y, label: BedroomClass.wall, material: wall),
            Face3(origin: x, u: z, v: y, label: BedroomClass.wall, material: wall),
            Face3(origin: .zero, u: x, v: y, label: BedroomClass.wall, material: wall),
            Face3(origin: .zero, u: x, v: z, label: BedroomClass.floor, material: floor),
            Face3(origin: y, u: x, v: z, label: BedroomClass.ceiling, material: ceiling),
        ].map { $0.facing(centre) }
        if rng.chance(0.4) {
            let rc = rng.hsv(h: 0...1, s: 0.2...0.7, v: 0.3...0.8), rc2 = rng.hsv(h: 0...1, s: 0.2...0.7, v: 0.3...0.8)
            let rw = rng.range(1.2, 2.4), rd = rng.range(1.0, 2.0)
            let rx = rng.range(0.3, max(0.31, W - rw - 0.3)), rz = rng.range(1.0, max(1.01, D - rd - 0.3))
            var rug = Face3(origin: Vec3(rx, 0.005, rz), u: Vec3(rw, 0, 0), v: Vec3(0, 0, rd), label: BedroomClass.floor,
                            material: Materials.pattern(rc, rc2, kind: rng.int(0..<3), noise: noise(), scale: rng.range(0.1, 0.3)))
            rug = rug.facing(centre)
            room.decals.insert(rug, at: 0)
        }
    }
}
