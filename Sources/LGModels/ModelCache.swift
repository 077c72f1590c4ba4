import Foundation

/// Where downloaded model files live: `$LINEARGAN_CACHE/models`, else
/// `./cache/models` (what scripts/fetch-models.sh fills).
public enum ModelCache {
    public static var root: String {
        if let env = ProcessInfo.processInfo.environment["LINEARGAN_CACHE"], !env.isEmpty { return env }
        return FileManager.default.currentDirectoryPath + "/cache"
    }

    /// The path of a cached model file (which may not exist yet).
    public static func path(_ file: String) -> String { root + "/models/" + file }
}
