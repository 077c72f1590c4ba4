/// Reading PyTorch checkpoints (`torch.save` output) without executing anything.
///
/// Two formats are read:
/// - the ZIP archive of PyTorch >= 1.6: `<folder>/data.pkl` plus raw
///   little-endian storages in `<folder>/data/<key>` (the folder name varies);
///   persistent ids are `('storage', StorageType, key, location, numel)`.
/// - the legacy stream (`_use_new_zipfile_serialization=False`): pickled magic
///   number, protocol version 1001, sys_info, the object (persistent ids
///   `('storage', StorageType, root_key, location, numel, view_metadata)`),
///   the list of storage keys, then for each key an int64 element count and
///   the raw bytes.
/// The pre-0.4 tar format is recognised and refused. Only an allow list of
/// globals is interpreted (OrderedDict, tensor/parameter rebuild functions,
/// storage classes, torch.Size and dtypes); anything else is an error that
/// names the global.
import Foundation

public enum TorchFile {
    /// Loads a checkpoint file.
    public static func load(_ path: String) throws -> TorchValue {
        try load(url: URL(fileURLWithPath: path))
    }

    /// Loads a checkpoint file.
    public static func load(url: URL) throws -> TorchValue {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw ModelIOError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try load(data: data, name: url.path)
    }

    /// Loads a checkpoint held in memory; `name` is used in error messages.
    public static func load(data: Data, name: String = "checkpoint") throws -> TorchValue {
        let d = data.startIndex == 0 ? data : Data(data)
        let head = [UInt8](d.prefix(512))
        if head.count >= 4, head[0] == 0x50, head[1] == 0x4b, head[2] == 0x03 || head[2] == 0x05 {
            return try loadZip(ZipArchive(data: d))
        }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) {
            throw ModelIOError.legacyTarFormat(path: name)
        }
        if head.count >= 2, head[0] == 0x80, head[1] >= 2 {
            return try loadLegacy([UInt8](d), name: name)
        }
        throw ModelIOError.notATorchFile(path: name, firstBytes: describeLeadingBytes(head))
    }

    // MARK: - ZIP format

    static func loadZip(_ zip: ZipArchive) throws -> TorchValue {
        let candidates = zip.entries.map(\.name).filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
        guard let pklName = candidates.min(by: { $0.count < $1.count }) else {
            throw ModelIOError.missingEntry(name: "<folder>/data.pkl", available: zip.entries.map(\.name))
        }
        let prefix = String(pklName.dropLast("data.pkl".count))
        if let bo = zip.entry(named: prefix + "byteorder") {
            let order = String(decoding: try zip.read(bo), as: UTF8.self)
            guard order == "little" else {
                throw ModelIOError.unsupportedStructure("the checkpoint was saved on a '\(order)'-endian machine; only little-endian storages can be read")
            }
        }
        let pkl = try zip.read(zip.entry(named: pklName)!)
        let (root, _) = try Pickle.load(pkl, what: pklName)
        var cache: [String: [UInt8]] = [:]
        let reader = Rebuilder(file: "data.pkl") { ref in
            if let bytes = cache[ref.key] { return bytes }
            let entryName = prefix + "data/" + ref.key
            guard let entry = zip.entry(named: entryName) else { throw ModelIOError.missingStorage(key: ref.key) }
            let bytes = try zip.read(entry)
            cache[ref.key] = bytes
            return bytes
        }
        return try reader.convert(root, depth: 0)
    }

    // MARK: - Legacy stream format

    static let legacyMagic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19] // 0x1950a86a20f9469cfc6c LE

    static func loadLegacy(_ bytes: [UInt8], name: String) throws -> TorchValue {
        let (magic, p1) = try Pickle.load(bytes, from: 0, what: "legacy header")
        guard case let .bigInt(m) = magic, m == legacyMagic else {
            throw ModelIOError.notATorchFile(path: name, firstBytes: "a pickle that is not the torch.save magic number (\(describeLeadingBytes(bytes)))")
        }
        let (proto, p2) = try Pickle.load(bytes, from: p1, what: "legacy header")
        guard case .int(1001) = proto else {
            throw ModelIOError.unsupportedStructure("legacy checkpoint protocol version \(proto) (expected 1001)")
        }
        let (sysInfo, p3) = try Pickle.load(bytes, from: p2, what: "legacy sys_info")
        if case let .dict(items) = sysInfo {
            for (k, v) in items {
                if case .string("little_endian") = k, case .bool(false) = v {
                    throw ModelIOError.unsupportedStructure("the checkpoint was saved on a big-endian machine; only little-endian storages can be read")
                }
            }
        }
        let (root, p4) = try Pickle.load(bytes, from: p3, what: "legacy object pickle")
        let (keysValue, p5) = try Pickle.load(bytes, from: p4, what: "legacy storage key list")
        guard case let .list(keyItems) = keysValue else {
            throw ModelIOError.unsupportedStructure("the legacy storage key list is not a list")
        }
        var keys: [String] = []
        for k in keyItems {
            guard case let .string(s) = k else { throw ModelIOError.unsupportedStructure("a legacy storage key is not a string") }
            keys.append(s)
        }
        // Element sizes come from the persistent ids in the object pickle.
        var dtypes: [String: TorchDType] = [:]
        try collectStorageRefs(root, depth: 0) { ref in dtypes[ref.key] = ref.dtype }

        var cursor = ByteCursor(bytes, at: p5, what: "legacy storage data")
        var storages: [String: [UInt8]] = [:]
        for key in keys {
            guard let dtype = dtypes[key] else {
                throw ModelIOError.unsupportedStructure("storage '\(key)' is listed but no tensor refers to it, so its element size is unknown")
            }
            let count = try cursor.le(Int64.self)
            guard count >= 0 else { throw ModelIOError.unsupportedStructure("storage '\(key)' has a negative size \(count)") }
            let (nbytes, o) = Int(clamping: count).multipliedReportingOverflow(by: dtype.elementSize)
            guard !o, nbytes <= cursor.remaining else {
                throw ModelIOError.truncatedStorage(key: key, expectedBytes: o ? Int.max : nbytes, availableBytes: cursor.remaining)
            }
            storages[key] = Array(try cursor.take(nbytes))
        }
        let reader = Rebuilder(file: "the legacy checkpoint") { ref in
            guard let root = storages[ref.key] else { throw ModelIOError.missingStorage(key: ref.key) }
            guard let view = ref.view else { return root }
            let es = ref.dtype.elementSize
            let (start, o1) = view.offset.multipliedReportingOverflow(by: es)
            let (len, o2) = view.size.multipliedReportingOverflow(by: es)
            guard !o1, !o2, start >= 0, len >= 0, start <= root.count, len <= root.count - start else {
                throw ModelIOError.truncatedStorage(key: view.key, expectedBytes: o1 || o2 ? Int.max : start + len, availableBytes: root.count)
            }
            return Array(root[start..<(start + len)])
        }
        return try reader.convert(root, depth: 0)
    }

    static func collectStorageRefs(_ v: PickleValue, depth: Int, _ f: (StorageRef) throws -> Void) throws {
        guard depth < 500 else { return }
        switch v {
        case let .persistentID(pid): try f(try StorageRef(pid))
        case let .list(xs), let .tuple(xs), let .set(xs):
            for x in xs { try collectStorageRefs(x, depth: depth + 1, f) }
        case let .dict(items):
            for (k, x) in items {
                try collectStorageRefs(k, depth: depth + 1, f)
                try collectStorageRefs(x, depth: depth + 1, f)
            }
        case let .object(o):
            for x in o.args + o.listItems { try collectStorageRefs(x, depth: depth + 1, f) }
            for (k, x) in o.dictItems + o.kwargs {
                try collectStorageRefs(k, depth: depth + 1, f)
                try collectStorageRefs(x, depth: depth + 1, f)
            }
            if let s = o.state { try collectStorageRefs(s, depth: depth + 1, f) }
        default: break
        }
    }
}

/// A parsed storage persistent id.
struct StorageRef {
    var key: String
    var dtype: TorchDType
    var numel: Int
    /// Legacy view metadata: (view key, offset, size) in elements.
    var view: (key: String, offset: Int, size: Int)?

    init(_ pid: PickleValue) throws {
        guard case let .tuple(t) = pid, t.count >= 5, case .string("storage") = t[0] else {
            throw ModelIOError.unsupportedStructure("a persistent id is not a ('storage', ...) record: \(pid)")
        }
        guard case let .global(module, name) = t[1] else {
            throw ModelIOError.unsupportedStructure("a storage record's type is not a storage class")
        }
        guard module == "torch" || module == "torch.cuda" || module == "torch.storage",
              let dtype = TorchDType(storageClass: name) else {
            throw ModelIOError.unsupportedGlobal(name: module + "." + name, file: "a storage record")
        }
        guard let key = Self.keyString(t[2]) else {
            throw ModelIOError.unsupportedStructure("a storage key is not a string")
        }
        guard case let .int(n) = t[4], n >= 0 else {
            throw ModelIOError.unsupportedStructure("storage '\(key)' has an invalid element count")
        }
        self.key = key
        self.dtype = dtype
        self.numel = n
        if t.count >= 6, case let .tuple(vm) = t[5] {
            guard vm.count == 3, let vk = Self.keyString(vm[0]), case let .int(off) = vm[1], case let .int(size) = vm[2] else {
                throw ModelIOError.unsupportedStructure("storage '\(key)' has malformed view metadata")
            }
            self.view = (vk, off, size)
        }
    }

    static func keyString(_ v: PickleValue) -> String? {
        switch v {
        case let .string(s): return s
        case let .int(i): return String(i)
        default: return nil
        }
    }
}

/// Turns a pickled object tree into `TorchValue`, interpreting only allowed globals.
struct Rebuilder {
    let file: String
    let storage: (StorageRef) throws -> [UInt8]

    init(file: String, storage: @escaping (StorageRef) throws -> [UInt8]) {
        self.file = file
        self.storage = storage
    }

    func refuse(_ name: String) -> ModelIOError { .unsupportedGlobal(name: name, file: file) }

    func convert(_ v: PickleValue, depth: Int) throws -> TorchValue {
        guard depth < 500 else { throw ModelIOError.unsupportedStructure("objects are nested more than 500 levels deep") }
        switch v {
        case .none: return .none
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case .bigInt: throw ModelIOError.unsupportedStructure("an integer does not fit in 64 bits")
        case let .float(d): return .float(d)
        case let .string(s): return .string(s)
        case let .bytes(b): return .bytes(b)
        case let .list(xs), let .set(xs): return .list(try xs.map { try convert($0, depth: depth + 1) })
        case let .tuple(xs): return .tuple(try xs.map { try convert($0, depth: depth + 1) })
        case let .dict(items):
            return .dict(try items.map { (try convert($0.0, depth: depth + 1), try convert($0.1, depth: depth + 1)) })
        case let .global(module, name):
            if module == "torch", TorchDType(torchName: name) != nil { return .string("torch." + name) }
            throw refuse(module + "." + name)
        case .persistentID:
            throw ModelIOError.unsupportedStructure("a bare storage (not inside a tensor) cannot be read; save tensors instead")
        case let .object(o):
            return try object(o, depth: depth)
        }
    }

    func object(_ o: PickleObject, depth: Int) throws -> TorchValue {
        guard case let .global(module, name) = o.callee else {
            throw ModelIOError.unsupportedStructure("an object is built by calling something that is not a global")
        }
        let full = module + "." + name
        switch full {
        case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
            var items: [(key: TorchValue, value: TorchValue)] = []
            if let first = o.args.first, case let .list(pairs) = first {
                for p in pairs {
                    guard case let .tuple(kv) = p, kv.count == 2 else {
                        throw ModelIOError.unsupportedStructure("an OrderedDict argument is not a list of pairs")
                    }
                    items.append((try convert(kv[0], depth: depth + 1), try convert(kv[1], depth: depth + 1)))
                }
            }
            for (k, v) in o.dictItems {
                items.append((try convert(k, depth: depth + 1), try convert(v, depth: depth + 1)))
            }
            // BUILD state (e.g. a state_dict's `_metadata`) carries no tensors; it is dropped.
            return .dict(items)
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard o.args.count >= 4 else { throw ModelIOError.unsupportedStructure("\(full) has \(o.args.count) arguments, expected at least 4") }
            return .tensor(try tensor(o.args, dtype: nil, function: full))
        case "torch._utils._rebuild_tensor_v3":
            guard o.args.count >= 7, case let .global(dm, dn) = o.args[6] else {
                throw ModelIOError.unsupportedStructure("\(full) has malformed arguments")
            }
            guard dm == "torch", let dt = TorchDType(torchName: dn) else { throw refuse(dm + "." + dn) }
            return .tensor(try tensor(o.args, dtype: dt, function: full))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let first = o.args.first else { throw ModelIOError.unsupportedStructure("\(full) without arguments") }
            let inner = try convert(first, depth: depth + 1)
            guard case .tensor = inner else { throw ModelIOError.unsupportedStructure("\(full) does not wrap a tensor") }
            return inner
        case "torch.Size":
            guard let first = o.args.first else { return .tuple([]) }
            let inner = try convert(first, depth: depth + 1)
            if case let .list(xs) = inner { return .tuple(xs) }
            return inner
        default:
            throw refuse(full)
        }
    }

    func tensor(_ args: [PickleValue], dtype override: TorchDType?, function: String) throws -> TorchTensor {
        guard case let .persistentID(pid) = args[0] else {
            throw ModelIOError.unsupportedStructure("\(function)'s storage is not a persistent storage record")
        }
        let ref = try StorageRef(pid)
        guard case let .int(offset) = args[1] else { throw ModelIOError.unsupportedStructure("\(function)'s storage offset is not an int") }
        let shape = try ints(args[2], "size", function)
        let strides = try ints(args[3], "stride", function)
        let bytes = try storage(ref)
        let storageDtype = ref.dtype
        let need = ref.view?.size ?? ref.numel
        let (expected, o) = need.multipliedReportingOverflow(by: storageDtype.elementSize)
        if ref.view == nil, o || bytes.count < expected {
            throw ModelIOError.truncatedStorage(key: ref.key, expectedBytes: o ? Int.max : expected, availableBytes: bytes.count)
        }
        return try TorchTensor(dtype: override ?? storageDtype, shape: shape, strides: strides,
                               storageOffset: offset, storage: bytes)
    }

    func ints(_ v: PickleValue, _ what: String, _ function: String) throws -> [Int] {
        var xs: [PickleValue]
        switch v {
        case let .tuple(t), let .list(t): xs = t
        case let .object(o) where o.callee.globalName == "torch.Size":
            guard let f = o.args.first, case let .tuple(t) = f else { xs = []; break }
            xs = t
        default: throw ModelIOError.unsupportedStructure("\(function)'s \(what) is not a tuple of ints")
        }
        return try xs.map {
            guard case let .int(i) = $0 else { throw ModelIOError.unsupportedStructure("\(function)'s \(what) is not a tuple of ints") }
            return i
        }
    }
}
