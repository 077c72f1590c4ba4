import Foundation

/// `toybedroom`: LSUN-bedroom-like rooms in perspective.
///
/// A room box (walls, floor, ceiling) seen by a pinhole camera standing
/// near the front wall; wall decals (window, curtains, painting) drawn on
/// the walls; furniture (bed with headboard, blanket and pillows,
/// nightstands, lamps, a desk) as boxes and frusta in painter's order.
/// Textures are perspective-correct (wood planks, carpet, tiles,
/// wallpaper); light is ambient + a directional light + point lights from
/// the lamps and the window, with corner darkening.
public struct ToyBedroom: RenderedDomain {
    public let name = "toybedroom"
    public let classNames = ["wall", "floor", "ceiling", "bed", "pillow", "window", "curtain", "painting", "lamp", "table"]

    public init() {}

    public func render(resolution: Int, seed: UInt64) -> RenderedSample {
        precondition(resolution >= 1, "resolution must be positive")
        var r = SeededRandomSource(seed: seed, salt: 0xBED)
        let room = Room(&r)
        var canvas = Canvas(size: resolution)
        room.paint(&canvas)
        var grain = Noise(seed: r.u32())
        return canvas.sample(grain: r.range(0.01, 0.04), rng: &grain, contrast: r.range(0.9, 1.15), gamma: r.range(0.85, 1.15))
    }
}

enum BedroomClass {
    static let wall: Int32 = 0, floor: Int32 = 1, ceiling: Int32 = 2, bed: Int32 = 3, pillow: Int32 = 4
    static let window: Int32 = 5, curtain: Int32 = 6, painting: Int32 = 7, lamp: Int32 = 8, table: Int32 = 9
}

/// One random room: its shell, decals, furniture, lighting and camera.
struct Room {
    var size: Vec3                     // W, H, D
    var camera: Camera
    var lighting: Lighting
    var shell: [Face3] = []
    var decals: [Face3] = []
    var objects: [SceneObject] = []
    /// Furniture footprints on the floor (x0, z0, x1, z1) for contact shadows.
    var footprints: [SIMD4<Float>] = []

    init(_ r: inout SeededRandomSource) {
        let W = r.range(3.4, 5.6), H = r.range(2.5, 3.1), D = r.range(4.0, 6.5)
        size = Vec3(W, H, D)
        let cam = Vec3(W * r.range(0.25, 0.75), r.range(1.15, 1.75), r.range(0.15, 0.7))
        let target = Vec3(W * r.range(0.25, 0.75), 0.9, D)
        let yaw = atan2f(target.x - cam.x, target.z - cam.z) + r.normal(0, 0.08)
        camera = Camera(position: cam, yaw: yaw, pitch: r.range(-0.33, -0.06), focal: r.range(0.55, 0.85))
        let warm = r.range(0, 1)
        lighting = Lighting(ambient: mix(RGB(0.42, 0.44, 0.5), RGB(0.52, 0.45, 0.36), warm) * r.range(0.7, 1.15),
                            sunDirection: normalize(Vec3(r.range(-1, 1), r.range(0.3, 1), r.range(-1, 0.3))),
                            sunColor: RGB(repeating: r.range(0.25, 0.55)))
        var builder = RoomBuilder(room: self, rng: r)
        builder.build()
        self = builder.room
        r = builder.rng
    }

    /// Multiplies colours near the room's edges (ambient occlusion).
    static func cornerShade(_ size: Vec3) -> (RGB, Vec3) -> RGB {
        { c, p in
            var f: Float = 1
            for d in [p.x, size.x - p.x, p.y, size.y - p.y, p.z, size.z - p.z] where d > 0.02 {
                f *= 1 - 0.3 * expf(-d * 3)
            }
            return c * f
        }
    }

    func paint(_ c: inout Canvas) {
        let ao = Room.cornerShade(size)
        for f in shell { c.draw(f, camera: camera, lighting: lighting, post: ao) }
        for f in decals { c.draw(f, camera: camera, lighting: lighting, post: ao) }
        for i in paintersOrder(objects, camera: camera.position) { objects[i].draw(&c, camera: camera, lighting: lighting) }
    }
}
