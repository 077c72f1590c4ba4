// A bounded folder of small files named by a SHA-256 digest: the label
// cache's entries, on a worker's disk (LGJobs.LabelCache) and on the
// coordinator for workers on other hosts (`label_get` / `label_put`,
// docs/protocol.md).
//
// Safe under concurrent writers and kill -9: an entry is written to a
// temporary file in its folder and renamed into place, so a reader sees the
// whole file or none. What an entry holds is checked by whoever reads it
// (LabelFile carries its key and a CRC). Bounded: past `maxBytes` the
// oldest entries go, checked every 256 writes; temporary files an hour old
// (a killed writer's) go with them.
import Foundation
import Synchronization

public final class DigestStore: Sendable {
    public let directory: URL
    public let maxBytes: UInt64
    /// The entries' file extension (`lbl`).
    public let fileExtension: String
    private let writesSinceSweep = Mutex(0)

    public init(directory: URL, maxBytes: UInt64, fileExtension: String = "lbl") {
        self.directory = directory; self.maxBytes = maxBytes; self.fileExtension = fileExtension
    }

    /// Whether `s` names an entry: 64 lowercase hex digits.
    public static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// {directory}/{first two hex digits}/{digest}.{fileExtension}.
    public func url(forDigest d: String) -> URL {
        directory.appendingPathComponent(String(d.prefix(2))).appendingPathComponent(d + "." + fileExtension)
    }

    /// The entry's bytes, nil when there is none (or `digest` is not one).
    public func read(digest: String) -> [UInt8]? {
        guard Self.isDigest(digest), let d = FileManager.default.contents(atPath: url(forDigest: digest).path) else { return nil }
        return [UInt8](d)
    }

    /// Removes an entry (one its reader found unusable).
    public func remove(digest: String) {
        guard Self.isDigest(digest) else { return }
        try? FileManager.default.removeItem(at: url(forDigest: digest))
    }

    /// Stores an entry atomically. `stored` is false when it could not be
    /// written (a full disk costs only the saving); `evicted` counts the old
    /// entries a sweep removed.
    @discardableResult
    public func write(_ bytes: [UInt8], digest: String) -> (stored: Bool, evicted: Int) {
        guard Self.isDigest(digest) else { return (false, 0) }
        let u = url(forDigest: digest)
        let dir = u.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let tmp = dir.appendingPathComponent(".\(u.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
            try Data(bytes).write(to: tmp)
            if rename(tmp.path, u.path) != 0 { try? FileManager.default.removeItem(at: tmp); return (false, 0) }
        } catch { return (false, 0) }
        let sweep = writesSinceSweep.withLock { n -> Bool in
            n += 1
            if n >= 256 { n = 0; return true }
            return false
        }
        return (true, sweep ? evict() : 0)
    }

    /// Removes the oldest entries while the store is over `maxBytes` (down
    /// to 90 % of it), and temporary files an hour old. Returns how many
    /// entries went.
    @discardableResult
    public func evict() -> Int {
        let fm = FileManager.default
        guard let e = fm.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey]) else { return 0 }
        var entries: [(url: URL, size: UInt64, date: Date)] = []
        var total: UInt64 = 0
        let hourAgo = Date().addingTimeInterval(-3600)
        for case let u as URL in e {
            guard let v = try? u.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey]),
                  v.isRegularFile == true else { continue }
            let size = UInt64(v.fileSize ?? 0), date = v.contentModificationDate ?? .distantPast
            if u.pathExtension == "tmp" {
                if date < hourAgo { try? fm.removeItem(at: u) }
                continue
            }
            guard u.pathExtension == fileExtension else { continue }
            entries.append((u, size, date)); total += size
        }
        guard total > maxBytes else { return 0 }
        var removed = 0
        for x in entries.sorted(by: { $0.date < $1.date }) where total > maxBytes / 10 * 9 {
            if (try? fm.removeItem(at: x.url)) != nil { total -= x.size; removed += 1 }
        }
        return removed
    }
}

/// A second tier of the label cache on another machine: the coordinator,
/// for workers on other hosts (LGRunner.QueueLabelRemote). Best effort: a
/// failure is a miss, never an error of the job.
public protocol LabelRemote: Sendable {
    /// The entry stored under `digest`, nil when the remote has none or cannot be reached.
    func fetch(digest: String) -> [UInt8]?
    /// Offers an entry to the remote (best effort).
    func store(digest: String, bytes: [UInt8])
}
