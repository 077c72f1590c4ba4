import XCTest
import Foundation
import Hummingbird
import HummingbirdTesting
import LGTensor
import LGModelIO
import LGSemantics
import LGJobs
@testable import LGStudio

/// `/train` and its API: annotate, train in the background, validate, save,
/// and the saved extractor evaluated as the jobs evaluate one.
final class TrainRouteTests: XCTestCase {
    /// Polls the state until `done` holds (or fails after `timeout` s).
    static func waitState(_ client: some TestClientProtocol, _ h: HTTPFields, timeout: Double = 90,
                   _ done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let start = Date()
        while true {
            let (s, v) = try await client.get("/api/train/state", headers: h)
            XCTAssertEqual(s, .ok)
            if done(v) { return v }
            if Date().timeIntervalSince(start) > timeout { XCTFail("timed out: \(v)"); return v }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Annotates the sample of `seed` with its predictor labels (the page's
    /// "start from the predictor's labels") and adds it.
    static func annotate(_ client: some TestClientProtocol, _ h: HTTPFields, seed: Int, studio: Studio,
                  keep: (Int, Int) -> Bool = { _, _ in true }) async throws -> [String: Any] {
        let (s, v) = try await client.post("/api/train/sample", ["seed": seed], headers: h)
        XCTAssertEqual(s, .ok)
        let r = studio.model.labelResolution, n = studio.model.predictor!.nClasses
        let labels = try PNGData.labels(v["suggestion"])
        let pal = ImageSheet.labelPalette(n)
        let stroke = try PNGData.stroke(side: 8 * r) { x, y in keep(x / 8, y / 8) ? pal[Int(labels[(y / 8) * r + x / 8])] : nil }
        let (s2, st) = try await client.post("/api/train/annotate", ["stroke": stroke], headers: h)
        XCTAssertEqual(s2, .ok, "\(st)")
        return st
    }

    func testAnnotateTrainValidateSaveAndEvaluateTheSavedExtractor() async throws {
        let (studio, out) = try StudioFixture.studio()
        let app = Application(router: studio.makeRouter())
        let (saved, validated): (String, [String]) = try await app.test(.router) { client in
            let h = try await client.newSession()
            let (_, st0) = try await client.get("/api/train/state", headers: h)
            XCTAssertEqual(st0["classes"] as? [String], studio.model.predictor!.classNames)
            XCTAssertEqual(st0["phase"] as? String, "idle")
            // Nothing to annotate, train, validate or save yet.
            let pal = ImageSheet.labelPalette(studio.model.nClasses)
            let dot = try PNGData.stroke(side: 32) { _, _ in pal[1] }
            let (sa, _) = try await client.post("/api/train/annotate", ["stroke": dot], headers: h)
            XCTAssertEqual(sa, .conflict)
            let (sb, eb) = try await client.post("/api/train/control", ["command": "start"], headers: h)
            XCTAssertEqual(sb, .conflict)
            XCTAssertEqual(eb["error"] as? String, "annotate at least one sample before training")
            let (sc, _) = try await client.post("/api/train/validate", [:], headers: h)
            XCTAssertEqual(sc, .conflict)
            let (sd, _) = try await client.post("/api/train/save", ["name": "x"], headers: h)
            XCTAssertEqual(sd, .conflict)

            // Two samples: one fully annotated, one on its left half only.
            _ = try await Self.annotate(client, h, seed: 21, studio: studio)
            let st2 = try await Self.annotate(client, h, seed: 22, studio: studio) { x, _ in x < 16 }
            XCTAssertEqual(st2["annotated"] as? Int, 2)

            let (s1, v1) = try await client.post("/api/train/control", ["command": "start", "lr": 0.01, "max_steps": 1000], headers: h)
            XCTAssertEqual(s1, .ok, "\(v1)")
            XCTAssertEqual(v1["phase"] as? String, "running")
            let (sx, ex) = try await client.post("/api/train/classes", ["names": ["a", "b"]], headers: h)
            XCTAssertTrue(sx == .conflict || (ex["phase"] as? String) == "finished", "\(ex)")
            let fin = try await Self.waitState(client, h) { ($0["phase"] as? String) == "finished" }
            XCTAssertEqual(fin["step"] as? Int, 1000)
            let losses = try XCTUnwrap(fin["lossHistory"] as? [Double])
            XCTAssertEqual(losses.count, 200)
            XCTAssertLessThan(losses.suffix(10).reduce(0, +), losses.prefix(10).reduce(0, +))
            let miou = try XCTUnwrap(fin["annotationMIoU"] as? Double)
            print("studio train test: mIoU on the annotations after 1000 steps \(miou)")
            XCTAssertGreaterThan(miou, 0.4)

            let (s2, val) = try await client.post("/api/train/validate", ["count": 4, "seed": 9], headers: h)
            XCTAssertEqual(s2, .ok)
            XCTAssertEqual((val["samples"] as? [Any])?.count, 4)
            XCTAssertNotNil(val["mIoU"] as? Double)
            let (s3, sv) = try await client.post("/api/train/save", ["name": "toyface_studio"], headers: h)
            XCTAssertEqual(s3, .ok, "\(sv)")
            let (s4, e4) = try await client.post("/api/train/save", ["name": "../escape"], headers: h)
            XCTAssertEqual(s4, .badRequest, "\(e4)")
            let shown = try XCTUnwrap(val["samples"] as? [[String: Any]]).compactMap { $0["labels"] as? String }
            return (try XCTUnwrap(sv["path"] as? String), shown)
        }
        XCTAssertEqual(saved, out.appendingPathComponent("extractors/toyface_studio.safetensors").path)

        // The saved file as the jobs read it: evaluate without G takes G from the metadata.
        let meta = try SemanticCheckpoint.readMetadata(URL(fileURLWithPath: saved))
        XCTAssertEqual(meta["G"], StudioFixture.generator)
        let registry = try StudioFixture.registry()
        let options = try EvaluateOptions(JobParameters(["SE_path": saved, "eval_samples": "12", "seed": "5"]))
        let report = try Jobs.evaluate(options, registry: registry)
        let trained = try XCTUnwrap(report.mIoU)
        // An untrained LSE on the same samples scores far lower.
        XCTAssertEqual(report.parameters["G"] ?? StudioFixture.generator, StudioFixture.generator)
        let models = try JobModels.load(try EvaluateOptions(JobParameters(["SE_path": saved, "G": StudioFixture.generator])).models,
                                        registry: registry)
        let untrained = try FewShotLearner(nClass: models.predictor.nClasses, dims: studio.model.generator.featureChannels,
                                           learningRate: 0.01, seed: 1).extractor
        let baseline = try XCTUnwrap(try Jobs.evaluate(options, extractor: untrained, models: models).mIoU)
        // The studio serves the saved file as its extractor, with the predictor's class names, and
        // labels the validation samples (seed 9) exactly as the trained learner did.
        let reloaded = try StudioModel.load(generator: StudioFixture.generator, extractorPath: saved, registry: registry, seed: 0)
        XCTAssertEqual(reloaded.classNames, studio.model.predictor!.classNames)
        XCTAssertTrue(reloaded.extractorSource.hasPrefix("file "))
        var rng = RandomStreams.make(9, "validate")
        for shown in validated {
            let sample = StudioSample.draw(reloaded.generator, rng: &rng)
            let labels = try reloaded.extractor.predict(sample.features, size: reloaded.labelResolution)
            XCTAssertEqual(StudioPNG.dataURL(try StudioPNG.labels(labels, nClasses: reloaded.nClasses)), shown)
        }
        XCTAssertEqual(validated.count, 4)
        print("studio train test: evaluate mIoU of the saved extractor \(trained), of an untrained LSE \(baseline)")
        XCTAssertGreaterThan(trained, baseline + 0.08, "trained \(trained) vs untrained \(baseline)")
    }

    func testPauseResumeStopAndClasses() async throws {
        let (studio, _) = try StudioFixture.studio()
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            let h = try await client.newSession()
            // Class names: checked, then fixed while training runs.
            let (sa, ea) = try await client.post("/api/train/classes", ["names": ["only"]], headers: h)
            XCTAssertEqual(sa, .badRequest, "\(ea)")
            let (sb, _) = try await client.post("/api/train/classes", ["names": ["bg", "x", "x"]], headers: h)
            XCTAssertEqual(sb, .badRequest)
            let (sc, vc) = try await client.post("/api/train/classes", ["names": ["background", "left", "right"]], headers: h)
            XCTAssertEqual(sc, .ok)
            XCTAssertEqual((vc["palette"] as? [String])?.count, 3)
            // A user-named annotation: left half class 1, right half class 2 (no predictor suggestion now).
            let (_, smp) = try await client.post("/api/train/sample", ["seed": 4], headers: h)
            XCTAssertNil(smp["suggestion"])
            let pal = ImageSheet.labelPalette(3)
            let stroke = try PNGData.stroke(side: 64) { x, _ in x < 32 ? pal[1] : pal[2] }
            let (sd, _) = try await client.post("/api/train/annotate", ["stroke": stroke], headers: h)
            XCTAssertEqual(sd, .ok)

            let (s1, _) = try await client.post("/api/train/control", ["command": "start", "max_steps": 100000], headers: h)
            XCTAssertEqual(s1, .ok)
            _ = try await Self.waitState(client, h) { ($0["step"] as? Int ?? 0) > 5 }
            let (sx, _) = try await client.post("/api/train/classes", ["names": ["a", "b"]], headers: h)
            XCTAssertEqual(sx, .conflict)
            let (s2, p) = try await client.post("/api/train/control", ["command": "pause"], headers: h)
            XCTAssertEqual(s2, .ok)
            XCTAssertEqual(p["phase"] as? String, "paused")
            let paused = try XCTUnwrap(p["step"] as? Int)
            try await Task.sleep(nanoseconds: 400_000_000)
            let (_, still) = try await client.get("/api/train/state", headers: h)
            XCTAssertEqual(still["step"] as? Int, paused)
            let (s3, _) = try await client.post("/api/train/control", ["command": "pause"], headers: h)
            XCTAssertEqual(s3, .conflict)
            let (s4, _) = try await client.post("/api/train/control", ["command": "resume"], headers: h)
            XCTAssertEqual(s4, .ok)
            _ = try await Self.waitState(client, h) { ($0["step"] as? Int ?? 0) > paused + 5 }
            let (s5, st) = try await client.post("/api/train/control", ["command": "stop"], headers: h)
            if s5 != .ok {
                let state = try? await client.get("/api/train/state", headers: h).1
                XCTFail("stop answered \(s5) \(st); state: \(String(describing: state))")
            }
            XCTAssertEqual(st["phase"] as? String, "stopped")
            let stopped = try XCTUnwrap(st["step"] as? Int)
            try await Task.sleep(nanoseconds: 300_000_000)
            let (_, after) = try await client.get("/api/train/state", headers: h)
            XCTAssertEqual(after["step"] as? Int, stopped)
            XCTAssertEqual(after["phase"] as? String, "stopped")
            // Resume after stop continues the same learner.
            let (s6, _) = try await client.post("/api/train/control", ["command": "resume"], headers: h)
            XCTAssertEqual(s6, .ok)
            _ = try await Self.waitState(client, h) { ($0["step"] as? Int ?? 0) > stopped + 3 }
            _ = try await client.post("/api/train/control", ["command": "stop"], headers: h)
            let (_, v) = try await client.post("/api/train/validate", ["count": 2], headers: h)
            XCTAssertNil(v["mIoU"])  // classes differ from the predictor's
            XCTAssertEqual((v["samples"] as? [Any])?.count, 2)
        }
    }
}

/// The learner shared with `train_fewshot`.
final class FewShotLearnerTests: XCTestCase {
    func testAFullMaskIsThePlainLossAndMaskedPixelsGetNoGradient() throws {
        let model = try StudioFixture.model()
        let g = model.generator
        var rng = SeededRandom(seed: 2)
        let s = StudioSample.draw(g, rng: &rng)
        let r = model.labelResolution
        let labels = model.predictor!.labels(image: s.image, labelResolution: r)
        let a = try FewShotLearner(nClass: model.nClasses, dims: g.featureChannels, learningRate: 0.01, seed: 3)
        let b = try FewShotLearner(nClass: model.nClasses, dims: g.featureChannels, learningRate: 0.01, seed: 3)
        let la = try a.accumulate(features: s.features, labels: labels)
        let lb = try b.accumulate(features: s.features, labels: labels, mask: [Float](repeating: 1, count: r * r))
        XCTAssertEqual(la.loss, lb.loss, accuracy: 1e-4 * abs(la.loss))
        var compared = 0
        for (p, q) in zip(a.extractor.parameters, b.extractor.parameters) {
            guard let gp = p.grad else { XCTAssertNil(q.grad); continue }
            let gq = try XCTUnwrap(q.grad)
            compared += 1
            let m = zip(gp.data, gq.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(m, 1e-4)
        }
        XCTAssertGreaterThan(compared, 0)
        // Masked labels do not matter: changing them leaves the loss alone.
        var mask = [Float](repeating: 0, count: r * r)
        for i in 0..<(r * r / 2) { mask[i] = 1 }
        var other = labels
        for i in (r * r / 2)..<(r * r) { other.data[i] = Int32((Int(other.data[i]) + 1) % model.nClasses) }
        let c = try FewShotLearner(nClass: model.nClasses, dims: g.featureChannels, learningRate: 0.01, seed: 3)
        let l1 = try c.accumulate(features: s.features, labels: labels, mask: mask).loss
        let l2 = try c.accumulate(features: s.features, labels: other, mask: mask).loss
        XCTAssertEqual(l1, l2)
        let l3 = try c.accumulate(features: s.features, labels: other).loss
        XCTAssertNotEqual(l1, l3)
    }
}
