/// A read-only ZIP archive reader.
///
/// Reads the central directory (with ZIP64 end-of-central-directory records and
/// ZIP64 extra fields, which PyTorch writes for large checkpoints) and extracts
/// stored and deflate entries (zlib `inflate`, raw windowBits -15), checking
/// each entry's CRC-32. All offsets are bounds-checked; a corrupt or truncated
/// archive throws `ModelIOError`, never crashes.
import Foundation

public struct ZipArchive: Sendable {
    /// One file in the archive, as recorded in the central directory.
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// 0 = stored, 8 = deflate.
        public let method: Int
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        public let localHeaderOffset: Int
    }

    public let entries: [Entry]
    private let data: Data
    private let byName: [String: Int]

    /// Opens an archive from a file, memory-mapped.
    public init(url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw ModelIOError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data)
    }

    /// Opens an archive held in memory.
    public init(data: Data) throws {
        let d = data.startIndex == 0 ? data : Data(data)
        self.data = d
        let entries = try ZipArchive.readCentralDirectory(d)
        self.entries = entries
        var map: [String: Int] = [:]
        for (i, e) in entries.enumerated() where map[e.name] == nil { map[e.name] = i }
        self.byName = map
    }

    /// The entry with this exact name, if any.
    public func entry(named name: String) -> Entry? {
        byName[name].map { entries[$0] }
    }

    /// The uncompressed bytes of an entry (CRC-checked).
    public func read(_ entry: Entry) throws -> [UInt8] {
        let d = data
        let lh = entry.localHeaderOffset
        guard try u32(d, lh, "local header of '\(entry.name)'") == 0x0403_4b50 else {
            throw ModelIOError.corruptZip("entry '\(entry.name)' has no local header signature at offset \(lh)")
        }
        let nameLen = Int(try u16(d, lh + 26, "local header of '\(entry.name)'"))
        let extraLen = Int(try u16(d, lh + 28, "local header of '\(entry.name)'"))
        let start = lh + 30 + nameLen + extraLen
        let size = entry.method == 0 ? entry.uncompressedSize : entry.compressedSize
        try check(d, start, size, "data of entry '\(entry.name)'")
        let out: [UInt8]
        switch entry.method {
        case 0:
            out = [UInt8](d[start..<(start + size)])
        case 8:
            out = try d.withUnsafeBytes { raw in
                try Zlib.inflate(UnsafeRawBufferPointer(rebasing: raw[start..<(start + size)]),
                                 expectedSize: entry.uncompressedSize, raw: true, what: "ZIP entry '\(entry.name)'")
            }
        default:
            throw ModelIOError.unsupportedCompression(entry: entry.name, method: entry.method)
        }
        let crc = Zlib.crc32(out)
        guard crc == entry.crc32 else {
            throw ModelIOError.corruptZip("entry '\(entry.name)' fails its CRC-32 check (stored \(hex(entry.crc32)), computed \(hex(crc)))")
        }
        return out
    }

    /// The uncompressed bytes of the entry with this name.
    public func read(named name: String) throws -> [UInt8] {
        guard let e = entry(named: name) else {
            throw ModelIOError.missingEntry(name: name, available: entries.map(\.name))
        }
        return try read(e)
    }

    // MARK: - Central directory

    private static func readCentralDirectory(_ d: Data) throws -> [Entry] {
        guard d.count >= 22 else {
            throw ModelIOError.corruptZip("the file is \(d.count) bytes, too short for a ZIP end-of-central-directory record")
        }
        // Find the end-of-central-directory record (22 bytes + up to 65535 comment bytes).
        var eocd = -1
        let lowest = max(0, d.count - 22 - 65535)
        var i = d.count - 22
        while i >= lowest {
            if d[i] == 0x50 && d[i + 1] == 0x4b && d[i + 2] == 0x05 && d[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else {
            throw ModelIOError.corruptZip("no end-of-central-directory record found (the archive is truncated)")
        }
        var count = Int(try u16(d, eocd + 10, "end of central directory"))
        var cdSize = Int(try u32(d, eocd + 12, "end of central directory"))
        var cdOffset = Int(try u32(d, eocd + 16, "end of central directory"))

        // ZIP64 locator sits 20 bytes before the EOCD.
        let loc = eocd - 20
        if loc >= 0, try u32(d, loc, "ZIP64 locator") == 0x0706_4b50 {
            let z64 = try u64(d, loc + 8, "ZIP64 locator")
            guard z64 <= UInt64(d.count) else {
                throw ModelIOError.corruptZip("ZIP64 end-of-central-directory offset \(z64) is past the end of the file (\(d.count) bytes)")
            }
            let r = Int(z64)
            guard try u32(d, r, "ZIP64 end of central directory") == 0x0606_4b50 else {
                throw ModelIOError.corruptZip("no ZIP64 end-of-central-directory record at offset \(r)")
            }
            count = try toInt(try u64(d, r + 32, "ZIP64 end of central directory"), "ZIP64 entry count")
            cdSize = try toInt(try u64(d, r + 40, "ZIP64 end of central directory"), "ZIP64 central directory size")
            cdOffset = try toInt(try u64(d, r + 48, "ZIP64 end of central directory"), "ZIP64 central directory offset")
        }
        try check(d, cdOffset, cdSize, "central directory")
        guard count <= cdSize / 46 + 1 else {
            throw ModelIOError.corruptZip("\(count) entries cannot fit in a \(cdSize)-byte central directory")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var p = cdOffset
        let end = cdOffset + cdSize
        for n in 0..<count {
            guard p + 46 <= end, try u32(d, p, "central directory") == 0x0201_4b50 else {
                throw ModelIOError.corruptZip("central directory entry \(n) at offset \(p) has no valid header")
            }
            let flags = try u16(d, p + 8, "central directory")
            let method = Int(try u16(d, p + 10, "central directory"))
            let crc = try u32(d, p + 16, "central directory")
            var csize = UInt64(try u32(d, p + 20, "central directory"))
            var usize = UInt64(try u32(d, p + 24, "central directory"))
            let nameLen = Int(try u16(d, p + 28, "central directory"))
            let extraLen = Int(try u16(d, p + 30, "central directory"))
            let commentLen = Int(try u16(d, p + 32, "central directory"))
            var offset = UInt64(try u32(d, p + 42, "central directory"))
            let nameStart = p + 46
            guard nameStart + nameLen + extraLen + commentLen <= end else {
                throw ModelIOError.corruptZip("central directory entry \(n) runs past the end of the directory")
            }
            let nameBytes = d[nameStart..<(nameStart + nameLen)]
            let name = String(decoding: nameBytes, as: UTF8.self)
            if flags & 1 != 0 {
                throw ModelIOError.corruptZip("entry '\(name)' is encrypted, which is not supported")
            }
            // ZIP64 extended information.
            var e = nameStart + nameLen
            let extraEnd = e + extraLen
            while e + 4 <= extraEnd {
                let id = try u16(d, e, "extra field")
                let len = Int(try u16(d, e + 2, "extra field"))
                let body = e + 4
                guard body + len <= extraEnd else {
                    throw ModelIOError.corruptZip("extra field of entry '\(name)' runs past its end")
                }
                if id == 0x0001 {
                    var q = body
                    func next() throws -> UInt64 {
                        guard q + 8 <= body + len else {
                            throw ModelIOError.corruptZip("ZIP64 extra field of entry '\(name)' is too short")
                        }
                        defer { q += 8 }
                        return try u64(d, q, "ZIP64 extra field")
                    }
                    if usize == 0xFFFF_FFFF { usize = try next() }
                    if csize == 0xFFFF_FFFF { csize = try next() }
                    if offset == 0xFFFF_FFFF { offset = try next() }
                }
                e = body + len
            }
            let entry = Entry(name: name, method: method, crc32: crc,
                              compressedSize: try toInt(csize, "compressed size of '\(name)'"),
                              uncompressedSize: try toInt(usize, "uncompressed size of '\(name)'"),
                              localHeaderOffset: try toInt(offset, "local header offset of '\(name)'"))
            guard entry.localHeaderOffset < d.count else {
                throw ModelIOError.corruptZip("entry '\(name)' starts at offset \(entry.localHeaderOffset), past the end of the file (\(d.count) bytes)")
            }
            entries.append(entry)
            p = extraEnd + commentLen
        }
        return entries
    }
}

// MARK: - Checked reads from Data (startIndex 0)

private func check(_ d: Data, _ offset: Int, _ n: Int, _ what: String) throws {
    guard offset >= 0, n >= 0, offset <= d.count, n <= d.count - offset else {
        throw ModelIOError.truncated(what: "ZIP archive (\(what))", offset: offset, needed: n, available: d.count)
    }
}

private func load<T: FixedWidthInteger>(_ d: Data, _ offset: Int, _: T.Type, _ what: String) throws -> T {
    try check(d, offset, MemoryLayout<T>.size, what)
    return d.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
}

private func u16(_ d: Data, _ o: Int, _ w: String) throws -> UInt16 { try load(d, o, UInt16.self, w) }
private func u32(_ d: Data, _ o: Int, _ w: String) throws -> UInt32 { try load(d, o, UInt32.self, w) }
private func u64(_ d: Data, _ o: Int, _ w: String) throws -> UInt64 { try load(d, o, UInt64.self, w) }

private func toInt(_ v: UInt64, _ what: String) throws -> Int {
    guard v <= UInt64(Int.max / 2) else { throw ModelIOError.corruptZip("\(what) (\(v)) is impossibly large") }
    return Int(v)
}

private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
