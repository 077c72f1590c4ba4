// The API's actions: retry, cancel, prioritize one job, with the CLI's
// rules (JobStore.retryJob / cancelJob / prioritizeJob). A transition that
// does not apply is 409 with the reason; nothing changes.
import Foundation
import Hummingbird
import LGStore

extension Dashboard {
    func addActionRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/api/jobs/:id/:action") { request, context -> Response in
            var request = request
            let id = try Self.jobID(context)
            let action = context.parameters.get("action") ?? ""
            guard ["retry", "cancel", "prioritize"].contains(action) else {
                throw APIError(.notFound, "no action \(action); use retry, cancel or prioritize")
            }
            let body = try await HTTP.jsonObject(&request, max: self.config.maxBodyBytes)
            do {
                switch action {
                case "retry":
                    try self.store.retryJob(id)
                    self.counters.retried()
                case "cancel":
                    try self.store.cancelJob(id)
                default:
                    struct P: Decodable { var priority: Int }
                    guard let p = try? JSONDecoder().decode(P.self, from: body) else {
                        throw APIError(.badRequest, #"prioritize needs a JSON body {"priority": INTEGER}"#)
                    }
                    try self.store.prioritizeJob(id, priority: p.priority)
                }
            } catch let e as JobActionError {
                switch e {
                case .noSuchJob: throw APIError(.notFound, e.description)
                case .refused: throw APIError(.conflict, e.description)
                }
            }
            guard let j = try self.store.job(id: id) else { throw APIError(.notFound, "no job with id \(id)") }
            context.logger.notice("dashboard: \(action) job \(id) -> \(j.state.rawValue)")
            let answer: [String: JSONValue] = ["ok": .bool(true), "id": .int(id), "state": .string(j.state.rawValue), "priority": .int(j.priority)]
            return HTTP.json(answer)
        }
    }
}
