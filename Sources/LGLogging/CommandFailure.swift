import Foundation

/// A command that was typed right but cannot do its work (an unknown grid, a
/// malformed file, a missing secret, latents of the wrong shape). Argument
/// Parser prints it as "Error: ..." without the usage line it prints for a
/// `ValidationError`, which is kept for mistyped options (`validate()`).
public struct CommandFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
