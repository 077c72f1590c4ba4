// The store's notion of "now", injected so tests control time.
import Foundation
import Synchronization

/// Seconds since 1970. The store never reads the system time directly.
public protocol WallClock: AnyObject {
    func now() -> Double
}

/// The real clock.
public final class SystemWallClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}

/// A clock that moves only when told to (tests).
public final class ManualClock: WallClock, Sendable {
    private let t: Mutex<Double>
    public init(_ start: Double = 1_700_000_000) { t = Mutex(start) }
    public func now() -> Double { t.withLock { $0 } }
    public func advance(_ s: Double) { t.withLock { $0 += s } }
}
