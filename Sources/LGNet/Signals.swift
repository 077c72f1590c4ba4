// The one place a process turns termination signals into a call: the
// coordinator daemon (SIGTERM/SIGINT: stop), the worker's connect loop
// (drain) and a job's child process (SIGTERM: checkpoint and stop).
import Foundation

/// Watches signals for as long as it lives: each delivery calls `handler`
/// on a global queue instead of the default action. Repeated signals call
/// it again, so the handler must tolerate repeats.
public final class SignalWatch: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]

    public init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        sources = signals.map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { handler(sig) }
            s.resume()
            return s
        }
    }

    deinit { for s in sources { s.cancel() } }
}
