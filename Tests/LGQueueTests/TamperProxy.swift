import Foundation
import LGNet

/// An on-path attacker between workers and the coordinator, on loopback:
/// forwards frames both ways and, on the connection whose turn it is,
/// alters, replays or injects one frame. It reads what it can (the JSON is
/// not encrypted) to forge a `complete` for a job it saw being claimed.
/// The proxy's threads share `stopped`, `lastClaimed` and `carriedOut`
/// under `lock`.
final class TamperProxy: @unchecked Sendable {
    enum Attack: CustomStringConvertible, Sendable {
        case passThrough
        /// Flip one byte inside the worker's n-th frame (0 = hello).
        case flipFromWorker(frame: Int)
        /// Send the worker's n-th frame twice.
        case replayFromWorker(frame: Int)
        /// Before the worker's n-th frame, inject a `complete` with forged
        /// metrics for the last job the coordinator handed out.
        case forgeComplete(beforeFrame: Int)
        /// Flip one byte inside the coordinator's n-th frame (0 = challenge).
        case flipFromCoordinator(frame: Int)

        var description: String {
            switch self {
            case .passThrough: return "pass through"
            case .flipFromWorker(let n): return "flip a byte of worker frame \(n)"
            case .replayFromWorker(let n): return "replay worker frame \(n)"
            case .forgeComplete(let n): return "inject a forged complete before worker frame \(n)"
            case .flipFromCoordinator(let n): return "flip a byte of coordinator frame \(n)"
            }
        }
    }

    static let forgedValue = 666.0

    let port: Int
    private let listener: Socket
    private let targetPort: Int
    private let attacks: [Attack]
    private let lock = NSLock()
    private var stopped = false
    private var lastClaimed: (job: Int, fence: Int)?
    /// Attacks carried out, one line each.
    private(set) var carriedOut: [String] = []

    /// Connection i gets attacks[i]; later connections pass through.
    init(targetPort: Int, attacks: [Attack]) throws {
        (listener, port) = try Socket.listen(host: "127.0.0.1", port: 0)
        self.targetPort = targetPort; self.attacks = attacks
        let t = Thread { [weak self] in self?.acceptLoop() }
        t.start()
    }

    var done: [String] { lock.lock(); defer { lock.unlock() }; return carriedOut }

    func stop() { lock.lock(); stopped = true; lock.unlock(); listener.shutdown() }

    private func acceptLoop() {
        var index = 0
        while true {
            lock.lock(); let s = stopped; lock.unlock()
            if s { return }
            guard let worker = try? listener.accept(timeout: 0.2) else { continue }
            guard let coordinator = try? Socket.connect(host: "127.0.0.1", port: targetPort) else { worker.close(); continue }
            let attack = index < attacks.count ? attacks[index] : .passThrough
            index += 1
            Thread { self.pump(from: worker, to: coordinator, fromWorker: true, attack) }.start()
            Thread { self.pump(from: coordinator, to: worker, fromWorker: false, attack) }.start()
        }
    }

    private func record(_ what: String) { lock.lock(); carriedOut.append(what); lock.unlock() }

    private func pump(from: Socket, to: Socket, fromWorker: Bool, _ attack: Attack) {
        defer { from.shutdown(); to.shutdown() }
        var buffer: [UInt8] = []
        var n = 0
        while true {
            guard let b = try? from.receive(), !b.isEmpty else { return }
            buffer += b
            while buffer.count >= 4 {
                let len = Int(buffer[0]) << 24 | Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
                guard buffer.count >= 4 + len else { break }
                var frame = Array(buffer[0..<(4 + len)])
                buffer.removeFirst(4 + len)
                var out: [[UInt8]] = []
                if !fromWorker { watch(frame) }
                switch attack {
                case .flipFromWorker(let k) where fromWorker && k == n,
                     .flipFromCoordinator(let k) where !fromWorker && k == n:
                    frame[4 + len / 2] ^= 0x01
                    record("\(attack)")
                    out = [frame]
                case .replayFromWorker(let k) where fromWorker && k == n:
                    out = [frame, frame]
                    record("\(attack)")
                case .forgeComplete(let k) where fromWorker && k == n:
                    lock.lock(); let target = lastClaimed; lock.unlock()
                    if let t = target {
                        var forged = Message(.complete, id: 1_000_000)
                        forged.job = t.job; forged.fence = t.fence; forged.metrics = ["value": TamperProxy.forgedValue]
                        out = [forged.framed()]
                        record("\(attack) (job \(t.job), fence \(t.fence))")
                    }
                    out.append(frame)
                default:
                    out = [frame]
                }
                n += 1
                for f in out { guard (try? to.send(f)) != nil else { return } }
            }
        }
    }

    /// Remembers the last job the coordinator handed out (read from the
    /// plain JSON before the tag).
    private func watch(_ frame: [UInt8]) {
        let body = Array(frame.dropFirst(4))
        guard body.count > FrameAuth.tagSize,
              let m = try? Message.decode(Array(body.dropLast(FrameAuth.tagSize))),
              let j = m.jobs?.last else { return }
        lock.lock(); lastClaimed = (j.id, j.fence); lock.unlock()
    }
}
