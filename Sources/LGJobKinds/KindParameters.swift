import Foundation
import Synchronization

/// A job's validated parameters, read by its executor through typed
/// accessors. Every accessor checks that the table declares the name with
/// that type (else `ParameterError.undeclared`: the table and the executor
/// disagree), falls back to the table's default, and records the read so
/// that a test can find declared parameters no executor reads.
public final class KindParameters: Sendable, Equatable {
    public let table: KindTable
    /// The job's own values with its preset's defaults under them (not the table's defaults).
    public let values: [String: String]
    private let reads = Mutex<Set<String>>([])

    init(table: KindTable, values: [String: String]) {
        self.table = table; self.values = values
    }

    public var kind: JobKind { table.kind }

    /// The same kind and values (which parameters were read does not count).
    public static func == (a: KindParameters, b: KindParameters) -> Bool { a.kind == b.kind && a.values == b.values }
    public subscript(_ name: String) -> String? { values[name] }

    /// Every parameter the job's executor reads (worker-read ones and
    /// `preset` excluded) with its value: the job's own, else the table's
    /// default; absent where neither gives one. What a job records with
    /// its results and checkpoints (`TrainOptions.record` and the others
    /// start from it), so a parameter added to a table is recorded without
    /// further code. Does not count as a read.
    public var resolved: [String: String] {
        var out: [String: String] = [:]
        for p in table.parameters where p.reader == .job && p.name != "preset" {
            if let v = values[p.name] ?? p.defaultValue { out[p.name] = v }
        }
        return out
    }

    /// `_{tag}{value}` for each parameter with an `outputTag` whose value
    /// differs from its default, in table order (empty when none does): what
    /// a job appends to its output name so that a run departing from the
    /// reference in such a parameter never overwrites a reference run.
    public var outputSuffix: String {
        var out = ""
        for p in table.parameters {
            guard let tag = p.outputTag, let v = values[p.name] else { continue }
            let value = p.type.canonical(v)
            if let d = p.defaultValue, p.type.canonical(d) == value { continue }
            out += "_\(tag)\(value)"
        }
        return out
    }

    /// Declared parameters the executor has not read (worker-read ones excluded).
    public var unread: [String] {
        let r = reads.withLock { $0 }
        return table.parameters.filter { $0.reader == .job && !r.contains($0.name) }.map(\.name).sorted()
    }

    private func raw(_ name: String, _ asked: String, _ fits: (ParameterType) -> Bool) throws -> String? {
        guard let spec = table.parameter(name), fits(spec.type) else {
            throw ParameterError.undeclared(kind: kind.rawValue, name: name, asked: asked)
        }
        reads.withLock { _ = $0.insert(name) }
        return values[name] ?? spec.defaultValue
    }

    private func need(_ name: String, _ v: String?) throws -> String {
        guard let v else { throw ParameterError.missing(kind: kind.rawValue, name: name) }
        return v
    }

    private func parsed<T>(_ name: String, _ text: String, _ parse: (String) -> T?) throws -> T {
        guard let v = parse(text) else {
            throw ParameterError.invalid(kind: kind.rawValue, name: name, value: text,
                                         expected: table.parameter(name)?.type.expected ?? "?")
        }
        return v
    }

    // MARK: text

    public func optionalText(_ name: String) throws -> String? {
        try raw(name, "text") {
            switch $0 { case .text, .pattern, .choice: return true; default: return false }
        }
    }
    public func text(_ name: String) throws -> String { try need(name, optionalText(name)) }

    /// A `.choice` parameter as an enum with those raw values.
    public func optionalChoice<T: RawRepresentable>(_ name: String, as _: T.Type) throws -> T? where T.RawValue == String {
        guard let s = try raw(name, "a choice", { if case .choice = $0 { return true }; return false }) else { return nil }
        return try parsed(name, s) { T(rawValue: $0) }
    }
    public func choice<T: RawRepresentable>(_ name: String, as t: T.Type) throws -> T where T.RawValue == String {
        guard let v = try optionalChoice(name, as: t) else { throw ParameterError.missing(kind: kind.rawValue, name: name) }
        return v
    }

    // MARK: numbers

    public func optionalInt(_ name: String) throws -> Int? {
        guard let s = try raw(name, "an int", { if case .int = $0 { return true }; return false }) else { return nil }
        return try parsed(name, s) { Int($0) }
    }
    public func int(_ name: String) throws -> Int {
        guard let v = try optionalInt(name) else { throw ParameterError.missing(kind: kind.rawValue, name: name) }
        return v
    }

    public func optionalSeed(_ name: String) throws -> UInt64? {
        guard let s = try raw(name, "a seed", { $0 == .seed }) else { return nil }
        return try parsed(name, s) { UInt64($0) }
    }
    public func seed(_ name: String) throws -> UInt64 {
        guard let v = try optionalSeed(name) else { throw ParameterError.missing(kind: kind.rawValue, name: name) }
        return v
    }

    public func optionalNumber(_ name: String) throws -> Double? {
        guard let s = try raw(name, "a number", { $0 == .number || $0 == .positive || $0 == .nonNegative }) else { return nil }
        return try parsed(name, s) { Double($0) }
    }
    public func number(_ name: String) throws -> Double {
        guard let v = try optionalNumber(name) else { throw ParameterError.missing(kind: kind.rawValue, name: name) }
        return v
    }

    public func optionalFlag(_ name: String) throws -> Bool? {
        guard let s = try raw(name, "a flag", { $0 == .flag }) else { return nil }
        return try parsed(name, s) { ParameterType.flagValue($0) }
    }
    public func flag(_ name: String) throws -> Bool {
        guard let v = try optionalFlag(name) else { throw ParameterError.missing(kind: kind.rawValue, name: name) }
        return v
    }

    public func optionalInts(_ name: String) throws -> [Int]? {
        guard let s = try raw(name, "an int list", { $0 == .intList }) else { return nil }
        return try parsed(name, s) { t in
            let parts = t.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            return parts.allSatisfy { $0 != nil } ? parts.map { $0! } : nil
        }
    }
}
