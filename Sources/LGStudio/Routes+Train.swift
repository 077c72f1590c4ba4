import Foundation
import Hummingbird

/// Bodies of the `/api/train/*` requests.
struct ClassesRequest: Codable, Sendable { var names: [String] }
struct AnnotateRequest: Codable, Sendable { var stroke: String }
struct ControlRequest: Codable, Sendable {
    /// start, pause, resume or stop.
    var command: String
    var lr: Float?
    var maxSteps: Int?
    enum CodingKeys: String, CodingKey { case command, lr, maxSteps = "max_steps" }
}
struct ValidateRequest: Codable, Sendable {
    var count: Int?
    var seed: UInt64?
}
struct SaveRequest: Codable, Sendable { var name: String }

extension Studio {
    func addTrainRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/api/train/state") { [self] request, _ in
            await self.api(request) { s in self.trainView(s.train) }
        }
        router.post("/api/train/classes") { [self] request, _ in
            await self.api(request, body: ClassesRequest.self) { s, b in try self.trainSetClasses(s.train, names: b.names) }
        }
        router.post("/api/train/sample") { [self] request, _ in
            await self.api(request, body: SampleRequest.self) { s, b in try self.trainSample(s, seed: b.seed) }
        }
        router.post("/api/train/annotate") { [self] request, _ in
            await self.api(request, body: AnnotateRequest.self) { s, b in
                let stroke = try StrokeImage(png: try StrokeImage.pngBytes(dataURL: b.stroke),
                                             labelResolution: self.model.labelResolution, nClasses: s.train.classNames.count)
                return try self.trainAnnotate(s.train, stroke: stroke)
            }
        }
        router.post("/api/train/control") { [self] request, _ in
            await self.api(request, body: ControlRequest.self) { s, b in
                try self.trainControl(s, command: b.command, learningRate: b.lr, maxSteps: b.maxSteps)
            }
        }
        router.post("/api/train/validate") { [self] request, _ in
            await self.api(request, body: ValidateRequest.self) { s, b in try self.trainValidate(s, count: b.count ?? 4, seed: b.seed) }
        }
        router.post("/api/train/save") { [self] request, _ in
            await self.api(request, body: SaveRequest.self) { s, b in try self.trainSave(s, name: b.name) }
        }
    }
}
