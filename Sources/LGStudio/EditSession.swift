import Foundation
import LGTensor
import LGSemantics
import LGManipulation

/// `/edit` state of one browser: the current per-layer z, the latents
/// before each edit (for undo), and the last images, label maps and stroke.
/// Used only under the studio's compute lock.
final class EditSession {
    struct Snapshot {
        var latent: Tensor
        var image: Tensor
        var labels: Labels
    }

    var current: Snapshot?
    var undoStack: [Snapshot] = []
    /// Label map before the last edit and the last stroke (label map + mask).
    var previousLabels: Labels?
    var lastStroke: (labels: Labels, mask: [Float])?
    var edits = 0
    /// Undo depth kept (older latents are dropped).
    static let maxUndo = 32
}

/// What `/api/edit/*` answers.
struct EditView: Codable, Sendable {
    var image: String
    var labels: String
    var edits: Int
    var canUndo: Bool
    /// After an edit: the label map before it, the stroke, and measurements.
    var previousLabels: String?
    var previousImage: String?
    var stroke: String?
    var metrics: [String: Float]?
    var lossHistory: [Float]?
}

extension Studio {
    func editView(_ s: EditSession, includeEdit: Bool) throws -> EditView {
        guard let c = s.current else { throw StudioError.conflict("no sample yet: POST /api/edit/sample first") }
        var v = EditView(image: StudioPNG.dataURL(try StudioPNG.image(c.image)),
                         labels: StudioPNG.dataURL(try StudioPNG.labels(c.labels, nClasses: model.nClasses)),
                         edits: s.edits, canUndo: !s.undoStack.isEmpty)
        if includeEdit, let p = s.previousLabels, let st = s.lastStroke {
            v.previousLabels = StudioPNG.dataURL(try StudioPNG.labels(p, nClasses: model.nClasses))
            if let prev = s.undoStack.last { v.previousImage = StudioPNG.dataURL(try StudioPNG.image(prev.image)) }
            v.stroke = StudioPNG.dataURL(try StudioPNG.stroke(st.labels, mask: st.mask, nClasses: model.nClasses))
        }
        return v
    }

    /// The extractor's labels of a sample at the label resolution.
    func extractorLabels(_ sample: StudioSample) throws -> Labels {
        try GradMode.withoutGradients { try model.extractor.predict(sample.features, size: model.labelResolution) }
    }

    /// A new sample (z from `seed`, else the session's stream); clears undo.
    func editSample(_ s: EditSession, sessionRNG: inout SeededRandom, seed: UInt64?) throws -> EditView {
        var rng = seed.map { SeededRandom(seed: $0) } ?? sessionRNG
        let sample = StudioSample.draw(model.generator, rng: &rng)
        if seed == nil { sessionRNG = rng }
        s.current = EditSession.Snapshot(latent: sample.latent, image: sample.image, labels: try extractorLabels(sample))
        s.undoStack = []
        s.previousLabels = nil
        s.lastStroke = nil
        s.edits = 0
        return try editView(s, includeEdit: false)
    }

    /// Runs the latent-optimisation editor toward the stroke painted over
    /// the current label map; the result becomes the current sample.
    func editSubmit(_ s: EditSession, stroke: StrokeImage, iterations: Int, learningRate: Float) throws -> EditView {
        guard let c = s.current else { throw StudioError.conflict("no sample yet: POST /api/edit/sample first") }
        guard stroke.paintedCount > 0 else { throw StudioError.badRequest("the stroke paints no pixel of the label map") }
        let editor = SemanticEditor(generator: model.generator, extractor: model.extractor)
        let r = try editor.edit(latent: .mixedZ(c.latent), target: .labels(stroke.labels), mask: stroke.mask, loss: .extractor,
                                options: EditOptions(nIter: iterations, learningRate: learningRate, space: .mixwp))
        let after = StudioSample.render(model.generator, latent: r.latent)
        s.undoStack.append(c)
        if s.undoStack.count > EditSession.maxUndo { s.undoStack.removeFirst() }
        s.current = EditSession.Snapshot(latent: r.latent, image: after.image, labels: try extractorLabels(after))
        s.previousLabels = c.labels
        s.lastStroke = (stroke.labels, stroke.mask)
        s.edits += 1
        var metrics = r.metrics
        // The share of painted pixels whose label changed, and the share now holding the painted class.
        var changed = 0, hit = 0, n = 0
        let now = s.current!.labels
        for i in 0..<stroke.mask.count where stroke.mask[i] >= 0.5 {
            n += 1
            if now.data[i] != c.labels.data[i] { changed += 1 }
            if now.data[i] == stroke.labels.data[i] { hit += 1 }
        }
        metrics["changed_inside"] = Float(changed) / Float(max(n, 1))
        metrics["painted_class_inside"] = Float(hit) / Float(max(n, 1))
        var v = try editView(s, includeEdit: true)
        v.metrics = metrics
        v.lossHistory = r.lossHistory
        return v
    }

    /// Back to the latent before the last edit.
    func editUndo(_ s: EditSession) throws -> EditView {
        guard let prev = s.undoStack.popLast() else { throw StudioError.conflict("nothing to undo") }
        s.current = prev
        s.edits = max(0, s.edits - 1)
        s.previousLabels = nil
        s.lastStroke = nil
        return try editView(s, includeEdit: false)
    }
}
