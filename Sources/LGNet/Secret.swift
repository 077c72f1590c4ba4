// The shared secret file (expr/secret, mode 0600): 64 hex digits. Only its
// HMACs cross the wire.
import Foundation

public enum SecretFile {
    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case tooShort(String)
        public var description: String {
            switch self {
            case .missing(let p): return "no secret at \(p); start `coordinator serve` once (it creates it) or copy the coordinator's expr/secret here (--secret PATH)"
            case .tooShort(let p): return "the secret in \(p) is shorter than 16 characters"
            }
        }
    }

    public static func load(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw Failure.missing(path) }
        let s = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard s.utf8.count >= 16 else { throw Failure.tooShort(path) }
        return Array(s.utf8)
    }

    /// Loads the secret, creating a random one (mode 0600) if absent.
    public static func loadOrCreate(_ path: String) throws -> [UInt8] {
        if FileManager.default.fileExists(atPath: path) { return try load(path) }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let s = Hex.random(32)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 { return try load(path) }  // lost a race: someone else made it
        _ = s.withCString { write(fd, $0, strlen($0)) }
        _ = write(fd, "\n", 1)
        close(fd)
        return Array(s.utf8)
    }
}
