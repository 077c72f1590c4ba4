/// A safe Python unpickler (protocols 0-5 as torch.save emits them).
///
/// It executes nothing: globals, REDUCE, NEWOBJ and BUILD are recorded as
/// data (`PickleValue.global`, `.object`) for the caller to interpret against
/// its own allow list. Mutable containers are tracked by reference while
/// reading (so APPENDS/SETITEMS after MEMOIZE/BINPUT behave as in Python) and
/// turned into plain values at STOP; self-referencing structures are refused.
/// Every read is bounds-checked; malformed input throws `ModelIOError`.

/// The result of calling a global (REDUCE / NEWOBJ), plus what was applied to it afterwards.
public struct PickleObject: Sendable {
    /// What was called: normally `.global(module:name:)`.
    public var callee: PickleValue
    /// The positional arguments (the pickled argument tuple).
    public var args: [PickleValue]
    /// Keyword arguments (NEWOBJ_EX only).
    public var kwargs: [(PickleValue, PickleValue)]
    /// The state given by BUILD, if any.
    public var state: PickleValue?
    /// Items appended by APPEND/APPENDS (list subclasses).
    public var listItems: [PickleValue]
    /// Items set by SETITEM/SETITEMS (dict subclasses such as OrderedDict), in order.
    public var dictItems: [(PickleValue, PickleValue)]
}

/// A value read from a pickle stream.
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer that does not fit in `Int`: little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// Key/value pairs in insertion order.
    case dict([(PickleValue, PickleValue)])
    /// A set or frozenset, as its elements.
    case set([PickleValue])
    /// A reference to `module.name` (nothing is imported).
    case global(module: String, name: String)
    /// A call of a global (REDUCE, NEWOBJ), not executed.
    case object(PickleObject)
    /// A persistent id (BINPERSID/PERSID): the pickled id object.
    case persistentID(PickleValue)

    /// `module.name` of a global, else nil.
    public var globalName: String? {
        if case let .global(m, n) = self { return m + "." + n }
        return nil
    }
}

/// Reads pickle streams without executing anything.
public enum Pickle {
    /// Unpickles one object starting at `offset` of `bytes`.
    /// - Parameter what: a name for the stream used in errors (e.g. "data.pkl").
    /// - Returns: the value and the offset just past its STOP opcode.
    public static func load(_ bytes: [UInt8], from offset: Int = 0, what: String = "pickle") throws -> (value: PickleValue, end: Int) {
        var u = Unpickler(ByteCursor(bytes, at: offset, what: what))
        // Self-references can only go through the memo; emptying memoized nodes
        // afterwards breaks any reference cycle so nothing leaks.
        defer { for n in u.memo.values { n.kind = .leaf(.none) } }
        let root = try u.run()
        // Size of the fully expanded tree (shared references counted each time they
        // appear), computed in time linear in the number of distinct nodes.
        var sizes: [ObjectIdentifier: Int] = [:]
        let expanded = try expandedSize(root, depth: 0, &sizes)
        guard expanded <= 20_000_000 else {
            throw ModelIOError.corruptPickle(offset: 0, detail: "the pickle expands to more than 20 million values (shared references repeated too often)")
        }
        var budget = Converter(limit: 20_000_000)
        let value = try budget.value(root, depth: 0)
        return (value, u.cursor.position)
    }
}

// MARK: - Reference nodes used while reading

/// Mutable contents of a list, set or dict (a class, so appends happen in place).
private final class Box {
    var nodes: [Node] = []
    var pairs: [(Node, Node)] = []
    init(nodes: [Node] = [], pairs: [(Node, Node)] = []) { self.nodes = nodes; self.pairs = pairs }
}

/// A call of a global and what was applied to its result afterwards.
private final class ObjectBox {
    let callee: Node
    let args: [Node]
    let kwargs: [(Node, Node)]
    var state: Node?
    var list: [Node] = []
    var dict: [(Node, Node)] = []
    init(callee: Node, args: [Node], kwargs: [(Node, Node)] = []) { self.callee = callee; self.args = args; self.kwargs = kwargs }
}

private final class Node {
    enum Kind {
        case leaf(PickleValue)
        case list(Box)
        case tuple([Node])
        case dict(Box)
        case set(Box)
        case global(String, String)
        case object(ObjectBox)
        case persid(Node)
        case mark
    }
    var kind: Kind
    var visiting = false
    init(_ kind: Kind) { self.kind = kind }
}

private func expandedSize(_ n: Node, depth: Int, _ sizes: inout [ObjectIdentifier: Int]) throws -> Int {
    if let s = sizes[ObjectIdentifier(n)] { return s }
    guard depth < 500 else {
        throw ModelIOError.corruptPickle(offset: 0, detail: "objects are nested more than 500 levels deep")
    }
    guard !n.visiting else {
        throw ModelIOError.corruptPickle(offset: 0, detail: "an object contains itself (recursive structure), which plain checkpoints never do")
    }
    n.visiting = true
    defer { n.visiting = false }
    var total = 1
    func add(_ c: Node) throws { total = min(total + (try expandedSize(c, depth: depth + 1, &sizes)), Int.max / 4) }
    switch n.kind {
    case .leaf, .global, .mark: break
    case let .list(b), let .set(b): for x in b.nodes { try add(x) }
    case let .tuple(xs): for x in xs { try add(x) }
    case let .dict(b): for (k, v) in b.pairs { try add(k); try add(v) }
    case let .persid(x): try add(x)
    case let .object(o):
        try add(o.callee)
        for x in o.args + o.list { try add(x) }
        for (k, v) in o.kwargs + o.dict { try add(k); try add(v) }
        if let s = o.state { try add(s) }
    }
    sizes[ObjectIdentifier(n)] = total
    return total
}

private struct Converter {
    var remaining: Int
    init(limit: Int) { remaining = limit }

    mutating func value(_ n: Node, depth: Int) throws -> PickleValue {
        remaining -= 1
        guard remaining >= 0 else {
            throw ModelIOError.corruptPickle(offset: 0, detail: "the pickle expands to more than 20 million values (shared references repeated too often)")
        }
        guard depth < 500 else {
            throw ModelIOError.corruptPickle(offset: 0, detail: "objects are nested more than 500 levels deep")
        }
        guard !n.visiting else {
            throw ModelIOError.corruptPickle(offset: 0, detail: "an object contains itself (recursive structure), which plain checkpoints never do")
        }
        n.visiting = true
        defer { n.visiting = false }
        func all(_ xs: [Node]) throws -> [PickleValue] { try xs.map { try value($0, depth: depth + 1) } }
        func pairs(_ xs: [(Node, Node)]) throws -> [(PickleValue, PickleValue)] {
            try xs.map { (try value($0.0, depth: depth + 1), try value($0.1, depth: depth + 1)) }
        }
        switch n.kind {
        case let .leaf(v): return v
        case let .list(b): return .list(try all(b.nodes))
        case let .tuple(xs): return .tuple(try all(xs))
        case let .dict(b): return .dict(try pairs(b.pairs))
        case let .set(b): return .set(try all(b.nodes))
        case let .global(m, name): return .global(module: m, name: name)
        case let .persid(x): return .persistentID(try value(x, depth: depth + 1))
        case let .object(o):
            return .object(PickleObject(callee: try value(o.callee, depth: depth + 1), args: try all(o.args),
                                        kwargs: try pairs(o.kwargs),
                                        state: try o.state.map { try value($0, depth: depth + 1) },
                                        listItems: try all(o.list), dictItems: try pairs(o.dict)))
        case .mark:
            throw ModelIOError.corruptPickle(offset: 0, detail: "a MARK was left on the stack")
        }
    }
}

// MARK: - The opcode interpreter

private struct Unpickler {
    var cursor: ByteCursor
    var stack: [Node] = []
    var marks: [Int] = []
    var memo: [Int: Node] = [:]
    var opOffset = 0

    init(_ cursor: ByteCursor) { self.cursor = cursor }

    func fail(_ detail: String) -> ModelIOError {
        .corruptPickle(offset: opOffset, detail: detail)
    }

    mutating func pop() throws -> Node {
        guard let top = stack.last, marks.last.map({ $0 < stack.count }) ?? true else {
            throw fail("an opcode needs a value but the stack is empty")
        }
        if case .mark = top.kind { throw fail("an opcode needs a value but found a MARK") }
        stack.removeLast()
        return top
    }

    mutating func top() throws -> Node {
        guard let t = stack.last, marks.last.map({ $0 < stack.count }) ?? true else {
            throw fail("an opcode needs a value but the stack is empty")
        }
        return t
    }

    /// Pops everything above the last MARK.
    mutating func popMark() throws -> [Node] {
        guard let m = marks.popLast() else { throw fail("an opcode needs a MARK but none is set") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    mutating func push(_ v: PickleValue) { stack.append(Node(.leaf(v))) }

    mutating func string(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw fail("a string is not valid UTF-8")
        }
        return s
    }

    mutating func length(_ v: UInt64) throws -> Int {
        guard v <= UInt64(cursor.remaining) else {
            throw ModelIOError.truncated(what: cursor.what, offset: cursor.position, needed: v > UInt64(Int.max) ? Int.max : Int(v), available: cursor.bytes.count)
        }
        return Int(v)
    }

    mutating func setItems(_ target: Node, _ kv: [(Node, Node)]) throws {
        switch target.kind {
        case let .dict(b): b.pairs.append(contentsOf: kv)
        case let .object(o): o.dict.append(contentsOf: kv)
        default:
            throw fail("SETITEM(S) applied to something that is not a dict")
        }
    }

    mutating func appendItems(_ target: Node, _ items: [Node]) throws {
        switch target.kind {
        case let .list(b): b.nodes.append(contentsOf: items)
        case let .object(o): o.list.append(contentsOf: items)
        default:
            throw fail("APPEND(S) applied to something that is not a list")
        }
    }

    mutating func addItems(_ target: Node, _ items: [Node]) throws {
        guard case let .set(b) = target.kind else { throw fail("ADDITEMS applied to something that is not a set") }
        b.nodes.append(contentsOf: items)
    }

    mutating func memoGet(_ i: Int) throws {
        guard let n = memo[i] else { throw fail("memo entry \(i) is read before it is written") }
        stack.append(n)
    }

    mutating func memoPut(_ i: Int) throws {
        guard i >= 0 else { throw fail("negative memo index") }
        memo[i] = try top()
    }

    mutating func decodeLong(_ b: ArraySlice<UInt8>) -> PickleValue {
        if b.isEmpty { return .int(0) }
        if b.count <= 8 {
            var v: UInt64 = 0
            for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
            let negative = b.last! & 0x80 != 0
            if negative && b.count < 8 { v |= ~UInt64(0) << (8 * UInt64(b.count)) }
            return .int(Int(Int64(bitPattern: v)))
        }
        // Longer encodings may still fit (sign-extension bytes).
        let negative = b.last! & 0x80 != 0
        let fill: UInt8 = negative ? 0xff : 0
        let head = b.prefix(8)
        if b.dropFirst(8).allSatisfy({ $0 == fill }), (head.last! & 0x80 != 0) == negative {
            return decodeLong(head)
        }
        return .bigInt(Array(b))
    }

    func parseTextInt(_ s: String) throws -> PickleValue {
        var t = s.trimmingWhitespace()
        if t.hasSuffix("L") { t.removeLast() }
        if let v = Int(t) { return .int(v) }
        throw fail("text integer '\(s)' cannot be read (too large or malformed)")
    }

    mutating func run() throws -> Node {
        while true {
            opOffset = cursor.position
            let op = try cursor.u8()
            switch op {
            case 0x80: // PROTO
                let p = try cursor.u8()
                guard p <= 5 else { throw fail("pickle protocol \(p) is newer than 5") }
            case 0x95: // FRAME
                _ = try cursor.le(UInt64.self)
            case 0x2e: // STOP
                guard marks.isEmpty else { throw fail("STOP with an unclosed MARK") }
                guard stack.count == 1 else { throw fail("STOP with \(stack.count) values on the stack (expected 1)") }
                return stack[0]
            case 0x28: // MARK
                marks.append(stack.count)
            case 0x30: // POP
                if let m = marks.last, m == stack.count { marks.removeLast() } else { _ = try pop() }
            case 0x31: // POP_MARK
                _ = try popMark()
            case 0x32: // DUP
                stack.append(try top())
            case 0x4e: push(.none) // NONE
            case 0x88: push(.bool(true)) // NEWTRUE
            case 0x89: push(.bool(false)) // NEWFALSE
            case 0x4a: push(.int(Int(try cursor.le(Int32.self)))) // BININT
            case 0x4b: push(.int(Int(try cursor.u8()))) // BININT1
            case 0x4d: push(.int(Int(try cursor.le(UInt16.self)))) // BININT2
            case 0x8a: // LONG1
                let n = Int(try cursor.u8())
                push(decodeLong(try cursor.take(n)))
            case 0x8b: // LONG4
                let n = try cursor.le(Int32.self)
                guard n >= 0 else { throw fail("LONG4 with negative length") }
                push(decodeLong(try cursor.take(try length(UInt64(n)))))
            case 0x49: // INT (text); I00/I01 are False/True
                let s = String(decoding: try cursor.line(), as: UTF8.self)
                if s == "00" { push(.bool(false)) } else if s == "01" { push(.bool(true)) } else { stack.append(Node(.leaf(try parseTextInt(s)))) }
            case 0x4c: // LONG (text)
                let s = String(decoding: try cursor.line(), as: UTF8.self)
                stack.append(Node(.leaf(try parseTextInt(s))))
            case 0x46: // FLOAT (text)
                let s = String(decoding: try cursor.line(), as: UTF8.self)
                guard let d = Double(s.trimmingWhitespace()) else { throw fail("text float '\(s)' is malformed") }
                push(.float(d))
            case 0x47: // BINFLOAT (big-endian)
                let bits = try cursor.le(UInt64.self).byteSwapped
                push(.float(Double(bitPattern: bits)))
            case 0x58: // BINUNICODE
                let n = try length(UInt64(try cursor.le(UInt32.self)))
                push(.string(try string(try cursor.take(n))))
            case 0x8c: // SHORT_BINUNICODE
                let n = Int(try cursor.u8())
                push(.string(try string(try cursor.take(n))))
            case 0x8d: // BINUNICODE8
                let n = try length(try cursor.le(UInt64.self))
                push(.string(try string(try cursor.take(n))))
            case 0x54: // BINSTRING (py2 str): latin-1 / bytes; decode as UTF-8 when valid
                let n = try cursor.le(Int32.self)
                guard n >= 0 else { throw fail("BINSTRING with negative length") }
                push(py2String(try cursor.take(try length(UInt64(n)))))
            case 0x55: // SHORT_BINSTRING
                let n = Int(try cursor.u8())
                push(py2String(try cursor.take(n)))
            case 0x53: // STRING (text, quoted repr)
                let raw = try cursor.line()
                push(py2String(ArraySlice(try unquote(raw))))
            case 0x56: // UNICODE (text, raw-unicode-escape)
                push(.string(try rawUnicodeEscape(try cursor.line())))
            case 0x42: // BINBYTES
                let n = try length(UInt64(try cursor.le(UInt32.self)))
                push(.bytes(Array(try cursor.take(n))))
            case 0x43: // SHORT_BINBYTES
                let n = Int(try cursor.u8())
                push(.bytes(Array(try cursor.take(n))))
            case 0x8e, 0x96: // BINBYTES8, BYTEARRAY8
                let n = try length(try cursor.le(UInt64.self))
                push(.bytes(Array(try cursor.take(n))))
            case 0x7d: stack.append(Node(.dict(Box()))) // EMPTY_DICT
            case 0x5d: stack.append(Node(.list(Box()))) // EMPTY_LIST
            case 0x29: stack.append(Node(.tuple([]))) // EMPTY_TUPLE
            case 0x8f: stack.append(Node(.set(Box()))) // EMPTY_SET
            case 0x64: // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("DICT with an odd number of items") }
                stack.append(Node(.dict(Box(pairs: stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }))))
            case 0x6c: stack.append(Node(.list(Box(nodes: try popMark())))) // LIST
            case 0x74: stack.append(Node(.tuple(try popMark()))) // TUPLE
            case 0x91: stack.append(Node(.set(Box(nodes: try popMark())))) // FROZENSET
            case 0x85: // TUPLE1
                let a = try pop()
                stack.append(Node(.tuple([a])))
            case 0x86: // TUPLE2
                let b = try pop(), a = try pop()
                stack.append(Node(.tuple([a, b])))
            case 0x87: // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(Node(.tuple([a, b, c])))
            case 0x61: // APPEND
                let v = try pop()
                try appendItems(try top(), [v])
            case 0x65: // APPENDS
                let items = try popMark()
                try appendItems(try top(), items)
            case 0x73: // SETITEM
                let v = try pop(), k = try pop()
                try setItems(try top(), [(k, v)])
            case 0x75: // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
                try setItems(try top(), stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
            case 0x90: // ADDITEMS
                let items = try popMark()
                try addItems(try top(), items)
            case 0x71: try memoPut(Int(try cursor.u8())) // BINPUT
            case 0x72: try memoPut(Int(try cursor.le(UInt32.self))) // LONG_BINPUT
            case 0x94: try memoPut(memo.count) // MEMOIZE
            case 0x70: // PUT (text)
                guard let i = Int(String(decoding: try cursor.line(), as: UTF8.self)) else { throw fail("PUT with a malformed index") }
                try memoPut(i)
            case 0x68: try memoGet(Int(try cursor.u8())) // BINGET
            case 0x6a: try memoGet(Int(try cursor.le(UInt32.self))) // LONG_BINGET
            case 0x67: // GET (text)
                guard let i = Int(String(decoding: try cursor.line(), as: UTF8.self)) else { throw fail("GET with a malformed index") }
                try memoGet(i)
            case 0x63: // GLOBAL "module\nname\n"
                let m = try string(try cursor.line())
                let n = try string(try cursor.line())
                stack.append(Node(.global(m, n)))
            case 0x93: // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard case let .leaf(.string(ns)) = n.kind, case let .leaf(.string(ms)) = m.kind else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                stack.append(Node(.global(ms, ns)))
            case 0x52: // REDUCE
                let args = try pop(), callee = try pop()
                guard case let .tuple(a) = args.kind else { throw fail("REDUCE arguments are not a tuple") }
                stack.append(Node(.object(ObjectBox(callee: callee, args: a))))
            case 0x81: // NEWOBJ
                let args = try pop(), cls = try pop()
                guard case let .tuple(a) = args.kind else { throw fail("NEWOBJ arguments are not a tuple") }
                stack.append(Node(.object(ObjectBox(callee: cls, args: a))))
            case 0x92: // NEWOBJ_EX
                let kw = try pop(), args = try pop(), cls = try pop()
                guard case let .tuple(a) = args.kind, case let .dict(k) = kw.kind else { throw fail("NEWOBJ_EX arguments are malformed") }
                stack.append(Node(.object(ObjectBox(callee: cls, args: a, kwargs: k.pairs))))
            case 0x62: // BUILD
                let state = try pop()
                let target = try top()
                guard case let .object(o) = target.kind else {
                    throw fail("BUILD applied to something that is not an object")
                }
                guard o.state == nil else { throw fail("BUILD applied twice to one object") }
                o.state = state
            case 0x51: // BINPERSID
                let pid = try pop()
                stack.append(Node(.persid(pid)))
            case 0x50: // PERSID (text)
                let s = try string(try cursor.line())
                stack.append(Node(.persid(Node(.leaf(.string(s))))))
            default:
                throw ModelIOError.unknownOpcode(byte: op, offset: opOffset)
            }
        }
    }

    /// Decodes Python's raw-unicode-escape: latin-1 bytes with `\uXXXX` and `\UXXXXXXXX` escapes.
    func rawUnicodeEscape(_ raw: ArraySlice<UInt8>) throws -> String {
        let b = Array(raw)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            if b[i] == 0x5c, i + 1 < b.count, b[i + 1] == 0x75 || b[i + 1] == 0x55 {
                let n = b[i + 1] == 0x75 ? 4 : 8
                guard i + 2 + n <= b.count, let v = UInt32(String(decoding: b[(i + 2)..<(i + 2 + n)], as: UTF8.self), radix: 16),
                      let u = Unicode.Scalar(v) else {
                    throw fail("UNICODE has a malformed escape")
                }
                out.append(u)
                i += 2 + n
            } else {
                out.append(Unicode.Scalar(b[i]))
                i += 1
            }
        }
        return String(out)
    }

    func py2String(_ b: ArraySlice<UInt8>) -> PickleValue {
        if let s = String(validating: b, as: UTF8.self) { return .string(s) }
        return .bytes(Array(b))
    }

    /// Unquotes a protocol-0 STRING argument ('...' or "..." with simple escapes).
    func unquote(_ raw: ArraySlice<UInt8>) throws -> [UInt8] {
        let b = Array(raw)
        guard b.count >= 2, let q = b.first, q == 0x27 || q == 0x22, b.last == q else {
            throw fail("STRING argument is not quoted")
        }
        var out: [UInt8] = []
        var i = 1
        while i < b.count - 1 {
            let c = b[i]
            if c != 0x5c { out.append(c); i += 1; continue }
            guard i + 1 < b.count - 1 else { throw fail("STRING ends inside an escape") }
            let e = b[i + 1]
            i += 2
            switch e {
            case 0x6e: out.append(0x0a)
            case 0x74: out.append(0x09)
            case 0x72: out.append(0x0d)
            case 0x5c, 0x27, 0x22: out.append(e)
            case 0x78:
                guard i + 2 <= b.count - 1, let v = UInt8(String(decoding: b[i..<(i + 2)], as: UTF8.self), radix: 16) else {
                    throw fail("STRING has a malformed \\x escape")
                }
                out.append(v)
                i += 2
            default: throw fail("STRING uses an unsupported escape")
            }
        }
        return out
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
