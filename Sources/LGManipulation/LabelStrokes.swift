import Foundation
import LGTensor

/// A painted region of a label-map edit: a class filled into a rectangle or
/// an ellipse, in pixels of the label map. Strokes give the target and the
/// mask of an edit without an image editor (`worker edit --paint`), and a
/// front end can build them from a user's brush.
public struct LabelStroke: Sendable, Equatable {
    public enum Shape: String, Sendable, Equatable {
        /// `x0, y0, x1, y1`: the pixels with x0 <= x <= x1 and y0 <= y <= y1.
        case rect
        /// `cx, cy, rx, ry`: the pixels with ((x-cx)/rx)^2 + ((y-cy)/ry)^2 <= 1.
        case ellipse
    }

    public var classIndex: Int
    public var shape: Shape
    public var values: [Double]

    public init(classIndex: Int, shape: Shape, values: [Double]) {
        self.classIndex = classIndex; self.shape = shape; self.values = values
    }

    /// Parses `CLASS:SHAPE:a,b,c,d` where CLASS is a class index or one of
    /// `classNames`, e.g. `hair:rect:8,0,24,6` or `3:ellipse:16,20,5,3`.
    public init(parsing text: String, classNames: [String], nClasses: Int) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let usage = "expected CLASS:rect:x0,y0,x1,y1 or CLASS:ellipse:cx,cy,rx,ry (CLASS an index or a name), got '\(text)'"
        guard parts.count == 3, let shape = Shape(rawValue: parts[1]) else { throw ManipulationError.invalidOption(usage) }
        let numbers = parts[2].split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == 4, numbers.allSatisfy({ $0 != nil }) else { throw ManipulationError.invalidOption(usage) }
        let c: Int
        if let i = Int(parts[0]) { c = i } else if let i = classNames.firstIndex(of: parts[0]) { c = i } else {
            let known = classNames.isEmpty ? "class indices 0..<\(nClasses)" : classNames.joined(separator: ", ")
            throw ManipulationError.invalidOption("unknown class '\(parts[0])' in '\(text)'; known: \(known)")
        }
        guard c >= 0, c < nClasses else { throw ManipulationError.labelOutOfRange(what: "stroke '\(text)'", label: c, nClasses: nClasses) }
        let v = numbers.map { $0! }
        if shape == .ellipse, v[2] <= 0 || v[3] <= 0 {
            throw ManipulationError.invalidOption("ellipse radii must be positive in '\(text)'")
        }
        self.init(classIndex: c, shape: shape, values: v)
    }

    public func contains(x: Int, y: Int) -> Bool {
        let fx = Double(x), fy = Double(y)
        switch shape {
        case .rect:
            return fx >= min(values[0], values[2]) && fx <= max(values[0], values[2])
                && fy >= min(values[1], values[3]) && fy <= max(values[1], values[3])
        case .ellipse:
            let dx = (fx - values[0]) / values[2], dy = (fy - values[1]) / values[3]
            return dx * dx + dy * dy <= 1
        }
    }

    /// The target label map (1, size, size) and mask (size * size, 1 = painted)
    /// of strokes painted in order (later strokes over earlier ones). Pixels
    /// outside every stroke hold class 0 in the target; the mask makes the
    /// editor take the current labels there.
    public static func render(_ strokes: [LabelStroke], size: Int) throws -> (target: Labels, mask: [Float]) {
        var labels = [Int32](repeating: 0, count: size * size)
        var mask = [Float](repeating: 0, count: size * size)
        for s in strokes {
            for y in 0..<size {
                for x in 0..<size where s.contains(x: x, y: y) {
                    labels[y * size + x] = Int32(s.classIndex); mask[y * size + x] = 1
                }
            }
        }
        guard mask.contains(1) else {
            throw ManipulationError.invalidOption("the strokes cover no pixel of the \(size)x\(size) label map")
        }
        return (Labels(shape: [1, size, size], data: labels), mask)
    }
}
