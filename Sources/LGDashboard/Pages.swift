// The HTML pages: one shell (navigation, the page's container) per page;
// the page's script (Assets.script) fills it from the JSON API and refreshes
// it with fetch() every few seconds, without reloading.
import Foundation

enum Pages {
    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static let nav: [(path: String, name: String, label: String)] = [
        ("/", "jobs", "Jobs"), ("/grids", "grids", "Grids"), ("/results", "results", "Results"),
        ("/workers", "workers", "Workers"), ("/metrics", "metrics", "Metrics"),
    ]

    /// A page: `name` selects its script; `data` become data- attributes of
    /// <main>; `token` (for the POSTs of the action buttons) goes into a meta
    /// tag, served only to clients that may read the pages anyway.
    static func shell(title: String, name: String, data: [String: String] = [:], token: String, refreshSeconds: Int) -> String {
        let links = nav.map { n in
            "<a href=\"\(n.path)\"\(n.name == name ? " class=\"on\"" : "")>\(n.label)</a>"
        }.joined(separator: "\n      ")
        let attrs = data.sorted { $0.key < $1.key }.map { " data-\($0.key)=\"\(esc($0.value))\"" }.joined()
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="lg-token" content="\(esc(token))">
        <title>\(esc(title)) · LinearGAN queue</title>
        <link rel="stylesheet" href="/assets/dashboard.css">
        </head>
        <body>
        <header>
          <span class="brand">LinearGAN queue</span>
          <nav>
              \(links)
          </nav>
          <span id="status" class="status"></span>
        </header>
        <main id="main" data-page="\(name)" data-refresh="\(refreshSeconds)"\(attrs)>
          <h1>\(esc(title))</h1>
          <div id="content"><p class="muted">loading…</p></div>
        </main>
        <script src="/assets/dashboard.js"></script>
        </body>
        </html>
        """
    }
}
