import Foundation
import LGTensor
import LGModelIO

extension StateDict {
    /// Loads a PyTorch checkpoint (`.pth`/`.tar`, zip or legacy format) as a
    /// flat state dict. When `key` is given (e.g. `netG_state_dict`) and the
    /// file's top level is a dict holding it, only that entry is used.
    /// A `.safetensors` file (the embedded zoo's format, same keys) is read
    /// as it is.
    public static func loadTorch(_ path: String, key: String? = nil) throws -> StateDict {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelError.missingWeights(path: path, hint: "Pass the generator's checkpoint with --weights, or run scripts/fetch-models.sh for the packaged models.")
        }
        if path.lowercased().hasSuffix(".safetensors") {
            return StateDict(try Safetensors.read(URL(fileURLWithPath: path)).tensors, source: (path as NSString).lastPathComponent)
        }
        var value = try TorchFile.load(path)
        if let key, let inner = value[key] { value = inner }
        var tensors: [String: Tensor] = [:]
        for (k, t) in value.flattenTensors() { tensors[k] = t.floatTensor() }
        return StateDict(tensors, source: (path as NSString).lastPathComponent)
    }
}
