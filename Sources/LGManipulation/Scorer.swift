// The segmentation "scorers" that latent optimisation pushes toward a target
// label map: a semantic extractor on the generator's feature maps (the
// paper's method) or a predictor on the generated image (the baseline).
import LGTensor
import LGModels
import LGSemantics

/// A segmentation network whose logits are differentiable with respect to
/// the input image, so gradients reach the latent through it (the SCS
/// baseline and the `external` editing loss). The face parser is one.
public protocol DifferentiableSegmenter: SegmentationPredictor, ParameterContainer {
    /// Logits (N, nClasses, r, r) at label resolution r, recording a graph
    /// when gradients are on (the image in [-1, 1], resized as the network needs).
    func logits(_ image: Variable, labelResolution: Int?) -> Variable
}

extension FaceParser: DifferentiableSegmenter {}

/// What scores a generated sample against a target label map.
public enum SemanticScorer {
    /// A semantic extractor reading the generator's feature maps (`internal`).
    case extractor(any SemanticExtractor)
    /// A predictor reading the generated image (`external`, the SCS baseline).
    case predictor(any DifferentiableSegmenter)

    /// Number of classes of the scorer's output.
    public var nClasses: Int {
        switch self {
        case .extractor(let se): return se.arch.nClass
        case .predictor(let p): return p.nClasses
        }
    }

    /// "extractor" or "predictor".
    public var kind: String {
        switch self {
        case .extractor: return "extractor"
        case .predictor: return "predictor"
        }
    }

    /// Synthesises from `wp` and returns the image and the scorer's logits
    /// (N, nClasses, size, size), as the reference's `get_seg` does: the
    /// extractor's final output at `size`, or the predictor's raw prediction
    /// resized to `size`.
    public func evaluate(_ g: any StyleGenerator, wp: Variable, size: Int) throws -> (image: Variable, logits: Variable) {
        switch self {
        case .extractor(let se):
            let (image, features) = g.synthesis(wp, features: true)
            var out = try se.forward(features, size: size).last!
            if out.shape[2] != size || out.shape[3] != size {
                out = out.resizeBilinear(height: size, width: size, alignCorners: true)
            }
            return (image, out)
        case .predictor(let p):
            let (image, _) = g.synthesis(wp, features: false)
            return (image, p.logits(image, labelResolution: size))
        }
    }

    /// Drops gradients that a backward pass left on the scorer's own
    /// parameters (the scorer is frozen; only the latent is optimised).
    func clearParameterGradients() {
        switch self {
        case .extractor(let se): for p in se.parameters { p.grad = nil }
        case .predictor(let p): for q in p.parameters { q.grad = nil }
        }
    }
}
