// Every table `collector markdown` prints and `collector tex` writes, by file
// name, in one list: the collector and the dashboard (/api/results) both read
// it, so they show the same numbers. Also each table as CSV.
import Foundation

/// A table with its file name (without extension: `SE`, `SE_zoo`, `SE_{G}`, ...).
public struct NamedTable: Sendable {
    public var name: String
    public var table: Table
}

extension Reports {
    /// SE, SE_zoo, SE_other, SE_lw, fewshot, scs, then SE_{G} for each
    /// trained G. Without `all`, `SE_zoo` only with a finished cell and
    /// `SE_other`, `SE_lw` only with rows (the files `collector tex` writes);
    /// with `all`, every one (`collector markdown` names the empty ones).
    public func namedTables(all: Bool = false) throws -> [NamedTable] {
        var out = [NamedTable(name: "SE", table: try seTable())]
        let zoo = try zooSETable()
        if all || !zoo.isEmpty { out.append(NamedTable(name: "SE_zoo", table: zoo)) }
        let other = try otherSETable()
        if all || !other.rows.isEmpty { out.append(NamedTable(name: "SE_other", table: other)) }
        let lw = try layerWeightTable()
        if all || !lw.rows.isEmpty { out.append(NamedTable(name: "SE_lw", table: lw)) }
        out.append(NamedTable(name: "fewshot", table: try fewshotTable()))
        out.append(NamedTable(name: "scs", table: try scsTable()))
        for g in try trainedGs() { out.append(NamedTable(name: "SE_\(g)", table: try classTable(G: g))) }
        return out
    }
}

extension Table {
    /// Header cells as Markdown shows them (group label in front).
    public var columnNames: [String] { flatHeader }

    /// The table as CSV: the flat header, then the rows; a missing cell is empty.
    public func csv() -> String {
        func q(_ x: String) -> String {
            x.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + x.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : x
        }
        var s = flatHeader.map(q).joined(separator: ",") + "\n"
        for r in rows { s += r.map { q($0 ?? "") }.joined(separator: ",") + "\n" }
        return s
    }
}
