// The HTML pages, their assets and /login.
import Foundation
import Hummingbird

extension Dashboard {
    func addPageRoutes(_ router: Router<BasicRequestContext>) {
        let html = "text/html; charset=utf-8"
        let refresh = config.refreshSeconds
        let token = auth.token
        router.get("/") { _, _ in HTTP.text(Pages.shell(title: "Jobs", name: "jobs", token: token, refreshSeconds: refresh), contentType: html) }
        router.get("/grids") { _, _ in HTTP.text(Pages.shell(title: "Grids", name: "grids", token: token, refreshSeconds: refresh), contentType: html) }
        router.get("/results") { _, _ in HTTP.text(Pages.shell(title: "Results", name: "results", token: token, refreshSeconds: refresh), contentType: html) }
        router.get("/workers") { _, _ in HTTP.text(Pages.shell(title: "Workers", name: "workers", token: token, refreshSeconds: refresh), contentType: html) }
        router.get("/jobs/:id") { _, context -> Response in
            let id = try Self.jobID(context)
            guard try self.store.job(id: id) != nil else { throw APIError(.notFound, "no job with id \(id)") }
            return HTTP.text(Pages.shell(title: "Job \(id)", name: "job", data: ["job": String(id)], token: token, refreshSeconds: refresh),
                             contentType: html)
        }
        router.get("/assets/dashboard.css") { _, _ in
            HTTP.text(Assets.css, contentType: "text/css; charset=utf-8", extra: [.cacheControl: "no-cache"])
        }
        router.get("/assets/dashboard.js") { _, _ in
            HTTP.text(Assets.script, contentType: "text/javascript; charset=utf-8", extra: [.cacheControl: "no-cache"])
        }
        // Sets the token cookie and goes to the jobs page.
        router.get("/login") { request, _ -> Response in
            let given = Query(request).string("token")
            guard self.auth.matches(given) else {
                throw APIError(.unauthorized, "wrong or missing token: open /login?token=TOKEN with the token from the file http-token beside the queue database")
            }
            return Response(status: .seeOther, headers: [
                .location: "/",
                .setCookie: "lg_token=\(self.auth.token); Path=/; HttpOnly; SameSite=Strict",
            ])
        }
    }
}
