extension KindTables {
    /// `train_segmenter`: one domain's segmenter of the embedded zoo (docs/zoo.md).
    static let trainSegmenter = KindTable(
        kind: .trainSegmenter,
        summary: "train (or fine-tune) a domain's UNet segmenter of the embedded zoo, then evaluate it on held-out renders",
        parameters: [
            ParameterSpec("domain", .text, required: true, "procedural domain (toyface, toybedroom, toychurch)"),
            ParameterSpec("resolution", .int(min: 16), default: "32", "image size"),
            ParameterSpec("feature_scale", .int(min: 1), default: "4", "UNet width divisor"),
            ParameterSpec("steps", .int(min: 0), default: "2000", "optimisation steps"),
            ParameterSpec("batch", .int(min: 1), default: "16", "batch size"),
            ParameterSpec("lr", .positive, default: "0.002", "Adam learning rate"),
            ParameterSpec("seed", .seed, default: "0", "seed"),
            ParameterSpec("class_weighting", .choice(["none", "balanced"]), "loss weighting of the classes (default: none)"),
            ParameterSpec("lovasz_weight", .nonNegative, "weight of the Lovász-softmax term (default: none)"),
            ParameterSpec("init", .text, "segmenter file to fine-tune from; {domain} is replaced by the domain"),
            ParameterSpec("eval_samples", .int(min: 1), default: "1000", "held-out renders of the final evaluation"),
        ],
        metrics: [
            MetricSpec("mIoU", "held-out mIoU over the dataset"),
            MetricSpec("per_image_mIoU", "mean of the per-image mIoUs"),
            MetricSpec("pixel_accuracy", "pixel accuracy"),
            MetricSpec("eval_samples", "renders evaluated"),
            MetricSpec("steps", "steps completed"),
            MetricSpec("train_seconds", "training time"),
            MetricSpec("eval_seconds", "evaluation time"),
            MetricSpec("iou/", perClass: true, "IoU of each class, by class name"),
        ])
}
