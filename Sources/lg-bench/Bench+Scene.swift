import Foundation
import LGTensor
import LGModels

extension Bench {
    /// The scene segmenter (DeepLabV3 + ResNeSt-200, LinearGAN's
    /// `DeepLab_ResNeSt200_ADE`) at full size with seeded random weights:
    /// forward time (aux head off, as LinearGAN runs it), the convolution
    /// rate against sgemm, and the process's peak resident memory.
    func scene(peak: Double) {
        let net: SceneSegmenter
        do { net = try SceneSegmenter() } catch { print("scene segmenter: \(error)"); return }
        net.randomize(seed: 1)
        print("scene segmenter (DeepLabV3 + ResNeSt-200, 150 classes, random weights, aux off), forward only")
        print("input            GMAC      ms/image   GMAC/s  /sgemm   PyTorch ms/image  ours/PyTorch")
        var cases: [(n: Int, h: Int, w: Int)] = [(1, 256, 256), (1, 64, 64), (2, 48, 80), (2, 50, 70)]
        if !quick { cases.insert((8, 256, 256), at: 1) }
        var rng = SeededRandom(seed: 2)
        for c in cases {
            let x = SceneSegmenter.normalize(images: rng.normalTensor([c.n, 3, c.h, c.w]).map { max(-1, min(1, $0 * 0.5)) })
            let macs = Double(net.convMACs(height: c.h, width: c.w).map(\.macs).reduce(0, +)) * Double(c.n)
            // Large inputs: one warm-up and one timed run (several seconds each).
            let t: Double
            if macs > 2e11 || (quick && macs > 5e10) {
                _ = net.forward(x)
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = net.forward(x)
                t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            } else {
                t = time { _ = net.forward(x) }
            }
            let rate = macs / t / 1e9
            let label = "\(c.n)x3x\(c.h)x\(c.w)".padding(toLength: 14, withPad: " ", startingAt: 0)
            var line = String(format: "%@ %8.1f %10.1f %8.1f %6.0f%%", label, macs / 1e9, t * 1e3 / Double(c.n), rate,
                              100 * 2 * rate / peak)
            if c.h == c.w, let pt = torch.sceneForward["\(c.h)_b\(c.n)"] {
                line += String(format: " %15.1f %12.2fx", pt * 1e3, t / Double(c.n) / pt)
            }
            print(line)
        }
        let parts = net.convMACs(height: 256, width: 256)
        print("GMAC at 256 px by part: " + parts.map { String(format: "%@ %.1f", $0.part, Double($0.macs) / 1e9) }.joined(separator: ", "))
        if torch.sceneForward.isEmpty {
            print("PyTorch: no scene figures (write them with scripts/torch-reference.py --only-scene --out FILE, pass --torch-reference FILE)")
        } else {
            let layouts = ["256_b1", "256_b8", "64_b1"].compactMap { k in torch.best["scene_\(k)_ms"].map { "\(k) \($0)" } }
            print("PyTorch: \(torch.source)" + (layouts.isEmpty ? "" : "; fastest variant per input: " + layouts.joined(separator: ", ")))
        }
        print("peak resident memory of this process: \(peakResidentMB()) MB (weights \(net.parameterCount * 4 / 1_000_000) MB)")
    }

    func peakResidentMB() -> Int { Bench.peakResidentMB() }

    /// VmHWM from /proc/self/status, in MB (0 where unavailable).
    static func peakResidentMB() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = line.split(separator: " ").compactMap({ Int($0) }).first else { return 0 }
        return kb / 1024
    }
}
