// Checkpoint uploads in progress: bytes go to a temporary file under
// ROOT/checkpoints/.uploads; on completion the sha256 is verified, the file
// fsync'ed and renamed into place (atomic replace).
import Foundation
import LGNet

struct UploadFiles {
    let root: String
    private var open: [String: (FileHandle, String, SHA256Stream)] = [:]

    init(root: String) { self.root = root }

    mutating func append(_ u: ServerMachine.Upload, _ data: [UInt8]) throws {
        if open[u.id] == nil {
            let dir = (root as NSString).appendingPathComponent("checkpoints/.uploads")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let tmp = (dir as NSString).appendingPathComponent(u.id + ".part")
            guard FileManager.default.createFile(atPath: tmp, contents: nil),
                  let fh = FileHandle(forWritingAtPath: tmp) else { throw CocoaError(.fileWriteUnknown) }
            open[u.id] = (fh, tmp, SHA256Stream())
        }
        open[u.id]!.0.write(Data(data))
        open[u.id]!.2.update(data)
    }

    /// Verifies and moves the upload to ROOT/`path`. False on a checksum mismatch.
    mutating func finish(_ u: ServerMachine.Upload, to path: String) throws -> Bool {
        if open[u.id] == nil { try append(u, []) }  // empty checkpoint
        guard let (fh, tmp, started) = open.removeValue(forKey: u.id) else { return false }
        let sha = started
        try fh.synchronize(); try fh.close()
        guard sha.finalizeHex() == u.sha256 else { try? FileManager.default.removeItem(atPath: tmp); return false }
        let dest = (root as NSString).appendingPathComponent(path)
        try FileManager.default.createDirectory(atPath: (dest as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(tmp, dest) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return true
    }

    mutating func discard() {
        for (_, (fh, tmp, _)) in open { try? fh.close(); try? FileManager.default.removeItem(atPath: tmp) }
        open = [:]
    }

    static func read(root: String, path: String, offset: Int, max: Int) throws -> [UInt8] {
        let full = (root as NSString).appendingPathComponent(path)
        guard let fh = FileHandle(forReadingAtPath: full) else { throw CocoaError(.fileNoSuchFile) }
        defer { try? fh.close() }
        try fh.seek(toOffset: UInt64(offset))
        return [UInt8](try fh.read(upToCount: max) ?? Data())
    }
}
