import Foundation

/// Short human durations for progress lines and `coordinator status`.
public enum DurationText {
    /// "12s", "7m", "1.4h".
    public static func short(_ s: Double) -> String {
        s < 60 ? String(format: "%.0fs", s) : s < 3600 ? String(format: "%.0fm", s / 60) : String(format: "%.1fh", s / 3600)
    }
}
