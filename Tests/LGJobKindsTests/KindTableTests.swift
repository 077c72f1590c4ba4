import XCTest
import LGJobKinds
import LGJobs
import LGZoo
import LGManipulation
import LGRunner

/// The kinds' tables against their executors: every kind has a decoder,
/// every declared parameter is read by it, defaults and presets fit their
/// types, and the errors name the kind, the parameter and what was expected.
final class KindTableTests: XCTestCase {
    /// Each kind's typed-options decoder (what its executor runs first).
    /// A kind missing here fails `testEveryKindHasADecoder`.
    static let decoders: [JobKind: @Sendable (KindParameters) throws -> Any] = [
        .train: { try TrainOptions($0) },
        .trainFewshot: { try FewShotOptions($0) },
        .evaluate: { try EvaluateOptions($0) },
        .scs: { try SCSJobOptions($0) },
        .trainGAN: { try GANJobOptions($0) },
        .trainSegmenter: { try SegmenterJobOptions($0) },
        .testSleep: { try TestSleepOptions($0) },
    ]

    /// A valid value for a parameter: its default, else an example of its type.
    static func example(_ p: ParameterSpec) -> String {
        if let d = p.defaultValue { return d }
        switch p.type {
        case .text: return p.name == "SE_path" ? "expr/semantics/stylegan2_ffhq_LSE_x/stylegan2_ffhq_LSE.safetensors" : "stylegan2_ffhq"
        case .int(let lo): return String(max(lo, 1))
        case .seed: return "7"
        case .number, .positive, .nonNegative: return "0.5"
        case .flag: return "1"
        case .intList: return "1,2"
        case .choice(let words): return words[0]
        case .pattern: return p.name == "accumulation" ? "0:1,2:4" : "x"
        }
    }

    func testEveryKindHasADecoder() {
        XCTAssertEqual(Set(Self.decoders.keys), Set(JobKind.allCases))
    }

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The Swift sources outside LGJobKinds: where executors act on parameters.
    static let executorSources: String = {
        let sources = repoRoot.appendingPathComponent("Sources")
        var out = ""
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            guard url.pathExtension == "swift", !url.path.contains("/Sources/LGJobKinds/") else { continue }
            out += (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        }
        return out
    }()

    /// Whether `source` reads parameter `name` where it acts: through the
    /// `parameters` an options type carries (`options.parameters.optionalText("reload")`).
    static func readsAtUseSite(_ name: String, in source: String) -> Bool {
        let pattern = #"parameters\.[A-Za-z]+\(""# + NSRegularExpression.escapedPattern(for: name) + #""\)"#
        return source.range(of: pattern, options: .regularExpression) != nil
    }

    func testUseSiteReadsAreFound() {
        XCTAssertTrue(Self.readsAtUseSite("reload", in: #"let r = try options.parameters.optionalText("reload")"#))
        XCTAssertFalse(Self.readsAtUseSite("reload", in: #"let r = try options.parameters.optionalText("reloaded")"#))
        XCTAssertFalse(Self.readsAtUseSite("reload", in: #"ParameterSpec("reload", .text, "...")"#))
        XCTAssertFalse(Self.readsAtUseSite("reload", in: ""))
        XCTAssertFalse(Self.executorSources.isEmpty, "Sources/ not found beside the tests")
    }

    /// The agreement test: decoding a job that gives every parameter reads
    /// every parameter the table declares for the job, or else the
    /// executor's code reads it where it acts (`options.parameters.int("name")`);
    /// none is left unread. Reading one the table does not declare throws
    /// `undeclared`.
    func testEveryDeclaredParameterIsReadByTheExecutor() throws {
        for kind in JobKind.allCases {
            let table = kind.table
            var values: [String: String] = [:]
            for p in table.parameters where p.reader == .job && p.name != "preset" { values[p.name] = Self.example(p) }
            let parameters = try table.validate(values)
            let decode = try XCTUnwrap(Self.decoders[kind])
            XCTAssertNoThrow(try decode(parameters), "\(kind)")
            let unread = parameters.unread.filter { $0 != "preset" && !Self.readsAtUseSite($0, in: Self.executorSources) }
            XCTAssertEqual(unread, [], "\(kind): declared but read neither by its decoder nor where it acts")
            // And from the required parameters alone (the defaults path).
            var required: [String: String] = [:]
            for p in table.parameters where p.required { required[p.name] = Self.example(p) }
            XCTAssertNoThrow(try decode(table.validate(required)), "\(kind) with defaults")
        }
    }

    func testDefaultsAndPresetsFitTheTypes() {
        for kind in JobKind.allCases {
            let table = kind.table
            XCTAssertEqual(Set(table.names).count, table.names.count, "\(kind): a name declared twice")
            for p in table.parameters {
                if let d = p.defaultValue { XCTAssertTrue(p.type.accepts(d), "\(kind).\(p.name) default \(d)") }
                XCTAssertFalse(p.required && p.defaultValue != nil, "\(kind).\(p.name): required with a default")
                XCTAssertFalse(p.help.isEmpty, "\(kind).\(p.name): no help")
            }
            for (name, defaults) in table.presets {
                for (k, v) in defaults {
                    let spec = table.parameter(k)
                    XCTAssertNotNil(spec, "\(kind) preset \(name) sets undeclared \(k)")
                    XCTAssertTrue(spec?.type.accepts(v) ?? false, "\(kind) preset \(name): \(k)=\(v)")
                }
            }
            XCTAssertFalse(table.metrics.isEmpty, "\(kind): no metric keys")
            if let g = table.generatorParameter { XCTAssertNotNil(table.parameter(g), "\(kind): generator parameter \(g)") }
            if let v = table.variantParameter { XCTAssertNotNil(table.parameter(v), "\(kind): variant parameter \(v)") }
        }
    }

    func testErrorsNameKindParameterAndExpectation() {
        let t = JobKind.train.table
        XCTAssertThrowsError(try t.validate(["G": "x", "epoch": "2"])) {
            XCTAssertEqual($0 as? ParameterError, .unknown(kind: "train", names: ["epoch"], known: t.names))
            XCTAssertTrue("\($0)".contains("coordinator kinds train"), "\($0)")
        }
        XCTAssertThrowsError(try t.validate(["SE": "LSE"])) { XCTAssertEqual($0 as? ParameterError, .missing(kind: "train", name: "G")) }
        XCTAssertThrowsError(try t.validate(["G": "x", "SE": "NSE-3"])) {
            XCTAssertEqual("\($0)", "parameter SE=NSE-3 of a train job: expected one of LSE, NSE-1, NSE-2")
        }
        XCTAssertThrowsError(try t.validate(["G": "x", "lr": "-1"])) { XCTAssertTrue("\($0)".contains("a number > 0"), "\($0)") }
        XCTAssertThrowsError(try t.validate(["G": "x", "epochs": "0"])) { XCTAssertTrue("\($0)".contains("an integer >= 1"), "\($0)") }
        XCTAssertThrowsError(try t.validate(["G": "x", "layers": "1,x"]))
        XCTAssertThrowsError(try t.validate(["G": "x", "eval": "maybe"]))
        XCTAssertThrowsError(try t.validate(["G": "x", "preset": "huge"])) {
            XCTAssertTrue("\($0)".contains("paper") && "\($0)".contains("quick"), "\($0)")
        }
        // A preset lays its defaults under the job's own values.
        let q = try? t.validate(["G": "x", "preset": "quick", "epochs": "3"])
        XCTAssertEqual(q?["epochs"], "3")
        XCTAssertEqual(q?["steps_per_epoch"], "64")
        // The test kind ignores names outside its table (they make job keys differ).
        XCTAssertNoThrow(try JobKind.testSleep.table.validate(["i": "3", "steps": "1"]))
        XCTAssertThrowsError(try JobKind.testSleep.table.validate(["steps": "x"]))
    }

    /// An executor asking for a parameter its table lacks, or as another type, is an error, not a default.
    func testReadingAnUndeclaredParameterThrows() throws {
        let p = try JobKind.train.table.validate(["G": "x"])
        XCTAssertThrowsError(try p.int("learning_rate")) {
            XCTAssertEqual($0 as? ParameterError, .undeclared(kind: "train", name: "learning_rate", asked: "an int"))
        }
        XCTAssertThrowsError(try p.int("lr"))  // declared as a number
        XCTAssertEqual(try p.number("lr"), 0.001)
        XCTAssertEqual(try p.text("G"), "x")
    }

    /// The SCS job's options: the reference's defaults, and z_reg held to the one implemented weight.
    func testSCSOptions() throws {
        let o = try SCSJobOptions(parameters: ["G": "stylegan2_ffhq", "repeat": "2", "num_sample": "4"])
        XCTAssertEqual(o.tag, "r2_n4")
        XCTAssertEqual(o.sampling.nIter, 50)
        XCTAssertEqual(o.sampling.learningRate, 0.002)
        XCTAssertEqual(o.samplesPerTarget, 10)
        XCTAssertEqual(o.targets, 100)
        XCTAssertEqual(try SCSJobOptions(parameters: ["G": "g", "extractor": "predictor"]).tag, "baseline")
        XCTAssertThrowsError(try SCSJobOptions(parameters: ["G": "g", "z_reg": "0.01"])) {
            XCTAssertTrue("\($0)".contains("z_reg"), "\($0)")
        }
        XCTAssertThrowsError(try SCSJobOptions(parameters: ["G": "g", "n_init": "many"]))
    }

    /// One metric-key convention: per-class values by class name.
    func testMetricKeyConvention() {
        XCTAssertEqual(MetricKey.classIoUs([0.5, 0.25, 1], classNames: ["background", "bed", "floor"]),
                       ["iou/bed": 0.5, "iou/floor": 0.25, "iou/class3": 1])
        XCTAssertEqual(MetricKey.className(ofClassIoU: "iou/bed"), "bed")
        XCTAssertNil(MetricKey.className(ofClassIoU: "mIoU"))
        XCTAssertEqual(JobKind.scs.table.undeclaredMetrics(["mIoU", "iou/bed", "initial_mIoU", "iou"]), ["iou"])
        for kind in JobKind.allCases where kind.table.metrics.contains(where: \.perClass) {
            XCTAssertTrue(kind.table.metrics.contains { $0.perClass && $0.key == MetricKey.classIoUPrefix }, "\(kind)")
        }
    }

    /// What a job records, and how a tagged parameter names its output.
    func testResolvedValuesAndOutputSuffix() throws {
        let spec = ParameterSpec("warmup", .nonNegative, default: "0", outputTag: "wu", "warm-up epochs")
        let t = KindTable(kind: .train, summary: "test", parameters: [
            ParameterSpec("G", .text, required: true, "generator"), spec,
            ParameterSpec("init", .text, outputTag: "from", "file"),
            ParameterSpec("note", .text, "untagged"),
        ], presets: ["paper": [:]], metrics: [MetricSpec("mIoU", "m")])
        let plain = try t.validate(["G": "g"])
        XCTAssertEqual(plain.resolved, ["G": "g", "warmup": "0"])  // defaults; no preset, no worker parameters
        XCTAssertEqual(plain.outputSuffix, "")
        XCTAssertEqual(try t.validate(["G": "g", "warmup": "0.0"]).outputSuffix, "")  // the default, spelled otherwise
        let tagged = try t.validate(["G": "g", "warmup": "2", "init": "expr/semantics/run_a/g_LSE.safetensors",
                                     "note": "x", "preset": "paper", "memory_mb": "100"])
        XCTAssertEqual(tagged.outputSuffix, "_wu2.0_fromg_LSE")
        XCTAssertEqual(tagged.resolved, ["G": "g", "warmup": "2", "init": "expr/semantics/run_a/g_LSE.safetensors", "note": "x"])
        XCTAssertEqual(ParameterType.positive.canonical("1e-5"), "1e-05")
        XCTAssertEqual(ParameterType.flag.canonical("yes"), "1")
        XCTAssertEqual(ParameterType.choice(["a/b"]).canonical("a/b"), "a-b")
    }

    /// docs/job-kinds.md is `coordinator kinds --markdown`.
    func testDocsListTheTables() throws {
        let root = Self.repoRoot
        let doc = try String(contentsOf: root.appendingPathComponent("docs/job-kinds.md"), encoding: .utf8)
        XCTAssertEqual(doc, JobKind.markdown, "regenerate: .build/release/coordinator kinds --markdown > docs/job-kinds.md")
    }
}
