import XCTest
@testable import LGNet
import LGStore

/// The framing, crypto and connection state machine, without sockets.
final class ProtocolTests: XCTestCase {
    func testSHA256Vectors() {
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var s = SHA256()
        for _ in 0..<1000 { s.update([UInt8](repeating: 0x61, count: 1000)) }
        XCTAssertEqual(Hex.encode(s.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256OfAFileReadInPieces() throws {
        // A million 'a' (the FIPS 180-2 vector) as a file: read in 1 MiB pieces.
        let path = NSTemporaryDirectory() + "sha-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x61, count: 1_000_000).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256.hexOfFile(path), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Several pieces and a ragged tail give the digest of the whole in one update.
        var x: UInt32 = 12345
        let bytes = (0..<((5 << 19) + 7)).map { _ -> UInt8 in x = x &* 1664525 &+ 1013904223; return UInt8(x >> 24) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256.hexOfFile(path), SHA256.hex(bytes))
        XCTAssertThrowsError(try SHA256.hexOfFile(path + ".missing"))
    }

    func testHMACVector() {
        // RFC 4231 test case 2.
        let mac = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testFrameDecoder() throws {
        var d = FrameDecoder(maxFrame: 16)
        let f = Framing.encode(Array("hello".utf8)) + Framing.encode(Array("world!".utf8))
        d.feed(Array(f[0..<3])); XCTAssertNil(try d.next())
        d.feed(Array(f[3..<7])); XCTAssertNil(try d.next())
        d.feed(Array(f[7...]))
        XCTAssertEqual(try d.next(), Array("hello".utf8))
        XCTAssertEqual(try d.next(), Array("world!".utf8))
        XCTAssertNil(try d.next())
        d.feed([0, 0, 1, 0])
        XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? FrameError, .oversized(256, max: 16)) }
    }

    let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    func hello(_ m: ServerMachine, secret: [UInt8]? = nil, version: Int = 1) -> [UInt8] {
        var h = Message(.hello, id: 0)
        h.version = version; h.nonce = String(repeating: "c", count: 32); h.worker = "w1"
        h.mac = Handshake.clientMAC(secret: secret ?? self.secret, serverNonce: m.nonce, clientNonce: h.nonce!, worker: "w1", version: version)
        return h.framed()
    }

    func sent(_ a: [ServerMachine.Action]) -> [Message] { a.compactMap { if case .send(let m) = $0 { return m }; return nil } }

    func testHandshakeAndDispatch() {
        var m = ServerMachine(secret: secret)
        XCTAssertEqual(m.greeting().type, .challenge)
        let a = m.receive(hello(m))
        let w = sent(a)[0]
        XCTAssertEqual(w.type, .welcome)
        XCTAssertEqual(w.mac, Handshake.serverMAC(secret: secret, serverNonce: m.nonce, clientNonce: String(repeating: "c", count: 32), version: 1))
        XCTAssertEqual(m.state, .ready(worker: "w1", upload: nil))
        var c = Message(.claim, id: 1); c.limit = 2
        XCTAssertEqual(m.receive(c.framed()), [.dispatch(c, worker: "w1")])
    }

    func testRefusals() {
        func run(_ bytes: (ServerMachine) -> [UInt8], expect code: ErrorCode, file: StaticString = #filePath, line: UInt = #line) {
            var m = ServerMachine(secret: secret, maxFrame: 4096)
            let a = m.receive(bytes(m))
            XCTAssertEqual(sent(a).first?.code, code, file: file, line: line)
            XCTAssertEqual(a.last, .close, file: file, line: line)
            XCTAssertEqual(m.state, .closed, file: file, line: line)
            XCTAssertEqual(m.receive(Message(.claim).framed()), [], file: file, line: line)  // nothing after close
        }
        run({ _ in var c = Message(.claim, id: 1); c.limit = 1; return c.framed() }, expect: .unauthenticated)
        run({ self.hello($0, secret: Array("wrong-secret-wrong-secret".utf8)) }, expect: .authFailed)
        run({ self.hello($0, version: 99) }, expect: .unsupportedVersion)
        run({ _ in Framing.encode(Array("not json at all".utf8)) }, expect: .malformed)
        run({ _ in [0x7f, 0xff, 0xff, 0xff, 1, 2, 3] }, expect: .oversized)
        run({ _ in [0, 0, 0, 0] }, expect: .badFrame)
    }

    func testUploadSequencing() {
        var m = ServerMachine(secret: secret)
        _ = m.receive(hello(m))
        var d = Message(.ckptData, id: 1); d.upload = "x"; d.offset = 0; d.data = "AAAA"
        XCTAssertEqual(sent(m.receive(d.framed())).first?.code, .outOfOrder)

        m = ServerMachine(secret: secret)
        _ = m.receive(hello(m))
        var b = Message(.ckptBegin, id: 1); b.job = 1; b.fence = 1; b.size = 6; b.sha256 = SHA256.hex([1, 2, 3, 4, 5, 6])
        guard case .dispatch(let begun, _)? = m.receive(b.framed()).first, let up = begun.upload else { return XCTFail() }
        d.upload = up; d.offset = 0; d.data = Data([1, 2, 3]).base64EncodedString()
        guard case .appendUpload(_, let bytes, _)? = m.receive(d.framed()).first else { return XCTFail() }
        XCTAssertEqual(bytes, [1, 2, 3])
        d.offset = 0  // replayed chunk: out of order
        XCTAssertEqual(sent(m.receive(d.framed())).first?.code, .outOfOrder)
    }
}
