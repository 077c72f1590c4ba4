import XCTest
@testable import LGNet
import LGStore

/// The framing, crypto and connection state machine, without sockets.
final class ProtocolTests: XCTestCase {
    func testSHA256Vectors() {
        XCTAssertEqual(SHA256Hex.of([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256Hex.of(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256Hex.of(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var s = SHA256Stream()
        for _ in 0..<1000 { s.update([UInt8](repeating: 0x61, count: 1000)) }
        XCTAssertEqual(s.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256OfAFileReadInPieces() throws {
        // A million 'a' (the FIPS 180-2 vector) as a file: read in 1 MiB pieces.
        let path = NSTemporaryDirectory() + "sha-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x61, count: 1_000_000).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256Hex.ofFile(path), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Several pieces and a ragged tail give the digest of the whole in one update.
        var x: UInt32 = 12345
        let bytes = (0..<((5 << 19) + 7)).map { _ -> UInt8 in x = x &* 1664525 &+ 1013904223; return UInt8(x >> 24) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256Hex.ofFile(path), SHA256Hex.of(bytes))
        XCTAssertThrowsError(try SHA256Hex.ofFile(path + ".missing"))
    }

    func testHMACVector() {
        // RFC 4231 test case 2.
        XCTAssertEqual(Handshake.mac(Array("Jefe".utf8), "what do ya want for nothing?"),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertTrue(Handshake.matches("5BDCC146", "5bdcc146"))
        XCTAssertFalse(Handshake.matches("5bdcc147", "5bdcc146"))
        XCTAssertFalse(Handshake.matches("not hex", "5bdcc146"))
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

    func sent(_ a: [ServerMachine.Action]) -> [Message] { a.compactMap { if case .send(let m) = $0 { return m }; return nil } }

    func testHandshakeAndDispatch() throws {
        var m = ServerMachine(secret: secret)
        XCTAssertEqual(m.greeting().type, .challenge)
        XCTAssertEqual(m.greeting().versions, [3])
        var client = MachineClient(secret: secret)
        let a = m.receive(client.hello(m))
        let w = sent(a)[0]
        XCTAssertEqual(w.type, .welcome)
        XCTAssertEqual(w.mac, Handshake.serverMAC(secret: secret, serverNonce: m.nonce, clientNonce: client.nonce, version: 3))
        XCTAssertEqual(m.state, .ready(worker: "w1", upload: nil))
        XCTAssertTrue(m.authenticated)
        // The welcome goes out sealed, and the client opens it.
        XCTAssertEqual(try client.open(m.frame(w)), w)
        var c = Message(.claim, id: 1); c.limit = 2; c.kinds = ["train"]
        XCTAssertEqual(m.receive(client.frame(c)), [.dispatch(.claim(limit: 2, kinds: ["train"]), id: 1, worker: "w1")])
        var f = Message(.fail, id: 2); f.job = 4; f.fence = 7; f.message = "boom"
        XCTAssertEqual(m.receive(client.frame(f)),
                       [.dispatch(.fail(LeaseRef(job: 4, fence: 7), message: "boom", retryable: false), id: 2, worker: "w1")])
        // Replies are sealed in order: the client opens the second after the first.
        let r1 = m.frame(Message(.ok, id: 1)), r2 = m.frame(Message(.ok, id: 2))
        XCTAssertEqual(try client.open(r1).id, 1)
        XCTAssertEqual(try client.open(r2).id, 2)
        // Up to 3 jobs per cell (fused cells); a cell size out of range is malformed.
        c.id = 3; c.fuse = 3
        XCTAssertEqual(m.receive(client.frame(c)), [.dispatch(.claim(limit: 2, kinds: ["train"], fuse: 3), id: 3, worker: "w1")])
        c.id = 4; c.fuse = 0
        XCTAssertEqual(sent(m.receive(client.frame(c))).first?.code, .malformed)
    }

    /// After the handshake a frame with a wrong tag (altered, replayed,
    /// reordered, unsealed or injected) is refused and the connection closed.
    func testTamperedFramesAreRefused() {
        var c = Message(.claim, id: 1); c.limit = 1
        var complete = Message(.complete, id: 2); complete.job = 1; complete.fence = 1; complete.metrics = ["miou": 0.99]
        func run(_ name: String, _ attack: (inout MachineClient, inout ServerMachine) -> [ServerMachine.Action]) {
            var m = ServerMachine(secret: secret)
            var client = MachineClient(secret: secret)
            _ = m.receive(client.hello(m))
            let a = attack(&client, &m)
            XCTAssertEqual(sent(a).last?.code, .badMAC, name)
            XCTAssertEqual(a.last, .close, name)
            XCTAssertEqual(m.state, .closed, name)
            XCTAssertFalse(a.contains { if case .dispatch(.complete, _, _) = $0 { return true }; return false }, name)
        }
        run("flipped byte") { client, m in
            var f = client.frame(complete); f[20] ^= 1
            return m.receive(f)
        }
        run("flipped tag") { client, m in
            var f = client.frame(complete); f[f.count - 1] ^= 0x80
            return m.receive(f)
        }
        run("replay") { client, m in
            let f = client.frame(c)
            let first = m.receive(f)
            XCTAssertEqual(first.count, 1)
            return m.receive(f)
        }
        run("reorder") { client, m in
            let f1 = client.frame(c), f2 = client.frame(complete)
            return m.receive(f2) + m.receive(f1)
        }
        run("unsealed injection") { _, m in m.receive(complete.framed()) }
        run("sealed with a guessed key") { _, m in
            var forged = FrameSealer(key: .init(size: .bits256))
            return m.receive(Framing.encode(forged.seal(complete.encoded())))
        }
        run("too short for a tag") { _, m in m.receive(Framing.encode([1, 2, 3])) }
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
        var client = MachineClient(secret: secret)
        run({ _ in var c = Message(.claim, id: 1); c.limit = 1; return c.framed() }, expect: .unauthenticated)
        run({ client.hello($0, secret: Array("wrong-secret-wrong-secret".utf8)) }, expect: .authFailed)
        run({ client.hello($0, version: 99) }, expect: .unsupportedVersion)
        // Versions 1 and 2 (unauthenticated frames) are refused: no downgrade.
        run({ client.hello($0, version: 2) }, expect: .unsupportedVersion)
        run({ client.hello($0, version: 1) }, expect: .unsupportedVersion)
        run({ _ in Framing.encode(Array("not json at all".utf8)) }, expect: .malformed)
        run({ _ in [0x7f, 0xff, 0xff, 0xff, 1, 2, 3] }, expect: .oversized)
        run({ _ in [0, 0, 0, 0] }, expect: .badFrame)
    }

    func testUploadSequencing() {
        var m = ServerMachine(secret: secret)
        var client = MachineClient(secret: secret)
        _ = m.receive(client.hello(m))
        var d = Message(.ckptData, id: 1); d.upload = "x"; d.offset = 0; d.data = "AAAA"
        XCTAssertEqual(sent(m.receive(client.frame(d))).first?.code, .outOfOrder)

        m = ServerMachine(secret: secret)
        client = MachineClient(secret: secret)
        _ = m.receive(client.hello(m))
        var b = Message(.ckptBegin, id: 1); b.job = 1; b.fence = 1; b.size = 6; b.sha256 = SHA256Hex.of([UInt8]([1, 2, 3, 4, 5, 6]))
        guard case .dispatch(.checkpointBegin(let begun), _, _)? = m.receive(client.frame(b)).first else { return XCTFail() }
        d.upload = begun.id; d.offset = 0; d.data = Data([1, 2, 3]).base64EncodedString()
        guard case .appendUpload(_, let bytes, _)? = m.receive(client.frame(d)).first else { return XCTFail() }
        XCTAssertEqual(bytes, [1, 2, 3])
        d.offset = 0  // replayed chunk: out of order
        XCTAssertEqual(sent(m.receive(client.frame(d))).first?.code, .outOfOrder)
    }
}

extension ProtocolTests {
    func testWorkerInfoIsValidated() {
        var m = ServerMachine(secret: secret)
        var client = MachineClient(secret: secret)
        _ = m.receive(client.hello(m))
        var info = Message(.workerInfo, id: 1)
        info.info = WorkerInfo(host: "node7", slots: 4, pid: 99, slurmJobID: "12", slurmArrayTaskID: nil)
        XCTAssertEqual(m.receive(client.frame(info)), [.dispatch(.workerInfo(info.info!), id: 1, worker: "w1")])
        XCTAssertEqual(m.workerName, "w1")
        for bad in [WorkerInfo(host: "", slots: 1), WorkerInfo(host: "h", slots: 0),
                    WorkerInfo(host: "h", slots: 1, slurmJobID: String(repeating: "9", count: 65))] {
            var m = ServerMachine(secret: secret)
            var client = MachineClient(secret: secret)
            _ = m.receive(client.hello(m))
            var msg = Message(.workerInfo, id: 2); msg.info = bad
            XCTAssertEqual(sent(m.receive(client.frame(msg))).first?.code, .malformed, "\(bad)")
        }
    }
}

extension ProtocolTests {
    /// A beat's log lines are bounded; beyond the bounds the heartbeat is refused as malformed.
    func testHeartbeatLogIsBounded() {
        var m = ServerMachine(secret: secret)
        var client = MachineClient(secret: secret)
        _ = m.receive(client.hello(m))
        var ok = Message(.heartbeat, id: 1)
        ok.beats = [Beat(job: 1, fence: 1, log: ["a", "b"])]
        XCTAssertEqual(m.receive(client.frame(ok)), [.dispatch(.heartbeat(ok.beats!), id: 1, worker: "w1")])
        for bad in [Array(repeating: "x", count: Beat.maxLogLines + 1), [String(repeating: "y", count: Beat.maxLogLineBytes + 1)]] {
            var m = ServerMachine(secret: secret)
            var client = MachineClient(secret: secret)
            _ = m.receive(client.hello(m))
            var msg = Message(.heartbeat, id: 2)
            msg.beats = [Beat(job: 1, fence: 1, log: bad)]
            XCTAssertEqual(sent(m.receive(client.frame(msg))).first?.code, .malformed)
        }
    }
}

extension ProtocolTests {
    /// `ckpt_begin` with `artifact`: a named file of the job, the name and size checked.
    func testArtifactUploadNames() {
        func begin(_ name: String?, size: Int = 6) -> [ServerMachine.Action] {
            var m = ServerMachine(secret: secret)
            var client = MachineClient(secret: secret)
            _ = m.receive(client.hello(m))
            var b = Message(.ckptBegin, id: 1); b.job = 1; b.fence = 1; b.size = size
            b.sha256 = String(repeating: "a", count: 64); b.artifact = name
            return m.receive(client.frame(b))
        }
        guard case .dispatch(.checkpointBegin(let u), _, _)? = begin("label_sheet.png").first else { return XCTFail() }
        XCTAssertEqual(u.artifact, "label_sheet.png")
        guard case .dispatch(.checkpointBegin(let c), _, _)? = begin(nil).first else { return XCTFail() }
        XCTAssertNil(c.artifact)
        for bad in ["../x.png", "Label.png", "x.exe", "x", ".png", "a.b.png", String(repeating: "a", count: 41) + ".png", "x/y.png"] {
            XCTAssertEqual(sent(begin(bad)).first?.code, .malformed, bad)
        }
        XCTAssertEqual(sent(begin("big.png", size: ServerMachine.Upload.maxArtifactBytes + 1)).first?.code, .malformed)
    }
}
