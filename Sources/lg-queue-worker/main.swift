// lg-queue-worker: the worker's connect loop with only the queue's own job
// kinds (test_sleep, with LINEARGAN_TEST_KINDS=1) and none of the numeric
// code. The live tests and the benchmark run it, so they do not depend on
// the model targets. Same flags as `worker`:
//   lg-queue-worker --connect HOST:PORT --slots N --secret FILE --workdir DIR [--exit-when-idle] [--name NAME]
//   lg-queue-worker exec-job --spec FILE
import Foundation
import LGNet
import LGRunner

let registry = JobRegistry([:])
var args = Array(CommandLine.arguments.dropFirst())
func value(_ flag: String) -> String? {
    guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
    return args[i + 1]
}

if args.first == "exec-job" {
    exit(ChildHost.run(specPath: value("--spec") ?? "", registry: registry))
}
do {
    let key = try SecretFile.load(value("--secret") ?? "expr/secret")
    let root = (value("--workdir") ?? "expr/work") + "/\(getpid())"
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var o = WorkerOptions(address: value("--connect") ?? "127.0.0.1:7700", secret: key,
                          slots: Int(value("--slots") ?? "1") ?? 1,
                          name: value("--name") ?? "\(ProcessInfo.processInfo.hostName):\(getpid())",
                          workRoot: root, registry: registry, executable: me)
    o.exitWhenIdle = args.contains("--exit-when-idle")
    o.showProgress = !args.contains("--quiet")
    o.pollInterval = Double(value("--poll") ?? "0.2") ?? 0.2
    o.stopGrace = Double(value("--stop-grace") ?? "10") ?? 10
    o.maxBackoff = Double(value("--max-backoff") ?? "2") ?? 2
    let runner = WorkerRunner(options: o)
    var sources: [DispatchSourceSignal] = []
    for sig in [SIGTERM, SIGINT] {
        signal(sig, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        s.setEventHandler { runner.requestStop() }
        s.resume(); sources.append(s)
    }
    withExtendedLifetime(sources) { runner.run() }
} catch {
    FileHandle.standardError.write(Data("lg-queue-worker: \(error)\n".utf8))
    exit(1)
}
