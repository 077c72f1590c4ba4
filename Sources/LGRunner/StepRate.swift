import Foundation

/// Steps per second of the running attempt of a job, and the time left in
/// its current phase.
///
/// Measured from the first report this attempt saw, so a job resumed from a
/// checkpoint at step 9,000 does not claim 9,000 steps in its first seconds;
/// a new phase (training -> evaluating) starts a new measurement.
public struct StepRate: Sendable {
    private var phase: String?
    private var firstStep = 0
    private var firstTime: TimeInterval = 0

    public init() {}

    /// Records `step` of `total` in `phase` at `now` (seconds on any clock);
    /// returns the rate and the seconds left in the phase once measurable.
    public mutating func observe(phase: String, step: Int, total: Int, now: TimeInterval) -> (rate: Double?, secondsLeft: Double?) {
        if self.phase != phase || step < firstStep {
            self.phase = phase; firstStep = step; firstTime = now
            return (nil, nil)
        }
        let dt = now - firstTime, ds = step - firstStep
        guard dt > 0, ds > 0 else { return (nil, nil) }
        let rate = Double(ds) / dt
        return (rate, Double(max(0, total - step)) / rate)
    }
}

/// Sends a stepped job's progress to its context: the fraction, the rate
/// and seconds left measured by `StepRate` over this attempt and phase, and
/// a note. One per job run (it keeps the measurement).
public struct StepProgress {
    private var rate = StepRate()
    private let context: any JobContext
    private let now: () -> TimeInterval

    public init(_ context: any JobContext, now: @escaping () -> TimeInterval = { Date().timeIntervalSince1970 }) {
        self.context = context
        self.now = now
    }

    /// `fraction` of the whole job; `step` of `total` in `phase`.
    public mutating func report(fraction: Double, phase: String, step: Int, total: Int, note: String) {
        let r = rate.observe(phase: phase, step: step, total: total, now: now())
        context.reportProgress(fraction, rate: r.rate, note: note, etaSeconds: r.secondsLeft)
    }
}
