// The store's notion of "now", injected so tests control time.
import Foundation

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
public final class ManualClock: WallClock {
    private let lock = NSLock()
    private var t: Double
    public init(_ start: Double = 1_700_000_000) { t = start }
    public func now() -> Double { lock.lock(); defer { lock.unlock() }; return t }
    public func advance(_ s: Double) { lock.lock(); t += s; lock.unlock() }
}
