import ArgumentParser
import Foundation
import Hummingbird
import LGLogging
import LGJobs
import LGStudio

/// `worker studio`: the interactive studio (/edit, /train) over HTTP.
struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Serve the interactive studio: /edit (semantic editing by strokes) and /train (few-shot LSE training by painting).",
        discussion: """
        /edit shows a sample and its label map from the semantic extractor; paint classes over \
        the label map and submit: the latent (one z per layer) is optimised with Adam toward the \
        painted labels (docs/manipulation.md). Edits compound; undo returns to the previous latent.

        /train annotates samples by painting classes, trains a few-shot LSE in the background \
        (start, pause, resume, stop), validates it on fresh samples and saves it as \
        OUT/extractors/NAME.safetensors, readable by every job (evaluate, edit, scs).

        Without --extractor an LSE is fitted at start-up on samples labelled by the generator's \
        registered predictor (--bootstrap-samples, --bootstrap-steps; about a second for the zoo), \
        saved as OUT/extractors/startup_G_seedS.safetensors.

        A listen address other than loopback requires a token: it is generated into \
        OUT/studio_token and printed once; send it as `Authorization: Bearer TOKEN` or open \
        /login?token=TOKEN once to set a cookie. docs/studio.md describes the pages and the API.

        Example:
          worker studio --generator stylegan2_toyface32 --http 127.0.0.1:7790
        """
    )

    @Option(help: "A registered StyleGAN-family generator (see `worker models`).")
    var generator: String

    @Option(help: "Semantic extractor checkpoint (.safetensors or a reference .pth); default: fit one at start-up.")
    var extractor: String?

    @Option(help: "Listen address HOST:PORT (port 0: any free port).")
    var http: String = "127.0.0.1:7790"

    @Option(help: "Seed of the sample streams and of the start-up extractor.")
    var seed: UInt64 = 0

    @Option(help: "Most sessions (browsers) kept; the least recently used is dropped beyond.")
    var maxSessions: Int = 8

    @Option(help: "Folder for saved extractors and the token.")
    var out: String = "expr/studio"

    @Option(help: "Samples of the start-up extractor (without --extractor).")
    var bootstrapSamples: Int = 16

    @Option(help: "Training steps of the start-up extractor.")
    var bootstrapSteps: Int = 1000

    @Option(help: "Largest request body in bytes.")
    var maxBody: Int = 4 << 20

    @OptionGroup var catalog: RegistryOptions

    func validate() throws {
        guard parseAddress() != nil else { throw ValidationError("--http must be HOST:PORT, got '\(http)'") }
        guard maxSessions >= 1 else { throw ValidationError("--max-sessions must be >= 1") }
        guard bootstrapSamples >= 1, bootstrapSteps >= 1 else { throw ValidationError("--bootstrap-samples and --bootstrap-steps must be >= 1") }
        guard maxBody >= 1024 else { throw ValidationError("--max-body must be >= 1024") }
    }

    func parseAddress() -> (host: String, port: Int)? {
        guard let colon = http.lastIndex(of: ":"), let port = Int(http[http.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(http[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The worker's root command is synchronous: the server runs in a task
    /// while this thread waits for it.
    func run() throws {
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let command = self
        Task {
            do { try await command.serve() } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let e = outcome.error { throw e }
    }

    func serve() async throws {
        let (host, port) = parseAddress()!
        let outDir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        var token: String? = nil
        if !Self.isLoopback(host) {
            token = try StudioToken.create(in: outDir)
            say("studio: listening on \(host) (not loopback): token \(token!) (also in \(outDir.appendingPathComponent("studio_token").path)); open /login?token=\(token!)")
        }
        let registry = try catalog.registry()
        let model: StudioModel
        do {
            model = try StudioModel.load(generator: generator, extractorPath: extractor, registry: registry, seed: seed,
                                         bootstrap: .init(samples: bootstrapSamples, steps: bootstrapSteps),
                                         saveFittedTo: outDir.appendingPathComponent("extractors/startup_\(generator)_seed\(seed).safetensors")) { say("studio: \($0)") }
        } catch let e as StudioError {
            throw CommandFailure(e.message)
        }
        var options = Studio.Options(outDirectory: outDir, seed: seed, maxSessions: maxSessions, token: token)
        options.maxBodyBytes = maxBody
        let studio = Studio(model: model, options: options)
        let app = Application(router: studio.makeRouter(),
                              configuration: .init(address: .hostname(host, port: port), serverName: "lineargan-studio"),
                              onServerRunning: { channel in
                                  let p = channel.localAddress?.port ?? port
                                  say("studio: serving \(model.generatorName) on http://\(host.contains(":") ? "[\(host)]" : host):\(p)/edit and /train")
                              })
        try await app.runService()
        studio.stopAll()
    }
}

extension StudioCommand: @unchecked Sendable {}

/// A line on standard output, unbuffered (scripts wait for the serving line).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The studio's access token: 32 random bytes, hex, in OUT/studio_token (mode 0600).
enum StudioToken {
    static func create(in dir: URL) throws -> String {
        var g = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
        let url = dir.appendingPathComponent("studio_token")
        try Data((token + "\n").utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return token
    }
}
