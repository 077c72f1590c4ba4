import Foundation
import LGTensor

/// Rasterisation primitives shared by the domains: a canvas with a colour
/// buffer and a label buffer, painter's-algorithm fills with coverage
/// anti-aliasing, hash-based value noise, and colour helpers.
///
/// Coordinates are normalised: x and y run over [0, 1] left-to-right and
/// top-to-bottom, whatever the resolution. A fill writes its label at every
/// pixel whose *centre* lies inside the shape (so labels are exact and
/// resolution-independent), and blends its colour into every pixel by the
/// fraction of five sample points (centre and four quarter-pixel offsets)
/// that it covers. Colours are linear RGB in [0, 1] until `sample()` maps
/// them to [-1, 1].

typealias RGB = SIMD3<Float>

/// An axis-aligned box in normalised image coordinates.
struct Box2 {
    var x0: Float, y0: Float, x1: Float, y1: Float

    static let full = Box2(x0: 0, y0: 0, x1: 1, y1: 1)

    init(x0: Float, y0: Float, x1: Float, y1: Float) {
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
    }

    /// The bounding box of a set of points.
    init(points: [SIMD2<Float>]) {
        var b = Box2(x0: .infinity, y0: .infinity, x1: -.infinity, y1: -.infinity)
        for p in points {
            b.x0 = min(b.x0, p.x); b.x1 = max(b.x1, p.x)
            b.y0 = min(b.y0, p.y); b.y1 = max(b.y1, p.y)
        }
        self = b
    }
}

struct Canvas {
    let size: Int
    var color: [RGB]
    var labels: [Int32]

    init(size: Int, fill: RGB = RGB(repeating: 0), label: Int32 = 0) {
        self.size = size
        color = [RGB](repeating: fill, count: size * size)
        labels = [Int32](repeating: label, count: size * size)
    }

    /// One pixel in normalised units.
    var pixel: Float { 1 / Float(size) }

    @inline(__always)
    private func range(_ a: Float, _ b: Float) -> ClosedRange<Int>? {
        let s = Float(size)
        guard a.isFinite, b.isFinite else { return 0...(size - 1) }
        let lo = max(0, Int((a * s - 1).rounded(.down)))
        let hi = min(size - 1, Int((b * s).rounded(.up)))
        return lo <= hi ? lo...hi : nil
    }

    /// Paints a hard-edged shape. `label` nil keeps the labels underneath
    /// (shading, decoration of the same class). `paint` gets a point and the
    /// colour underneath and returns the new colour.
    mutating func fill(_ box: Box2, label: Int32?,
                       inside: (Float, Float) -> Bool,
                       paint: (Float, Float, RGB) -> RGB) {
        guard let rows = range(box.y0, box.y1), let cols = range(box.x0, box.x1) else { return }
        let inv = 1 / Float(size)
        let q = 0.3 * inv
        for j in rows {
            let yc = (Float(j) + 0.5) * inv
            for i in cols {
                let xc = (Float(i) + 0.5) * inv
                let centre = inside(xc, yc)
                var n: Float = centre ? 1 : 0
                if inside(xc - q, yc - q) { n += 1 }
                if inside(xc + q, yc - q) { n += 1 }
                if inside(xc - q, yc + q) { n += 1 }
                if inside(xc + q, yc + q) { n += 1 }
                if n == 0 { continue }
                let k = j * size + i
                if centre, let label { labels[k] = label }
                let under = color[k]
                let c = paint(xc, yc, under)
                color[k] = n == 5 ? c : under + (c - under) * (n / 5)
            }
        }
    }

    /// Paints a soft shape given by a field: inside where `field > 0`.
    /// The colour's opacity ramps over `softness` field units around 0
    /// (more than half opaque exactly where the centre is labelled).
    mutating func fillSoft(_ box: Box2, label: Int32?, softness: Float,
                           field: (Float, Float) -> Float,
                           paint: (Float, Float, RGB) -> RGB) {
        guard let rows = range(box.y0, box.y1), let cols = range(box.x0, box.x1) else { return }
        let inv = 1 / Float(size)
        let invSoft = 1 / max(softness, 1e-6)
        for j in rows {
            let yc = (Float(j) + 0.5) * inv
            for i in cols {
                let xc = (Float(i) + 0.5) * inv
                let f = field(xc, yc)
                let a = min(1, max(0, f * invSoft + 0.5))
                if a <= 0 { continue }
                let k = j * size + i
                if f > 0, let label { labels[k] = label }
                let under = color[k]
                color[k] = under + (paint(xc, yc, under) - under) * a
            }
        }
    }

    /// The sample in [-1, 1], with film grain (seeded) and a global tone curve.
    func sample(grain: Float, rng: inout Noise, contrast: Float = 1, gamma: Float = 1) -> RenderedSample {
        let hw = size * size
        var image = [Float](repeating: 0, count: 3 * hw)
        for k in 0..<hw {
            let g = (hashUnit(UInt32(k), 7, rng.seed) - 0.5) * grain
            for c in 0..<3 {
                var v = max(0, color[k][c] + g)
                if gamma != 1 { v = pow(v, gamma) }
                v = (v - 0.5) * contrast + 0.5
                image[c * hw + k] = min(1, max(-1, v * 2 - 1))
            }
        }
        return RenderedSample(image: image, labels: labels, resolution: size)
    }
}

// MARK: - Noise

@inline(__always)
func hashUnit(_ x: UInt32, _ y: UInt32, _ seed: UInt32) -> Float {
    var h = x &* 0x8da6_b343 ^ y &* 0xd816_3841 ^ seed &* 0xcb1a_b31f
    h = (h ^ (h >> 13)) &* 0x5bd1_e995
    h ^= h >> 15
    h = h &* 0x2c1b_3c6d
    h ^= h >> 12
    return Float(h & 0xFF_FFFF) * (1 / Float(0x100_0000))
}

/// Seeded value noise and fractal sums of it, in [0, 1].
struct Noise {
    var seed: UInt32

    init(seed: UInt32) { self.seed = seed }
    init(_ rng: inout SeededRandomSource) { seed = rng.u32() }

    @inline(__always)
    func value(_ x: Float, _ y: Float) -> Float {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let ix = UInt32(bitPattern: Int32(truncatingIfNeeded: Int(fx)))
        let iy = UInt32(bitPattern: Int32(truncatingIfNeeded: Int(fy)))
        var tx = x - fx, ty = y - fy
        tx = tx * tx * (3 - 2 * tx); ty = ty * ty * (3 - 2 * ty)
        let a = hashUnit(ix, iy, seed), b = hashUnit(ix &+ 1, iy, seed)
        let c = hashUnit(ix, iy &+ 1, seed), d = hashUnit(ix &+ 1, iy &+ 1, seed)
        let top = a + (b - a) * tx, bottom = c + (d - c) * tx
        return top + (bottom - top) * ty
    }

    /// Fractal sum of `octaves` octaves at base frequency `freq`.
    @inline(__always)
    func fbm(_ x: Float, _ y: Float, freq: Float, octaves: Int = 3) -> Float {
        var sum: Float = 0, amp: Float = 0.5, norm: Float = 0, f = freq
        for o in 0..<octaves {
            let n = Noise(seed: seed &+ UInt32(o) &* 0x9e37_79b9)
            sum += amp * n.value(x * f + Float(o) * 17.3, y * f - Float(o) * 9.1)
            norm += amp; amp *= 0.5; f *= 2.03
        }
        return sum / norm
    }
}

// MARK: - Random parameters

/// The domains' random source: `SeededRandom` with float helpers.
struct SeededRandomSource {
    var rng: SeededRandom

    init(seed: UInt64, salt: UInt64) { rng = SeededRandom(seed: seed ^ (salt &* 0x9E37_79B9_7F4A_7C15)) }

    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: rng.next() >> 32) }
    mutating func unit() -> Float { Float(rng.uniform()) }
    mutating func range(_ a: Float, _ b: Float) -> Float { a + (b - a) * Float(rng.uniform()) }
    mutating func normal(_ mean: Float = 0, _ std: Float = 1) -> Float { mean + std * Float(rng.normal()) }
    mutating func chance(_ p: Float) -> Bool { Float(rng.uniform()) < p }
    mutating func int(_ range: Range<Int>) -> Int { rng.int(in: range) }
    mutating func sign() -> Float { chance(0.5) ? 1 : -1 }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    /// Picks an index with the given relative weights.
    mutating func weighted(_ weights: [Float]) -> Int {
        var r = unit() * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            r -= w
            if r < 0 { return i }
        }
        return weights.count - 1
    }

    /// A colour jittered around `base` (per-channel std `std`, brightness scale).
    mutating func jitter(_ base: RGB, std: Float, brightness: Float = 0) -> RGB {
        let b = 1 + normal(0, brightness)
        return clamp01(RGB(base.x + normal(0, std), base.y + normal(0, std), base.z + normal(0, std)) * b)
    }

    /// A colour from hue/saturation/value ranges.
    mutating func hsv(h: ClosedRange<Float>, s: ClosedRange<Float>, v: ClosedRange<Float>) -> RGB {
        hsvToRGB(range(h.lowerBound, h.upperBound), range(s.lowerBound, s.upperBound), range(v.lowerBound, v.upperBound))
    }
}

// MARK: - Colour helpers

@inline(__always) func clamp01(_ c: RGB) -> RGB { simd_clamp01(c) }
@inline(__always) private func simd_clamp01(_ c: RGB) -> RGB {
    RGB(min(1, max(0, c.x)), min(1, max(0, c.y)), min(1, max(0, c.z)))
}
@inline(__always) func mix(_ a: RGB, _ b: RGB, _ t: Float) -> RGB { a + (b - a) * t }
@inline(__always) func smoothstep(_ e0: Float, _ e1: Float, _ x: Float) -> Float {
    let t = min(1, max(0, (x - e0) / (e1 - e0)))
    return t * t * (3 - 2 * t)
}
@inline(__always) func gray(_ v: Float) -> RGB { RGB(repeating: v) }

/// HSV (all in [0, 1], hue wraps) to RGB.
func hsvToRGB(_ h: Float, _ s: Float, _ v: Float) -> RGB {
    let hh = (h - h.rounded(.down)) * 6
    let i = Int(hh) % 6
    let f = hh - Float(Int(hh))
    let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
    switch i {
    case 0: return RGB(v, t, p)
    case 1: return RGB(q, v, p)
    case 2: return RGB(p, v, t)
    case 3: return RGB(p, q, v)
    case 4: return RGB(t, p, v)
    default: return RGB(v, p, q)
    }
}
