// PNG versions of the collector's figures: a rasteriser for the subset of
// SVG that SVG.swift writes (rect, line, polyline, circle, text with
// text-anchor, font-size, font-weight and rotate(a cx cy), g carrying
// font-size), drawn at 2x and averaged down, text in BitmapFont. Not a
// general SVG renderer: anything else in the input is an error.
import Foundation
import LGCodec

public enum Raster {
    public struct UnsupportedSVG: Error, CustomStringConvertible {
        public let detail: String
        public var description: String { "cannot draw the figure as PNG: \(detail)" }
    }

    /// The PNG of `svg` (a figure from `BarChart` or `LineChart`).
    public static func png(svg: String) throws -> [UInt8] {
        let elements = try SVGScanner.elements(svg)
        guard let root = elements.first(where: { $0.name == "svg" }),
              let w = root.number("width"), let h = root.number("height"), w > 0, h > 0, w <= 8192, h <= 8192 else {
            throw UnsupportedSVG(detail: "no <svg> element with a width and height up to 8192")
        }
        var canvas = Canvas(width: Int(w.rounded(.up)), height: Int(h.rounded(.up)), scale: 2)
        var fontSizes: [Double] = [12]
        for e in elements {
            switch e.name {
            case "svg", "title", "/title", "/svg", "?xml": continue
            case "g":
                fontSizes.append(e.number("font-size") ?? fontSizes.last!)
                if e.selfClosing { fontSizes.removeLast() }
            case "/g": if fontSizes.count > 1 { fontSizes.removeLast() }
            case "rect":
                let (x, y) = (e.number("x") ?? 0, e.number("y") ?? 0)
                let (rw, rh) = (e.number("width") ?? 0, e.number("height") ?? 0)
                if let fill = try e.colour("fill", default: Canvas.black) { canvas.fill(x: x, y: y, width: rw, height: rh, fill) }
                if let stroke = try e.colour("stroke", default: nil) {
                    let sw = e.number("stroke-width") ?? 1
                    for (a, b) in [((x, y), (x + rw, y)), ((x + rw, y), (x + rw, y + rh)), ((x + rw, y + rh), (x, y + rh)), ((x, y + rh), (x, y))] {
                        canvas.line(a, b, width: sw, stroke)
                    }
                }
            case "line":
                guard let stroke = try e.colour("stroke", default: nil) else { continue }
                canvas.line((e.number("x1") ?? 0, e.number("y1") ?? 0), (e.number("x2") ?? 0, e.number("y2") ?? 0),
                            width: e.number("stroke-width") ?? 1, stroke)
            case "polyline":
                guard let stroke = try e.colour("stroke", default: nil) else { continue }
                let v = (e.attributes["points"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
                let pts = stride(from: 0, to: v.count - 1, by: 2).map { (v[$0], v[$0 + 1]) }
                for (a, b) in zip(pts, pts.dropFirst()) { canvas.line(a, b, width: e.number("stroke-width") ?? 1, stroke) }
            case "circle":
                if let fill = try e.colour("fill", default: Canvas.black) {
                    canvas.disc(cx: e.number("cx") ?? 0, cy: e.number("cy") ?? 0, r: e.number("r") ?? 0, fill)
                }
            case "text":
                let size = e.number("font-size") ?? fontSizes.last!
                let colour = try e.colour("fill", default: Canvas.black) ?? Canvas.black
                var angle = 0.0, centre = (0.0, 0.0)
                if let t = e.attributes["transform"] {
                    let n = t.replacingOccurrences(of: "rotate(", with: "").replacingOccurrences(of: ")", with: "")
                        .split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
                    guard t.hasPrefix("rotate("), n.count == 3 else { throw UnsupportedSVG(detail: "transform \"\(t)\"") }
                    angle = n[0]; centre = (n[1], n[2])
                }
                canvas.text(e.text, x: e.number("x") ?? 0, y: e.number("y") ?? 0, size: size,
                            anchor: e.attributes["text-anchor"] ?? "start", bold: e.attributes["font-weight"] == "bold",
                            rotate: angle, about: centre, colour)
            case let other where other.hasPrefix("/"): continue
            default: throw UnsupportedSVG(detail: "element <\(e.name)>")
            }
        }
        return try PNG.encodeRGB(width: canvas.width, height: canvas.height, pixels: canvas.downsampled())
    }
}

/// An RGB image drawn at `scale` times its size (for smooth edges).
struct Canvas {
    typealias RGB = (UInt8, UInt8, UInt8)
    static let black: RGB = (0, 0, 0)
    let width: Int, height: Int, scale: Int
    private var px: [UInt8]
    private var W: Int { width * scale }
    private var H: Int { height * scale }

    init(width: Int, height: Int, scale: Int) {
        self.width = width; self.height = height; self.scale = scale
        px = [UInt8](repeating: 255, count: width * scale * height * scale * 3)
    }

    private mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < W, y < H else { return }
        let i = (y * W + x) * 3
        px[i] = c.0; px[i + 1] = c.1; px[i + 2] = c.2
    }

    /// Fills the pixels whose centres lie in the rectangle (user units).
    mutating func fill(x: Double, y: Double, width w: Double, height h: Double, _ c: RGB) {
        let s = Double(scale)
        let x0 = Int((x * s).rounded()), x1 = Int(((x + w) * s).rounded()), y0 = Int((y * s).rounded()), y1 = Int(((y + h) * s).rounded())
        guard x1 > x0, y1 > y0 else { return }
        for yy in max(0, y0)..<min(H, y1) { for xx in max(0, x0)..<min(W, x1) { set(xx, yy, c) } }
    }

    /// A segment `width` user units wide (at least one device pixel).
    mutating func line(_ a: (Double, Double), _ b: (Double, Double), width: Double, _ c: RGB) {
        let s = Double(scale)
        let (ax, ay, bx, by) = (a.0 * s, a.1 * s, b.0 * s, b.1 * s)
        let half = max(0.5, width * s / 2)
        let (dx, dy) = (bx - ax, by - ay), len2 = dx * dx + dy * dy
        let xr = Int((min(ax, bx) - half).rounded(.down))...Int((max(ax, bx) + half).rounded(.up))
        let yr = Int((min(ay, by) - half).rounded(.down))...Int((max(ay, by) + half).rounded(.up))
        for yy in max(0, yr.lowerBound)...min(H - 1, max(0, yr.upperBound)) {
            for xx in max(0, xr.lowerBound)...min(W - 1, max(0, xr.upperBound)) {
                let (px, py) = (Double(xx) + 0.5, Double(yy) + 0.5)
                let t = len2 > 0 ? min(1, max(0, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0
                let (qx, qy) = (ax + t * dx - px, ay + t * dy - py)
                if qx * qx + qy * qy <= half * half { set(xx, yy, c) }
            }
        }
    }

    mutating func disc(cx: Double, cy: Double, r: Double, _ c: RGB) { line((cx, cy), (cx, cy), width: 2 * r, c) }

    /// `text` with its baseline at y, in BitmapFont scaled to `size` px,
    /// rotated by `rotate` degrees about `about`.
    mutating func text(_ text: String, x: Double, y: Double, size: Double, anchor: String, bold: Bool,
                       rotate: Double, about: (Double, Double), _ c: RGB) {
        let k = size / 9                                        // user units per glyph pixel
        let chars = Array(text)
        let advance = Double(BitmapFont.advance) * k
        let total = Double(chars.count) * advance - k
        var x0 = x
        if anchor == "middle" { x0 -= total / 2 } else if anchor == "end" { x0 -= total }
        let top = y - Double(BitmapFont.height) * k
        let (sa, ca) = (sin(rotate * .pi / 180), cos(rotate * .pi / 180))
        let s = Double(scale), side = k * s
        for (i, ch) in chars.enumerated() {
            let rows = BitmapFont.rows(ch)
            for (gy, row) in rows.enumerated() {
                for gx in 0..<BitmapFont.width where row & (1 << UInt8(BitmapFont.width - 1 - gx)) != 0 {
                    for extra in (bold ? [0.0, 0.5] : [0.0]) {
                        // The glyph pixel's centre, rotated about `about`, in device pixels.
                        let ux = x0 + Double(i) * advance + (Double(gx) + 0.5 + extra) * k, uy = top + (Double(gy) + 0.5) * k
                        let rx = about.0 + (ux - about.0) * ca - (uy - about.1) * sa
                        let ry = about.1 + (ux - about.0) * sa + (uy - about.1) * ca
                        let (cx, cy) = (rx * s, ry * s)
                        for yy in Int((cy - side / 2).rounded())..<Int((cy - side / 2).rounded()) + max(1, Int(side.rounded())) {
                            for xx in Int((cx - side / 2).rounded())..<Int((cx - side / 2).rounded()) + max(1, Int(side.rounded())) {
                                set(xx, yy, c)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The image at its user size: each pixel the mean of its scale x scale block.
    func downsampled() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let n = scale * scale
        for y in 0..<height {
            for x in 0..<width {
                for ch in 0..<3 {
                    var sum = 0
                    for dy in 0..<scale { for dx in 0..<scale { sum += Int(px[((y * scale + dy) * W + x * scale + dx) * 3 + ch]) } }
                    out[(y * width + x) * 3 + ch] = UInt8((sum + n / 2) / n)
                }
            }
        }
        return out
    }
}

/// The elements of an SVG text in document order, flat (`</g>` as `/g`).
struct SVGScanner {
    struct Element {
        var name: String
        var attributes: [String: String] = [:]
        var selfClosing = false
        /// A `<text>`'s content, entities decoded, non-ASCII folded.
        var text = ""

        func number(_ key: String) -> Double? { attributes[key].flatMap { Double($0) } }

        /// A `#rrggbb` attribute; nil for "none"; `default` when absent.
        func colour(_ key: String, default d: Canvas.RGB?) throws -> Canvas.RGB? {
            guard let v = attributes[key] else { return d }
            if v == "none" { return nil }
            let u = Array(v.utf8)
            guard u.count == 7, u[0] == UInt8(ascii: "#"), let n = UInt32(String(v.dropFirst()), radix: 16) else {
                throw Raster.UnsupportedSVG(detail: "colour \"\(v)\" (only #rrggbb and none)")
            }
            return (UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255))
        }
    }

    static func elements(_ svg: String) throws -> [Element] {
        var out: [Element] = []
        let s = Array(svg.unicodeScalars)
        var i = 0
        func fail(_ what: String) -> Raster.UnsupportedSVG { Raster.UnsupportedSVG(detail: "\(what) at character \(i)") }
        while i < s.count {
            guard s[i] == "<" else { i += 1; continue }
            i += 1
            var name = ""
            while i < s.count, !" \n\t/>".unicodeScalars.contains(s[i]) || (name.isEmpty && s[i] == "/") { name.unicodeScalars.append(s[i]); i += 1 }
            guard !name.isEmpty else { throw fail("an empty tag") }
            var e = Element(name: name)
            while i < s.count, s[i] != ">" {
                if s[i] == "/" || s[i] == "?" { if s[i] == "/" { e.selfClosing = true }; i += 1; continue }
                if s[i] == " " || s[i] == "\n" || s[i] == "\t" { i += 1; continue }
                var key = ""
                while i < s.count, s[i] != "=", s[i] != ">", s[i] != " " { key.unicodeScalars.append(s[i]); i += 1 }
                guard i + 1 < s.count, s[i] == "=", s[i + 1] == "\"" else { throw fail("attribute \(key) without a quoted value") }
                i += 2
                var value = ""
                while i < s.count, s[i] != "\"" { value.unicodeScalars.append(s[i]); i += 1 }
                guard i < s.count else { throw fail("an unterminated attribute") }
                i += 1
                e.attributes[key] = decode(value)
            }
            guard i < s.count else { throw fail("an unterminated tag") }
            i += 1
            if name == "text" || name == "title", !e.selfClosing {
                var raw = ""
                while i < s.count, s[i] != "<" { raw.unicodeScalars.append(s[i]); i += 1 }
                e.text = decode(raw)
            }
            out.append(e)
        }
        return out
    }

    /// XML entities decoded; characters outside ASCII folded to ASCII.
    static func decode(_ s: String) -> String {
        let t = s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
        return String(t.unicodeScalars.map { u -> Character in
            if u.isASCII { return Character(u) }
            switch u { case "\u{2013}", "\u{2014}", "\u{2212}": return "-"; default: return "?" }
        })
    }
}
