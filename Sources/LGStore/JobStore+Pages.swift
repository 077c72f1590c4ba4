// Paged job listings, state history and single-job actions with reasons:
// what the dashboard (LGDashboard) reads and does. The page query filters
// on indexed columns (state, grid, kind) and pages with LIMIT/OFFSET.
import Foundation

/// A page request over the jobs table. Sort keys are a fixed list (never
/// SQL from the caller).
public struct JobPageQuery: Sendable, Equatable {
    public enum Sort: String, CaseIterable, Sendable {
        case id, grid, kind, state, attempt, worker, progress, rate, eta, heartbeat, priority
        var column: String {
            switch self {
            case .id: return "id"
            case .grid: return "grid"
            case .kind: return "kind"
            case .state: return "state"
            case .attempt: return "attempt"
            case .worker: return "lease_owner"
            case .progress: return "progress"
            case .rate: return "rate"
            case .eta: return "eta_seconds"
            case .heartbeat: return "heartbeat_at"
            case .priority: return "priority"
            }
        }
    }
    public var grid: String?
    public var state: JobState?
    public var kind: String?
    public var sort: Sort = .id
    public var descending = false
    public var offset = 0
    public var limit = 50

    public static let maxLimit = 1000

    public init(grid: String? = nil, state: JobState? = nil, kind: String? = nil, sort: Sort = .id,
                descending: Bool = false, offset: Int = 0, limit: Int = 50) {
        self.grid = grid; self.state = state; self.kind = kind; self.sort = sort
        self.descending = descending; self.offset = offset; self.limit = limit
    }

    func whereClause() -> (String, [SQLValue]) {
        var conds: [String] = [], args: [SQLValue] = []
        if let state { conds.append("state = ?"); args.append(.text(state.rawValue)) }
        if let grid { conds.append("grid = ?"); args.append(.text(grid)) }
        if let kind { conds.append("kind = ?"); args.append(.text(kind)) }
        return (conds.isEmpty ? "" : " WHERE " + conds.joined(separator: " AND "), args)
    }

    /// The page's SELECT (rows plus each row's mIoU metric) and its arguments.
    func pageSQL() -> (String, [SQLValue]) {
        let (w, args) = whereClause()
        let dir = descending ? "DESC" : "ASC"
        let order = sort == .id ? "id \(dir)" : "\(sort.column) \(dir), id \(dir)"
        let sql = "SELECT \(JobRecord.columns), (SELECT value FROM metrics m WHERE m.job_id = jobs.id AND m.key = 'mIoU') FROM jobs\(w) ORDER BY \(order) LIMIT ? OFFSET ?"
        return (sql, args + [.int(Int64(max(0, min(limit, Self.maxLimit)))), .int(Int64(max(0, offset)))])
    }
}

/// One page of jobs and how many match the filter in all.
public struct JobPage: Sendable {
    public var total: Int
    public var jobs: [JobRecord]
    /// Each row's `mIoU` metric, where it has one (by job id).
    public var mIoU: [Int: Double]
}

/// A change of a job's state (table job_events, written by triggers).
public struct JobEvent: Codable, Sendable, Equatable {
    public var at: Double
    public var from: JobState?
    public var to: JobState
    public var attempt: Int
    public var worker: String?
    public var error: String?
}

/// Why a single-job action changed nothing (the dashboard answers 404 / 409).
public enum JobActionError: Error, CustomStringConvertible, Equatable {
    case noSuchJob(Int)
    case refused(String)
    public var description: String {
        switch self {
        case .noSuchJob(let id): return "no job with id \(id)"
        case .refused(let why): return why
        }
    }
}

extension JobStore {
    /// One page of jobs matching `q`, with the total count.
    public func jobPage(_ q: JobPageQuery) throws -> JobPage {
        try locked {
            let (w, args) = q.whereClause()
            let total = try db.query("SELECT COUNT(*) FROM jobs\(w)", args).first?[0].int ?? 0
            let (sql, pargs) = q.pageSQL()
            var miou: [Int: Double] = [:]
            let jobs = try db.query(sql, pargs).map { r -> JobRecord in
                let j = JobRecord(row: r)
                if let v = r[21].double { miou[j.id] = v }
                return j
            }
            return JobPage(total: total, jobs: jobs, mIoU: miou)
        }
    }

    /// SQLite's plan for the page query of `q` (`EXPLAIN QUERY PLAN`, the
    /// detail column of each step): to check that it pages through an index.
    public func explainJobPage(_ q: JobPageQuery) throws -> [String] {
        try locked {
            let (sql, args) = q.pageSQL()
            return try db.query("EXPLAIN QUERY PLAN " + sql, args).map { $0[3].text ?? "" }
        }
    }

    /// The job's state changes, oldest first.
    public func events(jobID: Int) throws -> [JobEvent] {
        try locked {
            try db.query("SELECT at, from_state, to_state, attempt, worker, error FROM job_events WHERE job_id = ? ORDER BY id",
                         [.int(Int64(jobID))]).map { r in
                JobEvent(at: r[0].double ?? 0, from: r[1].text.flatMap(JobState.init(rawValue:)),
                         to: JobState(rawValue: r[2].text ?? "") ?? .queued, attempt: r[3].int ?? 0,
                         worker: r[4].text, error: r[5].text)
            }
        }
    }

    /// Distinct grids and kinds (for filter menus), in name order.
    public func gridsAndKinds() throws -> (grids: [String], kinds: [String]) {
        try locked {
            (try db.query("SELECT DISTINCT grid FROM jobs ORDER BY grid").compactMap { $0[0].text },
             try db.query("SELECT DISTINCT kind FROM jobs ORDER BY kind").compactMap { $0[0].text })
        }
    }

    /// `retry` of one job (failed or cancelled, as `coordinator retry
    /// --cancelled ID`), with the reason when it does not apply.
    public func retryJob(_ id: Int) throws {
        guard let j = try job(id: id) else { throw JobActionError.noSuchJob(id) }
        guard j.state == .failed || j.state == .cancelled else {
            throw JobActionError.refused("job \(id) is \(j.state.rawValue); only failed or cancelled jobs can be retried")
        }
        if try retry(ids: [id], includeCancelled: true) == 0 {
            throw JobActionError.refused("job \(id) changed state meanwhile; reload and try again")
        }
    }

    /// `cancel` of one job (queued or running, as `coordinator cancel ID`).
    public func cancelJob(_ id: Int) throws {
        guard let j = try job(id: id) else { throw JobActionError.noSuchJob(id) }
        guard !j.state.isTerminal else {
            throw JobActionError.refused("job \(id) is \(j.state.rawValue); only queued or running jobs can be cancelled")
        }
        if try cancel(ids: [id]) == 0 {
            throw JobActionError.refused("job \(id) changed state meanwhile; reload and try again")
        }
    }

    /// `prioritize` of one job (queued or running, as `coordinator
    /// prioritize --priority P ID`).
    public func prioritizeJob(_ id: Int, priority: Int) throws {
        guard let j = try job(id: id) else { throw JobActionError.noSuchJob(id) }
        guard !j.state.isTerminal else {
            throw JobActionError.refused("job \(id) is \(j.state.rawValue); only queued or running jobs can be prioritized")
        }
        if try setPriority(priority, ids: [id]) == 0 && j.priority != priority {
            throw JobActionError.refused("job \(id) changed state meanwhile; reload and try again")
        }
    }
}
