// Who may do what. Listening on loopback, reads (GET) need no token; on any
// other address every request needs it; POSTs always do. The token lives in
// ROOT/http-token (mode 0600) and is accepted as `Authorization: Bearer T`
// or as the cookie `lg_token` that `GET /login?token=T` sets (HttpOnly,
// SameSite=Strict, so other sites' pages cannot send it).
import Foundation
import Hummingbird
import HTTPTypes

public struct DashboardAuth: Sendable {
    public let token: String
    /// GETs pass without a token (a loopback listen address).
    public let openReads: Bool

    public init(token: String, openReads: Bool) { self.token = token; self.openReads = openReads }

    /// Reads the token at `path`, or creates one (32 random bytes, hex) with mode 0600.
    public static func loadOrCreateToken(at path: String) throws -> (token: String, created: Bool) {
        if let t = loadToken(at: path) { return (t, false) }
        let t = newToken()
        try writeToken(t, at: path)
        return (t, true)
    }

    /// The token stored at `path` (at least 16 characters), if any.
    public static func loadToken(at path: String) -> String? {
        guard let s = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.count >= 16 ? t : nil
    }

    /// 32 random bytes as hex.
    public static func newToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// Writes `t` to `path` with mode 0600.
    public static func writeToken(_ t: String, at path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: path, contents: Data((t + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, "cannot write the dashboard token to \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// A Host field left among the headers (NIO turns HTTP/1's into the authority).
    static let hostField = HTTPField.Name("Host")!

    /// 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// The token the request carries (bearer header first, then the cookie).
    static func presented(_ request: Request) -> String? {
        if let a = request.headers[.authorization], a.lowercased().hasPrefix("bearer ") {
            return String(a.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        for c in request.headers[values: .cookie] {
            for part in c.split(separator: ";") {
                let kv = part.trimmingCharacters(in: .whitespaces)
                if kv.hasPrefix("lg_token=") { return String(kv.dropFirst(9)) }
            }
        }
        return nil
    }

    /// Constant-time comparison with the token.
    func matches(_ t: String?) -> Bool {
        guard let t else { return false }
        let a = Array(t.utf8), b = Array(token.utf8)
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in a.indices { d |= a[i] ^ b[i] }
        return d == 0
    }
}

/// Applies `DashboardAuth` to every route but /login.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let auth: DashboardAuth

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if auth.openReads {
            // Loopback without a token: refuse other Host names (DNS rebinding).
            // HTTP/1's Host arrives as the authority; a Host field is checked too.
            for host in [request.head.authority, request.headers[DashboardAuth.hostField]].compactMap({ $0 }) {
                let name = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }) + "]" : String(host.prefix { $0 != ":" })
                guard DashboardAuth.isLoopback(name) else {
                    throw APIError(.forbidden, "Host \(host) is not a loopback name; open the dashboard as http://127.0.0.1:PORT/")
                }
            }
        }
        if request.uri.path == "/login" { return try await next(request, context) }
        let isRead = request.method == .get || request.method == .head
        if (isRead && auth.openReads) || auth.matches(DashboardAuth.presented(request)) {
            return try await next(request, context)
        }
        let why = isRead ? "this dashboard listens beyond loopback: send the token" : "changes need the token"
        throw APIError(.unauthorized, "\(why) (Authorization: Bearer TOKEN, or open /login?token=TOKEN; the token is in the file http-token beside the queue database)")
    }
}

/// Turns every error into a JSON error response (APIError as is; other
/// HTTP errors with their status; anything else 500).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let e as APIError {
            return HTTP.json(["error": e.message], status: e.status)
        } catch let e as HTTPError {
            return HTTP.json(["error": e.body ?? e.status.reasonPhrase], status: e.status)
        } catch let e as any HTTPResponseError {
            return HTTP.json(["error": "\(e)"], status: e.status)
        } catch {
            context.logger.error("dashboard request \(request.uri.path) failed: \(error)")
            return HTTP.json(["error": "\(error)"], status: .internalServerError)
        }
    }
}
