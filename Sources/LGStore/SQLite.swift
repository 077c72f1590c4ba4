// A minimal SQLite binding: one connection, prepared statements with a cache,
// typed errors carrying the SQLite result code. Used only by JobStore.
import CSQLite
import Foundation

/// A value bound to or read from a statement.
public enum SQLValue: Equatable, Sendable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    public var int: Int? {
        switch self { case .int(let v): return Int(v); case .double(let d): return Int(d); default: return nil }
    }
    public var double: Double? {
        switch self { case .int(let v): return Double(v); case .double(let d): return d; default: return nil }
    }
    public var text: String? {
        switch self { case .text(let s): return s; case .int(let v): return String(v); case .double(let d): return String(d); case .null: return nil }
    }
}

/// An SQLite failure. `code` is the primary result code (SQLITE_BUSY = 5,
/// SQLITE_CONSTRAINT = 19, ...), so callers can match on it.
public struct SQLiteError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?

    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }

    public var description: String {
        if isBusy {
            return "the queue database stayed busy past the wait limit (another process held a write lock); retry, or check for a stuck coordinator process"
        }
        return "SQLite error \(code): \(message)" + (sql.map { " in: \($0)" } ?? "")
    }
}

/// A row read from a statement: values by column index, names shared.
public struct Row {
    public let values: [SQLValue]
    let names: [String]
    public subscript(_ i: Int) -> SQLValue { values[i] }
    public subscript(_ name: String) -> SQLValue {
        guard let i = names.firstIndex(of: name) else { return .null }
        return values[i]
    }
}

/// One open SQLite connection. Not thread-safe: JobStore serialises access.
public final class Database {
    let handle: OpaquePointer
    private var cache: [String: OpaquePointer] = [:]

    /// Opens (creating if needed) the file at `path`. `busyTimeoutMs` is how
    /// long a write waits for another process's lock before failing.
    public init(path: String, busyTimeoutMs: Int32 = 30_000) throws {
        var h: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &h, flags, nil)
        guard rc == SQLITE_OK, let h else {
            let msg = h.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let h { sqlite3_close_v2(h) }
            throw SQLiteError(code: rc, message: "\(msg) (\(path))", sql: nil)
        }
        handle = h
        sqlite3_extended_result_codes(h, 1)
        sqlite3_busy_timeout(h, busyTimeoutMs)
    }

    deinit {
        for (_, s) in cache { sqlite3_finalize(s) }
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, _ sql: String?) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql) }
    }

    /// Runs `sql` with `args` bound, returning every row.
    @discardableResult
    public func query(_ sql: String, _ args: [SQLValue] = []) throws -> [Row] {
        let stmt = try statement(sql)
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        try bind(stmt, args, sql)
        let n = sqlite3_column_count(stmt)
        var names: [String] = []
        for i in 0..<n { names.append(String(cString: sqlite3_column_name(stmt, i))) }
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(n))
            for i in 0..<n {
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_INTEGER: values.append(.int(sqlite3_column_int64(stmt, i)))
                case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(stmt, i)))
                case SQLITE_NULL: values.append(.null)
                default:
                    if let p = sqlite3_column_text(stmt, i) {
                        values.append(.text(String(cString: p)))
                    } else { values.append(.null) }
                }
            }
            rows.append(Row(values: values, names: names))
        }
        return rows
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE: the write lock is taken
    /// up front, so a waiting writer waits politely instead of deadlocking).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try execute("COMMIT")
            return r
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let s = cache[sql] { return s }
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
        guard rc == SQLITE_OK, let s else { throw error(rc, sql) }
        cache[sql] = s
        return s
    }

    private func bind(_ s: OpaquePointer, _ args: [SQLValue], _ sql: String) throws {
        for (i, v) in args.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(s, idx)
            case .int(let x): rc = sqlite3_bind_int64(s, idx, x)
            case .double(let x): rc = sqlite3_bind_double(s, idx, x)
            case .text(let x): rc = sqlite3_bind_text(s, idx, x, -1, csqlite_transient())
            }
            guard rc == SQLITE_OK else { throw error(rc, sql) }
        }
    }
}
