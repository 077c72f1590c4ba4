// The collector's figures (`collector plots`, the dashboard's /plots/NAME.svg)
// from the same metric rows as the tables:
//   iou_{G}            per-class IoU (%) bars per method: the numbers of SE_{G}
//   layer_weights_{G}  the LSE's normalised layer weights, read from the
//                      job's last checkpoint (expr/checkpoints/job-N/latest.ckpt)
//   curve_job{N}_{K}   a training curve, from metric rows named `K@STEP`
import Foundation
import LGStore

/// One figure: its file name (without `.svg`), title and SVG text.
public struct Plot: Sendable {
    public var name: String
    public var title: String
    /// `iou`, `layer_weights` or `curve`.
    public var kind: String
    public var svg: String

    /// The same figure as PNG (drawn from `svg` by `Raster`).
    public func png() throws -> [UInt8] { try Raster.png(svg: svg) }
}

/// The figures, and notes on figures that could not be drawn.
public struct PlotSet: Sendable {
    public var plots: [Plot]
    /// E.g. an LSE run whose checkpoint is missing or unreadable.
    public var notes: [String]

    /// What to say when there is no figure at all.
    public static let emptyMessage = "no figures yet: the store has no succeeded train job (per-class IoU, layer weights) and no metric rows named NAME@STEP (training curves)"
}

extension Reports {
    /// A file name part made of letters, digits, `.`, `_` and `-` only.
    public static func plotFileName(_ s: String) -> String {
        String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") ? $0 : "_" })
    }

    /// Metric keys `NAME@STEP` (e.g. `loss@200`) as curves, sorted by step.
    public static func curves(_ metrics: [String: Double]) -> [String: [[Double]]] {
        var out: [String: [[Double]]] = [:]
        for (k, v) in metrics {
            guard let at = k.lastIndex(of: "@"), let step = Double(k[k.index(after: at)...]), at > k.startIndex else { continue }
            out[String(k[..<at]), default: []].append([step, v])
        }
        return out.mapValues { $0.sorted { $0[0] < $1[0] } }
    }

    /// Every figure the store's rows allow, in a fixed order: iou_{G} and
    /// layer_weights_{G} for each G of SE_{G}, then the curves by job.
    public func plots() throws -> PlotSet {
        var plots: [Plot] = [], notes: [String] = []
        for g in try trainedGs() {
            plots.append(try iouPlot(G: g))
            let (p, n) = try layerWeightPlot(G: g)
            if let p { plots.append(p) }
            notes += n
        }
        plots += try curvePlots()
        // Names stay unique (two curve keys may map to one file name).
        var seen: [String: Int] = [:]
        for i in plots.indices {
            let n = plots[i].name
            seen[n, default: 0] += 1
            if seen[n]! > 1 { plots[i].name = "\(n)-\(seen[n]!)" }
        }
        return PlotSet(plots: plots, notes: notes)
    }

    /// iou_{G}: one group per class (then mIoU), one bar per row of SE_{G}
    /// with a run, heights the IoU in %.
    func iouPlot(G: String) throws -> Plot {
        let (classes, rows) = try classRuns(G: G)
        let withRuns = rows.filter { $0.run != nil }
        let groups: [String?] = classes.map { Optional($0) } + [nil]
        let values = withRuns.map { r in groups.map { Reports.classIoU(r.run, $0) } }
        let chart = BarChart(title: "\(G): per-class IoU (%)", yLabel: "IoU (%)",
                             groups: classes + ["mIoU"], series: withRuns.map(\.label), values: values, yMax: 100)
        return Plot(name: "iou_" + Reports.plotFileName(G), title: chart.title, kind: "iou", svg: chart.svg(kind: "iou"))
    }

    /// layer_weights_{G}: for each layer weighting with weights (softplus,
    /// sigmoid), the newest LSE run's normalised weights per layer, read from
    /// its last checkpoint beside the queue database.
    func layerWeightPlot(G: String) throws -> (Plot?, [String]) {
        let runs = try trainRuns().filter { $0.G == G && $0.SE == "LSE" }
        var series: [(String, LayerWeights)] = [], notes: [String] = []
        for lw in Reports.layerWeights where lw != "none" {
            guard let run = Reports.newest(runs.filter { $0.layerWeight == lw }) else { continue }
            guard let a = try store.latestArtifact(jobID: run.job.id, kind: "checkpoint") else {
                notes.append("layer weights of job \(run.job.id) (\(G) LSE, \(lw)): no checkpoint recorded"); continue
            }
            let path = a.path.hasPrefix("/") ? a.path : (queueRoot as NSString).appendingPathComponent(a.path)
            do {
                guard let w = try LayerWeights.read(checkpoint: path) else { continue }
                series.append(("LSE (\(lw)) job \(run.job.id)", w))
            } catch {
                notes.append("layer weights of job \(run.job.id) (\(G) LSE, \(lw)): \(error)")
            }
        }
        guard !series.isEmpty else { return (nil, notes) }
        // Groups: the generator layers of the longest series.
        let layers = series.map(\.1.layers).max { $0.count < $1.count } ?? []
        let values = series.map { _, w in layers.map { l in w.layers.firstIndex(of: l).map { w.weights[$0] } } }
        var chart = BarChart(title: "\(G): LSE layer weights", yLabel: "weight (normalised)",
                             groups: layers.map { "layer \($0)" }, series: series.map(\.0), values: values)
        chart.valueDecimals = 2
        return (Plot(name: "layer_weights_" + Reports.plotFileName(G), title: chart.title, kind: "layer_weights",
                     svg: chart.svg(kind: "layer_weights")), notes)
    }

    /// curve_job{N}_{K}: one figure per job and metric name K with rows `K@STEP`.
    func curvePlots() throws -> [Plot] {
        let byJob = Dictionary(grouping: try store.allMetrics().filter { $0.key.contains("@") }, by: \.jobID)
        guard !byJob.isEmpty else { return [] }
        let jobs = Dictionary(uniqueKeysWithValues: try store.jobs(ids: Array(byJob.keys)).map { ($0.id, $0) })
        var out: [Plot] = []
        for id in byJob.keys.sorted() {
            let curves = Reports.curves(Dictionary(byJob[id]!.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
            let j = jobs[id]
            let what = [j?.kind, j?.params["G"]?.stringValue, j?.params["SE"]?.stringValue].compactMap { $0 }.joined(separator: " ")
            for name in curves.keys.sorted() {
                let chart = LineChart(title: "job \(id)\(what.isEmpty ? "" : " (\(what))"): \(name)", xLabel: "step", yLabel: name,
                                      series: [(name, curves[name]!.map { (x: $0[0], y: $0[1]) })])
                out.append(Plot(name: "curve_job\(id)_" + Reports.plotFileName(name), title: chart.title, kind: "curve",
                                svg: chart.svg(kind: "curve")))
            }
        }
        return out
    }

    /// The folder of the queue database: artifact paths are relative to it.
    var queueRoot: String {
        let d = (store.path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }
}

/// An LSE's layer weights as used in its forward pass: softplus or sigmoid
/// of the parameter `layer_weight`, divided by their sum; `direct` as stored.
struct LayerWeights: Equatable {
    /// The generator layers the extractor reads (the architecture's `layers`).
    var layers: [Int]
    var weights: [Double]

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads a job checkpoint (`lineargan-job-checkpoint`: safetensors whose
    /// metadata `state` holds the job state with the architecture); nil for
    /// an extractor without layer weights (`lw_type` none, NSE-2).
    static func read(checkpoint path: String) throws -> LayerWeights? {
        guard let data = FileManager.default.contents(atPath: path) else { throw Unreadable(description: "no file \(path)") }
        let st = try Safetensors(data, path: path)
        guard st.metadata["format"] == "lineargan-job-checkpoint", let state = st.metadata["state"],
              let obj = try? JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any] else {
            throw Unreadable(description: "\(path) is not a job checkpoint")
        }
        guard let arch = obj["arch"] as? [String: Any] else { throw Unreadable(description: "\(path): the job state has no extractor architecture") }
        let type = arch["type"] as? String ?? "LSE"
        let lw = arch["lw_type"] as? String ?? (type == "NSE-2" ? "none" : "softplus")
        guard lw != "none" else { return nil }
        guard let theta = try st.floats("param/layer_weight") else { throw Unreadable(description: "\(path) holds no param/layer_weight") }
        let layers = (arch["layers"] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? Array(0..<theta.count)
        let w: [Double]
        switch lw {
        case "direct": w = theta
        case "softplus", "sigmoid":
            let f = theta.map { x in lw == "sigmoid" ? 1 / (1 + exp(-x)) : (x > 20 ? x : log1p(exp(x))) }
            let sum = f.reduce(0, +)
            w = f.map { $0 / sum }
        default: throw Unreadable(description: "\(path): unknown layer weighting \(lw)")
        }
        return LayerWeights(layers: layers.count == w.count ? layers : Array(0..<w.count), weights: w)
    }
}

/// Just enough of safetensors to read small float tensors: an 8-byte
/// little-endian header length, a JSON header, the data.
struct Safetensors {
    let data: Data
    let header: [String: Any]
    let dataStart: Int
    var metadata: [String: String] { header["__metadata__"] as? [String: String] ?? [:] }

    init(_ data: Data, path: String) throws {
        let bytes = [UInt8](data.prefix(8))
        guard bytes.count == 8 else { throw LayerWeights.Unreadable(description: "\(path): shorter than a safetensors header") }
        let n = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(data.count - 8),
              let h = try? JSONSerialization.jsonObject(with: data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + Int(n))) as? [String: Any] else {
            throw LayerWeights.Unreadable(description: "\(path): not a safetensors file")
        }
        self.data = data; header = h; dataStart = 8 + Int(n)
    }

    /// The values of float tensor `name` (F32, F16 or F64), nil if absent.
    func floats(_ name: String) throws -> [Double]? {
        guard let e = header[name] as? [String: Any] else { return nil }
        let bad = LayerWeights.Unreadable(description: "tensor \(name): bad entry in the safetensors header")
        guard let dtype = e["dtype"] as? String, let offs = (e["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
              offs.count == 2, offs[0] >= 0, offs[0] <= offs[1], dataStart + offs[1] <= data.count else { throw bad }
        let raw = [UInt8](data[(data.startIndex + dataStart + offs[0]) ..< (data.startIndex + dataStart + offs[1])])
        func word(_ i: Int, _ size: Int) -> UInt64 { (0..<size).reduce(UInt64(0)) { $0 | UInt64(raw[i * size + $1]) << (8 * UInt64($1)) } }
        switch dtype {
        case "F32": guard raw.count % 4 == 0 else { throw bad }; return (0..<raw.count / 4).map { Double(Float(bitPattern: UInt32(word($0, 4)))) }
        case "F64": guard raw.count % 8 == 0 else { throw bad }; return (0..<raw.count / 8).map { Double(bitPattern: word($0, 8)) }
        case "F16": guard raw.count % 2 == 0 else { throw bad }; return (0..<raw.count / 2).map { Safetensors.half(UInt16(word($0, 2))) }
        default: throw LayerWeights.Unreadable(description: "tensor \(name): dtype \(dtype) is not a float type read here")
        }
    }

    /// IEEE half precision to Double.
    static func half(_ h: UInt16) -> Double {
        let sign: Double = h & 0x8000 != 0 ? -1 : 1
        let e = Int((h >> 10) & 0x1f), m = Double(h & 0x3ff)
        if e == 0 { return sign * m * pow(2, -24) }
        if e == 31 { return m == 0 ? sign * .infinity : .nan }
        return sign * (1 + m / 1024) * pow(2, Double(e - 15))
    }
}
