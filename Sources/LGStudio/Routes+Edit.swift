import Foundation
import Hummingbird
import LGTensor

/// Bodies of the `/api/edit/*` requests.
struct SampleRequest: Codable, Sendable {
    /// z from this seed (default: the session's own stream).
    var seed: UInt64?
}

struct EditRequest: Codable, Sendable {
    /// The stroke canvas as a PNG data URL (transparent = not painted).
    var stroke: String
    var iterations: Int?
    var lr: Float?
}

extension Studio {
    func addEditRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/api/edit/sample") { [self] request, _ in
            await self.api(request, body: SampleRequest.self) { s, b in try self.editSample(s.edit, sessionRNG: &s.rng, seed: b.seed) }
        }
        router.get("/api/edit/state") { [self] request, _ in
            await self.api(request) { s in try self.editView(s.edit, includeEdit: true) }
        }
        router.post("/api/edit/submit") { [self] request, _ in
            await self.api(request, body: EditRequest.self) { s, b in
                let iterations = b.iterations ?? 50
                guard iterations >= 1, iterations <= self.options.maxEditIterations else {
                    throw StudioError.badRequest("iterations must be 1...\(self.options.maxEditIterations), got \(iterations)")
                }
                let lr = b.lr ?? 0.01
                guard lr > 0, lr.isFinite, lr <= 1 else { throw StudioError.badRequest("lr must be in (0, 1], got \(lr)") }
                let stroke = try StrokeImage(png: try StrokeImage.pngBytes(dataURL: b.stroke),
                                             labelResolution: self.model.labelResolution, nClasses: self.model.nClasses)
                return try self.editSubmit(s.edit, stroke: stroke, iterations: iterations, learningRate: lr)
            }
        }
        router.post("/api/edit/undo") { [self] request, _ in
            await self.api(request) { s in try self.editUndo(s.edit) }
        }
        // Downloads: the current image, its label map, the last stroke.
        for (name, what) in [("image.png", 0), ("labels.png", 1), ("stroke.png", 2)] {
            router.get(RouterPath("/api/edit/" + name)) { [self] request, _ in
                await self.download(request, filename: "studio-\(name)") { s in
                    guard let c = s.edit.current else { throw StudioError.conflict("no sample yet: POST /api/edit/sample first") }
                    switch what {
                    case 0: return try StudioPNG.image(c.image)
                    case 1: return try StudioPNG.labels(c.labels, nClasses: self.model.nClasses)
                    default:
                        guard let st = s.edit.lastStroke else { throw StudioError.conflict("no edit yet: nothing to download") }
                        return try StudioPNG.stroke(st.labels, mask: st.mask, nClasses: self.model.nClasses)
                    }
                }
            }
        }
    }

    /// A PNG download (`Content-Disposition: attachment`).
    func download(_ request: Request, filename: String,
                  _ work: @escaping @Sendable (StudioSession) throws -> [UInt8]) async -> Response {
        let id = StudioCookies.value(StudioCookies.session, in: request.headers[.cookie])
        do {
            let png = try await run { try work(try self.session(id)) }
            return Response(status: .ok, headers: [.contentType: "image/png", .contentDisposition: "attachment; filename=\"\(filename)\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: png)))
        } catch let e as StudioError {
            return errorResponse(e)
        } catch {
            return errorResponse(StudioError(.internalServerError, "\(error)"))
        }
    }
}
