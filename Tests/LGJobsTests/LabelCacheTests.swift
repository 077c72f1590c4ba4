import XCTest
import LGTensor
import LGModelIO
import LGDigest
@testable import LGJobs

/// The label cache: entries that check themselves, bounded, safe under
/// concurrent writers, and training that gives the same numbers with it.
final class LabelCacheTests: XCTestCase {
    func labels(_ seed: Int32, wide: Bool = false) -> Labels { Self.labels(seed, wide: wide) }
    static func labels(_ seed: Int32, wide: Bool = false) -> Labels {
        Labels(shape: [1, 8, 8], data: (0..<64).map { Int32($0 % 5) + seed + (wide ? 300 : 0) })
    }

    func testEntriesRoundTripAndCheckThemselves() throws {
        let c = LabelCache(directory: try Fixture.tempDir("lc"))
        for wide in [false, true] {
            let l = labels(1, wide: wide)
            XCTAssertEqual(c.labels(key: "k\(wide)") { l }, l)
            XCTAssertEqual(c.read("k\(wide)"), l)
        }
        XCTAssertNil(c.read("other"))
        // The file of one key never answers for another.
        let bytes = try LabelFile.encode(labels(2), key: "a")
        XCTAssertThrowsError(try LabelFile.decode(bytes, key: "b"))
        XCTAssertEqual(try LabelFile.decode(bytes, key: "a"), labels(2))
    }

    /// The second tier (the coordinator's copy, here in memory): a host's
    /// miss is answered by another host's computed entry; an entry that is
    /// not the key's is refused and the labels computed.
    func testARemoteTierSharesEntriesBetweenHosts() throws {
        final class MemoryRemote: LabelRemote, @unchecked Sendable {
            let lock = NSLock()
            var entries: [String: [UInt8]] = [:]
            func fetch(digest: String) -> [UInt8]? { lock.lock(); defer { lock.unlock() }; return entries[digest] }
            func store(digest: String, bytes: [UInt8]) { lock.lock(); entries[digest] = bytes; lock.unlock() }
        }
        let remote = MemoryRemote()
        let host1 = LabelCache(directory: try Fixture.tempDir("lc-h1"), remote: remote)
        let host2 = LabelCache(directory: try Fixture.tempDir("lc-h2"), remote: remote)
        var computed = 0
        XCTAssertEqual(host1.labels(key: "s0") { computed += 1; return labels(3) }, labels(3))
        XCTAssertEqual(remote.entries.count, 1)
        XCTAssertEqual(host1.stats.remoteWrites, 1)
        XCTAssertEqual(host2.labels(key: "s0") { computed += 1; return labels(9) }, labels(3))
        XCTAssertEqual(computed, 1)
        XCTAssertEqual(host2.stats.remoteHits, 1)
        XCTAssertEqual(host2.read("s0"), labels(3))  // now on host 2's disk as well
        // A remote entry written under another key is never used for this one.
        remote.entries[LabelCache.digest("s1")] = try LabelFile.encode(labels(4), key: "other")
        XCTAssertEqual(host2.labels(key: "s1") { computed += 1; return labels(5) }, labels(5))
        XCTAssertEqual(computed, 2)
        XCTAssertEqual(host2.stats.refused, 1)
        XCTAssertEqual(try LabelFile.decode(XCTUnwrap(remote.entries[LabelCache.digest("s1")]), key: "s1"), labels(5))
    }

    /// The fuzz seeds (written by an independent Python encoder) decode as meant.
    func testFuzzSeedsDecode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("fuzz/corpus/labels")
        let narrow = try LabelFile.decode(Array(Data(contentsOf: dir.appendingPathComponent("narrow_1x8x8.lbl"))), key: "fuzz")
        XCTAssertEqual(narrow, Labels(shape: [1, 8, 8], data: (0..<64).map { Int32($0 % 5) }))
        let wide = try LabelFile.decode(Array(Data(contentsOf: dir.appendingPathComponent("wide_2x3.lbl"))), key: "fuzz")
        XCTAssertEqual(wide, Labels(shape: [2, 3], data: [300, 1, 2, 70000, -1, 5]))
        XCTAssertThrowsError(try LabelFile.decode(Array(Data(contentsOf: dir.appendingPathComponent("other_key.lbl"))), key: "fuzz"))
    }

    /// A torn (cut short) or corrupted entry is a miss, and is removed.
    func testTornOrCorruptedEntriesAreNeverRead() throws {
        let c = LabelCache(directory: try Fixture.tempDir("lc-torn"))
        let l = labels(3)
        c.write(l, key: "k")
        let u = c.url(for: "k")
        let whole = try Data(contentsOf: u)
        for cut in [0, 1, 8, whole.count / 2, whole.count - 1] {
            try whole.prefix(cut).write(to: u)
            XCTAssertNil(c.read("k"), "cut at \(cut)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: u.path))
        }
        for i in stride(from: 0, to: whole.count, by: 7) {
            var bad = whole; bad[i] ^= 0x40
            try bad.write(to: u)
            XCTAssertNil(c.read("k"), "byte \(i) flipped")
        }
        XCTAssertEqual(c.labels(key: "k") { l }, l)   // recomputed and stored again
        XCTAssertEqual(c.read("k"), l)
        XCTAssertGreaterThan(c.stats.refused, 0)
    }

    func testBoundedByEvictingTheOldest() throws {
        let dir = try Fixture.tempDir("lc-bound")
        let one = try LabelFile.encode(labels(0), key: String(repeating: "x", count: 10)).count
        let c = LabelCache(directory: dir, maxBytes: UInt64(one * 40))
        for i in 0..<600 { c.write(labels(Int32(i % 7)), key: "key-\(i)") }
        c.evict()
        let files = FileManager.default.enumerator(atPath: dir.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".lbl") }
        XCTAssertLessThanOrEqual(files.count, 45)
        XCTAssertGreaterThan(c.stats.evicted, 0)
        XCTAssertNotNil(c.read("key-599"))   // the newest stay
    }

    /// Four threads writing and reading the same keys: every read is whole.
    func testConcurrentWritersAndReaders() throws {
        let c = LabelCache(directory: try Fixture.tempDir("lc-conc"))
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for i in 0..<200 {
                let k = "key-\(i % 25)"
                let got = c.labels(key: k) { Self.labels(Int32(i % 25)) }
                XCTAssertEqual(got, Self.labels(Int32(i % 25)), "thread \(t) step \(i)")
            }
        }
        XCTAssertEqual(c.stats.refused, 0)
        let tmp = FileManager.default.enumerator(atPath: c.directory.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(tmp, [])
    }

    /// Training with the cache gives bit-identical extractors and metrics:
    /// the first job stores the labels, a job of another extractor on the
    /// same stream reads them back, and both equal runs without a cache.
    func testTrainingWithTheCacheGivesTheSameNumbers() throws {
        let registry = try Fixture.registry()
        let models = try JobModels.load(ModelChoice(generator: "fixture_stylegan2_r32"), registry: registry)
        XCTAssertNotNil(models.labelStream, "the fixture models' samples are shareable")
        let cache = LabelCache(directory: try Fixture.tempDir("lc-train"))
        var cached = JobRunContext(); cached.labelCache = cache
        func run(_ se: String, _ ctx: JobRunContext) throws -> JobReport {
            try Jobs.run(kind: .train, parameters: tinyTrain(["SE": se]), registry: registry, context: ctx,
                         outputs: JobOutputs(root: try Fixture.tempDir("lc-out")))
        }
        let nse1Cached = try run("NSE-1", cached)
        XCTAssertEqual(cache.stats.hits, 0)
        XCTAssertEqual(cache.stats.writes, 16 + 4)   // 16 training samples, 4 evaluation samples
        let lseCached = try run("LSE", cached)
        XCTAssertEqual(cache.stats.hits, 16 + 4)
        let lsePlain = try run("LSE", JobRunContext())
        let nse1Plain = try run("NSE-1", JobRunContext())
        for (a, b) in [(lseCached, lsePlain), (nse1Cached, nse1Plain)] {
            assertBitwiseEqual(try extractorParameters(a), try extractorParameters(b))
            XCTAssertEqual(a.classIoU, b.classIoU)
            XCTAssertEqual(a.trainingHistory.map(\.meanLoss), b.trainingHistory.map(\.meanLoss))
        }
        // Another seed is another stream: nothing read back.
        let before = cache.stats.hits
        _ = try Jobs.run(kind: .train, parameters: tinyTrain(["seed": "8"]), registry: registry, context: cached,
                         outputs: JobOutputs(root: try Fixture.tempDir("lc-out")))
        XCTAssertEqual(cache.stats.hits, before)
    }

    func testStandardCacheFollowsTheEnvironment() {
        let expr = URL(fileURLWithPath: "/tmp/e")
        XCTAssertEqual(LabelCache.standard(expr: expr, environment: [:])?.directory.path, "/tmp/e/label-cache")
        XCTAssertNil(LabelCache.standard(expr: expr, environment: ["LG_LABEL_CACHE": "off"]))
        let c = LabelCache.standard(expr: expr, environment: ["LG_LABEL_CACHE": "/x/y", "LG_LABEL_CACHE_GB": "2"])
        XCTAssertEqual(c?.directory.path, "/x/y")
        XCTAssertEqual(c?.maxBytes, 2 << 30)
    }
}
