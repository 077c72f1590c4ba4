import Foundation
import XCTest
import LGTensor
@testable import LGModelIO
@testable import LGCodec

final class SafetensorsTests: XCTestCase {
    func testRoundTripWithMetadata() throws {
        let a = Tensor(shape: [2, 3], data: [1, -2, 3.5, 0, .infinity, -0.25])
        let s = Tensor(scalar: 7)
        let url = temporaryURL("rt.safetensors")
        let meta = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t é"]
        try Safetensors.write(["b.weight": a, "a.scalar": s], int64: ["ids": .init(shape: [2], values: [-5, 1 << 40])],
                              metadata: meta, to: url)
        let (tensors, metadata) = try Safetensors.read(url)
        XCTAssertEqual(metadata, meta)
        XCTAssertEqual(tensors["b.weight"], a)
        XCTAssertEqual(tensors["a.scalar"], s)
        let raw = try Safetensors.readRaw(url)
        XCTAssertEqual(raw.tensors["ids"]?.dtype, .int64)
        XCTAssertEqual(raw.tensors["ids"]?.intValues(), [-5, 1 << 40])
        // keys sorted in the header and data in that order; header 8-byte aligned
        let bytes = try [UInt8](Data(contentsOf: url))
        let n = Int(loadLE(bytes, 0, UInt64.self))
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        let ia = header.range(of: "a.scalar")!.lowerBound, ib = header.range(of: "b.weight")!.lowerBound
        let ii = header.range(of: "\"ids\"")!.lowerBound
        XCTAssertTrue(ia < ib && ib < ii)
        // no temp files left behind
        let left = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        XCTAssertFalse(left.contains { $0.contains(".tmp-") })
    }

    func testReadsOtherDtypes() throws {
        var data: [UInt8] = []
        for v: UInt16 in [0x3c00, 0xc000] { appendLE(&data, v) }     // F16 1, -2
        for v: UInt16 in [0x3f80, 0x4040] { appendLE(&data, v) }     // BF16 1, 3
        for v: Int32 in [-7, 9] { appendLE(&data, v) }
        data += [3, 250, 1, 0]
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"i":{"dtype":"I32","shape":[2],"data_offsets":[8,16]},"u":{"dtype":"U8","shape":[2],"data_offsets":[16,18]},"z":{"dtype":"BOOL","shape":[2],"data_offsets":[18,20]}}"#
        var file: [UInt8] = []
        appendLE(&file, UInt64(header.utf8.count))
        file += Array(header.utf8) + data
        let (t, m) = try Safetensors.decode(file)
        XCTAssertTrue(m.isEmpty)
        XCTAssertEqual(t["h"]?.floatTensor().data, [1, -2])
        XCTAssertEqual(t["b"]?.floatTensor().data, [1, 3])
        XCTAssertEqual(t["i"]?.intValues(), [-7, 9])
        XCTAssertEqual(t["u"]?.intValues(), [3, 250])
        XCTAssertEqual(t["z"]?.intValues(), [1, 0])
    }

    /// Half-precision writing rounds as PyTorch's `tensor.to(torch.float16)`
    /// (bit patterns below from torch 2, float32 inputs): nearest-even, ties
    /// to even, subnormals, signed zero, saturation at 65504 below the
    /// rounding boundary, infinities kept.
    func testWritesHalfPrecisionAsPyTorchRoundsIt() throws {
        let values: [Float] = [0.1, 1.0 / 3, -2.5, 65504, 65519, 6e-8, 1e-8, -0.0, 1 + 0x1p-11, 1 + 3 * 0x1p-11,
                               3.14159265, -1234.567, 0x1p-14, 0x1p-24, .infinity, -.infinity]
        let torchBits: [UInt16] = [0x2e66, 0x3555, 0xc100, 0x7bff, 0x7bff, 0x0001, 0x0000, 0x8000, 0x3c00, 0x3c02,
                                   0x4248, 0xe4d3, 0x0400, 0x0001, 0x7c00, 0xfc00]
        let ints = Safetensors.Int64Tensor(shape: [2], values: [3, -4])
        let bytes = try Safetensors.encode(["h": Tensor(shape: [4, 4], data: values)], int64: ["n": ints], floats: .f16)
        let raw = try Safetensors.decode(bytes).tensors
        XCTAssertEqual(raw["h"]?.dtype, .float16)
        XCTAssertEqual(raw["h"]?.shape, [4, 4])
        XCTAssertEqual(raw["n"]?.intValues(), [3, -4], "integers stay int64")
        let n = Int(loadLE(bytes, 0, UInt64.self))
        let stored = (0..<values.count).map { loadLE(bytes, 8 + n + 2 * $0, UInt16.self) }
        XCTAssertEqual(stored, torchBits)
        XCTAssertEqual(bytes.count, 8 + n + 2 * values.count + 8 * 2)
        // Read back as float: exactly the half values.
        XCTAssertEqual(try Safetensors.decode(bytes).tensors["h"]?.floatTensor().data[0], 0.0999755859375)
    }

    /// Beyond half's range: strict F16 refuses (naming the tensor and the
    /// fix); `f16WhereInRange` keeps that tensor F32 and halves the rest.
    func testHalfPrecisionOutOfRange() throws {
        let big = Tensor(shape: [2], data: [1, 70000]), small = Tensor(shape: [3], data: [1, 2, -3])
        XCTAssertThrowsError(try Safetensors.encode(["var": big, "w": small], floats: .f16)) {
            XCTAssertTrue("\($0)".contains("'var'") && "\($0)".contains("F32"), "\($0)")
        }
        let bytes = try Safetensors.encode(["var": big, "w": small], floats: .f16WhereInRange)
        let raw = try Safetensors.decode(bytes).tensors
        XCTAssertEqual(raw["var"]?.dtype, .float32)
        XCTAssertEqual(raw["var"]?.floatTensor().data, [1, 70000])
        XCTAssertEqual(raw["w"]?.dtype, .float16)
        XCTAssertEqual(raw["w"]?.floatTensor().data, [1, 2, -3])
    }

    func testCorruptFiles() throws {
        let good = try Safetensors.encode(["w": Tensor(shape: [4], data: [1, 2, 3, 4])], metadata: ["k": "v"])
        XCTAssertNoThrow(try Safetensors.decode(good))
        for n in 0..<good.count {
            assertModelIOError(try Safetensors.decode(Array(good[0..<n])), "cut at \(n)")
        }
        func withHeader(_ h: String, data: Int = 16) -> [UInt8] {
            var f: [UInt8] = []
            appendLE(&f, UInt64(h.utf8.count))
            return f + Array(h.utf8) + [UInt8](repeating: 0, count: data)
        }
        let bad = [
            #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,20]}}"#,   // past end
            #"{"w":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}}"#,   // size mismatch
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,    // reversed
            #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,   // negative dim
            #"{"w":{"dtype":"C64","shape":[2],"data_offsets":[0,16]}}"#,   // unknown dtype
            #"{"w":{"dtype":"F32","shape":[2]}}"#,                         // no offsets
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, // overlap
            #"{"__metadata__":{"k":1}}"#,                                  // non-string metadata
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,     // bad JSON
            #"[1,2]"#,
        ]
        for h in bad { assertModelIOError(try Safetensors.decode(withHeader(h)), h) }
        var huge: [UInt8] = []
        appendLE(&huge, UInt64.max)
        assertModelIOError(try Safetensors.decode(huge + [0, 0]))
        // flipping header bytes never crashes
        for i in 0..<min(good.count, 120) {
            var b = good
            b[i] ^= 0x20
            _ = try? Safetensors.decode(b)
        }
        assertModelIOError(try Safetensors.read(URL(fileURLWithPath: "/nonexistent/x.safetensors")))
        assertModelIOError(try Safetensors.write(["w": Tensor(scalar: 1)], to: URL(fileURLWithPath: "/nonexistent/dir/x.safetensors")))
    }

    func testReadMetadataReadsTheHeaderOnly() throws {
        let meta = ["epochs": "50", "arch": #"{"type":"LSE"}"#]
        let url = temporaryURL("meta.safetensors")
        try Safetensors.write(["w": Tensor(shape: [1000], data: [Float](repeating: 1, count: 1000))], metadata: meta, to: url)
        XCTAssertEqual(try Safetensors.readMetadata(url), meta)
        // The tensor data cut away: the full read fails, the header alone still reads.
        let bytes = try [UInt8](Data(contentsOf: url))
        let headerEnd = 8 + Int(loadLE(bytes, 0, UInt64.self))
        let cut = temporaryURL("meta-cut.safetensors")
        try Data(bytes[0..<(headerEnd + 10)]).write(to: cut)
        assertModelIOError(try Safetensors.read(cut))
        XCTAssertEqual(try Safetensors.readMetadata(cut), meta)
        // Cut inside the header or its length: a clear error.
        for n in [0, 5, 8, headerEnd - 1] {
            try Data(bytes[0..<n]).write(to: cut)
            assertModelIOError(try Safetensors.readMetadata(cut), "cut at \(n)")
        }
        // No metadata: empty; a missing file: an error naming it.
        try Safetensors.write(["w": Tensor(scalar: 1)], to: url)
        XCTAssertEqual(try Safetensors.readMetadata(url), [:])
        assertModelIOError(try Safetensors.readMetadata(URL(fileURLWithPath: "/nonexistent/x.safetensors")))
    }
}

final class NPYTests: XCTestCase {
    func testRoundTrip() throws {
        let t = Tensor(shape: [2, 3, 1], data: [1, 2, 3, -4, 5.5, 1e-8])
        let url = temporaryURL("t.npy")
        try NPY.write(t, to: url)
        XCTAssertEqual(try NPY.read(url), t)
        let bytes = NPY.encode(t)
        let headerLen = Int(loadLE(bytes, 8, UInt16.self))
        XCTAssertEqual((10 + headerLen) % 64, 0)
        XCTAssertEqual(bytes[10 + headerLen - 1], 0x0a)
        for shape in [[], [3], [0, 2]] as [[Int]] {
            let x = Tensor(shape: shape, data: (0..<Tensor.count(of: shape)).map(Float.init))
            XCTAssertEqual(try NPY.decode(NPY.encode(x)).floatTensor(), x)
        }
        let iurl = temporaryURL("i.npy")
        try NPY.writeInt64([1, -2, 1 << 50, 4], shape: [2, 2], to: iurl)
        let raw = try NPY.readRaw(iurl)
        XCTAssertEqual(raw.dtype, .int64)
        XCTAssertEqual(raw.shape, [2, 2])
        XCTAssertEqual(raw.intValues(), [1, -2, 1 << 50, 4])
        assertModelIOError(try NPY.encodeInt64([1, 2], shape: [3]))
    }

    func testReadsNumpyFiles() throws {
        let exp = try Fixture.expected()["npy"] as! [String: [String: Any]]
        XCTAssertEqual(exp.count, 7)
        for (name, e) in exp {
            let t = try NPY.read(Fixture.url(name))
            XCTAssertEqual(t.shape, e["shape"] as! [Int], name)
            assertClose(t.data, e["values"] as! [Double], tol: 1e-6, name)
        }
        XCTAssertEqual(try NPY.readRaw(Fixture.url("np_i8.npy")).intValues(), [1, -2, 3, 1 << 40, 0, -7])
        XCTAssertFalse(try NPY.readRaw(Fixture.url("np_f4_fortran.npy")).isContiguous)
    }

    func testCorrupt() throws {
        let good = try Fixture.bytes("np_f8.npy")
        for n in 0..<good.count { assertModelIOError(try NPY.decode(Array(good[0..<n])), "cut at \(n)") }
        for i in 0..<good.count {
            var b = good
            b[i] ^= 0x41
            _ = try? NPY.decode(b)
        }
        var bigEndian = good
        let r = String(decoding: good, as: UTF8.self).range(of: "<f8")!
        let off = String(decoding: good, as: UTF8.self).utf8.distance(from: String(decoding: good, as: UTF8.self).utf8.startIndex, to: r.lowerBound)
        bigEndian[off] = UInt8(ascii: ">")
        assertModelIOError(try NPY.decode(bigEndian))
    }

    /// The fuzzer's find (2026-12-07): an empty shape whose other dimensions
    /// multiply past Int.max trapped on the Fortran-order strides. Both orders
    /// now read it as the empty tensor it is.
    func testEmptyShapeWithHugeDimensions() throws {
        let dims = "(0, 4535, 444444444444, 4, 435, 4444444444444, 4, 4)"
        for fortran in ["True", "False"] {
            var header = "{'descr': '<f4', 'fortran_order': \(fortran), 'shape': \(dims), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            let length = header.utf8.count
            let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8)
            let t = try NPY.decode(bytes)
            XCTAssertEqual(t.shape, [0, 4535, 444444444444, 4, 435, 4444444444444, 4, 4], "fortran_order \(fortran)")
        }
    }
}

final class PNGTests: XCTestCase {
    func testRGBRoundTrip() throws {
        let (w, h) = (7, 5)
        let px = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let png = try PNG.encodeRGB(width: w, height: h, pixels: px)
        XCTAssertEqual(Array(png.prefix(8)), PNG.signature)
        let img = try PNG.decode(png)
        XCTAssertEqual(img.width, w); XCTAssertEqual(img.height, h)
        XCTAssertEqual(img.colorType, 2)
        XCTAssertEqual(img.samples, px)
        XCTAssertEqual(img.rgb(), px)
        XCTAssertNil(img.labels())
        // chunk CRCs: decode checks them; flipping any chunk byte fails
        for i in stride(from: 8, to: png.count, by: 3) {
            var b = png
            b[i] ^= 0x10
            assertModelIOError(try PNG.decode(b), "flip at \(i)")
        }
        for n in 0..<png.count { assertModelIOError(try PNG.decode(Array(png[0..<n])), "cut at \(n)") }
        assertModelIOError(try PNG.encodeRGB(width: 2, height: 2, pixels: [1, 2, 3]))
    }

    func testPaletteAndLabels() throws {
        let pal = ImageSheet.labelPalette(6)
        XCTAssertTrue(pal[0] == (0, 0, 0))
        XCTAssertEqual(Set(pal.map { "\($0)" }).count, 6)
        XCTAssertEqual(Set(ImageSheet.labelPalette(256).map { "\($0)" }).count, 256)
        let labels = (0..<(9 * 4)).map { $0 % 6 }
        let png = try ImageSheet.labelMap(width: 9, height: 4, labels: labels, classes: 6)
        let img = try PNG.decode(png)
        XCTAssertEqual(img.colorType, 3)
        XCTAssertEqual(img.labels(), labels.map(UInt8.init))
        XCTAssertEqual(Array(img.rgb()[3..<6]), [pal[1].0, pal[1].1, pal[1].2])
        assertModelIOError(try PNG.encodePalette(width: 2, height: 1, indices: [0, 3], palette: [(0, 0, 0)]))
        assertModelIOError(try ImageSheet.labelMap(width: 1, height: 1, labels: [7], classes: 6))
    }

    func testGrid() throws {
        var data = [Float](repeating: 0, count: 3 * 3 * 2 * 2)
        data[0] = -1; data[1] = 1; data[2] = 2; data[3] = -5 // image 0, red channel
        let imgs = Tensor(shape: [3, 3, 2, 2], data: data)
        let (w, h, px) = try ImageSheet.gridPixels(images: imgs, columns: 2, padding: 1)
        XCTAssertEqual(w, 2 * 2 + 3); XCTAssertEqual(h, 2 * 2 + 3)
        XCTAssertEqual(px[(1 * w + 1) * 3], 0)    // -1 -> 0
        XCTAssertEqual(px[(1 * w + 2) * 3], 255)  // 1 -> 255
        XCTAssertEqual(px[(2 * w + 1) * 3], 255)  // 2 clamps
        XCTAssertEqual(px[(2 * w + 2) * 3], 0)    // -5 clamps
        XCTAssertEqual(px[(1 * w + 1) * 3 + 1], 128) // 0 -> 127.5 rounds to 128
        XCTAssertEqual(px[0], 0)                  // padding
        let png = try ImageSheet.grid(images: imgs, columns: 2, padding: 1)
        XCTAssertEqual(try PNG.decode(png).rgb(), px)
        assertModelIOError(try ImageSheet.grid(images: Tensor(zeros: [2, 1, 2, 2]), columns: 1))
    }

    func testDecodesAllFilterTypesAndColorTypes() throws {
        // Hand-built image: 3x4 RGBA rows using filters 0..4, then gray and gray+alpha.
        for (colorType, channels) in [(6, 4), (0, 1), (4, 2), (2, 3)] {
            let (w, h) = (3, 5)
            let px = (0..<(w * h * channels)).map { UInt8(truncatingIfNeeded: ($0 * 53) ^ ($0 >> 2)) }
            var raw: [UInt8] = []
            let rb = w * channels
            for y in 0..<h {
                let filter = UInt8(y % 5)
                raw.append(filter)
                for x in 0..<rb {
                    let a = x >= channels ? Int(px[y * rb + x - channels]) : 0
                    let b = y > 0 ? Int(px[(y - 1) * rb + x]) : 0
                    let c = (x >= channels && y > 0) ? Int(px[(y - 1) * rb + x - channels]) : 0
                    let pred: Int
                    switch filter {
                    case 1: pred = a
                    case 2: pred = b
                    case 3: pred = (a + b) / 2
                    case 4:
                        let p = a + b - c
                        let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
                        pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
                    default: pred = 0
                    }
                    raw.append(px[y * rb + x] &- UInt8(truncatingIfNeeded: pred))
                }
            }
            var png = PNG.signature
            var ihdr: [UInt8] = []
            appendBE(&ihdr, UInt32(w)); appendBE(&ihdr, UInt32(h))
            ihdr += [8, UInt8(colorType), 0, 0, 0]
            PNG.appendChunk(&png, "IHDR", ihdr)
            PNG.appendChunk(&png, "tEXt", Array("Comment\0x".utf8))
            let z = try Zlib.compress(raw)
            PNG.appendChunk(&png, "IDAT", Array(z[0..<5]))   // split IDAT
            PNG.appendChunk(&png, "IDAT", Array(z[5...]))
            PNG.appendChunk(&png, "IEND", [])
            let img = try PNG.decode(png)
            XCTAssertEqual(img.channels, channels)
            XCTAssertEqual(img.samples, px, "colour type \(colorType)")
            XCTAssertEqual(img.rgb().count, w * h * 3)
        }
    }
}

final class PythonPNGTests: XCTestCase {
    func testDecodesPNGsWrittenByPythonZlib() throws {
        let exp = try Fixture.expected()["png"] as! [String: [String: Any]]
        XCTAssertEqual(exp.count, 2)
        for (name, e) in exp {
            let img = try PNG.decode(try Fixture.bytes(name))
            XCTAssertEqual(img.width, e["width"] as! Int, name)
            XCTAssertEqual(img.height, e["height"] as! Int, name)
            XCTAssertEqual(img.samples.map(Int.init), e["samples"] as! [Int], name)
            if let pal = e["palette"] as? [[Int]] {
                XCTAssertEqual(img.palette.map { [Int($0.0), Int($0.1), Int($0.2)] }, pal)
                XCTAssertEqual(img.labels()?.map(Int.init), e["samples"] as? [Int])
            }
        }
    }
}
