import Foundation

/// `toychurch`: LSUN-church-like outdoor views of a church.
///
/// A sky (gradient by view elevation, sun glow) with perspective clouds on
/// a cloud layer; a ground plane of grass with roads, sidewalks or a paved
/// plaza; the church (a gabled nave as a pentagonal prism with doors and
/// windows, optional towers with spires); trees and people as upright
/// billboards. Objects are drawn back to front.
public struct ToyChurch: RenderedDomain {
    public let name = "toychurch"
    public let classNames = ["sky", "building", "roof", "tree", "grass", "road", "sidewalk", "person", "cloud"]

    public init() {}

    public func render(resolution: Int, seed: UInt64) -> RenderedSample {
        precondition(resolution >= 1, "resolution must be positive")
        var r = SeededRandomSource(seed: seed, salt: 0xC4C)
        let scene = ChurchScene(&r)
        var canvas = Canvas(size: resolution)
        scene.paint(&canvas)
        var grain = Noise(seed: r.u32())
        return canvas.sample(grain: r.range(0.01, 0.04), rng: &grain, contrast: r.range(0.9, 1.15), gamma: r.range(0.85, 1.15))
    }
}

enum ChurchClass {
    static let sky: Int32 = 0, building: Int32 = 1, roof: Int32 = 2, tree: Int32 = 3, grass: Int32 = 4
    static let road: Int32 = 5, sidewalk: Int32 = 6, person: Int32 = 7, cloud: Int32 = 8
}

/// The sky's look: colours, sun, cloud cover.
struct Sky {
    var zenith: RGB, horizon: RGB, sunColor: RGB
    var sun: Vec3
    var cover: Float, cloudScale: Float, cloudTint: RGB
    var noise: Noise

    init(_ r: inout SeededRandomSource) {
        switch r.weighted([0.55, 0.2, 0.15, 0.1]) {
        case 0:
            zenith = r.hsv(h: 0.56...0.62, s: 0.45...0.8, v: 0.6...0.9); horizon = r.jitter(RGB(0.8, 0.88, 0.95), std: 0.04)
            sunColor = RGB(1, 0.97, 0.9); cover = r.range(0.05, 0.5); cloudTint = RGB(1, 1, 1)
        case 1:
            zenith = r.jitter(gray(0.62), std: 0.04); horizon = r.jitter(gray(0.8), std: 0.03)
            sunColor = gray(0.5); cover = r.range(0.5, 0.8); cloudTint = gray(0.85)
        case 2:
            zenith = r.hsv(h: 0.6...0.75, s: 0.3...0.6, v: 0.35...0.6); horizon = r.hsv(h: 0.03...0.11, s: 0.4...0.8, v: 0.8...1)
            sunColor = RGB(1, 0.75, 0.5); cover = r.range(0.1, 0.5); cloudTint = RGB(1, 0.8, 0.7)
        default:
            zenith = r.hsv(h: 0.55...0.6, s: 0.1...0.3, v: 0.75...0.9); horizon = gray(0.93)
            sunColor = RGB(1, 0.98, 0.92); cover = r.range(0, 0.3); cloudTint = RGB(1, 1, 1)
        }
        let az = r.range(-2.5, 2.5)
        sun = normalize(Vec3(sinf(az), r.range(0.15, 0.9), cosf(az)))
        cloudScale = r.range(0.4, 1.2)
        noise = Noise(seed: r.u32())
    }

    func color(_ d: Vec3) -> RGB {
        var c = mix(horizon, zenith, smoothstep(-0.02, 0.55, d.y))
        let s = max(0, dot(d, sun))
        c += sunColor * (powf(s, 60) * 0.6 + powf(s, 6) * 0.12)
        return c
    }

    /// Cloud density field (> 0 inside a cloud) along a world direction.
    func cloudField(_ d: Vec3) -> Float {
        guard d.y > 0.005 else { return -1 }
        let k = cloudScale / d.y
        let x = d.x * k, z = d.z * k
        let f = noise.fbm(x, z, freq: 1.3, octaves: 3)
        return f - (1 - cover) + 0.12 - 0.03 / d.y
    }
}

/// One random church scene.
struct ChurchScene {
    var camera: Camera
    var lighting: Lighting
    var sky: Sky
    var ground: [Face3] = []
    var objects: [SceneObject] = []
    /// Aerial perspective applied to the ground.
    var haze: ((RGB, Vec3) -> RGB)? = nil

    init(_ r: inout SeededRandomSource) {
        sky = Sky(&r)
        lighting = Lighting(ambient: mix(sky.horizon, sky.zenith, 0.5) * r.range(0.45, 0.65),
                            sunDirection: sky.sun, sunColor: sky.sunColor * r.range(0.5, 0.8))
        camera = Camera(position: Vec3(0, 1.6, -30), yaw: 0, pitch: 0, focal: 1)
        var b = ChurchBuilder(scene: self, rng: r)
        b.build()
        self = b.scene
        r = b.rng
    }

    func paint(_ c: inout Canvas) {
        let cam = camera, sky = self.sky
        c.fill(.full, label: ChurchClass.sky, inside: { _, _ in true }, paint: { x, y, _ in sky.color(cam.worldRay(x, y)) })
        c.fillSoft(.full, label: ChurchClass.cloud, softness: 0.04, field: { x, y in
            sky.cloudField(cam.worldRay(x, y))
        }, paint: { x, y, under in
            let d = cam.worldRay(x, y)
            let k = sky.cloudScale / max(d.y, 0.005)
            let shade = 0.72 + 0.4 * sky.noise.fbm(d.x * k + 3, d.z * k - 2, freq: 2.5, octaves: 2)
            return mix(under, sky.cloudTint * shade, 0.9)
        })
        for f in ground { c.draw(f, camera: camera, lighting: lighting, post: haze) }
        for i in paintersOrder(objects, camera: camera.position) { objects[i].draw(&c, camera: camera, lighting: lighting) }
    }
}
