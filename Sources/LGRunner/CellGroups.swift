// Fused cells on the worker's side: which claimed jobs share one process.
import Foundation
import LGWire
import LGJobKinds

public enum CellGroups {
    /// A claimed job's cell (its kind's table's `cellKey`); nil: it runs alone.
    public static func key(_ j: ClaimedJob) -> String? {
        JobKind(rawValue: j.kind)?.table.cellKey(json: j.params)
    }

    /// `jobs` in groups of at most `size` jobs with the same cell key, in
    /// the order of each group's first job; a job without a key is a group
    /// of its own. Every job is in exactly one group.
    public static func group(_ jobs: [ClaimedJob], size: Int, key: (ClaimedJob) -> String? = key) -> [[ClaimedJob]] {
        var groups: [[ClaimedJob]] = []
        var open: [String: Int] = [:]
        for j in jobs {
            if size > 1, let k = key(j), let g = open[k], groups[g].count < size {
                groups[g].append(j)
                continue
            }
            groups.append([j])
            if size > 1, let k = key(j) { open[k] = groups.count - 1 }
        }
        return groups
    }
}
