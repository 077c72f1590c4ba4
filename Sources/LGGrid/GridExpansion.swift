// Expanding a grid file (with a preset and --set overrides) into job rows.
import Foundation
import LGStore
import LGJobKinds

public enum GridError: Error, CustomStringConvertible {
    case unknownGrid(String, available: [String])
    case unreadable(String, String)
    case unknownPreset(String, grid: String, available: [String])
    case unknownKey(String, grid: String, axes: [String], fixed: [String])
    case unknownValue(String, axis: String, grid: String, valid: [String])
    case badSet(String)
    case unknownKind(String, grid: String, allowed: [String])
    case unmatchedNeeds(grid: String, needs: String, match: String)
    /// A job of the grid does not fit its kind's table (LGJobKinds).
    case invalidParameters(file: String, ParameterError)

    public var description: String {
        switch self {
        case .unknownGrid(let g, let a):
            return "unknown grid '\(g)'; available: \(a.joined(separator: ", "))"
        case .unreadable(let p, let why):
            return "cannot read grid file \(p): \(why)"
        case .unknownPreset(let p, let g, let a):
            return "grid \(g) has no preset '\(p)'; available: \(a.joined(separator: ", "))"
        case .unknownKey(let k, let g, let axes, let fixed):
            return "grid \(g) has no axis or parameter '\(k)'; axes: \(axes.joined(separator: ", ")); parameters: \(fixed.joined(separator: ", "))"
        case .unknownValue(let v, let a, let g, let valid):
            return "axis \(a) of grid \(g) has no value '\(v)'; valid: \(valid.joined(separator: ", "))"
        case .badSet(let s):
            return "--set expects key=value (got '\(s)')"
        case .unknownKind(let k, let g, let allowed):
            return "grid \(g) names job kind '\(k)'; allowed kinds: \(allowed.joined(separator: ", "))"
        case .unmatchedNeeds(let g, let n, let m):
            return "grid \(g): no job of grid \(n) matches \(m)"
        case .invalidParameters(let file, let e):
            return "grid file \(file): \(e)"
        }
    }
}

/// Loads grid files from a directory (default `jobs/`).
public struct GridLibrary {
    public let directory: String
    public init(directory: String = "jobs") { self.directory = directory }

    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func load(_ name: String) throws -> GridFile {
        let path = (directory as NSString).appendingPathComponent(name + ".json")
        guard FileManager.default.fileExists(atPath: path) else {
            throw GridError.unknownGrid(name, available: names())
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw GridError.unreadable(path, error.localizedDescription)
        }
        do {
            let g = try JSONDecoder().decode(GridFile.self, from: data)
            for b in g.resolvedBlocks {
                let k = b.kind ?? ""
                if JobKind(rawValue: k).map({ !JobKind.allowed.contains($0) }) ?? true {
                    throw GridError.unknownKind(k, grid: name, allowed: JobKind.allowed.map(\.rawValue))
                }
            }
            return g
        } catch let e as GridError { throw e
        } catch { throw GridError.unreadable(path, JSONErrorText.describe(error, in: data)) }
    }

    /// Expands grid `name` into jobs, including the jobs of other grids that
    /// its jobs need (those come first).
    public func expand(_ name: String, preset: String? = nil, sets: [String] = []) throws -> [NewJob] {
        var out: [NewJob] = []
        var seen = Set<String>()
        try expand(name, preset: preset, sets: sets, restrictAxes: true, into: &out, seen: &seen)
        return out
    }

    func expand(_ name: String, preset: String?, sets: [String], restrictAxes: Bool,
                into out: inout [NewJob], seen: inout Set<String>) throws {
        let g = try load(name)
        var presetName = preset ?? g.defaultPreset
        if let p = presetName, g.presets?[p] == nil {
            if preset != nil && restrictAxes {
                throw GridError.unknownPreset(p, grid: name, available: (g.presets ?? [:]).keys.sorted())
            }
            presetName = g.defaultPreset
        }
        let p = presetName.flatMap { g.presets?[$0] }
        var blocks = g.resolvedBlocks
        // Preset fixed overrides and axis restrictions.
        for i in blocks.indices {
            for (k, v) in p?.fixed ?? [:] { blocks[i].fixed?[k] = v }
            if restrictAxes, let restrict = p?.axes {
                for (axis, keep) in restrict {
                    let labels = Set(keep.map(\.description))
                    for a in (blocks[i].axes ?? []).indices where blocks[i].axes![a].name == axis {
                        let ax = blocks[i].axes![a]
                        blocks[i].axes![a].values = ax.values.filter { labels.contains(ax.label(of: $0)) }
                    }
                }
            }
        }
        // --set overrides.
        let allAxes = Set(blocks.flatMap { ($0.axes ?? []).map(\.name) })
        let allFixed = Set(blocks.flatMap { ($0.fixed ?? [:]).keys })
        for s in sets {
            guard let eq = s.firstIndex(of: "=") else { throw GridError.badSet(s) }
            let key = String(s[..<eq]), value = String(s[s.index(after: eq)...])
            // Blocks whose job kind takes `key` although the grid does not name it.
            let takers = blocks.indices.filter { Self.table(blocks[$0])?.parameter(key)?.addable == true }
            if allAxes.contains(key) {
                let wanted = value.split(separator: ",").map(String.init)
                for i in blocks.indices {
                    for a in (blocks[i].axes ?? []).indices where blocks[i].axes![a].name == key {
                        let ax = blocks[i].axes![a]
                        let valid = ax.values.map { ax.label(of: $0) }
                        for w in wanted where !valid.contains(w) {
                            throw GridError.unknownValue(w, axis: key, grid: name, valid: valid)
                        }
                        blocks[i].axes![a].values = ax.values.filter { wanted.contains(ax.label(of: $0)) }
                    }
                }
            } else if allFixed.contains(key) {
                for i in blocks.indices where blocks[i].fixed?[key] != nil { blocks[i].fixed![key] = JSONValue.parse(value) }
            } else if !takers.isEmpty {
                for i in takers { blocks[i].fixed = (blocks[i].fixed ?? [:]).merging([key: JSONValue.parse(value)]) { $1 } }
            } else if !restrictAxes && Self.inheritedByNeeds.contains(key) {
                continue  // an inherited choice this needed grid's kinds do not take
            } else {
                throw GridError.unknownKey(key, grid: name, axes: allAxes.sorted(), fixed: allFixed.sorted())
            }
        }
        // Cartesian products.
        for b in blocks {
            var combos: [[String: JSONValue]] = [b.fixed ?? [:]]
            for axis in b.axes ?? [] {
                var next: [[String: JSONValue]] = []
                for c in combos {
                    for v in axis.values {
                        var m = c
                        for (k, x) in axis.params(of: v) { m[k] = x }
                        next.append(m)
                    }
                }
                combos = next
            }
            var needed: [NewJob] = []
            if let n = b.needs {
                var sub: [NewJob] = []
                var subSeen = Set<String>()
                // The needed jobs label as the needing ones do (a `predictor`
                // set on scs jobs reaches the train_fewshot jobs they use).
                let inherited = sets.filter { Self.inheritedByNeeds.contains(String($0.prefix { $0 != "=" })) }
                try expand(n.grid, preset: presetName, sets: inherited, restrictAxes: false, into: &sub, seen: &subSeen)
                needed = sub.filter { $0.grid == n.grid }
            }
            for params in combos {
                // Every job fits its kind's table (names, types, allowed values).
                if let table = Self.table(b) {
                    do { _ = try table.validate(json: params) } catch let e as ParameterError {
                        throw GridError.invalidParameters(file: path(of: name), e)
                    }
                }
                var needs: [String] = []
                if let n = b.needs {
                    let want = n.match.mapValues { substitute($0, params) }
                    let hits = needed.filter { j in want.allSatisfy { j.params[$0.key]?.description == $0.value.description } }
                    guard !hits.isEmpty else {
                        throw GridError.unmatchedNeeds(grid: name, needs: n.grid, match: JSONValue.canonical(.object(want)))
                    }
                    for h in hits where !seen.contains(h.key) { seen.insert(h.key); out.append(h) }
                    needs = hits.map(\.key)
                }
                let job = NewJob(grid: name, kind: b.kind ?? "", params: params,
                                 priority: g.priority ?? 0, maxAttempts: g.maxAttempts ?? 3, needs: needs)
                if !seen.contains(job.key) { seen.insert(job.key); out.append(job) }
            }
        }
    }

    /// The grid file of grid `name`.
    func path(of name: String) -> String { (directory as NSString).appendingPathComponent(name + ".json") }

    static func table(_ b: GridBlock) -> KindTable? { b.kind.flatMap(JobKind.init(rawValue:))?.table }

    /// Addable parameters that a grid's `needs` inherit (`predictor`).
    static let inheritedByNeeds = Set(JobKind.allCases.flatMap { $0.table.inheritedByNeeds })

    func substitute(_ v: JSONValue, _ params: [String: JSONValue]) -> JSONValue {
        guard case .string(let s) = v, s.hasPrefix("{"), s.hasSuffix("}") else { return v }
        return params[String(s.dropFirst().dropLast())] ?? v
    }
}
