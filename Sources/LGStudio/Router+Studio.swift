import Foundation
import Hummingbird

/// The cookie naming a browser's session and the one carrying the token.
enum StudioCookies {
    static let session = "lgstudio_session"
    static let token = "lgstudio_token"

    /// The value of cookie `name` in a Cookie header.
    static func value(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces)
            if kv.hasPrefix(name + "=") { return String(kv.dropFirst(name.count + 1)) }
        }
        return nil
    }
}

extension Studio {
    /// Every route of the studio: the pages, `/login`, and the JSON API
    /// under `/api/` (docs/studio.md).
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: StudioAuthMiddleware(token: options.token))
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/edit"]) }
        router.get("/edit") { [self] request, _ in try await self.page(StudioPages.edit, request) }
        router.get("/train") { [self] request, _ in try await self.page(StudioPages.train, request) }
        router.get("/login") { [self] request, _ in self.login(request) }
        router.get("/healthz") { [self] _, _ in
            try self.json(Health(generator: self.model.generatorName, extractor: self.model.extractorSource,
                                 classes: self.model.classNames, palette: StudioPNG.paletteHex(self.model.nClasses),
                                 labelResolution: self.model.labelResolution, sessions: self.sessionCount))
        }
        router.post("/api/session") { [self] _, _ in
            let id = try await self.run { self.newSession().id }
            return try self.json(["session": id], cookie: id)
        }
        addEditRoutes(router)
        addTrainRoutes(router)
        return router
    }

    struct Health: Codable, Sendable {
        var generator: String
        var extractor: String
        var classes: [String]
        var palette: [String]
        var labelResolution: Int
        var sessions: Int
    }

    /// A page; sets a new session cookie when the request has no live session.
    func page(_ html: String, _ request: Request) async throws -> Response {
        let id = StudioCookies.value(StudioCookies.session, in: request.headers[.cookie])
        let newID: String? = try await run {
            if let id, self.sessions.get(id) != nil { return nil }
            return self.newSession().id
        }
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let newID { headers[.setCookie] = Self.sessionCookie(newID) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func sessionCookie(_ id: String) -> String {
        "\(StudioCookies.session)=\(id); Path=/; HttpOnly; SameSite=Strict"
    }

    /// `/login?token=T`: sets the token cookie and goes to /edit.
    func login(_ request: Request) -> Response {
        guard let token = options.token else { return Response(status: .seeOther, headers: [.location: "/edit"]) }
        guard let given = request.uri.queryParameters.get("token"), constantTimeEqual(given, token) else {
            return errorResponse(StudioError(.unauthorized, "wrong or missing token: open /login?token=TOKEN (the token printed at start-up)"))
        }
        return Response(status: .seeOther, headers: [
            .location: "/edit",
            .setCookie: "\(StudioCookies.token)=\(token); Path=/; HttpOnly; SameSite=Strict",
        ])
    }

    // MARK: JSON

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, cookie: String? = nil) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = Self.sessionCookie(cookie) }
        return Response(status: status, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: try Self.encoder.encode(value))))
    }

    func errorResponse(_ e: StudioError) -> Response {
        let body = (try? Self.encoder.encode(["error": e.message, "status": "\(e.status.code)"])) ?? Data("{}".utf8)
        return Response(status: e.status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The request's JSON body as `T` (an empty body reads as `{}`).
    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        var r = request
        let buffer: ByteBuffer
        do {
            buffer = try await r.collectBody(upTo: options.maxBodyBytes)
        } catch let e as HTTPResponseError where e.status == .contentTooLarge {
            throw StudioError(.contentTooLarge, "the request body is larger than \(options.maxBodyBytes) bytes")
        }
        var data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { data = Data("{}".utf8) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.dataCorrupted(c) {
            throw StudioError.badRequest("malformed JSON: \(c.underlyingError.map { "\($0.localizedDescription)" } ?? c.debugDescription)")
        } catch let DecodingError.keyNotFound(k, _) {
            throw StudioError.badRequest("malformed request: missing field '\(k.stringValue)'")
        } catch let DecodingError.typeMismatch(_, c) {
            throw StudioError.badRequest("malformed request: field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw StudioError.badRequest("malformed JSON: \(error)")
        }
    }

    /// Runs an API handler: the session from the cookie, the work under the
    /// compute lock, and any StudioError as its JSON answer.
    func api<T: Encodable & Sendable>(_ request: Request,
                                      _ work: @escaping @Sendable (StudioSession) throws -> T) async -> Response {
        let id = StudioCookies.value(StudioCookies.session, in: request.headers[.cookie])
        do {
            let v = try await run { try work(try self.session(id)) }
            return try json(v)
        } catch let e as StudioError {
            return errorResponse(e)
        } catch {
            return errorResponse(StudioError(.internalServerError, "\(error)"))
        }
    }

    /// `api` with a decoded body (decoding errors answered before any work).
    func api<B: Decodable & Sendable, T: Encodable & Sendable>(_ request: Request, body: B.Type,
                                                              _ work: @escaping @Sendable (StudioSession, B) throws -> T) async -> Response {
        do {
            let b = try await decode(B.self, request)
            return await api(request) { s in try work(s, b) }
        } catch let e as StudioError {
            return errorResponse(e)
        } catch {
            return errorResponse(StudioError(.badRequest, "\(error)"))
        }
    }
}

/// Compares two strings in time independent of where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = x.count ^ y.count
    for i in 0..<min(x.count, y.count) { diff |= Int(x[i] ^ y[i]) }
    return diff == 0
}

/// With a token: every request but `/login` needs `Authorization: Bearer T`
/// or the token cookie; otherwise 401 with a JSON error.
struct StudioAuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, request.uri.path != "/login" else { return try await next(request, context) }
        var given: String? = nil
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") { given = String(auth.dropFirst(7)) }
        if given == nil { given = StudioCookies.value(StudioCookies.token, in: request.headers[.cookie]) }
        guard let given, constantTimeEqual(given, token) else {
            let body = "{\"error\":\"missing or wrong token: send Authorization: Bearer TOKEN or open /login?token=TOKEN\",\"status\":\"401\"}"
            return Response(status: .unauthorized, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return try await next(request, context)
    }
}
