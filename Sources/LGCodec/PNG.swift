/// PNG encoding (8-bit RGB and 8-bit palette) and a minimal decoder.
///
/// The writer emits IHDR, PLTE (palette images), one zlib `compress2` IDAT
/// with filter type 0 on every row, and IEND, each chunk with its zlib CRC-32.
/// The reader accepts 8-bit, non-interlaced gray, gray+alpha, RGB, RGBA and
/// palette images with any of the five row filters, checking every chunk CRC
/// and length; anything else gives `ModelIOError.corruptPNG`.
public enum PNG {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

    /// Encodes an 8-bit RGB image; `pixels` holds width*height*3 bytes, row-major, interleaved.
    public static func encodeRGB(width: Int, height: Int, pixels: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24, pixels.count == width * height * 3 else {
            throw ModelIOError.invalidArgument("RGB image \(width)x\(height) needs \(max(0, width * height * 3)) bytes, got \(pixels.count)")
        }
        return try encode(width: width, height: height, colorType: 2, channels: 3, samples: pixels, palette: nil)
    }

    /// Encodes an 8-bit palette image; every index must be below `palette.count` (at most 256 entries).
    public static func encodePalette(width: Int, height: Int, indices: [UInt8], palette: [(UInt8, UInt8, UInt8)]) throws -> [UInt8] {
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24, indices.count == width * height else {
            throw ModelIOError.invalidArgument("palette image \(width)x\(height) needs \(max(0, width * height)) indices, got \(indices.count)")
        }
        guard !palette.isEmpty, palette.count <= 256 else {
            throw ModelIOError.invalidArgument("a PNG palette holds 1 to 256 colours, got \(palette.count)")
        }
        if let bad = indices.first(where: { Int($0) >= palette.count }) {
            throw ModelIOError.invalidArgument("palette index \(bad) is outside the \(palette.count)-colour palette")
        }
        return try encode(width: width, height: height, colorType: 3, channels: 1, samples: indices, palette: palette)
    }

    static func encode(width: Int, height: Int, colorType: UInt8, channels: Int, samples: [UInt8],
                       palette: [(UInt8, UInt8, UInt8)]?) throws -> [UInt8] {
        var out = signature
        var ihdr: [UInt8] = []
        appendBE(&ihdr, UInt32(width))
        appendBE(&ihdr, UInt32(height))
        ihdr += [8, colorType, 0, 0, 0]
        appendChunk(&out, "IHDR", ihdr)
        if let palette {
            appendChunk(&out, "PLTE", palette.flatMap { [$0.0, $0.1, $0.2] })
        }
        let rowBytes = width * channels
        var raw = [UInt8]()
        raw.reserveCapacity((rowBytes + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw += samples[(y * rowBytes)..<((y + 1) * rowBytes)]
        }
        appendChunk(&out, "IDAT", try Zlib.compress(raw))
        appendChunk(&out, "IEND", [])
        return out
    }

    static func appendChunk(_ out: inout [UInt8], _ type: String, _ body: [UInt8]) {
        appendBE(&out, UInt32(body.count))
        let typed = Array(type.utf8) + body
        out += typed
        appendBE(&out, Zlib.crc32(typed))
    }

    // MARK: Decoding

    /// A decoded 8-bit image.
    public struct Image: Sendable {
        public let width: Int
        public let height: Int
        /// PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
        public let colorType: Int
        /// Samples per pixel (1, 2, 3 or 4).
        public let channels: Int
        /// Row-major interleaved samples (palette images: the indices).
        public let samples: [UInt8]
        /// The palette of a palette image (empty otherwise).
        public let palette: [(UInt8, UInt8, UInt8)]

        /// The image as width*height*3 RGB bytes (alpha dropped, gray replicated, palette looked up).
        public func rgb() -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(width * height * 3)
            let n = width * height
            switch colorType {
            case 0, 4:
                for i in 0..<n { let g = samples[i * channels]; out += [g, g, g] }
            case 3:
                for i in 0..<n {
                    let idx = Int(samples[i])
                    let c = idx < palette.count ? palette[idx] : (0, 0, 0)
                    out += [c.0, c.1, c.2]
                }
            default:
                for i in 0..<n { out += samples[(i * channels)..<(i * channels + 3)] }
            }
            return out
        }

        /// One label per pixel for label maps: palette indices or gray values (nil for colour images).
        public func labels() -> [UInt8]? {
            switch colorType {
            case 3: return samples
            case 0: return samples
            case 4: return stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
            default: return nil
            }
        }
    }

    /// Decodes a PNG file's bytes.
    public static func decode(_ bytes: [UInt8]) throws -> Image {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else {
            throw ModelIOError.corruptPNG("the data does not start with the PNG signature (it starts with \(describeLeadingBytes(bytes)))")
        }
        var p = 8
        var width = 0, height = 0, colorType = -1
        var palette: [(UInt8, UInt8, UInt8)] = []
        var idat: [UInt8] = []
        var sawEnd = false
        while !sawEnd {
            guard bytes.count - p >= 12 else { throw ModelIOError.corruptPNG("the file ends before the IEND chunk (truncated)") }
            let len = Int(UInt32(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: p, as: UInt32.self) }))
            guard len <= bytes.count - p - 12 else { throw ModelIOError.corruptPNG("a chunk of \(len) bytes at offset \(p) runs past the end of the file (truncated)") }
            let typeBytes = bytes[(p + 4)..<(p + 8)]
            let type = String(decoding: typeBytes, as: UTF8.self)
            let body = Array(bytes[(p + 8)..<(p + 8 + len)])
            let stored = UInt32(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: p + 8 + len, as: UInt32.self) })
            guard Zlib.crc32(bytes[(p + 4)..<(p + 8 + len)]) == stored else {
                throw ModelIOError.corruptPNG("chunk '\(type)' at offset \(p) fails its CRC check (the file is corrupt)")
            }
            p += 12 + len
            switch type {
            case "IHDR":
                guard body.count == 13 else { throw ModelIOError.corruptPNG("IHDR has \(body.count) bytes, expected 13") }
                width = Int(UInt32(body[0]) << 24 | UInt32(body[1]) << 16 | UInt32(body[2]) << 8 | UInt32(body[3]))
                height = Int(UInt32(body[4]) << 24 | UInt32(body[5]) << 16 | UInt32(body[6]) << 8 | UInt32(body[7]))
                guard body[8] == 8 else { throw ModelIOError.corruptPNG("bit depth \(body[8]) is not supported (only 8)") }
                colorType = Int(body[9])
                guard [0, 2, 3, 4, 6].contains(colorType) else { throw ModelIOError.corruptPNG("colour type \(colorType) is invalid") }
                guard body[10] == 0, body[11] == 0 else { throw ModelIOError.corruptPNG("unknown compression or filter method") }
                guard body[12] == 0 else { throw ModelIOError.corruptPNG("interlaced images are not supported") }
                guard width > 0, height > 0, width <= 1 << 20, height <= 1 << 20, width * height <= 1 << 28 else {
                    throw ModelIOError.corruptPNG("image size \(width)x\(height) is invalid or too large")
                }
            case "PLTE":
                guard body.count % 3 == 0, body.count <= 768 else { throw ModelIOError.corruptPNG("PLTE length \(body.count) is invalid") }
                palette = stride(from: 0, to: body.count, by: 3).map { (body[$0], body[$0 + 1], body[$0 + 2]) }
            case "IDAT":
                guard colorType >= 0 else { throw ModelIOError.corruptPNG("IDAT comes before IHDR") }
                idat += body
            case "IEND":
                sawEnd = true
            default:
                // Critical chunks (uppercase first letter) we do not know cannot be skipped safely.
                if let f = typeBytes.first, f >= 0x41, f <= 0x5a {
                    throw ModelIOError.corruptPNG("unknown critical chunk '\(type)'")
                }
            }
        }
        guard colorType >= 0 else { throw ModelIOError.corruptPNG("there is no IHDR chunk") }
        guard !idat.isEmpty else { throw ModelIOError.corruptPNG("there is no IDAT chunk") }
        if colorType == 3 && palette.isEmpty { throw ModelIOError.corruptPNG("a palette image has no PLTE chunk") }
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        let rowBytes = width * channels
        let raw = try idat.withUnsafeBytes {
            try Zlib.inflate($0, expectedSize: (rowBytes + 1) * height, raw: false, what: "PNG image data")
        }
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        let bpp = channels
        for y in 0..<height {
            let filter = raw[y * (rowBytes + 1)]
            let src = y * (rowBytes + 1) + 1
            let dst = y * rowBytes
            for x in 0..<rowBytes {
                let v = raw[src + x]
                let a = x >= bpp ? Int(out[dst + x - bpp]) : 0
                let b = y > 0 ? Int(out[dst - rowBytes + x]) : 0
                let c = (x >= bpp && y > 0) ? Int(out[dst - rowBytes + x - bpp]) : 0
                let pred: Int
                switch filter {
                case 0: pred = 0
                case 1: pred = a
                case 2: pred = b
                case 3: pred = (a + b) / 2
                case 4:
                    let pp = a + b - c
                    let pa = abs(pp - a), pb = abs(pp - b), pc = abs(pp - c)
                    pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
                default:
                    throw ModelIOError.corruptPNG("row \(y) uses unknown filter type \(filter)")
                }
                out[dst + x] = v &+ UInt8(truncatingIfNeeded: pred)
            }
        }
        if colorType == 3, let bad = out.first(where: { Int($0) >= palette.count }) {
            throw ModelIOError.corruptPNG("palette index \(bad) is outside the \(palette.count)-colour palette")
        }
        return Image(width: width, height: height, colorType: colorType, channels: channels, samples: out, palette: palette)
    }
}
