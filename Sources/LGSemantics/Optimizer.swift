import LGTensor

/// Adam as the reference's `SELearner.configure_optimizers` builds it: for
/// LSE / NSE-1 two groups, the heads (`model.extractor`) at `learningRate`
/// and theta (`layer_weight`) at `layerWeightLRScale` x `learningRate`; for
/// NSE-2 one group with everything. The few-shot learner uses one rate for
/// all parameters: pass `layerWeightLRScale: 1`.
public func makeOptimizer(for extractor: any SemanticExtractor, learningRate: Float = 0.001,
                          layerWeightLRScale: Float = 10) -> Adam {
    if let lw = extractor.layerWeight {
        return Adam([ParameterGroup(extractor.headParameters, learningRate: learningRate),
                     ParameterGroup([lw], learningRate: layerWeightLRScale * learningRate)])
    }
    return Adam([ParameterGroup(extractor.parameters, learningRate: learningRate)])
}
