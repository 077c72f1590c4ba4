// The dashboard: its routes over one JobStore connection, and the HTTP
// server `coordinator serve --http ADDR:PORT` runs beside the TCP daemon.
import Foundation
import Synchronization
import Hummingbird
import LGStore
import Logging

public struct DashboardConfig: Sendable {
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 64 * 1024
    /// How often the pages refresh (seconds).
    public var refreshSeconds = 3
    public init() {}
}

/// The routes (pages, /api/, /metrics, /login) over `store`.
public struct Dashboard: Sendable {
    public let store: JobStore
    public let counters: QueueCounters
    public let auth: DashboardAuth
    public let config: DashboardConfig

    public init(store: JobStore, counters: QueueCounters = QueueCounters(), auth: DashboardAuth, config: DashboardConfig = DashboardConfig()) {
        self.store = store; self.counters = counters; self.auth = auth; self.config = config
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(auth: auth))
        addPageRoutes(router)
        addAPIRoutes(router)
        addActionRoutes(router)
        return router
    }

    /// `ADDR:PORT` (IPv6 as `[::1]:PORT`) or `none` (nil).
    public static func parseListen(_ s: String) throws -> (host: String, port: Int)? {
        if s == "none" { return nil }
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw ListenAddressError(text: "--http \(s): expected ADDR:PORT (e.g. 127.0.0.1:7780) or none")
        }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ListenAddressError(text: "--http \(s): the address is missing") }
        return (host, port)
    }

    /// Starts serving on `host:port` in the background; returns the bound
    /// port once listening (port 0 picks a free one). Throws if it cannot bind.
    public func start(host: String, port: Int, logger: Logger) throws -> Int {
        let result = BindResult()
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "lineargan-dashboard"),
                              onServerRunning: { channel in result.set(.success(channel.localAddress?.port ?? port)) },
                              logger: logger)
        Task.detached {
            do { try await app.run() } catch {
                // Before binding, `start` reports the error; after, it is logged here.
                if !result.set(.failure(error)) { logger.error("dashboard stopped: \(error)") }
            }
        }
        return try result.wait().get()
    }
}

public struct ListenAddressError: Error, CustomStringConvertible {
    public let text: String
    public var description: String { text }
}

/// The outcome of binding, handed from the server task to `start`.
final class BindResult: Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private let value = Mutex<Result<Int, any Error>?>(nil)

    /// Records the first outcome; false when one was already recorded.
    @discardableResult
    func set(_ v: Result<Int, any Error>) -> Bool {
        let first = value.withLock { stored in
            guard stored == nil else { return false }
            stored = v
            return true
        }
        if first { ready.signal() }
        return first
    }

    func wait() -> Result<Int, any Error> {
        ready.wait()
        return value.withLock { $0 ?? .failure(ListenAddressError(text: "the HTTP server ended before binding")) }
    }
}
