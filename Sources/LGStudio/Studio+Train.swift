import Foundation
import LGTensor
import LGModelIO
import LGSemantics
import LGJobs

/// What `/api/train/sample` answers.
struct TrainSampleView: Codable, Sendable {
    var image: String
    /// The predictor's label map of the sample in the session's palette,
    /// when the session's classes are the predictor's (a starting annotation).
    var suggestion: String?
    var state: TrainView
}

/// What `/api/train/validate` answers.
struct ValidationView: Codable, Sendable {
    struct Sample: Codable, Sendable {
        var image: String
        var labels: String
        var predictorLabels: String?
    }
    var samples: [Sample]
    /// mIoU against the predictor's labels (classes equal to the predictor's).
    var mIoU: Float?
    var pixelAccuracy: Float?
    var step: Int
}

/// What `/api/train/save` answers.
struct SaveView: Codable, Sendable {
    var path: String
    var classes: [String]
    var step: Int
    var annotated: Int
}

extension Studio {
    func trainView(_ t: TrainSession) -> TrainView {
        TrainView(classes: t.classNames,
                  palette: StudioPNG.paletteHex(t.classNames.count),
                  annotated: t.annotations.count, hasSample: t.pending != nil, phase: t.phase.rawValue,
                  step: t.step, maxSteps: t.maxSteps, loss: t.lastLoss, annotationMIoU: t.annotationMIoU,
                  lossHistory: t.lossCurve(), saved: t.savedPath, error: t.lastError)
    }

    /// Whether the session's classes are the predictor's (its labels can then be a suggestion and ground truth).
    func classesMatchPredictor(_ t: TrainSession) -> Bool {
        model.predictor.map { $0.classNames == t.classNames } ?? false
    }

    func trainSample(_ s: StudioSession, seed: UInt64?) throws -> TrainSampleView {
        var rng = seed.map { SeededRandom(seed: $0) } ?? s.rng
        let sample = StudioSample.draw(model.generator, rng: &rng)
        if seed == nil { s.rng = rng }
        s.train.pending = sample
        var suggestion: String? = nil
        if classesMatchPredictor(s.train), let p = model.predictor {
            let l = p.labels(image: sample.image, labelResolution: model.labelResolution)
            suggestion = StudioPNG.dataURL(try StudioPNG.labels(l, nClasses: p.nClasses))
        }
        return TrainSampleView(image: StudioPNG.dataURL(try StudioPNG.image(sample.image)), suggestion: suggestion,
                               state: trainView(s.train))
    }

    func trainSetClasses(_ t: TrainSession, names: [String]) throws -> TrainView {
        let clean = names.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard clean.count >= 2, clean.count <= 64 else { throw StudioError.badRequest("give 2 to 64 class names (class 0 first, usually the background), got \(clean.count)") }
        guard clean.allSatisfy({ !$0.isEmpty && $0.count <= 40 && !$0.contains(",") }) else {
            throw StudioError.badRequest("class names must be 1 to 40 characters without commas")
        }
        guard Set(clean).count == clean.count else { throw StudioError.badRequest("class names must be distinct") }
        guard t.phase != .running && t.phase != .paused else {
            throw StudioError.conflict("stop the training before changing the classes")
        }
        let maxLabel = t.annotations.flatMap { a in a.mask.indices.filter { a.mask[$0] >= 0.5 }.map { Int(a.labels.data[$0]) } }.max() ?? 0
        guard maxLabel < clean.count else {
            throw StudioError.conflict("the annotations use class \(maxLabel); keep at least \(maxLabel + 1) classes")
        }
        if clean.count != t.classNames.count { t.learner = nil; t.step = 0; t.lastLoss = nil; t.lossHistory = []; t.setPhase(.idle) }
        t.classNames = clean
        return trainView(t)
    }

    func trainAnnotate(_ t: TrainSession, stroke: StrokeImage) throws -> TrainView {
        guard let p = t.pending else { throw StudioError.conflict("no sample to annotate: POST /api/train/sample first") }
        guard stroke.paintedCount > 0 else { throw StudioError.badRequest("the annotation paints no pixel of the label map") }
        t.annotations.append(TrainSession.Annotation(features: p.features, labels: stroke.labels, mask: stroke.mask))
        t.pending = nil
        return trainView(t)
    }

    func trainControl(_ s: StudioSession, command: String, learningRate: Float?, maxSteps: Int?) throws -> TrainView {
        let t = s.train
        if let m = maxSteps {
            guard m >= 1, m <= options.maxTrainSteps else { throw StudioError.badRequest("max_steps must be 1...\(options.maxTrainSteps), got \(m)") }
        }
        if let lr = learningRate { guard lr > 0, lr.isFinite, lr <= 1 else { throw StudioError.badRequest("lr must be in (0, 1], got \(lr)") } }
        switch command {
        case "start":
            guard t.phase != .running && t.phase != .paused else { throw StudioError.conflict("training is \(t.phase.rawValue); stop it first") }
            guard !t.annotations.isEmpty else { throw StudioError.conflict("annotate at least one sample before training") }
            t.learner = try FewShotLearner(nClass: t.classNames.count, dims: model.generator.featureChannels,
                                           learningRate: learningRate ?? 0.01, seed: options.seed &+ UInt64(s.index))
            t.step = 0; t.lastLoss = nil; t.lossHistory = []; t.roundLoss = 0; t.lastError = nil; t.savedPath = nil
            for i in t.annotations.indices { t.annotations[i].prediction = nil }
            t.maxSteps = maxSteps ?? 1000
            launch(s)
        case "pause":
            guard t.phase == .running else { throw StudioError.conflict("training is \(t.phase.rawValue), not running") }
            t.setPhase(.paused)
        case "resume":
            switch t.phase {
            case .paused: t.setPhase(.running)
            case .stopped, .finished:
                guard t.learner != nil else { throw StudioError.conflict("nothing to resume: start the training") }
                if let m = maxSteps { t.maxSteps = m }
                guard t.step < t.maxSteps else { throw StudioError.conflict("the training reached max_steps \(t.maxSteps); resume with a larger max_steps") }
                t.lastError = nil
                launch(s)
            default: throw StudioError.conflict("training is \(t.phase.rawValue); nothing to resume")
            }
        case "stop":
            guard t.phase == .running || t.phase == .paused else { throw StudioError.conflict("training is \(t.phase.rawValue), not running") }
            t.generation += 1
            t.setPhase(.stopped)
        default:
            throw StudioError.badRequest("unknown command '\(command)'; use start, pause, resume or stop")
        }
        return trainView(t)
    }

    private func launch(_ s: StudioSession) {
        s.train.generation += 1
        s.train.setPhase(.running)
        TrainerThread(studio: self, session: s.train, generation: s.train.generation).start()
    }

    func trainValidate(_ s: StudioSession, count: Int, seed: UInt64?) throws -> ValidationView {
        let t = s.train
        guard let learner = t.learner else { throw StudioError.conflict("nothing to validate: start the training first") }
        guard count >= 1, count <= options.maxValidationSamples else {
            throw StudioError.badRequest("count must be 1...\(options.maxValidationSamples), got \(count)")
        }
        var rng = seed.map { RandomStreams.make($0, "validate") } ?? s.rng
        let n = t.classNames.count, r = model.labelResolution
        let withTruth = classesMatchPredictor(t)
        var acc = IoUAccumulator(numClasses: n)
        var out: [ValidationView.Sample] = []
        for _ in 0..<count {
            let sample = StudioSample.draw(model.generator, rng: &rng)
            let dt = try GradMode.withoutGradients { try learner.extractor.predict(sample.features, size: r) }
            var v = ValidationView.Sample(image: StudioPNG.dataURL(try StudioPNG.image(sample.image)),
                                          labels: StudioPNG.dataURL(try StudioPNG.labels(dt, nClasses: n)))
            if withTruth, let p = model.predictor {
                let gt = p.labels(image: sample.image, labelResolution: r)
                acc.add(dt, gt)
                v.predictorLabels = StudioPNG.dataURL(try StudioPNG.labels(gt, nClasses: n))
            }
            out.append(v)
        }
        if seed == nil { s.rng = rng }
        let res = withTruth ? acc.result : nil
        return ValidationView(samples: out, mIoU: res.flatMap { $0.mIoU.isFinite ? $0.mIoU : nil },
                              pixelAccuracy: res?.pixelAccuracy, step: t.step)
    }

    /// Saves the learner's extractor as `extractors/NAME.safetensors` in the
    /// out folder, with `G` and `classes` in its metadata, so `evaluate`
    /// (without G) and `worker edit --extractor` read it.
    func trainSave(_ s: StudioSession, name: String) throws -> SaveView {
        let t = s.train
        guard let learner = t.learner else { throw StudioError.conflict("nothing to save: start the training first") }
        guard !name.isEmpty, name.count <= 64,
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }),
              !name.hasPrefix(".") else {
            throw StudioError.badRequest("name must be 1 to 64 characters of letters, digits, '-', '_' or '.', not starting with '.'")
        }
        let dir = options.outDirectory.appendingPathComponent("extractors")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name + ".safetensors")
        try SemanticCheckpoint.save(learner.extractor, to: url, metadata: [
            "G": model.generatorName, "classes": t.classNames.joined(separator: ","), "source": "worker studio /train",
            "annotated_samples": "\(t.annotations.count)", "steps": "\(t.step)",
        ])
        t.savedPath = url.path
        return SaveView(path: url.path, classes: t.classNames, step: t.step, annotated: t.annotations.count)
    }
}
