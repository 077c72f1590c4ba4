import Foundation
import LGTensor
import LGModelIO

/// A stroke image as the pages send it: a square PNG (any colour type; the
/// canvas sends RGBA) where painted pixels carry a class's palette colour
/// and unpainted ones are transparent (alpha < 128). Mapped to a label map
/// and a mask at the label resolution: each label pixel takes the stroke
/// pixel at its centre (nearest-neighbour resizing), whose colour is read
/// as the class of the nearest palette colour.
struct StrokeImage {
    /// The largest side accepted (a 4x upscaled 256 canvas fits).
    static let maxSide = 2048

    let labels: Labels
    let mask: [Float]
    /// Painted label pixels.
    var paintedCount: Int { Int(mask.reduce(0, +)) }

    /// Decodes a `data:image/png;base64,...` URL (or bare base64).
    static func pngBytes(dataURL: String) throws -> [UInt8] {
        var s = Substring(dataURL)
        if s.hasPrefix("data:") {
            guard let comma = s.firstIndex(of: ",") else { throw StudioError.badRequest("the stroke is a data URL without a comma") }
            guard s[..<comma].hasSuffix(";base64") else { throw StudioError.badRequest("the stroke data URL is not base64") }
            s = s[s.index(after: comma)...]
        }
        guard let d = Data(base64Encoded: String(s)) else { throw StudioError.badRequest("the stroke is not valid base64") }
        return [UInt8](d)
    }

    init(png bytes: [UInt8], labelResolution r: Int, nClasses: Int) throws {
        let img: PNG.Image
        do { img = try PNG.decode(bytes) } catch {
            throw StudioError.badRequest("the stroke is not a readable PNG: \(error)")
        }
        guard img.width == img.height, img.width >= r, img.width <= StrokeImage.maxSide else {
            throw StudioError.badRequest("the stroke image is \(img.width)x\(img.height); expected a square between \(r)x\(r) (the label resolution) and \(StrokeImage.maxSide)x\(StrokeImage.maxSide)")
        }
        let palette = ImageSheet.labelPalette(nClasses)
        let rgb = img.rgb()
        let hasAlpha = img.colorType == 4 || img.colorType == 6
        var labels = [Int32](repeating: 0, count: r * r)
        var mask = [Float](repeating: 0, count: r * r)
        let side = img.width
        for y in 0..<r {
            let sy = min(side - 1, (2 * y + 1) * side / (2 * r))
            for x in 0..<r {
                let sx = min(side - 1, (2 * x + 1) * side / (2 * r))
                let p = sy * side + sx
                if hasAlpha && img.samples[p * img.channels + img.channels - 1] < 128 { continue }
                labels[y * r + x] = Int32(StrokeImage.nearestClass(rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], palette: palette))
                mask[y * r + x] = 1
            }
        }
        self.labels = Labels(shape: [1, r, r], data: labels)
        self.mask = mask
    }

    /// The index of the palette colour nearest (squared RGB distance) to a colour.
    static func nearestClass(_ r: UInt8, _ g: UInt8, _ b: UInt8, palette: [(UInt8, UInt8, UInt8)]) -> Int {
        var best = 0, bestD = Int.max
        for (i, c) in palette.enumerated() {
            let dr = Int(r) - Int(c.0), dg = Int(g) - Int(c.1), db = Int(b) - Int(c.2)
            let d = dr * dr + dg * dg + db * db
            if d < bestD { bestD = d; best = i }
        }
        return best
    }
}

/// PNG encodings the pages show.
enum StudioPNG {
    static func image(_ t: Tensor) throws -> [UInt8] {
        try ImageSheet.grid(images: t.slice(axis: 0, 0..<1), columns: 1, padding: 0)
    }

    static func labels(_ l: Labels, nClasses: Int) throws -> [UInt8] {
        let s = l.shape
        return try ImageSheet.labelMap(width: s[s.count - 1], height: s[s.count - 2], labels: l.data.map { Int($0) },
                                       classes: max(nClasses, 1))
    }

    /// A stroke's painted pixels in palette colours (unpainted transparent
    /// black is not representable in a palette PNG: they are class 0).
    static func stroke(_ l: Labels, mask: [Float], nClasses: Int) throws -> [UInt8] {
        let r = l.shape[l.shape.count - 1]
        let palette = ImageSheet.labelPalette(max(nClasses, 1))
        var px = [UInt8](repeating: 255, count: r * r * 3)
        for i in 0..<(r * r) where mask[i] >= 0.5 {
            let c = palette[Int(l.data[i])]
            px[3 * i] = c.0; px[3 * i + 1] = c.1; px[3 * i + 2] = c.2
        }
        return try PNG.encodeRGB(width: r, height: r, pixels: px)
    }

    /// The class colours as CSS hex strings.
    static func paletteHex(_ n: Int) -> [String] {
        ImageSheet.labelPalette(max(n, 1)).map { String(format: "#%02x%02x%02x", $0.0, $0.1, $0.2) }
    }

    static func dataURL(_ png: [UInt8]) -> String { "data:image/png;base64," + Data(png).base64EncodedString() }
}
