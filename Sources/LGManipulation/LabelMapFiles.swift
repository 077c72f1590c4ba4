// Reading and writing the files of SCS and editing: label-map PNGs (palette,
// gray or colour-coded RGB), mask PNGs, RGB image PNGs, latents (.npy) and
// image sheets.
import Foundation
import LGTensor
import LGModelIO

public enum ManipulationFiles {
    static func decode(_ url: URL, what: String) throws -> PNG.Image {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw ManipulationError.unreadable(path: url.path, reason: "cannot read the \(what): \(error.localizedDescription)")
        }
        do { return try PNG.decode(bytes) } catch {
            throw ManipulationError.unreadable(path: url.path, reason: "not a readable PNG \(what): \(error)")
        }
    }

    static func checkSize(_ img: PNG.Image, url: URL, what: String, expectedSize: Int?) throws {
        guard img.width == img.height else {
            throw ManipulationError.wrongSize(what: "\(what) \(url.lastPathComponent)", found: "\(img.width)x\(img.height)",
                                              expected: expectedSize.map { "\($0)x\($0)" } ?? "a square image")
        }
        if let s = expectedSize, img.width != s {
            throw ManipulationError.wrongSize(what: "\(what) \(url.lastPathComponent)", found: "\(img.width)x\(img.height)",
                                              expected: "\(s)x\(s) (the label resolution)")
        }
    }

    /// A label map (1, S, S) from a PNG: palette indices or gray values are
    /// the labels; an RGB image is decoded through `ImageSheet.labelPalette`
    /// (the colours this program writes). Checks the size (square, and
    /// `expectedSize` when given) and that labels are below `nClasses`.
    public static func readLabelMap(_ url: URL, nClasses: Int, expectedSize: Int? = nil) throws -> Labels {
        let img = try decode(url, what: "label map")
        try checkSize(img, url: url, what: "label map", expectedSize: expectedSize)
        var data: [Int32]
        if let l = img.labels() {
            data = l.map { Int32($0) }
        } else {
            let palette = ImageSheet.labelPalette(max(nClasses, 1))
            var lookup: [UInt32: Int32] = [:]
            for (i, c) in palette.enumerated() { lookup[UInt32(c.0) << 16 | UInt32(c.1) << 8 | UInt32(c.2)] = Int32(i) }
            let rgb = img.rgb()
            data = []
            data.reserveCapacity(img.width * img.height)
            for i in 0..<(img.width * img.height) {
                let key = UInt32(rgb[3 * i]) << 16 | UInt32(rgb[3 * i + 1]) << 8 | UInt32(rgb[3 * i + 2])
                guard let v = lookup[key] else {
                    throw ManipulationError.unreadable(path: url.path, reason:
                        "pixel (\(i % img.width), \(i / img.width)) has colour (\(rgb[3 * i]), \(rgb[3 * i + 1]), \(rgb[3 * i + 2])), which is not a class colour; write label maps as palette or gray PNGs (value = class)")
                }
                data.append(v)
            }
        }
        if let bad = data.first(where: { Int($0) >= nClasses }) {
            throw ManipulationError.labelOutOfRange(what: "label map \(url.lastPathComponent)", label: Int(bad), nClasses: nClasses)
        }
        return Labels(shape: [1, img.height, img.width], data: data)
    }

    /// A mask (S*S values in [0, 1], 1 = edited) from a PNG: gray value (or
    /// the RGB mean, or the palette index > 0) / 255, as the web app reads masks.
    public static func readMask(_ url: URL, expectedSize: Int) throws -> [Float] {
        let img = try decode(url, what: "mask")
        try checkSize(img, url: url, what: "mask", expectedSize: expectedSize)
        if img.colorType == 3 { return img.samples.map { $0 > 0 ? 1 : 0 } }
        if let g = img.labels() { return g.map { Float($0) / 255 } }
        let rgb = img.rgb()
        return (0..<(img.width * img.height)).map { i in
            (Float(rgb[3 * i]) + Float(rgb[3 * i + 1]) + Float(rgb[3 * i + 2])) / (3 * 255)
        }
    }

    /// An RGB image (1, 3, S, S) in [-1, 1] from a PNG ((v - 127.5) / 127.5).
    public static func readImage(_ url: URL, expectedSize: Int? = nil) throws -> Tensor {
        let img = try decode(url, what: "image")
        try checkSize(img, url: url, what: "image", expectedSize: expectedSize)
        let rgb = img.rgb(), p = img.width * img.height
        var d = [Float](repeating: 0, count: 3 * p)
        for i in 0..<p { for c in 0..<3 { d[c * p + i] = (Float(rgb[3 * i + c]) - 127.5) / 127.5 } }
        return Tensor(shape: [1, 3, img.height, img.width], data: d)
    }

    /// Writes a label map (1, S, S) or (S, S) as a palette PNG.
    public static func writeLabelMap(_ labels: Labels, nClasses: Int, to url: URL) throws {
        let s = labels.shape
        let png = try ImageSheet.labelMap(width: s[s.count - 1], height: s[s.count - 2],
                                          labels: labels.data.map { Int($0) }, classes: nClasses)
        try Data(png).write(to: url, options: .atomic)
    }

    /// Writes images (N, 3, H, W) in [-1, 1] as one RGB PNG row.
    public static func writeImage(_ image: Tensor, to url: URL, padding: Int = 0) throws {
        let png = try ImageSheet.grid(images: image, columns: image.shape[0], padding: padding)
        try Data(png).write(to: url, options: .atomic)
    }

    /// Label maps (N, H, W) as colour images (N, 3, H, W) in [-1, 1] for sheets.
    public static func labelImages(_ labels: Labels, nClasses: Int) -> Tensor {
        let n = labels.shape[0], p = labels.shape[1] * labels.shape[2]
        let palette = ImageSheet.labelPalette(max(nClasses, 1))
        var d = [Float](repeating: -1, count: n * 3 * p)
        for k in 0..<n { for i in 0..<p {
            let l = Int(labels.data[k * p + i])
            guard l >= 0 && l < palette.count else { continue }
            let c = palette[l]
            d[(k * 3 + 0) * p + i] = Float(c.0) / 127.5 - 1
            d[(k * 3 + 1) * p + i] = Float(c.1) / 127.5 - 1
            d[(k * 3 + 2) * p + i] = Float(c.2) / 127.5 - 1
        } }
        return Tensor(shape: [n, 3, labels.shape[1], labels.shape[2]], data: d)
    }
}
