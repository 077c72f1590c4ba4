import Foundation
import XCTest
@testable import LGModelIO

final class ZipTests: XCTestCase {
    func testZip64AndDeflateEntries() throws {
        let zip = try ZipArchive(url: Fixture.url("miou_case_zip64.pth"))
        let plain = try ZipArchive(url: Fixture.url("miou_case.pth"))
        XCTAssertEqual(zip.entries.map(\.name), plain.entries.map(\.name))
        XCTAssertTrue(zip.entries.contains { $0.method == 8 })
        for e in plain.entries {
            XCTAssertEqual(try zip.read(named: e.name), try plain.read(e), e.name)
        }
        assertModelIOError(try zip.read(named: "nope"))
    }

    func testDeflateCorruptionAndTruncation() throws {
        let bytes = try Fixture.bytes("miou_case_zip64.pth")
        let zip = try ZipArchive(data: Data(bytes))
        let e = zip.entries.first { $0.method == 8 && $0.name.hasSuffix("data/0") }!
        let start = e.localHeaderOffset + 30 + e.name.utf8.count + 20 // after the name and the ZIP64 extra field
        for k in [0, 1, 7, e.compressedSize / 2] {
            var b = bytes
            b[start + k] ^= 0xa5
            assertModelIOError(try ZipArchive(data: Data(b)).read(named: e.name), "flip at \(k)")
        }
        for n in stride(from: 0, to: bytes.count, by: 211) {
            _ = try? TorchFile.load(data: Data(bytes[0..<n]), name: "cut")
            assertModelIOError(try TorchFile.load(data: Data(bytes[0..<n]), name: "cut"), "cut at \(n)")
        }
    }
}

final class PickleTests: XCTestCase {
    func check(_ v: PickleValue, file: StaticString = #filePath, line: UInt = #line) {
        guard case let .dict(items) = v else { return XCTFail("not a dict: \(v)", file: file, line: line) }
        var d: [String: PickleValue] = [:]
        var intKey: PickleValue?
        for (k, x) in items {
            if case let .string(s) = k { d[s] = x } else if case .int(7) = k { intKey = x }
        }
        XCTAssertEqual(items.count, 19, file: file, line: line)
        if case let .string(s)? = intKey { XCTAssertEqual(s, "int key", file: file, line: line) } else { XCTFail("int key", file: file, line: line) }
        guard case .none? = d["none"], case .bool(true)? = d["t"], case .bool(false)? = d["f"],
              case .int(5)? = d["small"], case .int(-300)? = d["neg"], case .int(40000)? = d["i2"],
              case .int(-70000)? = d["i4"], case .int(1 << 62)? = d["big"], case .float(-1.5e-3)? = d["float"],
              case .string("h\u{e9}llo \u{2603}")? = d["str"], case let .tuple(t1)? = d["tuple1"], t1.count == 1,
              case let .tuple(t3)? = d["tuple3"], t3.count == 3, case let .tuple(t5)? = d["tuple5"], t5.count == 5,
              case let .list(e)? = d["empty"], e.isEmpty, case let .tuple(et)? = d["emptyt"], et.isEmpty,
              case let .list(long)? = d["long"], long.count == 1500, case .int(1499) = long[1499],
              case let .list(shared)? = d["shared"], shared.count == 2, case let .list(s0) = shared[0], s0.count == 2,
              case let .list(s1) = shared[1], s1.count == 2,
              case let .dict(nested)? = d["nested"], case let .dict(a) = nested[0].1, case let .list(bl) = a[0].1,
              case .float(1.0) = bl[0], case let .dict(c) = bl[1], case .string("d") = c[0].1
        else { return XCTFail("unexpected content: \(v)", file: file, line: line) }
    }

    func testAllProtocols() throws {
        for p in 0...5 {
            let bytes = try Fixture.bytes("pickle_p\(p).pkl")
            let (v, end) = try Pickle.load(bytes, what: "p\(p)")
            XCTAssertEqual(end, bytes.count, "protocol \(p)")
            check(v)
        }
    }

    func testBytesAndBigInts() throws {
        let (v, _) = try Pickle.load(try Fixture.bytes("pickle_p5_bytes.pkl"))
        guard case let .dict(items) = v, items.count == 3, case let .bytes(b) = items[0].1,
              case let .bigInt(big) = items[1].1, case let .bigInt(nbig) = items[2].1 else { return XCTFail("\(v)") }
        XCTAssertEqual(b, [0, 1] + Array("binary".utf8))
        XCTAssertEqual(big, [UInt8](repeating: 0, count: 12) + [0x10])
        XCTAssertEqual(nbig.last, 0xc0)
        // bigints are refused as checkpoint values
        assertModelIOError(try Rebuilder(file: "t") { _ in [] }.convert(v, depth: 0))
    }

    func testTruncationAndFlipsNeverCrash() throws {
        for p in [0, 5] {
            let bytes = try Fixture.bytes("pickle_p\(p).pkl")
            for n in Array(0..<48) + Array(stride(from: 48, to: bytes.count, by: max(1, bytes.count / 60))) {
                assertModelIOError(try Pickle.load(Array(bytes[0..<n])), "protocol \(p) cut at \(n)")
            }
            for i in Array(0..<40) + Array(stride(from: 40, to: bytes.count, by: 37)) {
                var b = bytes
                b[i] ^= 0xff
                _ = try? Pickle.load(b)
            }
        }
    }

    func testMalformedStreams() throws {
        // unknown opcode names byte and offset
        let e = assertModelIOError(try Pickle.load([0x80, 0x02, 0xff, 0x2e]))
        guard case .unknownOpcode(0xff, 2)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(e!.description.contains("0xff") && e!.description.contains("byte 2"))
        // a list containing itself: EMPTY_LIST BINPUT 0 BINGET 0 APPEND STOP
        assertModelIOError(try Pickle.load([0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2e]))
        // stack underflow, missing mark, bad memo, huge length
        assertModelIOError(try Pickle.load([0x80, 0x02, 0x61, 0x2e]))
        assertModelIOError(try Pickle.load([0x80, 0x02, 0x74, 0x2e]))
        assertModelIOError(try Pickle.load([0x80, 0x02, 0x68, 0x09, 0x2e]))
        assertModelIOError(try Pickle.load([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0xff, 0x2e]))
        assertModelIOError(try Pickle.load([0x80, 0x02, 0x8b, 0xff, 0xff, 0xff, 0x7f]))
        assertModelIOError(try Pickle.load([0x80, 0x02, 0x4b, 0x01, 0x4b, 0x02, 0x2e]))
        assertModelIOError(try Pickle.load([]))
        // exponential sharing is bounded: t = (x, x); repeated 40 times
        var b: [UInt8] = [0x80, 0x02, 0x4b, 0x01]
        for _ in 0..<40 { b += [0x32, 0x86] } // DUP TUPLE2
        b.append(0x2e)
        assertModelIOError(try Pickle.load(b))
        // globals are data, never executed
        let (g, _) = try Pickle.load([0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x29, 0x52, 0x2e])
        guard case let .object(o) = g else { return XCTFail("\(g)") }
        XCTAssertEqual(o.callee.globalName, "os.system")
    }
}
