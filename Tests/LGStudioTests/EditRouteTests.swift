import XCTest
import Hummingbird
import HummingbirdTesting
import LGModelIO
@testable import LGStudio

/// `/edit` and its API through the router, in process.
final class EditRouteTests: XCTestCase {
    func testPagesAreServedFromTheBinaryWithASessionCookie() async throws {
        let (studio, _) = try StudioFixture.studio()
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            for page in ["/edit", "/train"] {
                let cookie = try await client.execute(uri: page, method: .get) { r -> String in
                    XCTAssertEqual(r.status, .ok)
                    XCTAssertEqual(r.headers[.contentType], "text/html; charset=utf-8")
                    let html = String(buffer: r.body)
                    XCTAssertTrue(html.contains("<canvas id=\"paint\""), page)
                    XCTAssertTrue(html.contains("function makePainter"), page)
                    // Nothing loaded from elsewhere (no CDN).
                    XCTAssertFalse(html.contains("src=\"http"), page)
                    XCTAssertFalse(html.contains("href=\"http"), page)
                    return try XCTUnwrap(r.headers[.setCookie])
                }
                XCTAssertTrue(cookie.hasPrefix("lgstudio_session="))
                XCTAssertTrue(cookie.contains("HttpOnly"))
                // With its cookie the page keeps the session (no new cookie).
                let h: HTTPFields = [.cookie: String(cookie.split(separator: ";")[0])]
                try await client.execute(uri: page, method: .get, headers: h) { r in
                    XCTAssertEqual(r.status, .ok)
                    XCTAssertNil(r.headers[.setCookie])
                }
            }
            try await client.execute(uri: "/", method: .get) { r in
                XCTAssertEqual(r.status, .seeOther)
                XCTAssertEqual(r.headers[.location], "/edit")
            }
            let (s, health) = try await client.get("/healthz", headers: [:])
            XCTAssertEqual(s, .ok)
            XCTAssertEqual(health["generator"] as? String, "stylegan2_toyface32")
            XCTAssertEqual((health["classes"] as? [String])?.count, (health["palette"] as? [String])?.count)
        }
    }

    /// Paint one class over a block, submit, and the label map takes the
    /// class inside the block; edits compound and undo steps back.
    func testStrokeEditChangesTheLabelsInsideTheStrokeAndUndoRestores() async throws {
        let (studio, _) = try StudioFixture.studio()
        let n = studio.model.nClasses, r = studio.model.labelResolution
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            let h = try await client.newSession()
            let (s0, v0) = try await client.post("/api/edit/sample", ["seed": 3], headers: h)
            XCTAssertEqual(s0, .ok)
            let img = try PNGData.decode(v0["image"])
            XCTAssertEqual(img.width, r)
            let before = try PNGData.labels(v0["labels"])
            XCTAssertEqual(before.count, r * r)
            XCTAssertEqual(v0["canUndo"] as? Bool, false)

            // Hair painted over the block x, y in 8..<20 (the middle of the face) at 8x (a 256 canvas).
            let block = (0..<(r * r)).filter { (8..<20).contains($0 % r) && (8..<20).contains($0 / r) }
            let cls = try XCTUnwrap(studio.model.classNames.firstIndex(of: "hair"))
            let pal = ImageSheet.labelPalette(n)
            let stroke = try PNGData.stroke(side: 8 * r) { x, y in
                (64..<160).contains(x) && (64..<160).contains(y) ? pal[cls] : nil
            }
            let (s1, v1) = try await client.post("/api/edit/submit", ["stroke": stroke, "iterations": 60, "lr": 0.02], headers: h)
            XCTAssertEqual(s1, .ok, "\(v1)")
            let after = try PNGData.labels(v1["labels"])
            let hitBefore = block.filter { Int(before[$0]) == cls }.count
            let hitAfter = block.filter { Int(after[$0]) == cls }.count
            XCTAssertGreaterThan(hitAfter, hitBefore + block.count / 4, "class \(cls) inside the stroke: \(hitBefore) -> \(hitAfter) of \(block.count)")
            let metrics = try XCTUnwrap(v1["metrics"] as? [String: Any])
            XCTAssertGreaterThan(try XCTUnwrap(metrics["changed_inside"] as? Double), 0.25)
            XCTAssertEqual(try PNGData.labels(v1["previousLabels"]), before)
            let strokeBack = try PNGData.decode(v1["stroke"])
            XCTAssertEqual(strokeBack.width, r)
            XCTAssertEqual(v1["edits"] as? Int, 1)
            XCTAssertEqual(v1["canUndo"] as? Bool, true)

            // Edits compound: a second edit starts from the first's latent.
            let (s2, v2) = try await client.post("/api/edit/submit", ["stroke": stroke, "iterations": 10], headers: h)
            XCTAssertEqual(s2, .ok)
            XCTAssertEqual(v2["edits"] as? Int, 2)
            XCTAssertEqual(try PNGData.labels(v2["previousLabels"]), after)

            // Downloads of the current image, label map and stroke.
            for (name, type) in [("image.png", 2), ("labels.png", 3), ("stroke.png", 2)] {
                try await client.execute(uri: "/api/edit/\(name)", method: .get, headers: h) { resp in
                    XCTAssertEqual(resp.status, .ok, name)
                    XCTAssertEqual(resp.headers[.contentType], "image/png")
                    XCTAssertTrue(resp.headers[.contentDisposition]?.contains("attachment") ?? false)
                    XCTAssertEqual(try PNG.decode([UInt8](resp.body.readableBytesView)).colorType, type, name)
                }
            }

            // Undo twice: back to the sample's labels and image; a third undo is refused.
            let (_, u1) = try await client.post("/api/edit/undo", [:], headers: h)
            XCTAssertEqual(try PNGData.labels(u1["labels"]), after)
            let (_, u2) = try await client.post("/api/edit/undo", [:], headers: h)
            XCTAssertEqual(try PNGData.labels(u2["labels"]), before)
            XCTAssertEqual(u2["image"] as? String, v0["image"] as? String)
            XCTAssertEqual(u2["canUndo"] as? Bool, false)
            let (s3, e3) = try await client.post("/api/edit/undo", [:], headers: h)
            XCTAssertEqual(s3, .conflict)
            XCTAssertEqual(e3["error"] as? String, "nothing to undo")
        }
    }

    func testTwoSessionsDoNotShareLatents() async throws {
        let (studio, _) = try StudioFixture.studio()
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            let a = try await client.newSession(), b = try await client.newSession()
            let (_, va) = try await client.post("/api/edit/sample", [:], headers: a)
            let (_, vb) = try await client.post("/api/edit/sample", [:], headers: b)
            // Each session has its own sample stream.
            XCTAssertNotEqual(va["image"] as? String, vb["image"] as? String)
            // An edit in a leaves b as it was.
            let pal = ImageSheet.labelPalette(studio.model.nClasses)
            let stroke = try PNGData.stroke(side: 64) { x, y in x < 32 && y < 32 ? pal[1] : nil }
            let (s, _) = try await client.post("/api/edit/submit", ["stroke": stroke, "iterations": 5], headers: a)
            XCTAssertEqual(s, .ok)
            let (_, sb) = try await client.get("/api/edit/state", headers: b)
            XCTAssertEqual(sb["image"] as? String, vb["image"] as? String)
            XCTAssertEqual(sb["edits"] as? Int, 0)
            let (_, sa) = try await client.get("/api/edit/state", headers: a)
            XCTAssertEqual(sa["edits"] as? Int, 1)
        }
    }

    func testSessionsAreBounded() async throws {
        let (studio, _) = try StudioFixture.studio(maxSessions: 2)
        let app = Application(router: studio.makeRouter())
        try await app.test(.router) { client in
            let first = try await client.newSession()
            _ = try await client.post("/api/edit/sample", ["seed": 1], headers: first)
            _ = try await client.newSession()
            _ = try await client.newSession()
            XCTAssertEqual(studio.sessionCount, 2)
            let (s, e) = try await client.get("/api/edit/state", headers: first)
            XCTAssertEqual(s, .notFound)
            XCTAssertTrue((e["error"] as? String ?? "").contains("unknown studio session"))
        }
    }
}
