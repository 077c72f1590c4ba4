// The read side of the JSON API (docs/http-api.md): jobs (paged), one job,
// grids, results (the collector's tables and their CSV), workers, filters.
import Foundation
import Hummingbird
import LGStore
import LGReports

/// A row of the jobs table as the API gives it.
struct JobRow: Encodable {
    var id: Int, grid: String, kind: String, key: String, state: String
    var attempt: Int, maxAttempts: Int, priority: Int
    var worker: String?
    var progress: Double, rate: Double?, etaSeconds: Double?, heartbeatAt: Double?
    var mIoU: Double?
    var note: String?
    var lastError: String?

    init(_ j: JobRecord, mIoU: Double?, now: Double) {
        id = j.id; grid = j.grid; kind = j.kind; key = j.key; state = j.state.rawValue
        attempt = j.attempt; maxAttempts = j.maxAttempts; priority = j.priority
        worker = j.leaseOwner; progress = j.progress; rate = j.rate
        etaSeconds = j.state == .running ? j.secondsLeft(now: now) : nil
        heartbeatAt = j.heartbeatAt; self.mIoU = mIoU; note = j.note
        lastError = j.lastError.map { String($0.suffix(2000)) }
    }
}

struct JobDetail: Encodable {
    var job: JobRow
    var params: [String: JSONValue]
    var createdAt: Double, startedAt: Double?, finishedAt: Double?
    var leaseExpiresAt: Double?
    var lastError: String?
    var history: [JobEvent]
    var metrics: [String: Double]
    /// Metric rows named `NAME@STEP`, as curves: name -> [[step, value]] by step.
    var curves: [String: [[Double]]]
    var provenance: [String: String]
    var checkpoints: [Artifact]
    var waitingFor: [Int]
}

extension Dashboard {
    /// Metric keys `NAME@STEP` (e.g. `loss@200`) as curves, sorted by step.
    /// (The collector's curve figures read them the same way.)
    static func curves(_ metrics: [String: Double]) -> [String: [[Double]]] { Reports.curves(metrics) }

    func addAPIRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/api/jobs") { request, _ -> Response in
            let q = Query(request)
            var page = JobPageQuery()
            page.grid = q.string("grid"); page.kind = q.string("kind")
            page.state = try q.oneOf("state", JobState.self, allowed: JobState.allCases)
            page.sort = try q.oneOf("sort", JobPageQuery.Sort.self, allowed: JobPageQuery.Sort.allCases) ?? .id
            switch q.string("order") ?? "asc" {
            case "asc": page.descending = false
            case "desc": page.descending = true
            case let o: throw APIError(.badRequest, "query parameter order=\(o): expected asc or desc")
            }
            page.offset = try q.int("offset", default: 0, range: 0...Int(Int32.max))
            page.limit = try q.int("limit", default: 50, range: 1...JobPageQuery.maxLimit)
            let r = try self.store.jobPage(page)
            let now = self.store.clock.now()
            struct Out: Encodable { var total: Int; var offset: Int; var limit: Int; var now: Double; var jobs: [JobRow] }
            return HTTP.json(Out(total: r.total, offset: page.offset, limit: page.limit, now: now,
                                 jobs: r.jobs.map { JobRow($0, mIoU: r.mIoU[$0.id], now: now) }))
        }

        router.get("/api/jobs/:id") { _, context -> Response in
            let id = try Self.jobID(context)
            guard let j = try self.store.job(id: id) else { throw APIError(.notFound, "no job with id \(id)") }
            let metrics = try self.store.metrics(jobID: id)
            let now = self.store.clock.now()
            return HTTP.json(JobDetail(
                job: JobRow(j, mIoU: metrics["mIoU"], now: now), params: j.params,
                createdAt: j.createdAt, startedAt: j.startedAt, finishedAt: j.finishedAt, leaseExpiresAt: j.leaseExpiresAt,
                lastError: j.lastError, history: try self.store.events(jobID: id), metrics: metrics,
                curves: Self.curves(metrics), provenance: try self.store.provenance(jobID: id),
                checkpoints: try self.store.artifacts(jobID: id), waitingFor: try self.store.unmetDependencies(of: id)))
        }

        // The live tail of a job's log: lines with a sequence number above `after`.
        router.get("/api/jobs/:id/log") { request, context -> Response in
            let id = try Self.jobID(context)
            let q = Query(request)
            let after = try q.int("after", default: 0, range: 0...Int(Int64.max))
            let limit = try q.int("limit", default: 200, range: 1...JobStore.logLinesKept)
            guard try self.store.job(id: id) != nil else { throw APIError(.notFound, "no job with id \(id)") }
            struct Out: Encodable { var job: Int; var lines: [JobLogLine] }
            return HTTP.json(Out(job: id, lines: try self.store.logTail(jobID: id, after: after, limit: limit)))
        }

        // A job's named files (label_sheet.png), as its worker uploaded them.
        router.get("/api/jobs/:id/files/:name") { _, context -> Response in
            let id = try Self.jobID(context)
            let name = context.parameters.get("name") ?? ""
            guard let a = try self.store.artifacts(jobID: id).last(where: { $0.kind == name && $0.kind != "checkpoint" }) else {
                throw APIError(.notFound, "job \(id) has no file \(name)")
            }
            let root = (self.store.path as NSString).deletingLastPathComponent
            let path = a.path.hasPrefix("/") ? a.path : (root as NSString).appendingPathComponent(a.path)
            guard let d = FileManager.default.contents(atPath: path) else {
                throw APIError(.notFound, "job \(id)'s file \(name) is recorded but not on disk at \(path)")
            }
            let type = name.hasSuffix(".png") ? "image/png" : name.hasSuffix(".svg") ? "image/svg+xml" : "application/json"
            return HTTP.bytes(d, contentType: type, extra: [.cacheControl: "no-cache"])
        }

        router.get("/api/grids") { _, _ -> Response in
            struct G: Encodable { var grid: String; var counts: [String: Int]; var total: Int; var fractionDone: Double }
            let gs = try self.store.gridSummaries().map { g in
                G(grid: g.grid, counts: Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, g.count($0)) }),
                  total: g.total, fractionDone: g.fractionDone)
            }
            return HTTP.json(["grids": gs])
        }

        router.get("/api/filters") { _, _ -> Response in
            let (grids, kinds) = try self.store.gridsAndKinds()
            return HTTP.json(["grids": grids, "kinds": kinds, "states": JobState.allCases.map(\.rawValue)])
        }

        router.get("/api/results") { _, _ -> Response in
            struct T: Encodable {
                var name: String, title: String, columns: [String], rows: [[String?]], note: String?
                var empty: Bool, csv: String
            }
            let tables = try Reports(store: self.store).namedTables(all: true).map { n in
                T(name: n.name, title: n.table.title, columns: n.table.columnNames, rows: n.table.rows, note: n.table.note,
                  empty: n.table.isEmpty, csv: "/api/results/\(n.name).csv")
            }
            return HTTP.json(["tables": tables])
        }

        router.get("/api/results/:file") { _, context -> Response in
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".csv") else { throw APIError(.notFound, "results are served as NAME.csv") }
            let name = String(file.dropLast(4))
            guard let t = try Reports(store: self.store).namedTables(all: true).first(where: { $0.name == name }) else {
                throw APIError(.notFound, "no results table \(name)")
            }
            return HTTP.text(t.table.csv(), contentType: "text/csv; charset=utf-8",
                             extra: [.contentDisposition: "attachment; filename=\"\(name).csv\""])
        }

        // The collector's figures (`collector plots`): the list, then each as SVG.
        router.get("/api/plots") { _, _ -> Response in
            struct P: Encodable { var name: String, title: String, kind: String, url: String, png: String }
            struct Out: Encodable { var plots: [P]; var notes: [String]; var message: String? }
            let set = try Reports(store: self.store).plots()
            return HTTP.json(Out(plots: set.plots.map { P(name: $0.name, title: $0.title, kind: $0.kind, url: "/plots/\($0.name).svg", png: "/plots/\($0.name).png") },
                                 notes: set.notes, message: set.plots.isEmpty ? PlotSet.emptyMessage : nil))
        }

        router.get("/plots/:file") { _, context -> Response in
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".svg") || file.hasSuffix(".png") else { throw APIError(.notFound, "figures are served as NAME.svg or NAME.png") }
            let name = String(file.dropLast(4))
            guard let p = try Reports(store: self.store).plots().plots.first(where: { $0.name == name }) else {
                throw APIError(.notFound, "no figure \(name) (GET /api/plots lists them)")
            }
            if file.hasSuffix(".png") { return HTTP.bytes(Data(try p.png()), contentType: "image/png", extra: [.cacheControl: "no-cache"]) }
            return HTTP.text(p.svg, contentType: "image/svg+xml; charset=utf-8", extra: [.cacheControl: "no-cache"])
        }

        router.get("/api/workers") { _, _ -> Response in
            struct W: Encodable {
                var name: String, host: String, slots: Int, pid: Int?, slurmJobID: String?, slurmArrayTaskID: String?
                var connected: Bool, connections: Int, firstSeen: Double, lastSeen: Double, running: Int
            }
            let running = Dictionary(grouping: try self.store.jobs(state: .running), by: { $0.leaseOwner ?? "" }).mapValues(\.count)
            let ws = try self.store.workers().map { w in
                W(name: w.name, host: w.info.host, slots: w.info.slots, pid: w.info.pid, slurmJobID: w.info.slurmJobID,
                  slurmArrayTaskID: w.info.slurmArrayTaskID, connected: w.connected, connections: w.connections,
                  firstSeen: w.firstSeen, lastSeen: w.lastSeen, running: running[w.name] ?? 0)
            }
            return HTTP.json(["workers": ws])
        }

        router.get("/metrics") { _, _ -> Response in
            HTTP.text(try Exposition.render(store: self.store, counters: self.counters),
                      contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    static func jobID(_ context: BasicRequestContext) throws -> Int {
        let s = context.parameters.get("id") ?? ""
        guard let id = Int(s), id > 0 else { throw APIError(.badRequest, "job id \(s): expected a positive integer") }
        return id
    }
}
