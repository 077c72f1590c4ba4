// Small HTTP helpers: JSON and text responses, the API's error type (a JSON
// body {"error": "..."} with its status), and query-parameter parsing.
import Foundation
import Hummingbird

/// An error answered as `{"error": message}` with `status`.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    public init(_ status: HTTPResponse.Status, _ message: String) { self.status = status; self.message = message }
    public var description: String { "\(status.code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        HTTP.json(["error": message], status: status)
    }
}

enum HTTP {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder().encode(value)) ?? Data(#"{"error":"cannot encode the response"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ s: String, contentType: String, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        var h: HTTPFields = [.contentType: contentType]
        h.append(contentsOf: extra)
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func bytes(_ d: Data, contentType: String, extra: HTTPFields = [:]) -> Response {
        var h: HTTPFields = [.contentType: contentType]
        h.append(contentsOf: extra)
        return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: d)))
    }

    /// Reads the request body (at most `max` bytes: 413 beyond).
    static func body(_ request: inout Request, max: Int) async throws -> ByteBuffer {
        do { return try await request.collectBody(upTo: max) } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "request body larger than \(max) bytes")
        }
    }

    /// The body, checked to be a JSON object (an empty body stands for `{}`).
    static func jsonObject(_ request: inout Request, max: Int) async throws -> Data {
        let buf = try await body(&request, max: max)
        guard buf.readableBytes > 0 else { return Data("{}".utf8) }
        let data = Data(buf.readableBytesView)
        guard let obj = try? JSONSerialization.jsonObject(with: data), obj is [String: Any] else {
            throw APIError(.badRequest, "malformed body: expected a JSON object")
        }
        return data
    }
}

/// Query parameters with typed, validated reads (bad values: 400).
struct Query {
    let params: [String: String]
    init(_ request: Request) {
        var p: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { p[String(k)] = String(v) }  // values arrive percent-decoded
        params = p
    }

    /// A non-empty string, or nil when absent or empty.
    func string(_ name: String) -> String? {
        guard let v = params[name], !v.isEmpty else { return nil }
        return v
    }

    func int(_ name: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        guard let s = string(name) else { return d }
        guard let v = Int(s), range.contains(v) else {
            throw APIError(.badRequest, "query parameter \(name)=\(s): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    func oneOf<T: RawRepresentable>(_ name: String, _ type: T.Type, allowed: [T]) throws -> T? where T.RawValue == String {
        guard let s = string(name) else { return nil }
        guard let v = T(rawValue: s) else {
            throw APIError(.badRequest, "query parameter \(name)=\(s): expected one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
}
