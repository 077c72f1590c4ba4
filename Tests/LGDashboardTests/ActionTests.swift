// POST /api/jobs/:id/retry|cancel|prioritize: the CLI's rules, 409 for a
// transition that does not apply, and bad input (malformed JSON, unknown id,
// oversized body, missing token): a clear JSON error and nothing changed.
import Foundation
import XCTest
import HummingbirdTesting
import LGStore
@testable import LGDashboard

final class ActionTests: XCTestCase {
    func testCancelRetryPrioritize() async throws {
        let f = try DashboardFixture()
        try f.enqueue(3)
        let bearer = f.bearer
        try await f.test { c in
            var r = try await c.execute(uri: "/api/jobs/2/cancel", method: .post, headers: bearer)
            XCTAssertEqual(r.status, .ok, text(r))
            XCTAssertEqual(try json(r)["state"] as? String, "cancelled")
            XCTAssertEqual(try f.store.job(id: 2)?.state, .cancelled)

            r = try await c.execute(uri: "/api/jobs/2/cancel", method: .post, headers: bearer)
            XCTAssertEqual(r.status, .conflict)
            XCTAssertEqual(try json(r)["error"] as? String, "job 2 is cancelled; only queued or running jobs can be cancelled")

            r = try await c.execute(uri: "/api/jobs/2/retry", method: .post, headers: bearer)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(try f.store.job(id: 2)?.state, .queued)
            XCTAssertEqual(try f.store.job(id: 2)?.attempt, 0)

            r = try await c.execute(uri: "/api/jobs/2/retry", method: .post, headers: bearer)
            XCTAssertEqual(r.status, .conflict)
            XCTAssertEqual(try json(r)["error"] as? String, "job 2 is queued; only failed or cancelled jobs can be retried")

            r = try await c.execute(uri: "/api/jobs/3/prioritize", method: .post, headers: bearer, body: body(#"{"priority": 7}"#))
            XCTAssertEqual(r.status, .ok, text(r))
            XCTAssertEqual(try f.store.job(id: 3)?.priority, 7)
            // The claim order follows: job 3 first.
            XCTAssertEqual(try f.store.claim(owner: "w", limit: 1, leaseSeconds: 60).first?.id, 3)
            _ = try f.store.cancel(ids: [1])
            r = try await c.execute(uri: "/api/jobs/1/prioritize", method: .post, headers: bearer, body: body(#"{"priority": 1}"#))
            XCTAssertEqual(r.status, .conflict)
            XCTAssertEqual(try f.store.job(id: 1)?.priority, 0)
        }
        let history = try f.store.events(jobID: 2).map { $0.to }
        XCTAssertEqual(history, [.queued, .cancelled, .queued])
    }

    func testBadInputChangesNothing() async throws {
        let f = try DashboardFixture()
        try f.enqueue(2)
        let bearer = f.bearer
        let before = try f.store.jobs().map { "\($0.id) \($0.state) \($0.priority)" }
        try await f.test { c in
            // Malformed JSON.
            var r = try await c.execute(uri: "/api/jobs/1/prioritize", method: .post, headers: bearer, body: body(#"{"priority": 5"#))
            XCTAssertEqual(r.status, .badRequest)
            XCTAssertEqual(try json(r)["error"] as? String, "malformed body: expected a JSON object")
            r = try await c.execute(uri: "/api/jobs/1/cancel", method: .post, headers: bearer, body: body("[1, 2]"))
            XCTAssertEqual(r.status, .badRequest)
            // A JSON object without an integer priority.
            r = try await c.execute(uri: "/api/jobs/1/prioritize", method: .post, headers: bearer, body: body(#"{"priority": "high"}"#))
            XCTAssertEqual(r.status, .badRequest)
            XCTAssertTrue((try json(r)["error"] as? String ?? "").contains("priority"))
            // Unknown job and unknown action.
            r = try await c.execute(uri: "/api/jobs/77/cancel", method: .post, headers: bearer)
            XCTAssertEqual(r.status, .notFound)
            XCTAssertEqual(try json(r)["error"] as? String, "no job with id 77")
            r = try await c.execute(uri: "/api/jobs/1/delete", method: .post, headers: bearer)
            XCTAssertEqual(r.status, .notFound)
            // Oversized body.
            let big = #"{"priority": 1, "pad": ""# + String(repeating: "x", count: 70_000) + #""}"#
            r = try await c.execute(uri: "/api/jobs/1/prioritize", method: .post, headers: bearer, body: body(big))
            XCTAssertEqual(r.status, .contentTooLarge)
            XCTAssertTrue((try json(r)["error"] as? String ?? "").contains("larger than"))
            // Missing or wrong token.
            r = try await c.execute(uri: "/api/jobs/1/cancel", method: .post)
            XCTAssertEqual(r.status, .unauthorized)
            XCTAssertTrue((try json(r)["error"] as? String ?? "").contains("token"))
            r = try await c.execute(uri: "/api/jobs/1/cancel", method: .post, headers: [.authorization: "Bearer wrong"])
            XCTAssertEqual(r.status, .unauthorized)
        }
        XCTAssertEqual(try f.store.jobs().map { "\($0.id) \($0.state) \($0.priority)" }, before)
    }

    func testTokenRulesBeyondLoopback() async throws {
        let f = try DashboardFixture()
        try f.enqueue(1)
        let token = f.token
        try await f.test(openReads: false) { c in
            for path in ["/", "/api/jobs", "/api/jobs/1", "/metrics", "/api/results", "/assets/dashboard.js"] {
                let r = try await c.execute(uri: path, method: .get)
                XCTAssertEqual(r.status, .unauthorized, path)
            }
            var r = try await c.execute(uri: "/api/jobs", method: .get, headers: [.authorization: "Bearer \(token)"])
            XCTAssertEqual(r.status, .ok)
            r = try await c.execute(uri: "/login?token=nope", method: .get)
            XCTAssertEqual(r.status, .unauthorized)
            r = try await c.execute(uri: "/login?token=\(token)", method: .get)
            XCTAssertEqual(r.status, .seeOther)
            let cookie = r.headers[.setCookie] ?? ""
            XCTAssertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie)
            let pair = String(cookie.prefix { $0 != ";" })
            r = try await c.execute(uri: "/api/jobs/1", method: .get, headers: [.cookie: pair])
            XCTAssertEqual(r.status, .ok)
            r = try await c.execute(uri: "/api/jobs/1/cancel", method: .post, headers: [.cookie: pair])
            XCTAssertEqual(r.status, .ok)
        }
        XCTAssertEqual(try f.store.job(id: 1)?.state, .cancelled)
    }

    func testLoopbackRefusesForeignHostNames() async throws {
        let f = try DashboardFixture()
        try await f.test { c in
            var r = try await c.execute(uri: "/api/jobs", method: .get, headers: [DashboardAuth.hostField: "evil.example:7780"])
            XCTAssertEqual(r.status, .forbidden)
            r = try await c.execute(uri: "/api/jobs", method: .get, headers: [DashboardAuth.hostField: "127.0.0.1:7780"])
            XCTAssertEqual(r.status, .ok)
            r = try await c.execute(uri: "/api/jobs", method: .get, headers: [DashboardAuth.hostField: "localhost"])
            XCTAssertEqual(r.status, .ok)
        }
    }

    func testTokenFile() throws {
        let dir = NSTemporaryDirectory() + "lg-dash-token-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/http-token"
        let (t, created) = try DashboardAuth.loadOrCreateToken(at: path)
        XCTAssertTrue(created)
        XCTAssertEqual(t.count, 64)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let (again, createdAgain) = try DashboardAuth.loadOrCreateToken(at: path)
        XCTAssertEqual(again, t)
        XCTAssertFalse(createdAgain)
        XCTAssertTrue(DashboardAuth.isLoopback("127.0.0.1") && DashboardAuth.isLoopback("::1") && DashboardAuth.isLoopback("localhost"))
        XCTAssertFalse(DashboardAuth.isLoopback("0.0.0.0") || DashboardAuth.isLoopback("10.1.2.3"))
        XCTAssertNil(try Dashboard.parseListen("none"))
        XCTAssertEqual(try Dashboard.parseListen("[::1]:0")?.host, "::1")
        XCTAssertEqual(try Dashboard.parseListen("127.0.0.1:7780")?.port, 7780)
        XCTAssertThrowsError(try Dashboard.parseListen("7780"))
    }
}
