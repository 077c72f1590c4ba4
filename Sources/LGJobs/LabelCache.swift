// The label cache: the predictor's labels of a sample, computed once and
// read back by every job that draws the same sample (LSE, NSE-1 and NSE-2
// of one generator and seed, their evaluations, `evaluate` jobs). One file
// per sample under a directory (default expr/label-cache), named by the
// SHA-256 of its key, in LGModelIO.LabelFile's self-checking format.
//
// Safe under concurrent writers and kill -9: an entry is written to a
// temporary file in its folder and renamed into place (a reader sees the
// whole file or none), and a reader that finds a file that does not decode
// (torn by a crash before the rename reached the disk, or corrupted) treats
// it as a miss and removes it. Bounded: past `maxBytes` the oldest entries
// go (checked every 256 writes).
import Foundation
import LGDigest
import Synchronization
import LGTensor
import LGModelIO

public final class LabelCache: Sendable {
    public struct Stats: Sendable, Equatable {
        public var hits = 0, misses = 0, writes = 0, refused = 0, evicted = 0
    }

    public let directory: URL
    public let maxBytes: UInt64
    private let state = Mutex<(stats: Stats, writesSinceSweep: Int)>((Stats(), 0))

    /// Default bound: 8 GiB (a full-preset scene stream is about 0.4 GB).
    public static let defaultMaxBytes: UInt64 = 8 << 30

    public init(directory: URL, maxBytes: UInt64 = LabelCache.defaultMaxBytes) {
        self.directory = directory; self.maxBytes = maxBytes
    }

    /// The cache a worker or `run-local` uses: `LG_LABEL_CACHE` (a folder,
    /// or `off`), else `{expr}/label-cache`; `LG_LABEL_CACHE_GB` bounds it.
    public static func standard(expr: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> LabelCache? {
        let gb = environment["LG_LABEL_CACHE_GB"].flatMap(Double.init).map { UInt64(max(0, $0) * Double(1 << 30)) }
        switch environment["LG_LABEL_CACHE"] {
        case "off", "0", "none": return nil
        case let dir? where !dir.isEmpty:
            return LabelCache(directory: URL(fileURLWithPath: dir), maxBytes: gb ?? defaultMaxBytes)
        default:
            return LabelCache(directory: expr.appendingPathComponent("label-cache"), maxBytes: gb ?? defaultMaxBytes)
        }
    }

    public var stats: Stats { state.withLock { $0.stats } }

    /// The file of `key`: {directory}/{first two hex digits}/{SHA-256 of the key}.lbl.
    public func url(for key: String) -> URL {
        let h = SHA256Hex.of(Data(key.utf8))
        return directory.appendingPathComponent(String(h.prefix(2))).appendingPathComponent(h + ".lbl")
    }

    /// The labels under `key`: read back, or computed by `compute` and stored.
    public func labels(key: String, compute: () throws -> Labels) rethrows -> Labels {
        if let l = read(key) { return l }
        let l = try compute()
        write(l, key: key)
        return l
    }

    /// The stored labels, nil on a miss (a file that does not decode is removed).
    public func read(_ key: String) -> Labels? {
        let u = url(for: key)
        guard let d = FileManager.default.contents(atPath: u.path) else {
            state.withLock { $0.stats.misses += 1 }
            return nil
        }
        do {
            let l = try LabelFile.decode(Array(d), key: key)
            state.withLock { $0.stats.hits += 1 }
            return l
        } catch {
            try? FileManager.default.removeItem(at: u)
            state.withLock { $0.stats.misses += 1; $0.stats.refused += 1 }
            return nil
        }
    }

    /// Stores labels under `key` (best effort: a full disk costs only the saving).
    public func write(_ labels: Labels, key: String) {
        let u = url(for: key)
        let dir = u.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let bytes = try LabelFile.encode(labels, key: key)
            let tmp = dir.appendingPathComponent(".\(u.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
            try Data(bytes).write(to: tmp)
            if rename(tmp.path, u.path) != 0 { try? FileManager.default.removeItem(at: tmp); return }
        } catch { return }
        let sweep = state.withLock { s -> Bool in
            s.stats.writes += 1; s.writesSinceSweep += 1
            if s.writesSinceSweep >= 256 { s.writesSinceSweep = 0; return true }
            return false
        }
        if sweep { evict() }
    }

    /// Removes the oldest entries while the cache is over `maxBytes` (down
    /// to 90 % of it), and temporary files an hour old (a killed writer's).
    public func evict() {
        let fm = FileManager.default
        guard let e = fm.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey]) else { return }
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
            guard u.pathExtension == "lbl" else { continue }
            entries.append((u, size, date)); total += size
        }
        guard total > maxBytes else { return }
        var removed = 0
        for x in entries.sorted(by: { $0.date < $1.date }) where total > maxBytes / 10 * 9 {
            if (try? fm.removeItem(at: x.url)) != nil { total -= x.size; removed += 1 }
        }
        state.withLock { $0.stats.evicted += removed }
    }
}
