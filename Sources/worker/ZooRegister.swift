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
        segmenters first or together. Entries of the same name are replaced.

        Example:
          worker zoo-register --segmenter models/zoo/toyface_unet32.safetensors --run expr/zoo/stylegan2_toyface32
        """
    )

    @Option(name: .customLong("run"), help: "A train_gan output folder (repeatable).") var runs: [String] = []
    @Option(help: "A segmenter file (repeatable).") var segmenter: [String] = []
    @Option(help: "Where the files are copied.") var models: String = "models/zoo"
    @Option(help: "Registry folder.") var configs: String = "configs"

    func validate() throws {
        guard !runs.isEmpty || !segmenter.isEmpty else { throw ValidationError("give at least one --run or --segmenter") }
    }

    func run() throws {
        let configDir = URL(fileURLWithPath: configs)
        let summary = try ZooRegistration.register(
            runs: runs.map { URL(fileURLWithPath: $0) }, segmenters: segmenter.map { URL(fileURLWithPath: $0) },
            modelsDirectory: URL(fileURLWithPath: models), repoRoot: configDir.standardizedFileURL.deletingLastPathComponent(),
            configDirectory: configDir)
        for p in summary.predictors { print("registered predictor \(p)") }
        for g in summary.generators { print("registered generator \(g)") }
        print("wrote \(configDir.appendingPathComponent("zoo.json").path); `worker models` lists them")
    }
}
