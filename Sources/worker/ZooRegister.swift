import ArgumentParser
import Foundation
import LGZoo

/// `worker zoo-register`: trained zoo models into models/zoo and configs/zoo.json.
struct ZooRegister: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo-register",
        abstract: "Register trained zoo generators and domain segmenters (copies them to models/zoo, writes configs/zoo.json).",
        discussion: """
        Each --run is a finished train_gan output folder (expr/zoo/NAME with \
        generator.safetensors and generator.json); each --segmenter a file written \
        by `worker train-segmenter`. Generators are labelled by their domain's \
        segmenter at their resolution ({domain}_seg{resolution}); register the \
        segmenters first or together; a run registered again keeps the predictor \
        it had. Entries of the same name are replaced.

        A second segmenter of a domain sits beside the first with --suffix S \
        ({domain}_seg{resolution}_S); --relabel points the domain's registered \
        generators at it (their jobs' labels change; --set predictor=OLD keeps the \
        old ones); --half stores it in half precision (half the bytes), evaluated \
        again as stored.

        Examples:
          worker zoo-register --segmenter models/zoo/toyface_unet32.safetensors --run expr/zoo/stylegan2_toyface32
          worker zoo-register --segmenter expr/zoo/segmenters/toyface_unet32_fs2_....safetensors --suffix wide --half --relabel
        """
    )

    @Option(name: .customLong("run"), help: "A train_gan output folder (repeatable).") var runs: [String] = []
    @Option(help: "A segmenter file (repeatable).") var segmenter: [String] = []
    @Option(help: "Names the segmenters {domain}_seg{resolution}_SUFFIX (files {domain}_unet{resolution}_SUFFIX.safetensors).")
    var suffix: String?
    @Flag(help: "Store the segmenters' weights in half precision (F16), evaluated again as stored.") var half = false
    @Flag(help: "Point the registered generators of each segmenter's domain and resolution at it.") var relabel = false
    @Option(help: "Where the files are copied.") var models: String = "models/zoo"
    @Option(help: "Registry folder.") var configs: String = "configs"

    func validate() throws {
        guard !runs.isEmpty || !segmenter.isEmpty else { throw ValidationError("give at least one --run or --segmenter") }
        if segmenter.isEmpty && (suffix != nil || half || relabel) {
            throw ValidationError("--suffix, --half and --relabel apply to --segmenter files; give at least one")
        }
    }

    func run() throws {
        let configDir = URL(fileURLWithPath: configs)
        let summary = try ZooRegistration.register(
            runs: runs.map { URL(fileURLWithPath: $0) }, segmenters: segmenter.map { URL(fileURLWithPath: $0) },
            modelsDirectory: URL(fileURLWithPath: models), repoRoot: configDir.standardizedFileURL.deletingLastPathComponent(),
            configDirectory: configDir,
            segmenterOptions: .init(suffix: suffix, floats: half ? .f16WhereInRange : .f32, relabel: relabel))
        for p in summary.predictors { print("registered predictor \(p)") }
        for g in summary.relabelled { print("generator \(g) now labelled by its domain's new predictor") }
        for g in summary.generators { print("registered generator \(g)") }
        print("wrote \(configDir.appendingPathComponent("zoo.json").path); `worker models` lists them")
    }
}
