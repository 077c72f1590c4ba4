import XCTest
import LGJobKinds
import LGModels
import LGSemantics
import LGTensor
@testable import LGJobs

final class ParameterTests: XCTestCase {
    func testTrainDefaultsAndName() throws {
        let o = try TrainOptions(JobParameters(["G": "stylegan2_ffhq"]))
        XCTAssertEqual(o.extractor, .lse)
        XCTAssertEqual(o.epochs, 50)
        XCTAssertEqual(o.stepsPerEpoch, 1024)
        XCTAssertEqual(o.evalSamples, 10_000)
        XCTAssertEqual(o.lr, 0.001)
        XCTAssertEqual(o.latentStrategy, .truncWP)
        XCTAssertEqual(o.layerWeight, .softplus)
        XCTAssertEqual(o.accumulation, .reference)
        XCTAssertEqual(o.lrSchedule, .reference)
        XCTAssertEqual(o.outputName, "stylegan2_ffhq_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001")
        let n = try TrainOptions(JobParameters(["G": "pggan_church", "SE": "NSE-1", "loss_type": "focal",
                                                "layer_weight": "none", "lr": "0.0001"]))
        XCTAssertEqual(n.outputName, "pggan_church_NSE-1_lfocal_lstrunc-wp_lwnone_lr0.0001")
        XCTAssertEqual(n.lossKind, .focal)
        XCTAssertEqual(try TrainOptions(JobParameters(["G": "x", "loss_type": "normallayer", "eval": "0"])).lossKind, .normallayer)
        XCTAssertEqual(try TrainOptions(JobParameters(["G": "x", "eval": "0"])).evalSamples, 0)
        XCTAssertEqual(try TrainOptions(JobParameters(["G": "x", "lr": "1e-05"])).outputName, "x_LSE_lnormal_lstrunc-wp_lwsoftplus_lr1e-05")
        // Another schedule than the reference's 50 x 1024 gets its own folder: a quick run never overwrites a full one.
        XCTAssertEqual(try TrainOptions(JobParameters(["G": "x", "epochs": "8", "steps_per_epoch": "256"])).outputName,
                       "x_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001_e8x256")
        // So does every other departure from the reference outside train.py's name
        // (a probe at layer-weight lr scale 1 must not replace the Table-1 LSE).
        XCTAssertEqual(try TrainOptions(JobParameters(["G": "x", "layer_weight_lr_scale": "1"])).outputName,
                       "x_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001_lws1.0")
        XCTAssertEqual(try TrainOptions(JobParameters(["G": "x", "layer_weight_lr_scale": "10", "seed": "0"])).outputName,
                       "x_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001")
        XCTAssertEqual(try TrainOptions(JobParameters(["G": "x", "epochs": "8", "steps_per_epoch": "256", "layers": "0,3",
                                                       "accumulation": "0:1,4:8", "seed": "7", "predictor": "p2",
                                                       "label_resolution": "64"])).outputName,
                       "x_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001_e8x256_L0-3_acc0-1,4-8_s7_Pp2_res64")
        // Reference runs (no suffix) are told apart by name alone.
        for (folder, yes) in [("g_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001", true), ("g_NSE-2_lfocal_lsnotrunc-mixwp_lwnone_lr1e-05", true),
                              ("g_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.01_e8x256", false), ("g_LSE_lnormal_lstrunc-wp_lwnone_lr0.001_lws1.0", false),
                              ("g_LSE_fewshot", false), ("g2_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001", false),
                              ("g_NSE-3_lnormal_lstrunc-wp_lwsoftplus_lr0.001", false)] {
            XCTAssertEqual(TrainOptions.isReferenceRun(folder: folder, generator: "g"), yes, folder)
        }
        let named = try TrainOptions(JobParameters(["G": "g", "SE": "NSE-1", "layer_weight": "none"]))
        XCTAssertTrue(TrainOptions.isReferenceRun(folder: named.outputName, generator: "g"))
        // A checkpoint's recorded schedule: another one is told apart, none recorded is taken as it is.
        XCTAssertFalse(TrainOptions.recordsOtherSchedule(named.record))
        XCTAssertTrue(TrainOptions.recordsOtherSchedule(try TrainOptions(JobParameters(["G": "g", "preset": "quick"])).record))
        XCTAssertTrue(TrainOptions.recordsOtherSchedule(["epochs": "50", "steps_per_epoch": "512"]))
        XCTAssertFalse(TrainOptions.recordsOtherSchedule([:]))
    }

    func testPresetsAndOverrides() throws {
        let q = try TrainOptions(JobParameters(["G": "x", "preset": "quick", "epochs": "3"]))
        XCTAssertEqual(q.epochs, 3)
        XCTAssertEqual(q.stepsPerEpoch, 64)
        XCTAssertEqual(q.evalSamples, 100)
        XCTAssertThrowsError(try TrainOptions(JobParameters(["G": "x", "preset": "fast"])))
    }

    func testBadParametersAreNamed() {
        XCTAssertThrowsError(try TrainOptions(JobParameters(["G": "x", "epoch": "2"]))) { e in
            XCTAssertTrue("\(e)".contains("epoch") && "\(e)".contains("epochs"), "\(e)")
        }
        XCTAssertThrowsError(try TrainOptions(JobParameters(["SE": "LSE"]))) { e in
            XCTAssertEqual(e as? ParameterError, .missing(kind: "train", name: "G"))
        }
        XCTAssertThrowsError(try TrainOptions(JobParameters(["G": "x", "SE": "NSE-3"])))
        XCTAssertThrowsError(try TrainOptions(JobParameters(["G": "x", "latent_strategy": "wp"])))
        XCTAssertThrowsError(try TrainOptions(JobParameters(["G": "x", "lr": "-1"])))
        XCTAssertThrowsError(try JobParameters(assignments: ["novalue"]))
        XCTAssertEqual(try JobParameters(assignments: ["G=a=b"]).values, ["G": "a=b"])
    }

    /// `winograd=off|inference|always` chooses the job's convolution policy,
    /// is recorded with its results, and is scoped to the job.
    func testWinogradPolicyParameter() throws {
        XCTAssertNil(try TrainOptions(JobParameters(["G": "x"])).winograd)
        XCTAssertNil(try TrainOptions(JobParameters(["G": "x"])).record["winograd"])
        let t = try TrainOptions(JobParameters(["G": "x", "SE": "NSE-2", "winograd": "always"]))
        XCTAssertEqual(t.winograd, .always)
        XCTAssertEqual(t.record["winograd"], "always")
        XCTAssertEqual(try FewShotOptions(JobParameters(["G": "x", "winograd": "off"])).winograd, .off)
        XCTAssertThrowsError(try TrainOptions(JobParameters(["G": "x", "winograd": "fast"]))) { e in
            XCTAssertTrue("\(e)".contains("winograd") && "\(e)".contains("always"), "\(e)")
        }
        let before = Winograd.policy
        let inside = Winograd.with(policy: before == .always ? .off : .always) { Winograd.policy }
        XCTAssertNotEqual(inside, before)
        XCTAssertEqual(Winograd.policy, before)
        XCTAssertEqual(Winograd.with(policy: nil) { Winograd.policy }, before)
        // Training jobs that do not say run under Winograd, unless the worker's environment says otherwise.
        if ProcessInfo.processInfo.environment["LG_WINOGRAD"] == nil {
            XCTAssertEqual(Winograd.Policy.trainingDefault, .always)
        }
    }

    func testFewShotSeedsAndNames() throws {
        let seeds = try (0..<5).map { try FewShotOptions(JobParameters(["repeat_ind": "\($0)"])).seed }
        XCTAssertEqual(seeds, [19961116, 1997816, 1116, 816, 19980903])
        let o = try FewShotOptions(JobParameters(["num_sample": "8", "repeat_ind": "3"]))
        XCTAssertEqual(o.models.generator, "stylegan2_ffhq")
        XCTAssertEqual(o.epochs, 50)
        XCTAssertEqual(o.stepsPerEpoch, 128)
        XCTAssertEqual(o.checkpointName, "r3_n8")
        XCTAssertEqual(o.outputName, "stylegan2_ffhq_n8_r3_elstrunc-wp")
        XCTAssertThrowsError(try FewShotOptions(JobParameters(["repeat_ind": "5"])))
    }

    func testEvaluateInfersGeneratorFromFolder() throws {
        let o = try EvaluateOptions(JobParameters(["SE_path": "expr/semantics/stylegan2_ffhq_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001/stylegan2_ffhq_LSE.pth"]))
        XCTAssertEqual(o.models.generator, "stylegan2_ffhq")
        XCTAssertEqual(o.outputName, "stylegan2_ffhq_LSE_lnormal_lstrunc-wp_lwsoftplus_lr0.001_elstrunc-wp")
    }
}

final class ReportTests: XCTestCase {
    func testFlatMetrics() {
        var acc = IoUAccumulator(numClasses: 3)
        acc.add(sampleIoU: [0.5, -1], pixelAccuracy: 0.9)
        let eval = acc.result
        let rows = JobReport.rows(eval: eval, classNames: ["bg", "skin", "hat"], trainSeconds: 2, evalSeconds: 1)
        let r = JobReport(kind: .evaluate, name: "n", parameters: [:], metrics: rows, classNames: ["bg", "skin", "hat"],
                          classIoU: eval.classIoU, mIoU: 0.5, pixelAccuracy: 0.9, trainingSeconds: 2, evaluationSeconds: 1,
                          evaluationSamples: 1, trainingHistory: [], extractorPath: nil, resultPath: nil)
        XCTAssertEqual(r.flatMetrics, ["mIoU": 0.5, "pixel_accuracy": Double(Float(0.9)), "iou/skin": 0.5, "iou/hat": -1,
                                       "eval_samples": 1, "train_seconds": 2, "eval_seconds": 1])
        XCTAssertEqual(r.referenceText, "0.5\n0.5 -1.0")
        // Training curves: one point per epoch end, keyed by its step.
        var t = r
        t.parameters = ["steps_per_epoch": "4"]
        t.trainingHistory = [EpochSummary(epoch: 0, meanLoss: 2, mIoU: 0.25, pixelAccuracy: 0.5, learningRate: 0.001),
                             EpochSummary(epoch: 1, meanLoss: 1, mIoU: nil, pixelAccuracy: nil, learningRate: 0.0001)]
        let curves = t.flatMetrics.filter { $0.key.contains("@") }
        XCTAssertEqual(curves, ["loss@4": 2, "train_mIoU@4": 0.25, "lr@4": Double(Float(0.001)), "loss@8": 1, "lr@8": Double(Float(0.0001))])
        for kind in [JobKind.train, .trainFewshot] { XCTAssertEqual(kind.table.undeclaredMetrics(t.flatMetrics.keys), [], "\(kind)") }
        for kind in Jobs.kinds { XCTAssertEqual(kind.table.undeclaredMetrics(r.flatMetrics.keys), [], "\(kind)") }
        XCTAssertNil(JobMetric("mIoU", Double.nan).value)
    }
}
