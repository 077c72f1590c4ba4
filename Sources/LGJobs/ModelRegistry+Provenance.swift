import Foundation

extension ModelRegistry {
    /// What a job's result was made with, stored beside its metrics (the
    /// collector names it under each table and warns where cells disagree):
    ///
    /// - `predictor`: the registered predictor that labelled the images (the
    ///   job's own `predictor`, else its generator's; see
    ///   `predictorName(forGenerator:override:)`);
    /// - `predictor_sha256`: the digest of the predictor's weight file
    ///   (`predictor_weights` when the job names one);
    /// - `generator_sha256`: the digest of the generator's weight file
    ///   (`weights` when the job names one), so a generator trained again
    ///   under the same name is told apart from the one before.
    ///
    /// Empty when `parameters` name no registered generator `G`. A predictor
    /// that does not resolve throws the registry's error (the job fails with
    /// it, as its models would not load either); a digest that cannot be
    /// taken (a missing file: the job fails later, saying so) is left out.
    /// `digest` is the file hash (the worker passes SHA-256).
    public func resultProvenance(_ parameters: [String: String], digest: (URL) -> String?) throws -> [String: String] {
        guard let g = parameters["G"], (try? generatorEntry(g)) != nil else { return [:] }
        let predictor = try predictorName(forGenerator: g, override: parameters["predictor"])
        var out = ["predictor": predictor]
        if let url = try? predictorWeights(predictor, explicit: parameters["predictor_weights"]), let d = digest(url) {
            out["predictor_sha256"] = d
        }
        if let url = try? generatorWeights(g, explicit: parameters["weights"]), let d = digest(url) {
            out["generator_sha256"] = d
        }
        return out
    }
}
