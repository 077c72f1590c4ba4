import XCTest
import Foundation
import Hummingbird
import HummingbirdTesting
import LGTensor
@testable import LGModelIO
@testable import LGCodec
import LGJobs
@testable import LGStudio

/// The zoo's StyleGAN2 toyface model with a start-up extractor fitted once
/// for every test (seeded: the same extractor every run).
enum StudioFixture {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let generator = "stylegan2_toyface32"

    static func registry() throws -> ModelRegistry {
        try ModelRegistry(configDirectory: packageRoot.appendingPathComponent("configs"))
    }

    nonisolated(unsafe) private static var cached: StudioModel?
    static let lock = NSLock()

    static func model() throws -> StudioModel {
        try lock.withLock {
            if let m = cached { return m }
            let m = try StudioModel.load(generator: generator, extractorPath: nil, registry: try registry(), seed: 7,
                                         bootstrap: .init(samples: 6, steps: 240))
            cached = m
            return m
        }
    }

    static func studio(maxSessions: Int = 8, token: String? = nil, maxBody: Int? = nil) throws -> (Studio, URL) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lgstudio-\(UUID().uuidString)")
        var o = Studio.Options(outDirectory: out, seed: 11, maxSessions: maxSessions, token: token)
        if let maxBody { o.maxBodyBytes = maxBody }
        return (Studio(model: try model(), options: o), out)
    }
}

/// A JSON object of a response.
func jsonObject(_ r: TestResponse, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let d = Data(r.body.readableBytesView)
    guard let o = try JSONSerialization.jsonObject(with: d) as? [String: Any] else {
        XCTFail("not a JSON object: \(String(decoding: d, as: UTF8.self))", file: file, line: line)
        return [:]
    }
    return o
}

extension TestClientProtocol {
    /// A new session's Cookie header.
    func newSession() async throws -> HTTPFields {
        try await execute(uri: "/api/session", method: .post) { r in
            XCTAssertEqual(r.status, .ok)
            let cookie = r.headers[.setCookie] ?? ""
            let id = StudioCookies.value(StudioCookies.session, in: cookie.components(separatedBy: ";").first)
            XCTAssertNotNil(id)
            return [.cookie: "\(StudioCookies.session)=\(id ?? "")"]
        }
    }

    /// POSTs a JSON body; returns status and object.
    func post(_ uri: String, _ body: Any, headers: HTTPFields) async throws -> (HTTPResponse.Status, [String: Any]) {
        var h = headers
        h[.contentType] = "application/json"
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await execute(uri: uri, method: .post, headers: h, body: ByteBuffer(bytes: data)) { r in
            (r.status, try jsonObject(r))
        }
    }

    func get(_ uri: String, headers: HTTPFields) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await execute(uri: uri, method: .get, headers: headers) { r in (r.status, try jsonObject(r)) }
    }
}

/// Decoded PNGs of data URLs, and stroke PNGs built as the canvas sends them.
enum PNGData {
    static func decode(_ dataURL: Any?) throws -> PNG.Image {
        let s = try XCTUnwrap(dataURL as? String)
        XCTAssertTrue(s.hasPrefix("data:image/png;base64,"))
        return try PNG.decode([UInt8](try XCTUnwrap(Data(base64Encoded: String(s.dropFirst("data:image/png;base64,".count))))))
    }

    /// Label indices of a palette label PNG.
    static func labels(_ dataURL: Any?) throws -> [UInt8] { try XCTUnwrap(try decode(dataURL).labels()) }

    /// An RGBA stroke of `side` x `side`: `paint(x, y)` gives the RGB of a painted pixel or nil (transparent).
    static func stroke(side: Int, _ paint: (Int, Int) -> (UInt8, UInt8, UInt8)?) throws -> String {
        var px = [UInt8](repeating: 0, count: side * side * 4)
        for y in 0..<side { for x in 0..<side {
            if let c = paint(x, y) {
                let i = 4 * (y * side + x)
                px[i] = c.0; px[i + 1] = c.1; px[i + 2] = c.2; px[i + 3] = 255
            }
        } }
        let png = try PNG.encode(width: side, height: side, colorType: 6, channels: 4, samples: px, palette: nil)
        return "data:image/png;base64," + Data(png).base64EncodedString()
    }

    /// A palette label map as an opaque RGBA stroke (every pixel painted).
    static func strokeFromLabels(_ labels: [UInt8], side: Int, nClasses: Int, scale: Int) throws -> String {
        let pal = ImageSheet.labelPalette(nClasses)
        return try stroke(side: side * scale) { x, y in pal[Int(labels[(y / scale) * side + x / scale])] }
    }
}
