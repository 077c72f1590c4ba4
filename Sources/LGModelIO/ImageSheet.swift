/// Image grids and label colours for writing results as PNG.
///
/// `ImageSheet.grid` tiles a batch of generator outputs (N, 3, H, W) in
/// [-1, 1] into one RGB PNG (values clamped, mapped to 0...255 with rounding);
/// `labelPalette` gives fixed, distinct colours for segmentation classes
/// (class 0 black; the PASCAL VOC colour map); `labelMap` encodes a label map
/// as a palette PNG.
import LGTensor

public enum ImageSheet {
    /// Tiles images (N, 3, H, W) with values in [-1, 1] into a grid and encodes it as RGB PNG.
    /// - Parameters:
    ///   - columns: images per row (clamped to 1...N).
    ///   - padding: pixels between and around images.
    ///   - paddingValue: gray level of the padding (0...255).
    public static func grid(images: Tensor, columns: Int, padding: Int = 2, paddingValue: UInt8 = 0) throws -> [UInt8] {
        let (w, h, px) = try gridPixels(images: images, columns: columns, padding: padding, paddingValue: paddingValue)
        return try PNG.encodeRGB(width: w, height: h, pixels: px)
    }

    /// The grid as (width, height, RGB bytes) without PNG encoding.
    public static func gridPixels(images: Tensor, columns: Int, padding: Int = 2, paddingValue: UInt8 = 0) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let s = images.shape
        guard s.count == 4, s[1] == 3, s[0] > 0, s[2] > 0, s[3] > 0 else {
            throw ModelIOError.invalidArgument("image grid needs a non-empty (N, 3, H, W) tensor, got shape \(s)")
        }
        guard padding >= 0, padding <= 1024 else { throw ModelIOError.invalidArgument("grid padding \(padding) is outside 0...1024") }
        let (n, ih, iw) = (s[0], s[2], s[3])
        let cols = min(max(columns, 1), n)
        let rows = (n + cols - 1) / cols
        let width = cols * iw + (cols + 1) * padding
        let height = rows * ih + (rows + 1) * padding
        var px = [UInt8](repeating: paddingValue, count: width * height * 3)
        let d = images.data
        for k in 0..<n {
            let ox = padding + (k % cols) * (iw + padding)
            let oy = padding + (k / cols) * (ih + padding)
            for c in 0..<3 {
                let base = (k * 3 + c) * ih * iw
                for y in 0..<ih {
                    for x in 0..<iw {
                        px[((oy + y) * width + ox + x) * 3 + c] = toByte(d[base + y * iw + x])
                    }
                }
            }
        }
        return (width, height, px)
    }

    /// Maps [-1, 1] to 0...255 (clamped, rounded; NaN gives 0).
    @inline(__always)
    public static func toByte(_ v: Float) -> UInt8 {
        guard !v.isNaN else { return 0 }
        let x = (v + 1) * 127.5 + 0.5
        if x <= 0 { return 0 }
        if x >= 255 { return 255 }
        return UInt8(x)
    }

    /// `count` distinct colours for class labels (class 0 black), the PASCAL VOC colour map.
    public static func labelPalette(_ count: Int) -> [(UInt8, UInt8, UInt8)] {
        (0..<max(0, min(count, 256))).map { i in
            var r = 0, g = 0, b = 0
            var c = i
            for j in 0..<8 {
                r |= ((c >> 0) & 1) << (7 - j)
                g |= ((c >> 1) & 1) << (7 - j)
                b |= ((c >> 2) & 1) << (7 - j)
                c >>= 3
            }
            return (UInt8(r), UInt8(g), UInt8(b))
        }
    }

    /// Encodes a label map (row-major class indices) as a palette PNG coloured by `labelPalette`.
    public static func labelMap(width: Int, height: Int, labels: [Int], classes: Int) throws -> [UInt8] {
        guard classes >= 1, classes <= 256 else { throw ModelIOError.invalidArgument("label PNGs hold 1 to 256 classes, got \(classes)") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw ModelIOError.invalidArgument("label \(bad) is outside 0..<\(classes)")
        }
        return try PNG.encodePalette(width: width, height: height, indices: labels.map { UInt8($0) }, palette: labelPalette(classes))
    }
}
