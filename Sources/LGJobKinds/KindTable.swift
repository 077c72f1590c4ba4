import Foundation
import LGWire

/// One kind's definition: its parameters (name, type, default, allowed
/// values, whether `--set` may add it), its presets and the metric keys it
/// writes. Adding a parameter to a kind is one entry in its table
/// (`Kinds/`): validation, `--set`, defaults, presets, `coordinator kinds`,
/// the recorded parameters and, with an `outputTag`, the output name follow
/// from it; the code that acts on the value reads it where it acts, from
/// the `parameters` its options carry (`KindParameters`). The agreement
/// test in LGJobKindsTests fails while a declared parameter is read
/// nowhere, and reading an undeclared one throws `ParameterError.undeclared`.
public struct KindTable: Sendable {
    public var kind: JobKind
    public var summary: String
    public var parameters: [ParameterSpec]
    /// Preset name -> defaults laid under the job's own values
    /// (`preset=quick`); `paper` (no defaults) where the kind has presets.
    public var presets: [String: [String: String]]
    public var metrics: [MetricSpec]
    /// The parameter naming the registered generator the job loads (its
    /// weights are checked at enqueue; the worker's memory estimate is keyed
    /// by it), nil for kinds that load none.
    public var generatorParameter: String?
    /// The parameter that tells apart jobs of one generator whose memory
    /// differs (`SE`), for the worker's memory table.
    public var variantParameter: String?
    /// Names outside the table are accepted and ignored (the test kind only:
    /// its jobs carry names that only make job keys differ).
    public var ignoresUndeclared: Bool
    /// The parameters that fix the samples a job draws (generator, weights,
    /// predictor, label resolution, seed, latent strategy, convolution
    /// policy): jobs of the kind equal in all of them form a cell that one
    /// process can run on one generator and predictor pass per step (fused
    /// cells, docs/architecture.md). Nil: the kind's jobs never fuse.
    public var cellParameters: [String]?

    public init(kind: JobKind, summary: String, parameters: [ParameterSpec], presets: [String: [String: String]] = [:],
                metrics: [MetricSpec], generatorParameter: String? = nil, variantParameter: String? = nil,
                cellParameters: [String]? = nil, ignoresUndeclared: Bool = false) {
        self.kind = kind; self.summary = summary
        self.parameters = parameters + (presets.isEmpty ? [] : [KindTables.presetParameter(presets)]) + KindTables.workerParameters
        self.presets = presets; self.metrics = metrics
        self.generatorParameter = generatorParameter; self.variantParameter = variantParameter
        self.ignoresUndeclared = ignoresUndeclared
        self.cellParameters = cellParameters
    }

    public func parameter(_ name: String) -> ParameterSpec? { parameters.first { $0.name == name } }
    public var names: [String] { parameters.map(\.name) }
    public var addable: [String] { parameters.filter(\.addable).map(\.name) }
    public var inheritedByNeeds: [String] { parameters.filter(\.inheritedByNeeds).map(\.name) }

    /// Checks `values` (text, as a job carries them) against the table:
    /// unknown names, missing required ones, values of the wrong type or
    /// outside the allowed ones. A preset's defaults go under the values first.
    public func validate(_ values: [String: String]) throws -> KindParameters {
        let k = kind.rawValue
        let unknown = values.keys.filter { parameter($0) == nil }.sorted()
        if !unknown.isEmpty && !ignoresUndeclared { throw ParameterError.unknown(kind: k, names: unknown, known: names) }
        var merged = values
        if let p = values["preset"] {
            guard let defaults = presets[p] else {
                throw ParameterError.unknownPreset(kind: k, value: p, presets: presets.keys.sorted())
            }
            merged = defaults.merging(values) { _, given in given }
        }
        for spec in parameters {
            guard let v = merged[spec.name] else {
                if spec.required { throw ParameterError.missing(kind: k, name: spec.name) }
                continue
            }
            guard spec.type.accepts(v) else {
                throw ParameterError.invalid(kind: k, name: spec.name, value: v, expected: spec.type.expected)
            }
        }
        return KindParameters(table: self, values: merged)
    }

    /// Values set in code rather than given by a job (an options type's
    /// memberwise initialiser), taken as valid.
    public func parameters(unchecked values: [String: String]) -> KindParameters {
        KindParameters(table: self, values: values)
    }

    /// Metric keys of `keys` that this kind does not declare.
    public func undeclaredMetrics<S: Sequence>(_ keys: S) -> [String] where S.Element == String {
        keys.filter { key in !metrics.contains { $0.matches(key) } }.sorted()
    }

    /// A parameter's default as the table gives it (the collector's view of
    /// a job that did not set it).
    public func defaultValue(_ name: String) -> String? { parameter(name)?.defaultValue }
}

extension KindTable {
    /// The cell a job of this kind belongs to: the kind and its cell
    /// parameters' canonical values (the table's default where the job
    /// gives none, its preset applied). Nil when the kind does not fuse or
    /// the values are not valid. Two jobs with the same key draw the same
    /// samples, bit for bit; the coordinator hands them out together and the
    /// worker runs them in one process.
    public func cellKey(_ values: [String: String]) -> String? {
        guard let names = cellParameters, let p = try? validate(values) else { return nil }
        return kind.rawValue + "|" + names.map { name in
            let spec = parameter(name)
            let v = p.values[name] ?? spec?.defaultValue
            return "\(name)=" + (v.map { spec?.type.canonical($0) ?? $0 } ?? "-")
        }.joined(separator: ";")
    }

    /// `cellKey` of a queued job's JSON parameters.
    public func cellKey(json params: [String: JSONValue]) -> String? { cellKey(textParameters(params)) }
}

