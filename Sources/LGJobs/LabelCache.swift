// The label cache: the predictor's labels of a sample, computed once and
// read back by every job that draws the same sample (LSE, NSE-1 and NSE-2
// of one generator and seed, their evaluations, `evaluate` jobs). One file
// per sample under a directory (default expr/label-cache), named by the
// SHA-256 of its key, in LGModelIO.LabelFile's self-checking format; the
// files are an LGDigest.DigestStore (atomic, bounded).
//
// A second tier for workers on other hosts: the coordinator keeps the same
// files (`label_get` / `label_put`, docs/protocol.md); a local miss asks it
// before computing, and a computed entry is offered to it.
//
// Safe under concurrent writers and kill -9: an entry is written to a
// temporary file in its folder and renamed into place (a reader sees the
// whole file or none), and a reader that finds a file that does not decode
// (torn by a crash before the rename reached the disk, or corrupted; or a
// remote entry that is not the key's) treats it as a miss and removes it.
// Bounded: past `maxBytes` the oldest entries go (checked every 256 writes).
import Foundation
import LGDigest
import Synchronization
import LGTensor
import LGModelIO

public final class LabelCache: Sendable {
    public struct Stats: Sendable, Equatable {
        public var hits = 0, misses = 0, writes = 0, refused = 0, evicted = 0
        /// Local misses the remote tier answered, and entries offered to it.
        public var remoteHits = 0, remoteWrites = 0
    }

    public let files: DigestStore
    public var directory: URL { files.directory }
    public var maxBytes: UInt64 { files.maxBytes }
    /// The coordinator's copy, for workers on other hosts (nil: local only).
    public let remote: (any LabelRemote)?
    private let state = Mutex(Stats())

    /// Default bound: 8 GiB (a full-preset scene stream is about 0.4 GB).
    public static let defaultMaxBytes: UInt64 = 8 << 30

    public init(directory: URL, maxBytes: UInt64 = LabelCache.defaultMaxBytes, remote: (any LabelRemote)? = nil) {
        files = DigestStore(directory: directory, maxBytes: maxBytes, fileExtension: "lbl")
        self.remote = remote
    }

    /// The cache a worker or `run-local` uses: `LG_LABEL_CACHE` (a folder,
    /// or `off`), else `{expr}/label-cache`; `LG_LABEL_CACHE_GB` bounds it.
    /// `remote` (a queue job's coordinator) backs it on another host.
    public static func standard(expr: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                                remote: (any LabelRemote)? = nil) -> LabelCache? {
        let gb = environment["LG_LABEL_CACHE_GB"].flatMap(Double.init).map { UInt64(max(0, $0) * Double(1 << 30)) }
        switch environment["LG_LABEL_CACHE"] {
        case "off", "0", "none": return nil
        case let dir? where !dir.isEmpty:
            return LabelCache(directory: URL(fileURLWithPath: dir), maxBytes: gb ?? defaultMaxBytes, remote: remote)
        default:
            return LabelCache(directory: expr.appendingPathComponent("label-cache"), maxBytes: gb ?? defaultMaxBytes, remote: remote)
        }
    }

    public var stats: Stats { state.withLock { $0 } }

    /// The digest naming `key`'s entry (here and on the coordinator).
    public static func digest(_ key: String) -> String { SHA256Hex.of(Data(key.utf8)) }

    /// The file of `key`: {directory}/{first two hex digits}/{SHA-256 of the key}.lbl.
    public func url(for key: String) -> URL { files.url(forDigest: Self.digest(key)) }

    /// The labels under `key`: read back (here, else from the remote tier),
    /// or computed by `compute` and stored (here and offered to the remote).
    public func labels(key: String, compute: () throws -> Labels) rethrows -> Labels {
        if let l = read(key) { return l }
        let digest = Self.digest(key)
        if let remote, let bytes = remote.fetch(digest: digest) {
            if let l = try? LabelFile.decode(bytes, key: key) {
                let w = files.write(bytes, digest: digest)
                state.withLock { $0.remoteHits += 1; $0.evicted += w.evicted }
                return l
            }
            state.withLock { $0.refused += 1 }
        }
        let l = try compute()
        if let bytes = write(l, key: key), let remote {
            remote.store(digest: digest, bytes: bytes)
            state.withLock { $0.remoteWrites += 1 }
        }
        return l
    }

    /// The stored labels, nil on a miss (a file that does not decode is removed).
    public func read(_ key: String) -> Labels? {
        let digest = Self.digest(key)
        guard let d = files.read(digest: digest) else {
            state.withLock { $0.misses += 1 }
            return nil
        }
        do {
            let l = try LabelFile.decode(d, key: key)
            state.withLock { $0.hits += 1 }
            return l
        } catch {
            files.remove(digest: digest)
            state.withLock { $0.misses += 1; $0.refused += 1 }
            return nil
        }
    }

    /// Stores labels under `key` (best effort: a full disk costs only the
    /// saving); returns the entry's bytes, nil when it was not stored.
    @discardableResult
    public func write(_ labels: Labels, key: String) -> [UInt8]? {
        guard let bytes = try? LabelFile.encode(labels, key: key) else { return nil }
        let w = files.write(bytes, digest: Self.digest(key))
        guard w.stored else { return nil }
        state.withLock { $0.writes += 1; $0.evicted += w.evicted }
        return bytes
    }

    /// Removes the oldest entries while the cache is over `maxBytes` (down
    /// to 90 % of it), and temporary files an hour old (a killed writer's).
    public func evict() {
        let removed = files.evict()
        state.withLock { $0.evicted += removed }
    }
}
