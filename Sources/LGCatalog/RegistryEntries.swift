import Foundation
import LGWire

// The records of the registry files in configs/ (generators.json,
// predictors.json, labels.json). Keys are snake_case as in the files.

/// Generator families the registry can build (LGModels' `GeneratorFamily` plus the DCGAN).
public enum RegistryFamily: String, Codable, Sendable, CaseIterable {
    case pggan, stylegan, stylegan2, dcgan
}

/// Where a registered weight file is looked for first.
public enum WeightsSource: String, Codable, Sendable {
    /// The reference layout (models/pretrain/pytorch, predictors/pretrain) and $LINEARGAN_WEIGHTS.
    case pretrain
    /// The model cache (`ModelCache.root`/models), filled by scripts/fetch-models.sh.
    case modelCache = "model_cache"
}

/// One registered generator.
public struct GeneratorEntry: Codable, Sendable, Equatable {
    public var name: String
    public var family: RegistryFamily
    public var dataset: String?
    /// Output resolution.
    public var resolution: Int
    /// The reference constructor's arguments by name (nil for DCGAN, whose sizes come from its weights).
    public var config: JSONValue?
    /// Checkpoint file name (reference layout: models/pretrain/pytorch/{name}.pth).
    public var weights: String
    /// A pinned weight file, relative to the repository root or absolute.
    public var weightsPath: String?
    /// Entry of the checkpoint's top-level dict holding the state dict (e.g. `netG_state_dict`).
    public var weightsKey: String?
    public var weightsSource: WeightsSource?
    /// The official TensorFlow pickle the .pth is converted from.
    public var tfWeightName: String?
    /// Resolution of the predictor labels (512 faces, 256 scenes).
    public var labelResolution: Int
    /// Name of the registered predictor labelling this generator's images.
    public var predictor: String?
    public var labelSet: String?
    /// Shapes of a few checkpoint keys, for error messages (derived from the config when absent).
    public var expectedShapes: [String: [Int]]?
    /// How to obtain the weights.
    public var obtain: String?
    public var note: String?
    /// A test fixture, not a model of the paper.
    public var testOnly: Bool?

    public init(name: String, family: RegistryFamily, resolution: Int, config: JSONValue?, weights: String,
                weightsPath: String? = nil, labelResolution: Int, predictor: String?, labelSet: String? = nil,
                obtain: String? = nil, testOnly: Bool? = nil) {
        self.name = name; self.family = family; self.resolution = resolution; self.config = config
        self.weights = weights; self.weightsPath = weightsPath; self.labelResolution = labelResolution
        self.predictor = predictor; self.labelSet = labelSet; self.obtain = obtain; self.testOnly = testOnly
    }

    enum CodingKeys: String, CodingKey {
        case name, family, dataset, resolution, config, weights, predictor, obtain, note
        case weightsPath = "weights_path", weightsKey = "weights_key", weightsSource = "weights_source"
        case tfWeightName = "tf_weight_name", labelResolution = "label_resolution", labelSet = "label_set"
        case expectedShapes = "expected_shapes", testOnly = "test_only"
    }

    /// Faces (CelebA-HQ, FFHQ) or scenes, as the reference decides it.
    public var isFace: Bool { name.contains("celebahq") || name.contains("ffhq") || labelSet == "celebamask" }
}

/// Predictor network kinds.
public enum PredictorKind: String, Codable, Sendable {
    /// The face parser UNet (`FaceParser`).
    case faceUNet = "face_unet"
    /// DeepLabV3 + ResNeSt-200 on ADE20K (`SceneSegmenter`).
    case sceneSegmenter = "scene_segmenter"
    /// dlib's face detector + 68 landmarks rasterised into face regions
    /// (`LandmarkFaceParser`); 'weights' is the landmark model (.dat).
    case landmarkParser = "landmark_parser"
}

/// One registered predictor.
public struct PredictorEntry: Codable, Sendable, Equatable {
    public var name: String
    public var kind: PredictorKind
    public var config: JSONValue?
    public var weights: String?
    public var weightsPath: String?
    /// Folder of the reference layout holding `weights` (e.g. predictors/pretrain).
    public var weightsDir: String?
    public var labelSet: String?
    /// False for registered predictors that cannot run yet.
    public var runnable: Bool?
    public var obtain: String?
    public var note: String?
    public var testOnly: Bool?

    public init(name: String, kind: PredictorKind, config: JSONValue?, weights: String?, weightsPath: String? = nil,
                labelSet: String?, runnable: Bool? = nil, obtain: String? = nil, testOnly: Bool? = nil) {
        self.name = name; self.kind = kind; self.config = config; self.weights = weights
        self.weightsPath = weightsPath; self.labelSet = labelSet; self.runnable = runnable
        self.obtain = obtain; self.testOnly = testOnly
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, config, weights, runnable, obtain, note
        case weightsPath = "weights_path", weightsDir = "weights_dir", labelSet = "label_set", testOnly = "test_only"
    }

    public var isRunnable: Bool { runnable ?? true }
}

/// A named class list.
public struct LabelSetEntry: Codable, Sendable, Equatable {
    public var name: String
    public var names: [String]?
    /// An ADE20K label CSV (Idx,Ratio,Train,Val,Stuff,Name) in the config folder.
    public var ade20kCsv: String?

    public init(name: String, names: [String]) { self.name = name; self.names = names }

    enum CodingKeys: String, CodingKey {
        case name, names
        case ade20kCsv = "ade20k_csv"
    }
}

struct GeneratorsFile: Codable { var generators: [GeneratorEntry] }

/// configs/zoo.json: the embedded zoo's generators, segmenters and label
/// sets, written by `worker zoo-register` (LGZoo.ZooRegistration).
public struct ZooFile: Codable, Sendable, Equatable {
    public var about: String?
    public var generators: [GeneratorEntry]
    public var predictors: [PredictorEntry]
    public var labelSets: [LabelSetEntry]

    public init(about: String?, generators: [GeneratorEntry], predictors: [PredictorEntry], labelSets: [LabelSetEntry]) {
        self.about = about; self.generators = generators; self.predictors = predictors; self.labelSets = labelSets
    }

    enum CodingKeys: String, CodingKey {
        case about, generators, predictors
        case labelSets = "label_sets"
    }
}
struct PredictorsFile: Codable { var predictors: [PredictorEntry] }
struct LabelsFile: Codable {
    var labelSets: [LabelSetEntry]
    var ade20kLabels: String?
    var selectedLabels: String?
    enum CodingKeys: String, CodingKey {
        case labelSets = "label_sets", ade20kLabels = "ade20k_labels", selectedLabels = "selected_labels"
    }
}
