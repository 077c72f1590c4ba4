// lg-fuzz: with -DFUZZING and --sanitize=fuzzer (scripts/fuzz.sh) the
// libFuzzer entry point for the target named by $LG_FUZZ_TARGET; otherwise
// a replayer: `lg-fuzz TARGET FILE|DIR...` runs each file through the target.
import Foundation
import LGFuzz

#if FUZZING
let fuzzTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["LG_FUZZ_TARGET"] ?? ""
    guard let t = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("lg-fuzz: set LG_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#else
@main
struct Replay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: lg-fuzz TARGET FILE|DIR...   (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            exit(2)
        }
        var n = 0
        for path in args.dropFirst() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { print("lg-fuzz: no such file \(path)"); exit(1) }
            let files = isDir.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { (path as NSString).appendingPathComponent($0) }
                : [path]
            for f in files {
                guard let d = FileManager.default.contents(atPath: f) else { continue }
                target.run([UInt8](d)); n += 1
            }
        }
        print("lg-fuzz \(name): \(n) inputs ran without a crash")
    }
}
#endif
