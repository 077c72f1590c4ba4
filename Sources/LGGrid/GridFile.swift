// Grid files (jobs/NAME.json): a declarative description of a family of
// jobs — fixed parameters, axes whose Cartesian product gives the jobs,
// presets, and optional dependencies on jobs of another grid.
import Foundation
import LGStore

/// One axis. A value is either a scalar (assigned to the axis name) or an
/// object of several parameters that vary together (it must contain the
/// axis name, e.g. {"G": "stylegan2_ffhq", "n_init": 100}).
public struct GridAxis: Codable, Sendable {
    public var name: String
    public var values: [JSONValue]

    /// The parameters contributed by one value.
    func params(of v: JSONValue) -> [String: JSONValue] {
        if case .object(let o) = v { return o }
        return [name: v]
    }
    /// The value's label (what `--set AXIS=...` matches).
    func label(of v: JSONValue) -> String {
        if case .object(let o) = v { return o[name]?.description ?? JSONValue.canonical(v) }
        return v.description
    }
}

/// A dependency: each job of the block needs the jobs of `grid` whose
/// parameters match `match`; "{NAME}" in a value is replaced by this job's
/// parameter NAME.
public struct GridNeeds: Codable, Sendable {
    public var grid: String
    public var match: [String: JSONValue]
}

public struct GridBlock: Codable, Sendable {
    public var kind: String?
    public var fixed: [String: JSONValue]?
    public var axes: [GridAxis]?
    public var needs: GridNeeds?
}

public struct GridPreset: Codable, Sendable {
    public var description: String?
    /// Overrides of fixed parameters (every block).
    public var fixed: [String: JSONValue]?
    /// Axis restrictions: axis name -> the labels to keep.
    public var axes: [String: [JSONValue]]?
}

/// The decoded file.
public struct GridFile: Codable, Sendable {
    public var grid: String
    public var description: String?
    public var kind: String?
    public var fixed: [String: JSONValue]?
    public var axes: [GridAxis]?
    public var needs: GridNeeds?
    public var blocks: [GridBlock]?
    public var presets: [String: GridPreset]?
    public var defaultPreset: String?
    public var priority: Int?
    public var maxAttempts: Int?

    enum CodingKeys: String, CodingKey {
        case grid, description, kind, fixed, axes, needs, blocks, presets, priority
        case defaultPreset = "default_preset", maxAttempts = "max_attempts"
    }

    /// The blocks with the top-level kind and fixed parameters merged in.
    var resolvedBlocks: [GridBlock] {
        var out: [GridBlock] = []
        if axes != nil || blocks == nil {
            out.append(GridBlock(kind: kind, fixed: fixed, axes: axes ?? [], needs: needs))
        }
        for b in blocks ?? [] {
            var f = fixed ?? [:]
            for (k, v) in b.fixed ?? [:] { f[k] = v }
            out.append(GridBlock(kind: b.kind ?? kind, fixed: f, axes: b.axes ?? [], needs: b.needs ?? needs))
        }
        return out
    }
}
