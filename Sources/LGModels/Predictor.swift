import LGTensor

/// A pretrained segmentation network that labels generated images (the
/// paper's "predictor" P): images (N, 3, H, W) in [-1, 1] in, per-pixel
/// class scores and labels out, at a requested label resolution.
///
/// Labels are the argmax over classes of the logits after they are resized
/// to the label resolution (bilinear, align_corners=True), as the reference
/// predictors compute them. Class 0 is the background.
public protocol SegmentationPredictor: AnyObject {
    /// Class names, index = label value (class 0 = background).
    var classNames: [String] { get }
    /// Number of classes (= `classNames.count`).
    var nClasses: Int { get }

    /// Logits (N, nClasses, r, r) at `labelResolution` r (the network's own
    /// output size when nil), computed without recording gradients.
    func logits(image: Tensor, labelResolution: Int?) -> Tensor

    /// Labels (N, r, r): the argmax of `logits(image:labelResolution:)`.
    func labels(image: Tensor, labelResolution: Int?) -> Labels
}

extension SegmentationPredictor {
    public var nClasses: Int { classNames.count }

    public func labels(image: Tensor, labelResolution: Int?) -> Labels {
        Labels.argmax(logits(image: image, labelResolution: labelResolution))
    }
}

/// The face parser labels face images with the 15 CelebAMask-HQ classes.
extension FaceParser: SegmentationPredictor {
    public var nClasses: Int { config.nClasses }

    public func logits(image: Tensor, labelResolution: Int?) -> Tensor {
        GradMode.withoutGradients { logits(Variable(image), labelResolution: labelResolution).value }
    }
}
