import CBLAS
import Foundation

/// Which of OpenBLAS's kernel sets ("cores") runs the GEMMs, and the
/// correction LinearGAN makes when OpenBLAS's own choice wastes the CPU.
///
/// A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels from the CPU's
/// family and model number when it loads. A model newer than the library
/// (Debian 12's 0.3.21 on an Emerald Rapids VM, model 207) falls back to
/// `Prescott`, SSE3 kernels: 32 GFLOPS of sgemm on one core of a machine
/// whose AVX-512 kernels (`SkylakeX`) give 150, and a DCGAN-64 forward 2.1x
/// slower. PyTorch (oneDNN, MKL) chooses by feature flags and does not
/// suffer it. `BLAS.reexecForOpenBLAS` therefore compares OpenBLAS's choice
/// with what the CPU's feature flags allow and, when the choice is a lower
/// tier, starts the program again with `OPENBLAS_CORETYPE` naming the best
/// core the flags support (OpenBLAS reads it only when it loads).
public enum BLASCore {
    /// The instruction-set tier a core's sgemm kernels use.
    public enum Tier: Int, Comparable, Sendable {
        case baseline = 0, avx = 1, avx2 = 2, avx512 = 3
        public static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }
    }

    /// The tier of an OpenBLAS core name (as `openblas_get_corename` spells
    /// it, any case); baseline for SSE-era and unknown names.
    public static func tier(ofCore name: String) -> Tier {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "skylake": return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": return .avx
        default: return .baseline
        }
    }

    /// The best tier the CPU's feature flags (`/proc/cpuinfo`'s `flags`,
    /// which list only what the kernel has enabled) support for OpenBLAS's
    /// kernels: SkylakeX's need AVX-512 F, CD, BW, DQ and VL; Haswell's AVX2 and FMA.
    public static func tier(ofFlags flags: Set<String>) -> Tier {
        if flags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) { return .avx512 }
        if flags.isSuperset(of: ["avx2", "fma"]) { return .avx2 }
        if flags.contains("avx") { return .avx }
        return .baseline
    }

    /// The core to name in `OPENBLAS_CORETYPE`, or nil to keep OpenBLAS's
    /// choice: only when OpenBLAS chose a lower tier than the flags allow,
    /// and only for a DYNAMIC_ARCH build (`config`: `openblas_get_config`'s
    /// text; a build for one target has no other kernels and ignores the variable).
    public static func override(chosen: String, flags: Set<String>, config: String = "DYNAMIC_ARCH") -> String? {
        guard config.contains("DYNAMIC_ARCH") else { return nil }
        let allowed = tier(ofFlags: flags)
        guard tier(ofCore: chosen) < allowed else { return nil }
        switch allowed {
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .avx: return "Sandybridge"
        case .baseline: return nil
        }
    }

    /// The first `flags` line of a `/proc/cpuinfo` text, as a set.
    public static func flags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// This machine's CPU flags (empty where /proc/cpuinfo cannot be read:
    /// then OpenBLAS's choice stands).
    public static func machineFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        return flags(cpuinfo: text)
    }

    /// The core OpenBLAS runs in this process.
    public static var running: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build description (version, DYNAMIC_ARCH, ...).
    public static var config: String { String(cString: openblas_get_config()) }

    /// Where `running` came from, for logs and benchmark headers, e.g.
    /// "SkylakeX (OPENBLAS_CORETYPE set by LinearGAN: OpenBLAS chose Prescott for this CPU)".
    public static var description: String {
        let env = ProcessInfo.processInfo.environment
        if let detected = env[detectedVariable] {
            return "\(running) (OPENBLAS_CORETYPE set by LinearGAN: OpenBLAS chose \(detected) for this CPU)"
        }
        if let set = env["OPENBLAS_CORETYPE"] { return "\(running) (OPENBLAS_CORETYPE=\(set))" }
        return "\(running) (OpenBLAS's choice)"
    }

    /// Carries OpenBLAS's own choice across the re-exec, for `description`.
    static let detectedVariable = "LG_OPENBLAS_DETECTED_CORE"
}
