import XCTest
import Hummingbird
import HummingbirdTesting
import LGModelIO
@testable import LGStudio

/// Refused requests: a clear JSON error and nothing changed.
final class BadInputTests: XCTestCase {
    func testMalformedJSONUnknownSessionAndWrongStrokesAreRefusedWithoutChange() async throws {
        let (studio, _) = try StudioFixture.studio()
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            // No session, an unknown one.
            let (s0, e0) = try await client.post("/api/edit/sample", [:], headers: [:])
            XCTAssertEqual(s0, .badRequest)
            XCTAssertTrue((e0["error"] as? String ?? "").contains("no studio session"), "\(e0)")
            let (s1, e1) = try await client.post("/api/edit/sample", [:], headers: [.cookie: "lgstudio_session=0123abcd"])
            XCTAssertEqual(s1, .notFound)
            XCTAssertTrue((e1["error"] as? String ?? "").contains("unknown studio session"))
            XCTAssertEqual(e1["status"] as? String, "404")

            let h = try await client.newSession()
            let (_, v0) = try await client.post("/api/edit/sample", ["seed": 5], headers: h)

            // Malformed JSON.
            var hj = h
            hj[.contentType] = "application/json"
            try await client.execute(uri: "/api/edit/submit", method: .post, headers: hj, body: ByteBuffer(string: "{\"stroke\": ")) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertEqual(r.headers[.contentType], "application/json")
                XCTAssertTrue((try jsonObject(r)["error"] as? String ?? "").hasPrefix("malformed JSON"))
            }
            // A missing field and a field of the wrong type.
            let (s2, e2) = try await client.post("/api/edit/submit", ["iterations": 5], headers: h)
            XCTAssertEqual(s2, .badRequest)
            XCTAssertEqual(e2["error"] as? String, "malformed request: missing field 'stroke'")
            let (s3, e3) = try await client.post("/api/edit/sample", ["seed": "three"], headers: h)
            XCTAssertEqual(s3, .badRequest)
            XCTAssertTrue((e3["error"] as? String ?? "").contains("'seed' has the wrong type"), "\(e3)")

            // Stroke images of the wrong size, not PNG, painting nothing.
            let pal = ImageSheet.labelPalette(studio.model.nClasses)
            let small = try PNGData.stroke(side: 16) { _, _ in pal[1] }
            let (s4, e4) = try await client.post("/api/edit/submit", ["stroke": small], headers: h)
            XCTAssertEqual(s4, .badRequest)
            XCTAssertTrue((e4["error"] as? String ?? "").contains("the stroke image is 16x16"), "\(e4)")
            let wide = "data:image/png;base64," + Data(try PNG.encodeRGB(width: 64, height: 32, pixels: [UInt8](repeating: 9, count: 64 * 32 * 3))).base64EncodedString()
            let (s5, e5) = try await client.post("/api/edit/submit", ["stroke": wide], headers: h)
            XCTAssertEqual(s5, .badRequest)
            XCTAssertTrue((e5["error"] as? String ?? "").contains("64x32"))
            let (s6, e6) = try await client.post("/api/edit/submit", ["stroke": "data:image/png;base64,aGVsbG8="], headers: h)
            XCTAssertEqual(s6, .badRequest)
            XCTAssertTrue((e6["error"] as? String ?? "").contains("not a readable PNG"))
            let empty = try PNGData.stroke(side: 64) { _, _ in nil }
            let (s7, e7) = try await client.post("/api/edit/submit", ["stroke": empty], headers: h)
            XCTAssertEqual(s7, .badRequest)
            XCTAssertEqual(e7["error"] as? String, "the stroke paints no pixel of the label map")
            let (s8, _) = try await client.post("/api/edit/submit", ["stroke": small, "iterations": 0], headers: h)
            XCTAssertEqual(s8, .badRequest)

            // Nothing changed.
            let (_, st) = try await client.get("/api/edit/state", headers: h)
            XCTAssertEqual(st["image"] as? String, v0["image"] as? String)
            XCTAssertEqual(st["labels"] as? String, v0["labels"] as? String)
            XCTAssertEqual(st["edits"] as? Int, 0)

            // Unknown train command.
            let (s9, e9) = try await client.post("/api/train/control", ["command": "explode"], headers: h)
            XCTAssertEqual(s9, .badRequest)
            XCTAssertTrue((e9["error"] as? String ?? "").contains("unknown command 'explode'"))
        }
    }

    func testOversizedBodyIs413() async throws {
        let (studio, _) = try StudioFixture.studio(maxBody: 4096)
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            let h = try await client.newSession()
            let (_, v0) = try await client.post("/api/edit/sample", ["seed": 5], headers: h)
            let pal = ImageSheet.labelPalette(studio.model.nClasses)
            // A noisy stroke does not compress below the limit.
            var g = SystemRandomNumberGenerator()
            let big = try PNGData.stroke(side: 256) { _, _ in UInt8.random(in: 0...1, using: &g) == 0 ? pal[1] : (UInt8.random(in: 0...255, using: &g), 0, 7) }
            XCTAssertGreaterThan(big.utf8.count, 4096)
            let (s, e) = try await client.post("/api/edit/submit", ["stroke": big], headers: h)
            XCTAssertEqual(s, .contentTooLarge)
            XCTAssertEqual(e["error"] as? String, "the request body is larger than 4096 bytes")
            let (_, st) = try await client.get("/api/edit/state", headers: h)
            XCTAssertEqual(st["labels"] as? String, v0["labels"] as? String)
            XCTAssertEqual(st["edits"] as? Int, 0)
        }
    }

    func testTokenIsRequiredWhenSet() async throws {
        let token = "s3cret-token"
        let (studio, _) = try StudioFixture.studio(token: token)
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            for uri in ["/edit", "/healthz", "/api/edit/state"] {
                try await client.execute(uri: uri, method: .get) { r in
                    XCTAssertEqual(r.status, .unauthorized, uri)
                    XCTAssertTrue((try jsonObject(r)["error"] as? String ?? "").contains("missing or wrong token"))
                }
            }
            try await client.execute(uri: "/api/session", method: .post, headers: [.authorization: "Bearer wrong"]) { r in
                XCTAssertEqual(r.status, .unauthorized)
            }
            XCTAssertEqual(studio.sessionCount, 0)
            try await client.execute(uri: "/edit", method: .get, headers: [.authorization: "Bearer \(token)"]) { r in
                XCTAssertEqual(r.status, .ok)
            }
            try await client.execute(uri: "/login?token=nope", method: .get) { r in
                XCTAssertEqual(r.status, .unauthorized)
            }
            let cookie = try await client.execute(uri: "/login?token=\(token)", method: .get) { r in
                XCTAssertEqual(r.status, .seeOther)
                return try XCTUnwrap(r.headers[.setCookie])
            }
            XCTAssertTrue(cookie.hasPrefix("lgstudio_token=\(token)"))
            try await client.execute(uri: "/healthz", method: .get, headers: [.cookie: "lgstudio_token=\(token)"]) { r in
                XCTAssertEqual(r.status, .ok)
            }
        }
    }
}

/// Strokes to label maps: nearest palette colour, nearest-neighbour resizing.
final class StrokeImageTests: XCTestCase {
    func testNearestPaletteColourAndNearestNeighbourResizing() throws {
        let pal = ImageSheet.labelPalette(5)
        // 8x8 stroke for a 4x4 label map: each label pixel reads the stroke pixel at (2x+1, 2y+1).
        let url = try PNGData.stroke(side: 8) { x, y in
            if y < 4 && x < 4 { return (pal[2].0 &+ 20, pal[2].1 > 10 ? pal[2].1 - 10 : 0, pal[2].2) }  // near class 2
            if y >= 4 && x >= 4 { return pal[4] }
            if x == 1 && y == 5 { return pal[0] }  // class 0 painted on purpose
            return nil
        }
        let s = try StrokeImage(png: try StrokeImage.pngBytes(dataURL: url), labelResolution: 4, nClasses: 5)
        XCTAssertEqual(s.labels.shape, [1, 4, 4])
        XCTAssertEqual(s.labels.data.map(Int.init), [2, 2, 0, 0,
                                                      2, 2, 0, 0,
                                                      0, 0, 4, 4,
                                                      0, 0, 4, 4])
        // The label pixel (0, 2) reads stroke (1, 5): painted class 0.
        XCTAssertEqual(s.mask, [1, 1, 0, 0,
                                1, 1, 0, 0,
                                1, 0, 1, 1,
                                0, 0, 1, 1])
        XCTAssertEqual(s.paintedCount, 9)
        let t = try StrokeImage(png: try StrokeImage.pngBytes(dataURL: url), labelResolution: 8, nClasses: 5)
        XCTAssertEqual(t.mask[5 * 8 + 1], 1)
        XCTAssertEqual(t.labels.data[5 * 8 + 1], 0)
        XCTAssertEqual(StrokeImage.nearestClass(250, 2, 3, palette: [(0, 0, 0), (128, 0, 0), (255, 0, 0)]), 2)
        XCTAssertThrowsError(try StrokeImage.pngBytes(dataURL: "data:image/png,abc"))
    }
}
