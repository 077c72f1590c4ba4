import Foundation

/// Runs a product built beside the test bundle (`swift build --build-tests`
/// builds the executables there): how it ended, its status and its output
/// (stdout and stderr together).
func runProduct(_ name: String, _ args: [String], environment: [String: String]? = nil,
                in directory: URL? = nil) throws -> (reason: Process.TerminationReason, status: Int32, output: String) {
    let p = Process()
    p.executableURL = productURL(name)
    p.arguments = args
    if let environment { p.environment = environment }
    if let directory { p.currentDirectoryURL = directory }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationReason, p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Where the built product `name` is.
func productURL(_ name: String) -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
}
