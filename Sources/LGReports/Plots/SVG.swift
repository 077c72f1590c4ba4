// A small SVG writer for the collector's figures: text escaping, fixed
// number formatting, linear scales with round ticks, and two charts
// (grouped bars, lines) with axes and a legend. Foundation only, and
// deterministic: the same input gives the same bytes.
import Foundation

public enum SVG {
    /// Text and attribute values escaped for XML.
    public static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters are not allowed in XML 1.0 (tab, newline, return are).
            case _ where ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r": out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A coordinate with two decimals ("-0.00" written as "0.00").
    static func num(_ v: Double) -> String {
        let s = String(format: "%.2f", v)
        return s == "-0.00" ? "0.00" : s
    }

    /// Series colours, in order (repeating after the last).
    static let palette = ["#2d6cdf", "#e8833a", "#3aa76d", "#9b59b6", "#c0392b", "#16a2b8", "#7f6a00", "#7f8c8d"]
    static func colour(_ i: Int) -> String { palette[i % palette.count] }

    static let font = "font-family=\"sans-serif\""

    static func header(width: Double, height: Double, title: String, kind: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(num(width))\" height=\"\(num(height))\" viewBox=\"0 0 \(num(width)) \(num(height))\" data-kind=\"\(esc(kind))\">\n"
            + "<title>\(esc(title))</title>\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(num(width))\" height=\"\(num(height))\" fill=\"#ffffff\"/>\n"
            + "<text x=\"\(num(width / 2))\" y=\"20\" text-anchor=\"middle\" \(font) font-size=\"14\" font-weight=\"bold\">\(esc(title))</text>\n"
    }

    /// A legend: one swatch and name per series, from (x, y) downwards.
    static func legend(_ names: [String], x: Double, y: Double, line: Bool = false) -> String {
        var s = "<g class=\"legend\">\n"
        for (i, n) in names.enumerated() {
            let yy = y + Double(i) * 18
            if line {
                s += "<line x1=\"\(num(x))\" y1=\"\(num(yy + 6))\" x2=\"\(num(x + 14))\" y2=\"\(num(yy + 6))\" stroke=\"\(colour(i))\" stroke-width=\"2\"/>"
            } else {
                s += "<rect x=\"\(num(x))\" y=\"\(num(yy))\" width=\"12\" height=\"12\" fill=\"\(colour(i))\"/>"
            }
            s += "<text x=\"\(num(x + 18))\" y=\"\(num(yy + 10))\" \(font) font-size=\"11\">\(esc(n))</text>\n"
        }
        return s + "</g>\n"
    }

    /// Width the bold 14 px title needs (an estimate: 8.5 px a character).
    static func titleWidth(_ title: String) -> Double { 20 + Double(title.count) * 8.5 }

    /// Width of the legend for `names` (an estimate: 6.5 px a character).
    static func legendWidth(_ names: [String]) -> Double {
        names.isEmpty ? 0 : 30 + Double(names.map(\.count).max() ?? 0) * 6.5
    }
}

/// A linear map from data values to pixels over a domain with round ends.
struct LinearScale {
    var lo: Double, hi: Double
    var r0: Double, r1: Double
    var ticks: [Double]
    var step: Double

    /// A domain covering `min...max` (and 0 when `includeZero`), widened to round tick values.
    init(min a: Double, max b: Double, range r0: Double, _ r1: Double, includeZero: Bool = true, tickCount: Int = 5) {
        var lo = Swift.min(a, b), hi = Swift.max(a, b)
        if includeZero { lo = Swift.min(lo, 0); hi = Swift.max(hi, 0) }
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
        if hi - lo < 1e-12 { hi = lo + (lo == 0 ? 1 : abs(lo) * 0.1) }
        step = LinearScale.niceStep((hi - lo) / Double(Swift.max(1, tickCount)))
        self.lo = (lo / step).rounded(.down) * step
        self.hi = (hi / step).rounded(.up) * step
        self.r0 = r0; self.r1 = r1
        var t: [Double] = []
        var v = self.lo
        while v <= self.hi + step * 1e-9 { t.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        ticks = t
    }

    func callAsFunction(_ v: Double) -> Double { r0 + (v - lo) / (hi - lo) * (r1 - r0) }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let mag = pow(10, (log10(raw)).rounded(.down))
        let n = raw / mag
        return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag
    }

    /// A tick label with as many decimals as the step needs.
    func label(_ v: Double) -> String {
        let d = step >= 1 ? 0 : Int((-log10(step) - 1e-9).rounded(.up))
        let s = String(format: "%.\(d)f", v)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }
}

/// Grouped bars: one group per category, one bar per series in each group.
public struct BarChart: Sendable {
    public var title: String
    public var yLabel: String
    /// Categories along x (one group of bars each).
    public var groups: [String]
    /// Series (one bar per group each, and a legend entry).
    public var series: [String]
    /// values[series][group]; nil draws no bar (a dash marks it).
    public var values: [[Double?]]
    /// Upper end of the y axis (e.g. 100 for percentages); nil: from the data.
    public var yMax: Double?
    /// Decimals of the value printed above each bar (nil: none printed).
    public var valueDecimals: Int? = 1

    public init(title: String, yLabel: String, groups: [String], series: [String], values: [[Double?]], yMax: Double? = nil) {
        self.title = title; self.yLabel = yLabel; self.groups = groups; self.series = series; self.values = values; self.yMax = yMax
    }

    public func svg(kind: String = "bars") -> String {
        let barWidth = 14.0, groupGap = 18.0
        let groupWidth = Double(max(1, series.count)) * barWidth + groupGap
        let longest = Double(groups.map(\.count).max() ?? 0)
        let left = 64.0, top = 36.0, bottom = 40 + min(120, longest * 5.5)
        let plotW = max(240, Double(groups.count) * groupWidth)
        let legendW = SVG.legendWidth(series)
        let width = max(left + plotW + 20 + legendW, SVG.titleWidth(title)), plotH = 240.0, height = top + plotH + bottom
        let all = values.flatMap { $0.compactMap { $0 } }.filter(\.isFinite)
        let y = LinearScale(min: all.min() ?? 0, max: yMax.map { max($0, all.max() ?? 0) } ?? (all.max() ?? 1),
                            range: top + plotH, top)
        var s = SVG.header(width: width, height: height, title: title, kind: kind)
        s += axes(y: y, left: left, top: top, plotW: plotW, plotH: plotH)
        // Bars, group by group.
        s += "<g class=\"bars\">\n"
        let zero = y(0)
        for (gi, g) in groups.enumerated() {
            let gx = left + Double(gi) * groupWidth + groupGap / 2
            for (si, name) in series.enumerated() {
                let x = gx + Double(si) * barWidth
                let v = si < values.count && gi < values[si].count ? values[si][gi] : nil
                guard let v, v.isFinite else {
                    s += "<text class=\"missing\" x=\"\(SVG.num(x + barWidth / 2))\" y=\"\(SVG.num(zero - 3))\" text-anchor=\"middle\" \(SVG.font) font-size=\"10\" fill=\"#888888\">–</text>\n"
                    continue
                }
                let yv = y(v)
                let (y0, h) = (min(yv, zero), abs(zero - yv))
                s += "<rect class=\"bar\" data-series=\"\(SVG.esc(name))\" data-group=\"\(SVG.esc(g))\" data-value=\"\(SVG.esc(String(v)))\""
                    + " x=\"\(SVG.num(x))\" y=\"\(SVG.num(y0))\" width=\"\(SVG.num(barWidth - 2))\" height=\"\(SVG.num(h))\" fill=\"\(SVG.colour(si))\">"
                    + "<title>\(SVG.esc("\(name), \(g): \(String(format: "%.\(valueDecimals ?? 3)f", v))"))</title></rect>\n"
                if let d = valueDecimals {
                    s += "<text class=\"value\" x=\"\(SVG.num(x + barWidth / 2 - 1))\" y=\"\(SVG.num(y0 - 2))\" text-anchor=\"middle\" \(SVG.font) font-size=\"7\" fill=\"#444444\">\(String(format: "%.\(d)f", v))</text>\n"
                }
            }
            let cx = gx + Double(series.count) * barWidth / 2
            let ly = top + plotH + 14
            s += "<text class=\"group\" x=\"\(SVG.num(cx))\" y=\"\(SVG.num(ly))\" text-anchor=\"end\" transform=\"rotate(-35 \(SVG.num(cx)) \(SVG.num(ly)))\" \(SVG.font) font-size=\"11\">\(SVG.esc(g))</text>\n"
        }
        s += "</g>\n"
        s += SVG.legend(series, x: left + plotW + 20, y: top)
        return s + "</svg>\n"
    }

    func axes(y: LinearScale, left: Double, top: Double, plotW: Double, plotH: Double) -> String {
        var s = "<g class=\"axes\" \(SVG.font) font-size=\"10\">\n"
        for t in y.ticks {
            let yy = y(t)
            s += "<line x1=\"\(SVG.num(left))\" y1=\"\(SVG.num(yy))\" x2=\"\(SVG.num(left + plotW))\" y2=\"\(SVG.num(yy))\" stroke=\"#e3e3e3\"/>"
            s += "<text x=\"\(SVG.num(left - 6))\" y=\"\(SVG.num(yy + 3))\" text-anchor=\"end\">\(y.label(t))</text>\n"
        }
        s += "<line x1=\"\(SVG.num(left))\" y1=\"\(SVG.num(top))\" x2=\"\(SVG.num(left))\" y2=\"\(SVG.num(top + plotH))\" stroke=\"#333333\"/>\n"
        s += "<line x1=\"\(SVG.num(left))\" y1=\"\(SVG.num(y(0)))\" x2=\"\(SVG.num(left + plotW))\" y2=\"\(SVG.num(y(0)))\" stroke=\"#333333\"/>\n"
        let my = top + plotH / 2
        s += "<text x=\"16\" y=\"\(SVG.num(my))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(SVG.num(my)))\" font-size=\"11\">\(SVG.esc(yLabel))</text>\n"
        return s + "</g>\n"
    }
}

/// Lines through (x, y) points, one per series, with dots at the points.
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [(name: String, points: [(x: Double, y: Double)])]

    public init(title: String, xLabel: String, yLabel: String, series: [(name: String, points: [(x: Double, y: Double)])]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
    }

    public func svg(kind: String = "lines") -> String {
        let left = 64.0, top = 36.0, plotW = 420.0, plotH = 240.0, bottom = 48.0
        let legendW = SVG.legendWidth(series.map(\.name))
        let width = max(left + plotW + 20 + legendW, SVG.titleWidth(title)), height = top + plotH + bottom
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let x = LinearScale(min: pts.map(\.x).min() ?? 0, max: pts.map(\.x).max() ?? 1, range: left, left + plotW, includeZero: false)
        let y = LinearScale(min: pts.map(\.y).min() ?? 0, max: pts.map(\.y).max() ?? 1, range: top + plotH, top, includeZero: false)
        var s = SVG.header(width: width, height: height, title: title, kind: kind)
        s += "<g class=\"axes\" \(SVG.font) font-size=\"10\">\n"
        for t in y.ticks {
            s += "<line x1=\"\(SVG.num(left))\" y1=\"\(SVG.num(y(t)))\" x2=\"\(SVG.num(left + plotW))\" y2=\"\(SVG.num(y(t)))\" stroke=\"#e3e3e3\"/>"
            s += "<text x=\"\(SVG.num(left - 6))\" y=\"\(SVG.num(y(t) + 3))\" text-anchor=\"end\">\(y.label(t))</text>\n"
        }
        for t in x.ticks {
            s += "<text x=\"\(SVG.num(x(t)))\" y=\"\(SVG.num(top + plotH + 14))\" text-anchor=\"middle\">\(x.label(t))</text>\n"
        }
        s += "<rect x=\"\(SVG.num(left))\" y=\"\(SVG.num(top))\" width=\"\(SVG.num(plotW))\" height=\"\(SVG.num(plotH))\" fill=\"none\" stroke=\"#333333\"/>\n"
        s += "<text x=\"\(SVG.num(left + plotW / 2))\" y=\"\(SVG.num(top + plotH + 34))\" text-anchor=\"middle\" font-size=\"11\">\(SVG.esc(xLabel))</text>\n"
        let my = top + plotH / 2
        s += "<text x=\"16\" y=\"\(SVG.num(my))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(SVG.num(my)))\" font-size=\"11\">\(SVG.esc(yLabel))</text>\n"
        s += "</g>\n"
        for (i, ser) in series.enumerated() {
            let p = ser.points.filter { $0.x.isFinite && $0.y.isFinite }
            s += "<g class=\"series\" data-series=\"\(SVG.esc(ser.name))\">\n"
            s += "<polyline fill=\"none\" stroke=\"\(SVG.colour(i))\" stroke-width=\"1.5\" points=\"" + p.map { "\(SVG.num(x($0.x))),\(SVG.num(y($0.y)))" }.joined(separator: " ") + "\"/>\n"
            for q in p {
                s += "<circle cx=\"\(SVG.num(x(q.x)))\" cy=\"\(SVG.num(y(q.y)))\" r=\"2\" fill=\"\(SVG.colour(i))\"><title>\(SVG.esc("\(ser.name) at \(LinearScale.plain(q.x)): \(LinearScale.plain(q.y))"))</title></circle>\n"
            }
            s += "</g>\n"
        }
        s += SVG.legend(series.map(\.name), x: left + plotW + 20, y: top, line: true)
        return s + "</svg>\n"
    }
}

extension LinearScale {
    /// A value in a title: integers without decimals, others with up to 4.
    static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.4g", v)
    }
}
