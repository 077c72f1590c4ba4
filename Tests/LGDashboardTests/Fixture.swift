// A temporary job store and a dashboard over it, run in process through
// HummingbirdTesting's `.router` framework (no sockets).
import Foundation
import XCTest
import Hummingbird
import HummingbirdTesting
import LGStore
@testable import LGDashboard

final class DashboardFixture: @unchecked Sendable {
    let directory = NSTemporaryDirectory() + "lg-dash-\(UUID().uuidString)"
    let store: JobStore
    let counters = QueueCounters()
    let token = "test-token-0123456789abcdef"

    init() throws { store = try JobStore(path: directory + "/q.sqlite") }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func dashboard(openReads: Bool = true) -> Dashboard {
        Dashboard(store: store, counters: counters, auth: DashboardAuth(token: token, openReads: openReads))
    }

    /// Runs `body` against the dashboard's router in process.
    func test(openReads: Bool = true, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: dashboard(openReads: openReads).router())
        try await app.test(.router) { client in try await body(client) }
    }

    var bearer: HTTPFields { [.authorization: "Bearer \(token)"] }

    /// `n` jobs of `grid`: id i has parameter i.
    @discardableResult
    func enqueue(_ n: Int, grid: String = "g", kind: String = "test_sleep", start: Int = 0) throws -> EnqueueResult {
        try store.enqueue((start..<(start + n)).map { NewJob(grid: grid, kind: kind, params: ["i": .int($0)]) })
    }

    /// Claims the next job and completes it with `metrics`.
    func runOne(metrics: [String: Double], owner: String = "w1") throws -> Int {
        let c = try store.claim(owner: owner, limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual(try store.complete(jobID: c.id, fence: c.fence, metrics: metrics), .ok)
        return c.id
    }
}

/// The response body as JSON.
func json(_ r: TestResponse) throws -> [String: Any] {
    let data = Data((r.body).readableBytesView)
    guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "not a JSON object: \(String(decoding: data, as: UTF8.self))"])
    }
    return o
}

func text(_ r: TestResponse) -> String { String(buffer: r.body) }

func body(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }
