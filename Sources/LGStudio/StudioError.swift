import Foundation
import Hummingbird

/// A request the studio refuses: an HTTP status and a message sent as
/// `{"error": message}`. Nothing changes in a session when one is thrown
/// before its work starts.
public struct StudioError: Error, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status; self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    static func badRequest(_ m: String) -> StudioError { StudioError(.badRequest, m) }
    static func conflict(_ m: String) -> StudioError { StudioError(.conflict, m) }
}
