import Foundation

/// Procedural surface textures for the scene domains, in texture
/// coordinates measured in metres along a face's axes.
enum Materials {
    /// A colour with value-noise variation of relative amplitude `amp`.
    static func plain(_ c: RGB, noise: Noise, amp: Float = 0.15, freq: Float = 2) -> Material {
        { uv, _ in c * (1 - amp / 2 + amp * noise.fbm(uv.x, uv.y, freq: freq, octaves: 2)) }
    }

    /// Wooden planks along u (width `plank` metres, staggered lengths).
    static func planks(_ c: RGB, noise: Noise, plank: Float, alongV: Bool = false) -> Material {
        { uv, _ in
            let a = alongV ? uv.y : uv.x, b = alongV ? uv.x : uv.y
            let row = (b / plank).rounded(.down)
            let rowI = UInt32(bitPattern: Int32(truncatingIfNeeded: Int(row)))
            let len: Float = 1.3
            let shift = hashUnit(rowI, 1, noise.seed) * len
            let col = ((a + shift) / len).rounded(.down)
            let colI = UInt32(bitPattern: Int32(truncatingIfNeeded: Int(col)))
            let tone = 0.8 + 0.35 * hashUnit(rowI, colI, noise.seed)
            let grain = 0.85 + 0.3 * noise.value(a * 3 + row * 7, b * 60)
            let fb = b / plank - row, fa = (a + shift) / len - col
            let seam: Float = (fb < 0.06 || fa < 0.01) ? 0.6 : 1
            return c * (tone * grain * seam)
        }
    }

    /// Vertical stripes of two colours (wallpaper), width `w` metres.
    static func stripes(_ a: RGB, _ b: RGB, noise: Noise, width w: Float) -> Material {
        { uv, _ in
            let s = sinf(uv.x * .pi / w)
            let base = s > 0.3 ? a : b
            return base * (0.92 + 0.12 * noise.fbm(uv.x, uv.y, freq: 3, octaves: 2))
        }
    }

    /// A repeating dot/damask pattern on a base colour.
    static func dots(_ base: RGB, _ dot: RGB, noise: Noise, spacing s: Float) -> Material {
        { uv, _ in
            let row = (uv.y / s).rounded(.down)
            let fx = uv.x / s + (Int(row) & 1 == 0 ? 0 : 0.5)
            let dx = fx - fx.rounded(.down) - 0.5, dy = uv.y / s - row - 0.5
            let r = dx * dx + dy * dy
            let c = r < 0.05 ? dot : base
            return c * (0.93 + 0.1 * noise.value(uv.x * 4, uv.y * 4))
        }
    }

    /// Square tiles of size `s` with grout lines.
    static func tiles(_ c: RGB, grout: RGB, noise: Noise, size s: Float) -> Material {
        { uv, _ in
            let fx = uv.x / s, fy = uv.y / s
            let ix = fx.rounded(.down), iy = fy.rounded(.down)
            if fx - ix < 0.05 || fy - iy < 0.05 { return grout }
            let t = 0.88 + 0.2 * hashUnit(UInt32(bitPattern: Int32(truncatingIfNeeded: Int(ix))),
                                          UInt32(bitPattern: Int32(truncatingIfNeeded: Int(iy))), noise.seed)
            return c * t * (0.95 + 0.1 * noise.value(uv.x * 5, uv.y * 5))
        }
    }

    /// Bricks or ashlar stones: courses of height `h`, blocks of length `l`.
    static func masonry(_ c: RGB, mortar: RGB, noise: Noise, h: Float, l: Float, variation: Float) -> Material {
        { uv, _ in
            let fy = uv.y / h
            let row = fy.rounded(.down)
            let fx = uv.x / l + (Int(row) & 1 == 0 ? 0 : 0.5)
            let col = fx.rounded(.down)
            if fy - row < 0.08 || fx - col < 0.04 { return mortar * (0.9 + 0.2 * noise.value(uv.x * 9, uv.y * 9)) }
            let t = 1 - variation / 2 + variation * hashUnit(UInt32(bitPattern: Int32(truncatingIfNeeded: Int(col))),
                                                           UInt32(bitPattern: Int32(truncatingIfNeeded: Int(row))), noise.seed)
            let grime = 0.85 + 0.25 * noise.fbm(uv.x, uv.y, freq: 0.3, octaves: 2)
            return c * t * grime
        }
    }

    /// Roof tiles or slates: rows along u with shaded lower edges.
    static func roofTiles(_ c: RGB, noise: Noise, row: Float) -> Material {
        { uv, _ in
            let fy = uv.y / row
            let r = fy.rounded(.down)
            let f = fy - r
            let fx = uv.x / (row * 1.4) + (Int(r) & 1 == 0 ? 0 : 0.5)
            let t = 0.85 + 0.25 * hashUnit(UInt32(bitPattern: Int32(truncatingIfNeeded: Int(fx.rounded(.down)))),
                                           UInt32(bitPattern: Int32(truncatingIfNeeded: Int(r))), noise.seed)
            let lip: Float = f < 0.15 ? 0.7 : 1
            return c * t * lip * (0.85 + 0.3 * noise.fbm(uv.x, uv.y, freq: 0.2, octaves: 2))
        }
    }

    /// Fabric with soft folds along u.
    static func fabric(_ c: RGB, noise: Noise, foldWidth: Float) -> Material {
        { uv, _ in
            let fold = 0.78 + 0.22 * sinf(uv.x * 2 * .pi / foldWidth + 2 * noise.value(uv.x, uv.y * 0.5))
            return c * fold * (0.95 + 0.1 * noise.value(uv.x * 20, uv.y * 20))
        }
    }

    /// Two-colour patterned fabric (stripes, checks or blotches).
    static func pattern(_ a: RGB, _ b: RGB, kind: Int, noise: Noise, scale s: Float) -> Material {
        { uv, _ in
            let pick: Bool
            switch kind {
            case 0: pick = sinf(uv.x / s * .pi) > 0.4
            case 1: pick = (sinf(uv.x / s * .pi) > 0) != (sinf(uv.y / s * .pi) > 0)
            default: pick = noise.fbm(uv.x, uv.y, freq: 1 / s, octaves: 2) > 0.55
            }
            return (pick ? b : a) * (0.9 + 0.15 * noise.value(uv.x * 8, uv.y * 8))
        }
    }
}
