// The fuzz targets: every reader that takes untrusted bytes. `lg-fuzz`
// drives them from libFuzzer (scripts/fuzz.sh) or replays files through
// them; LGFuzzTests replays the committed corpora and every crash input
// found so far (fuzz/regressions/) on each test run.
import Foundation
import LGStore
import LGNet
import LGGrid
import LGModelIO

public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Length-prefixed frames, then each payload as a protocol message.
    case frames
    /// The server state machine after a valid handshake: the input is a
    /// sequence of payloads (2-byte big-endian length each), each sealed with
    /// the client's key so that it reaches request validation.
    case machine
    /// PyTorch checkpoints (zip and legacy streams, the unpickler).
    case pth
    case safetensors
    case npy
    case png
    /// Grid files (jobs/NAME.json) through expansion.
    case grid
    /// Label cache entries (LGModelIO.LabelFile), read back from disk.
    case labels

    /// Runs one input. Errors are the expected outcome of bad input; a crash
    /// (trap, sanitizer report) is the bug the fuzzer looks for.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .frames:
            var d = FrameDecoder(maxFrame: 1 << 16)
            d.feed(bytes)
            while true {
                guard let f = try? d.next() else { break }
                _ = try? Message.decode(f)
            }
        case .machine:
            Self.machine(bytes)
        case .pth:
            _ = try? TorchFile.load(data: Data(bytes), name: "fuzz")
        case .safetensors:
            _ = try? Safetensors.decode(bytes)
        case .npy:
            _ = try? NPY.decode(bytes)
        case .png:
            _ = try? PNG.decode(bytes)
        case .grid:
            Self.grid(bytes)
        case .labels:
            _ = try? LabelFile.decode(bytes, key: "fuzz")
        }
    }

    static let secret = Array("fuzz-secret-fuzz-secret-fuzz-secret".utf8)

    static func machine(_ bytes: [UInt8]) {
        var m = ServerMachine(secret: secret, nonce: String(repeating: "5", count: 32), maxFrame: 1 << 16)
        let cn = String(repeating: "c", count: 32)
        var hello = Message(.hello, id: 0)
        hello.version = ProtocolVersion.current; hello.nonce = cn; hello.worker = "fuzz"
        hello.mac = Handshake.clientMAC(secret: secret, serverNonce: m.nonce, clientNonce: cn, worker: "fuzz", version: ProtocolVersion.current)
        var (sealer, _) = SessionKeys.derive(secret: secret, serverNonce: m.nonce, clientNonce: cn, worker: "fuzz",
                                             version: ProtocolVersion.current).client
        for a in m.receive(hello.framed()) { if case .send(let r) = a { _ = m.frame(r) } }
        var i = 0
        while i + 2 <= bytes.count {
            let n = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            i += 2
            let payload = Array(bytes[i..<min(bytes.count, i + n)])
            i += n
            for a in m.receive(Framing.encode(sealer.seal(payload))) {
                if case .send(let r) = a { _ = m.frame(r) }
            }
            if case .closed = m.state { break }
        }
    }

    static func grid(_ bytes: [UInt8]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lg-fuzz-grid-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        guard (try? Data(bytes).write(to: dir.appendingPathComponent("g.json"))) != nil else { return }
        _ = try? GridLibrary(directory: dir.path).expand("g", sets: [])
    }

    /// The sealed-payload framing `machine` expects, for writing its seeds.
    public static func machineInput(_ payloads: [[UInt8]]) -> [UInt8] {
        payloads.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xff)] + $0 }
    }
}
