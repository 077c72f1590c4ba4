import Foundation
import LGTensor
import LGModels
import LGSemantics
import LGJobs

/// One measured pipeline step: the stages of a `train` job's step, in seconds.
struct JobStepTimes: Codable {
    var generator: Double
    var predictor: Double
    var extractor: Double
    var peakMB: Int
    var step: Double { generator + predictor + extractor }
}

/// `--section job`: one full training step of a `train` job at the paper's
/// scale (latents -> generator with features -> predictor labels ->
/// extractor forward, loss, backward, Adam), random weights, per pipeline and
/// extractor; each case in its own child process so that its peak memory is
/// its own.
enum JobBench {
    /// (registered generator, what the line calls it). The predictor and the
    /// label resolution are the registry's: the face parser at 512 px, the
    /// scene segmenter at 256 px.
    static let pipelines: [(generator: String, title: String)] = [
        ("stylegan2_ffhq", "StyleGAN2-FFHQ-1024 + face parser, labels 512"),
        ("pggan_celebahq", "PGGAN-CelebA-HQ-1024 + face parser, labels 512"),
        ("stylegan2_bedroom", "StyleGAN2-bedroom-256 + scene segmenter, labels 256"),
    ]
    static let extractors: [ExtractorType] = [.lse, .nse1, .nse2]

    /// The child's work (`lg-bench --job-case G:SE[+SE...]`): builds the
    /// models, runs a warm-up step and `steps` timed ones, returns each
    /// stage's median. Several extractors: a fused cell's step (one
    /// generator and predictor pass, every extractor stepped on it; the
    /// extractor stage is their sum).
    static func measure(generator name: String, extractors ses: [ExtractorType], steps: Int) throws -> JobStepTimes {
        let registry = try ModelRegistry.standard()
        let models = try registry.randomJobModels(generator: name, seed: 1)
        let g = models.generator
        var initRNG = SeededRandom(seed: 2)
        let trained = try ses.map { extractor in
            let arch = ExtractorArch(type: extractor, nClass: models.predictor.nClasses, dims: g.featureChannels,
                                     layers: Array(0..<g.featureChannels.count), lwType: extractor == .nse2 ? nil : .softplus)
            let se = try makeSemanticExtractor(arch, rng: &initRNG)
            return (se, makeOptimizer(for: se, learningRate: 0.001, layerWeightLRScale: 10))
        }
        var rng = SeededRandom(seed: 3)
        var times: [[Double]] = [[], [], []]
        func clock<T>(_ stage: Int, _ body: () throws -> T) rethrows -> T {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let r = try body()
            times[stage].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            return r
        }
        for _ in 0...steps {
            let (image, features) = clock(0) { models.sample(strategy: .truncWP, rng: &rng) }
            let labels = clock(1) { models.labels(image) }
            try clock(2) {
                for (se, opt) in trained {
                    let (loss, _) = try se.trainingLoss(features: features, labels: labels, kind: .normal)
                    loss.backward()
                    opt.step()
                    opt.zeroGrad()
                }
            }
        }
        let median = { (xs: [Double]) in Array(xs.dropFirst()).sorted()[(xs.count - 1) / 2] }
        return JobStepTimes(generator: median(times[0]), predictor: median(times[1]), extractor: median(times[2]),
                            peakMB: Bench.peakResidentMB())
    }
}

extension JobBench {
    /// The parent's side: one child per case, a line per case ending in the
    /// ratio to PyTorch's time when `torch` has the figure, then the projected
    /// CPU time of the paper's Table 1 and Table 2 grids.
    static func run(quick: Bool, threads: Int?, torch: TorchReference) {
        print("paper-scale train job step (random weights, batch 1, trunc-wp latents, LG_WINOGRAD=\(Winograd.Policy.trainingDefault.rawValue) as a train job; each case in its own process)")
        var measured: [String: JobStepTimes] = [:]
        for p in pipelines {
            for se in extractors {
                let key = "\(p.generator):\(se.rawValue)"
                var args = ["--job-case", key]
                if quick { args.append("--quick") }
                if let threads { args += ["--threads", "\(threads)"] }
                switch runChild(args) {
                case .failure(let why):
                    print("\(p.title), \(se.rawValue): failed: \(why)")
                case .success(let t):
                    measured[key] = t
                    print(line(title: p.title, extractor: se, ours: t, torch: torch.job[key], source: torch.source))
                }
            }
            // The fused cell of the three (what a worker runs with --fuse 3).
            let key = "\(p.generator):" + extractors.map(\.rawValue).joined(separator: "+")
            var args = ["--job-case", key]
            if quick { args.append("--quick") }
            if let threads { args += ["--threads", "\(threads)"] }
            switch runChild(args) {
            case .failure(let why): print("\(p.title), fused cell: failed: \(why)")
            case .success(let t):
                measured[key] = t
                print(cellLine(title: p.title, cell: t, alone: extractors.compactMap { measured["\(p.generator):\($0.rawValue)"] }))
            }
        }
        if torch.job.isEmpty {
            print("PyTorch: no job figures (write them with scripts/torch-reference.py --section job --reference DIR --out FILE, pass --torch-reference FILE)")
        }
        for line in projection(measured, torch: torch.job) { print(line) }
    }

    static func line(title: String, extractor: ExtractorType, ours t: JobStepTimes, torch pt: JobStepTimes?, source: String) -> String {
        func share(_ x: Double) -> String { String(format: "%.0f%%", 100 * x / t.step) }
        var s = String(format: "%@, %@: %.0f ms a step (generator %@, predictor %@, extractor %@), peak %d MB",
                       title, extractor.rawValue, t.step * 1e3, share(t.generator), share(t.predictor), share(t.extractor), t.peakMB)
        if let pt {
            s += String(format: "; %@: %.0f ms (generator %.0f, predictor %.0f, extractor %.0f), peak %d MB -> %.2fx PyTorch's time",
                        source, pt.step * 1e3, pt.generator * 1e3, pt.predictor * 1e3, pt.extractor * 1e3, pt.peakMB, t.step / pt.step)
        }
        return s
    }

    /// A fused cell's step against its jobs' steps alone, measured in this run.
    static func cellLine(title: String, cell t: JobStepTimes, alone: [JobStepTimes]) -> String {
        var s = String(format: "%@, fused cell LSE + NSE-1 + NSE-2: %.0f ms a step for the three (generator %.0f, predictor %.0f, extractors %.0f), peak %d MB",
                       title, t.step * 1e3, t.generator * 1e3, t.predictor * 1e3, t.extractor * 1e3, t.peakMB)
        if alone.count == extractors.count {
            let sum = alone.map(\.step).reduce(0, +)
            s += String(format: "; the three alone %.0f ms, peaks up to %d MB -> %.2fx their time", sum * 1e3,
                        alone.map(\.peakMB).max() ?? 0, t.step / sum)
        }
        return s
    }

    /// Table 1 (`sr_all_method`: 9 GANs x 3 extractors, 50 x 1024 steps and
    /// 10,000 evaluation samples each) and Table 2 (`train_fewshot` preset
    /// paper: 3 StyleGAN2 x 4 sample counts x 5 repeats, LSE, 50 x 128 steps
    /// on stored features, 10,000 evaluation samples), from the measured
    /// steps. Each GAN is costed by the measured pipeline of its predictor and
    /// size (StyleGAN-CelebA-HQ as StyleGAN2-FFHQ, every scene GAN as
    /// StyleGAN2-bedroom); an evaluation sample as generator + predictor +
    /// a third of the extractor step (its forward). Estimates, not runs.
    static func projection(_ m: [String: JobStepTimes], torch: [String: JobStepTimes]) -> [String] {
        let table1: [(String, Int)] = [("stylegan2_ffhq", 2), ("pggan_celebahq", 1), ("stylegan2_bedroom", 6)]
        func hours(_ src: [String: JobStepTimes]) -> (t1: Double, t2: Double)? {
            var t1 = 0.0, t2 = 0.0
            for (g, count) in table1 {
                for se in extractors {
                    guard let t = src["\(g):\(se.rawValue)"] else { return nil }
                    let eval = t.generator + t.predictor + t.extractor / 3
                    t1 += Double(count) * (51_200 * t.step + 10_000 * eval)
                }
            }
            for g in ["stylegan2_ffhq", "stylegan2_bedroom", "stylegan2_bedroom"] {
                guard let t = src["\(g):LSE"] else { return nil }
                // 4 sample counts x 5 repeats; the labelled samples' features once (<= 16 generator passes).
                t2 += 20 * (6_400 * t.extractor + 16 * (t.generator + t.predictor) + 10_000 * (t.generator + t.predictor + t.extractor / 3))
            }
            return (t1 / 3600, t2 / 3600)
        }
        var out: [String] = []
        if let ours = hours(m) {
            var s = String(format: "projected CPU time on this machine (one slot): Table 1 %.0f h, Table 2 (paper preset) %.0f h", ours.t1, ours.t2)
            if let pt = hours(torch) { s += String(format: "; PyTorch %.0f h and %.0f h", pt.t1, pt.t2) }
            out.append(s)
        }
        // Table 1 in fused cells: per GAN, one cell step for the three
        // extractors, and an evaluation sample's generator and predictor once.
        let cell = extractors.map(\.rawValue).joined(separator: "+")
        let fused = table1.map { g, count -> Double? in
            guard let t = m["\(g):\(cell)"] else { return nil }
            return Double(count) * (51_200 * t.step + 10_000 * (t.generator + t.predictor + t.extractor / 3))
        }
        if fused.allSatisfy({ $0 != nil }) {
            out.append(String(format: "projected Table 1 in fused cells (worker --fuse 3, the default): %.0f h", fused.map { $0! }.reduce(0, +) / 3600))
        }
        return out
    }

    static func runChild(_ args: [String]) -> Result<JobStepTimes, ChildError> {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { return .failure(ChildError("cannot start \(args): \(error)")) }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard p.terminationStatus == 0, let t = try? JSONDecoder().decode(JobStepTimes.self, from: Data(last.utf8)) else {
            let tail = errText.split(separator: "\n").suffix(3).joined(separator: " | ")
            return .failure(ChildError("exit \(p.terminationStatus): \(tail.isEmpty ? last : tail)"))
        }
        return .success(t)
    }

    struct ChildError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}
