import Foundation
import XCTest
import LGTensor
@testable import LGModelIO

final class TorchFileTests: XCTestCase {
    // MARK: zip format against values computed in Python

    func testZipFixturesMatchPython() throws {
        let zips = try Fixture.expected()["zip"] as! [String: Any]
        XCTAssertEqual(zips.count, 4)
        for (name, anyExp) in zips {
            let exp = anyExp as! [String: Any]
            let value = try TorchFile.load(Fixture.url(name).path)
            let flat = value.flattenTensors()
            XCTAssertEqual(flat.map(\.key), exp["keys"] as! [String], name)
            let tensors = exp["tensors"] as! [String: [String: Any]]
            for (key, t) in flat {
                let e = tensors[key]!
                XCTAssertEqual(t.dtype.rawValue, e["dtype"] as! String, "\(name) \(key)")
                XCTAssertEqual(t.shape, e["shape"] as! [Int], "\(name) \(key)")
                let first = e["first"] as! [Double]
                if t.dtype == .int64 {
                    XCTAssertEqual(Array(t.intValues().prefix(5)), first.map { Int($0) }, "\(name) \(key)")
                    XCTAssertEqual(Double(t.intValues().reduce(0, +)), e["sum"] as! Double, "\(name) \(key)")
                } else {
                    let f = t.floatTensor()
                    assertClose(Array(f.data.prefix(5)), first, "\(name) \(key)")
                    let sum = f.data.reduce(0.0) { $0 + Double($1) }
                    XCTAssertEqual(sum, e["sum"] as! Double, accuracy: 1e-6 * max(1, abs(e["sum"] as! Double)) + 1e-4, "\(name) \(key)")
                }
            }
        }
    }

    func testZipAccessors() throws {
        let v = try TorchFile.load(url: Fixture.url("se_LSE_none_normal.pth"))
        XCTAssertEqual(v["arch"]?["type"]?.string, "LSE")
        XCTAssertEqual(v["arch"]?["n_class"]?.int, 5)
        XCTAssertEqual(v["arch"]?["dims"]?.array?.compactMap(\.int), [64, 64, 64, 64, 64, 32, 32])
        XCTAssertEqual(v["arch"]?["use_bias"]?.bool, false)
        XCTAssertEqual(v["lr"]?.double, 0.001)
        XCTAssertEqual(v["size"]?.int, 32)
        XCTAssertEqual(v["label"]?.tensor?.dtype, .int64)
        XCTAssertEqual(v["features"]?[0]?.tensor?.shape, [1, 64, 4, 4])
        XCTAssertNotNil(v["init"]?.stringKeyedDict)
        XCTAssertNil(v["nope"])
        XCTAssertEqual(v["steps"]?[0]?["loss"]?.tensor?.shape, [])
        XCTAssertNotNil(v["steps"]?[0]?["loss"]?.double)
        let labels = v["label"]!.tensor!.intValues()
        XCTAssertTrue(labels.allSatisfy { (0..<5).contains($0) })
        let m = try TorchFile.load(url: Fixture.url("miou_case.pth"))
        XCTAssertEqual(m["num_classes"]?.int, 6)
        XCTAssertEqual(m["dt"]?.tensor?.floatTensor().shape, [12, 16, 16])
    }

    // MARK: legacy stream format

    func testLegacyFormat() throws {
        let exp = try Fixture.expected()["legacy"] as! [String: [String: Any]]
        let v = try TorchFile.load(url: Fixture.url("legacy_small.pth"))
        XCTAssertEqual(v["epoch"]?.int, 7)
        XCTAssertEqual(v["lr"]?.double, 0.0025)
        XCTAssertEqual(v["name"]?.string, "legacy")
        XCTAssertEqual(v["flags"]?.array?.count, 3)
        XCTAssertEqual(v["list"]?[1]?.int, 3)
        XCTAssertEqual(v["model"]?.stringKeyedDict?.map(\.key),
                       ["conv.weight", "conv.weight_t", "bn.num_batches_tracked", "ids", "param"])
        let flat = v.flattenedTensorDict()
        XCTAssertEqual(Set(flat.keys), Set(exp.keys))
        for (key, e) in exp {
            let t = flat[key]!
            XCTAssertEqual(t.dtype.rawValue, e["dtype"] as! String, key)
            XCTAssertEqual(t.shape, e["shape"] as! [Int], key)
            if let ints = e["ints"] as? [Int] {
                XCTAssertEqual(t.intValues(), ints, key)
            } else {
                assertClose(t.floatTensor().data, e["values"] as! [Double], tol: 1e-7, key)
            }
        }
        let wt = flat["model.conv.weight_t"]!
        XCTAssertFalse(wt.isContiguous)
        XCTAssertEqual(wt.storageOffset, 2)
        XCTAssertEqual(wt.strides, [1, 3])
    }

    func testLegacyTruncatedEverywhereThrows() throws {
        let bytes = try Fixture.bytes("legacy_small.pth")
        for n in 0..<bytes.count {
            assertModelIOError(try TorchFile.load(data: Data(bytes[0..<n]), name: "cut"), "truncated at \(n)")
        }
    }

    func testLegacyByteFlipsNeverCrash() throws {
        let bytes = try Fixture.bytes("legacy_small.pth")
        for i in 0..<bytes.count {
            for x: UInt8 in [0xff, 0x01] {
                var b = bytes
                b[i] ^= x
                _ = try? TorchFile.load(data: Data(b), name: "flip")
            }
        }
    }

    // MARK: corrupt / truncated zip

    func testZipTruncatedThrows() throws {
        let bytes = try Fixture.bytes("miou_case.pth")
        let cuts = [0, 1, 3, 4, 30, 100, 600, 5000, 30000, bytes.count / 2, bytes.count - 200,
                    bytes.count - 23, bytes.count - 22, bytes.count - 21, bytes.count - 1]
        for n in cuts {
            assertModelIOError(try TorchFile.load(data: Data(bytes[0..<n]), name: "cut"), "truncated at \(n)")
        }
    }

    func testZipByteFlipsGiveErrorsNotCrashes() throws {
        let bytes = try Fixture.bytes("miou_case.pth")
        // Every byte of the archive structure and pickle, and a sample of the storage data.
        let zip = try ZipArchive(data: Data(bytes))
        var positions = Array(0..<1200)
        positions += Array((bytes.count - 1400)..<bytes.count)
        positions += stride(from: 1200, to: bytes.count - 1400, by: 97)
        var failures = 0
        for i in positions {
            var b = bytes
            b[i] ^= 0x5a
            do { _ = try TorchFile.load(data: Data(b), name: "flip") } catch is ModelIOError { failures += 1 }
        }
        XCTAssertGreaterThan(failures, positions.count / 2)
        // A flip inside stored storage bytes is caught by the CRC.
        let e = zip.entry(named: "miou_case/data/0")!
        var b = bytes
        b[e.localHeaderOffset + 30 + e.name.utf8.count + 100] ^= 1
        let err = assertModelIOError(try TorchFile.load(data: Data(b), name: "flip"))
        XCTAssertTrue(err?.description.contains("CRC") ?? false, "\(String(describing: err))")
    }

    func testStorageErrors() throws {
        let small = assertModelIOError(try TorchFile.load(url: Fixture.url("bad_small_storage.pth")))
        guard case .storageTooSmall(let shape, _, _, let need, let avail)? = small else {
            return XCTFail("\(String(describing: small))")
        }
        XCTAssertEqual(shape, [3, 3]); XCTAssertEqual(need, 9); XCTAssertEqual(avail, 4)
        let missing = assertModelIOError(try TorchFile.load(url: Fixture.url("bad_missing_storage.pth")))
        guard case .missingStorage(let key)? = missing else { return XCTFail("\(String(describing: missing))") }
        XCTAssertEqual(key, "0")
    }

    // MARK: refused content

    func testRefusedNumpyGlobal() throws {
        let name = try Fixture.expected()["refused_global"] as! String
        let e = assertModelIOError(try TorchFile.load(url: Fixture.url("refused_numpy.pth")))
        guard case .unsupportedGlobal(let g, let file)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(g, name)
        XCTAssertEqual(file, "data.pkl")
        XCTAssertTrue(e!.description.contains("unsupported global '\(name)' in data.pkl: only plain tensors, dicts, lists and numbers can be read"))
    }

    /// Wraps a data.pkl in a minimal zip archive (stored entries).
    func zipWith(_ pkl: [UInt8]) -> Data {
        var out: [UInt8] = []
        var central: [UInt8] = []
        let name = Array("x/data.pkl".utf8)
        let crc = Zlib.crc32(pkl)
        func header(_ sig: UInt32, central c: Bool, offset: UInt32) -> [UInt8] {
            var h: [UInt8] = []
            appendLE(&h, sig)
            if c { appendLE(&h, UInt16(20)) }
            appendLE(&h, UInt16(20)); appendLE(&h, UInt16(0)); appendLE(&h, UInt16(0))
            appendLE(&h, UInt16(0)); appendLE(&h, UInt16(0))
            appendLE(&h, crc); appendLE(&h, UInt32(pkl.count)); appendLE(&h, UInt32(pkl.count))
            appendLE(&h, UInt16(name.count)); appendLE(&h, UInt16(0))
            if c {
                appendLE(&h, UInt16(0)); appendLE(&h, UInt16(0)); appendLE(&h, UInt16(0))
                appendLE(&h, UInt32(0)); appendLE(&h, offset)
            }
            return h + name
        }
        out += header(0x0403_4b50, central: false, offset: 0) + pkl
        central = header(0x0201_4b50, central: true, offset: 0)
        let cdOffset = out.count
        out += central
        appendLE(&out, UInt32(0x0605_4b50)); appendLE(&out, UInt16(0)); appendLE(&out, UInt16(0))
        appendLE(&out, UInt16(1)); appendLE(&out, UInt16(1))
        appendLE(&out, UInt32(central.count)); appendLE(&out, UInt32(cdOffset)); appendLE(&out, UInt16(0))
        return Data(out)
    }

    func testRefusedGlobalsInCraftedPickles() throws {
        // pickle.dumps of os.system('echo hi') style: GLOBAL os system, args, REDUCE
        var p = [UInt8]([0x80, 0x02, 0x63]) + Array("os\nsystem\n".utf8)
        p += [0x58, 7, 0, 0, 0] + Array("echo hi".utf8) + [0x85, 0x52, 0x2e]
        let e = assertModelIOError(try TorchFile.load(data: zipWith(p)))
        guard case .unsupportedGlobal("os.system", _)? = e else { return XCTFail("\(String(describing: e))") }
        // torch.storage._load_from_bytes is refused too.
        var q = [UInt8]([0x80, 0x02, 0x63]) + Array("torch.storage\n_load_from_bytes\n".utf8)
        q += [0x43, 2, 1, 2, 0x85, 0x52, 0x2e]
        let e2 = assertModelIOError(try TorchFile.load(data: zipWith(q)))
        guard case .unsupportedGlobal("torch.storage._load_from_bytes", _)? = e2 else { return XCTFail("\(String(describing: e2))") }
        // The zip-wrapped plain pickle works.
        let ok = try TorchFile.load(data: zipWith([0x80, 0x02, 0x4b, 0x05, 0x2e]))
        XCTAssertEqual(ok.int, 5)
    }

    func testNotATorchFile() throws {
        let e = assertModelIOError(try TorchFile.load(data: Data("hello world, not a checkpoint".utf8), name: "x.pth"))
        guard case .notATorchFile(_, let first)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(first.contains("68 65 6c 6c 6f"), first)
        XCTAssertTrue(first.contains("hello"), first)
        assertModelIOError(try TorchFile.load(data: Data(), name: "empty.pth"))
        // A plain pickle that is not the legacy magic.
        assertModelIOError(try TorchFile.load(data: Data([0x80, 0x02, 0x4b, 0x05, 0x2e]), name: "p"))
        // tar format
        var tar = [UInt8](repeating: 0, count: 1024)
        tar.replaceSubrange(0..<8, with: Array("sys_info".utf8))
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        let t = assertModelIOError(try TorchFile.load(data: Data(tar), name: "old.tar"))
        guard case .legacyTarFormat? = t else { return XCTFail("\(String(describing: t))") }
        assertModelIOError(try TorchFile.load("/nonexistent/file.pth"))
    }

    // MARK: TorchTensor conversions

    func testStridedViewsAndDtypes() throws {
        var storage: [UInt8] = []
        for i in 0..<12 { appendLE(&storage, Float(i).bitPattern) }
        // (2,3) transposed view of a (3,4)-ish storage starting at element 1
        let t = try TorchTensor(dtype: .float32, shape: [3, 2], strides: [1, 4], storageOffset: 1, storage: storage)
        XCTAssertEqual(t.floatTensor().data, [1, 5, 2, 6, 3, 7])
        XCTAssertEqual(t.intValues(), [1, 5, 2, 6, 3, 7])
        // broadcast (stride 0)
        let b = try TorchTensor(dtype: .float32, shape: [2, 3], strides: [0, 1], storageOffset: 9, storage: storage)
        XCTAssertEqual(b.floatTensor().data, [9, 10, 11, 9, 10, 11])
        assertModelIOError(try TorchTensor(dtype: .float32, shape: [2, 3], strides: [0, 1], storageOffset: 10, storage: storage))
        assertModelIOError(try TorchTensor(dtype: .float32, shape: [2], strides: [-1], storageOffset: 3, storage: storage))
        assertModelIOError(try TorchTensor(dtype: .float32, shape: [Int.max, 4], storage: storage))
        assertModelIOError(try TorchTensor(dtype: .float64, shape: [7], storage: storage))
        let empty = try TorchTensor(dtype: .float32, shape: [0, 5], storage: [])
        XCTAssertEqual(empty.floatTensor().shape, [0, 5])
        // half: 1.0, -2.0, inf, subnormal
        var h: [UInt8] = []
        for v: UInt16 in [0x3c00, 0xc000, 0x7c00, 0x0001] { appendLE(&h, v) }
        let half = try TorchTensor(dtype: .float16, shape: [4], storage: h).floatTensor().data
        XCTAssertEqual(half[0], 1); XCTAssertEqual(half[1], -2); XCTAssertEqual(half[2], .infinity)
        XCTAssertEqual(half[3], Float(5.9604645e-08), accuracy: 1e-14)
        let bools = try TorchTensor(dtype: .bool, shape: [3], storage: [1, 0, 2])
        XCTAssertEqual(bools.intValues(), [1, 0, 1])
        let i8 = try TorchTensor(dtype: .int8, shape: [2], storage: [0xff, 0x7f])
        XCTAssertEqual(i8.intValues(), [-1, 127])
    }
}
