import Foundation
import LGTensor
import LGModels

/// One measured kernel.
struct Row {
    var name: String
    var shape: String
    var seconds: Double
    var flops: Double
    /// sgemm GFLOPS at the GEMM shape this kernel reduces to.
    var sgemmAtShape: Double

    var gflops: Double { flops / seconds / 1e9 }

    func format(peak: Double) -> String {
        let n = name.padding(toLength: 40, withPad: " ", startingAt: 0)
        let s = shape.padding(toLength: 24, withPad: " ", startingAt: 0)
        return String(format: "%@ %@ %8.2f %8.1f %6.0f%% %8.0f%%", n, s, seconds * 1e3, gflops,
                      100 * gflops / peak, 100 * gflops / sgemmAtShape)
    }
}

struct Bench {
    var quick: Bool
    var torch: TorchReference = .quoted

    /// Median wall time of `body` over several runs after a warm-up.
    func time(_ body: () -> Void) -> Double {
        body()
        var runs: [Double] = []
        let deadline = Date().addingTimeInterval(quick ? 0.3 : 1.5)
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            runs.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while Date() < deadline && runs.count < 50 || runs.count < 3
        return runs.sorted()[runs.count / 2]
    }

    func sgemm(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) -> Double {
        var rng = SeededRandom(seed: 1)
        let a = rng.normalTensor([m, k]), b = rng.normalTensor([k, n])
        var c = [Float](repeating: 0, count: m * n)
        let t = time {
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: pa.baseAddress!, lda: transA ? m : k,
                                  b: pb.baseAddress!, ldb: transB ? k : n, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return 2 * Double(m) * Double(n) * Double(k) / t / 1e9
    }

    func sgemmPeak() -> Double { sgemm(m: 1024, n: 1024, k: 1024) }

    /// Conv2d forward and backward, and transposed conv, at the paper's layer shapes.
    func convRows() -> [Row] {
        var rows: [Row] = []
        var rng = SeededRandom(seed: 2)
        // StyleGAN2-256 synthesis convs: (channels, resolution), batch 1.
        var sg2: [(Int, Int)] = [(512, 8), (512, 16), (512, 32), (512, 64), (256, 128), (128, 256)]
        if quick { sg2 = [(512, 8), (512, 32), (128, 256)] }
        for (c, r) in sg2 {
            let x = rng.normalTensor([1, c, r, r]), w = rng.normalTensor([c, c, 3, 3])
            let o = Conv2DOptions(padding: 1)
            let flops = 2.0 * Double(c * c * 9) * Double(r * r)
            let g = sgemm(m: c, n: r * r, k: c * 9)
            let tf = time { _ = x.conv2d(w, o) }
            rows.append(Row(name: "conv2d fwd (StyleGAN2-256)", shape: "\(c)->\(c) 3x3 @\(r)", seconds: tf, flops: flops, sgemmAtShape: g))
            let gy = rng.normalTensor([1, c, r, r])
            let tb = time { _ = x.conv2dBackward(w, gy, o) }
            rows.append(Row(name: "conv2d bwd input+weight (StyleGAN2-256)", shape: "\(c)->\(c) 3x3 @\(r)", seconds: tb, flops: 2 * flops, sgemmAtShape: g))
        }
        // StyleGAN2 upsampling conv: transposed 3x3 stride 2.
        for (c, r) in quick ? [(512, 16)] : [(512, 8), (512, 32), (256, 64)] {
            let x = rng.normalTensor([1, c, r, r]), w = rng.normalTensor([c, c, 3, 3])
            let o = ConvTranspose2DOptions(stride: 2, padding: 0)
            let flops = 2.0 * Double(c * c * 9) * Double(r * r)
            let g = sgemm(m: c * 9, n: r * r, k: c)
            let tf = time { _ = x.convTranspose2d(w, o) }
            rows.append(Row(name: "conv_transpose2d fwd (StyleGAN2 up)", shape: "\(c)->\(c) 3x3 s2 @\(r)", seconds: tf, flops: flops, sgemmAtShape: g))
            let y = x.convTranspose2d(w, o)
            let gy = rng.normalTensor(y.shape)
            let tb = time { _ = x.convTranspose2dBackward(w, gy, o) }
            rows.append(Row(name: "conv_transpose2d bwd (StyleGAN2 up)", shape: "\(c)->\(c) 3x3 s2 @\(r)", seconds: tb, flops: 2 * flops, sgemmAtShape: g))
        }
        // DCGAN-64 layers at batch 64.
        let dc: [(Int, Int, Int, Int, Int)] = [(100, 512, 1, 1, 0), (512, 256, 4, 2, 1), (256, 128, 8, 2, 1), (128, 64, 16, 2, 1), (64, 3, 32, 2, 1)]
        for (cin, cout, r, s, p) in dc {
            let n = 64
            let x = rng.normalTensor([n, cin, r, r]), w = rng.normalTensor([cin, cout, 4, 4])
            let o = ConvTranspose2DOptions(stride: s, padding: p)
            let flops = 2.0 * Double(n * cin * cout * 16) * Double(r * r)
            let g = sgemm(m: cout * 16, n: min(n * r * r, max(1024, r * r)), k: cin)
            let tf = time { _ = x.convTranspose2d(w, o) }
            rows.append(Row(name: "conv_transpose2d fwd (DCGAN-64, N=64)", shape: "\(cin)->\(cout) 4x4 @\(r)", seconds: tf, flops: flops, sgemmAtShape: g))
            let y = x.convTranspose2d(w, o)
            let gy = rng.normalTensor(y.shape)
            let tb = time { _ = x.convTranspose2dBackward(w, gy, o) }
            rows.append(Row(name: "conv_transpose2d bwd (DCGAN-64, N=64)", shape: "\(cin)->\(cout) 4x4 @\(r)", seconds: tb, flops: 2 * flops, sgemmAtShape: g))
            // The matching strided conv2d (a DCGAN discriminator layer).
            let xd = rng.normalTensor([n, cout, y.shape[2], y.shape[3]])
            let wd = rng.normalTensor([cin, cout, 4, 4])
            if s == 2 {
                let od = Conv2DOptions(stride: 2, padding: 1)
                let td = time { _ = xd.conv2d(wd, od) }
                rows.append(Row(name: "conv2d fwd (DCGAN-64 D, N=64)", shape: "\(cout)->\(cin) 4x4 s2 @\(y.shape[2])", seconds: td, flops: flops,
                                sgemmAtShape: sgemm(m: cin, n: min(n * r * r, max(1024, r * r)), k: cout * 16)))
            }
        }
        return rows
    }

    /// A DCGAN-64 generator with random weights (eval mode), a batch-64
    /// latent and its forward pass's multiply-adds x 2.
    func dcganModel() -> (DCGAN, Variable, Double) {
        var rng = SeededRandom(seed: 3)
        var sd: [String: Tensor] = [:]
        let ch = [100, 512, 256, 128, 64, 3]
        for (i, idx) in [0, 3, 6, 9, 12].enumerated() {
            sd["main.\(idx).weight"] = rng.normalTensor([ch[i], ch[i + 1], 4, 4], std: 0.02)
            if i < 4 {
                let c = ch[i + 1]
                sd["main.\(idx + 1).weight"] = Tensor(repeating: 1, shape: [c])
                sd["main.\(idx + 1).bias"] = Tensor(zeros: [c])
                sd["main.\(idx + 1).running_mean"] = Tensor(zeros: [c])
                sd["main.\(idx + 1).running_var"] = Tensor(repeating: 1, shape: [c])
            }
        }
        // The state dict is complete by construction.
        let g = try! DCGAN(stateDict: StateDict(sd, source: "random"))
        let z = Variable(rng.normalTensor([64, 100, 1, 1]))
        var flops = 0.0
        var r = 1
        for i in 0..<5 { let ro = i == 0 ? 4 : r * 2; flops += 2.0 * 64 * Double(ch[i] * ch[i + 1] * 16 * r * r); r = ro }
        return (g, z, flops)
    }

    /// DCGAN-64 generator throughput at batch 64 (random weights, eval mode).
    func dcgan(peak: Double) {
        let (g, z, flops) = dcganModel()
        let t = time { _ = GradMode.withoutGradients { g(z, features: true) } }
        print(String(format: "DCGAN-64 forward, batch 64, with features: %.1f ms (%.0f images/s, %.1f GFLOPS, %.0f%% of sgemm); %@: %.0f ms -> %.2fx as fast",
                     t * 1e3, 64 / t, flops / t / 1e9, 100 * flops / t / 1e9 / peak, torch.describe("dcgan64_forward_b64_ms"),
                     torch.dcganForward * 1e3, torch.dcganForward / t))
    }

    /// StyleGAN2-256 synthesis with features at batch 1 (the paper's
    /// configuration: fmaps_base 32768, fmaps_max 512; random weights).
    func stylegan2(peak: Double) {
        guard let g = try? PaperGenerators.make("stylegan2_church") as? StyleGAN2Generator else {
            print("StyleGAN2 build failed"); return
        }
        g.randomizeWeights(seed: 4)
        var rng = SeededRandom(seed: 5)
        let wp = GradMode.withoutGradients { g.latent(fromZ: Variable(rng.normalTensor([1, g.zDim])), strategy: .truncWP) }.value
        let t = time { _ = g.generate(wp, features: true) }
        // Convolution FLOPs: per resolution an up-conv on the half grid and a conv.
        var flops = 2.0 * 512 * 512 * 9 * 16
        var r = 8
        while r <= 256 {
            let cin = Double(min(32768 / (r / 2), 512)), c = Double(min(32768 / r, 512))
            flops += 2 * cin * c * 9 * Double(r * r / 4) + 2 * c * c * 9 * Double(r * r)
            r *= 2
        }
        print(String(format: "StyleGAN2-256 synthesis with features, batch 1: %.0f ms (%.1f GFLOPS in convolutions, %.0f%% of sgemm); PyTorch CPU figure quoted in the issues: 1.6-2.0 s -> %.2fx as fast",
                     t * 1e3, flops / t / 1e9, 100 * flops / t / 1e9 / peak, 1.8 / t))
    }
}
