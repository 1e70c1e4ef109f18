import DeskRegistry
import Entitlements
import Hummingbird

/// The page chrome and the small pieces every page uses.
enum Pages {
    /// A whole page: header with the clerk and the menu, the body, the language switch.
    static func page(_ title: String, _ body: HTML, context: DeskWebContext, status: HTTPResponse.Status = .ok) -> Response {
        let language = context.language
        var menu = HTML.empty
        if let staff = context.staff {
            let staffLink: HTML = staff.role == .supervisor ? "<a href=\"/staff\">\(language.text("Працівники", "Staff"))</a> " : ""
            menu = """
                <nav class="no-print"><a href="/search">\(language.text("Пошук", "Search"))</a> \
                <a href="/reader">\(language.text("Картка на зчитувачі", "Card on the reader"))</a> \
                <a href="/worklist">\(language.text("Поновлення", "Renewals"))</a> \
                <a href="/audit">\(language.text("Журнал аудиту", "Audit log"))</a> \
                \(staffLink)\
                <a href="/account">\(language.text("Мій пароль", "My password"))</a> \
                <span class="who">\(staff.username) (\(language == .uk ? staff.role.ukrainian : staff.role.english))</span> \
                <form method="post" action="/logout" class="inline">\(csrf(context))<button type="submit" id="logout">\(language.text("Вийти", "Log out"))</button></form></nav>
                """
        }
        let page: HTML = """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8"><title>\(title) — HromadaCard</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/desk.css"></head>
            <body>\(menu)<main><h1>\(title)</h1>
            \(body)</main>
            <footer class="no-print"><a href="/language/uk">Українська</a> · <a href="/language/en">English</a></footer><script src="/static/desk.js"></script></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page.rendered)))
    }

    /// The page for a failure: what kind, what happened, what to do.
    static func failure(_ failure: StaffFacingError, context: DeskWebContext) -> Response {
        let language = context.language
        let sentence = language == .uk ? failure.ukrainian : failure.english
        let body: HTML = """
            <div class="failure \(failure.kind.rawValue)" id="failure" data-kind="\(failure.kind.rawValue)"><p class="what">\(sentence)</p>
            <p class="advice">\(failure.advice(language))</p></div>
            <p class="no-print"><a href="/search">\(language.text("До пошуку", "Back to search"))</a></p>
            """
        return page(failure.title(language), body, context: context, status: failure.status)
    }

    /// The hidden CSRF field every form of a session carries.
    static func csrf(_ context: DeskWebContext) -> HTML {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(context.staff?.csrfToken ?? "")\">"
    }

    /// A time in Kyiv, `YYYY-MM-DD HH:MM`.
    static func time(_ time: UnixTime) -> String {
        let local = TimeZoneRule.europeKyiv.local(at: time)
        let minutes = local.secondOfDay / 60
        return "\(local.date) \(pad(minutes / 60)):\(pad(minutes % 60))"
    }

    static func pad(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }

    /// Kopecks as hryvnias, `12.50`.
    static func money(_ kopecks: Int64) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let value = kopecks.magnitude
        return "\(sign)\(value / 100).\(pad(Int(value % 100)))"
    }

    /// A redirect after a successful form (so a reload does not post again).
    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static let stylesheet = """
        body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; color: #111; }
        nav { background: #1c3d6e; padding: .5em 1em; } nav a, nav .who { color: #fff; margin-right: 1em; }
        main { padding: 1em; max-width: 70em; } footer { padding: 1em; font-size: .9em; }
        table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #999; padding: .2em .5em; text-align: left; vertical-align: top; }
        form.inline { display: inline; } fieldset { margin: .5em 0; } label { display: inline-block; margin: .2em .5em .2em 0; }
        .failure { border: 2px solid #b00; padding: .5em 1em; background: #fee; } .already-done { border-color: #a60; background: #ffe; }
        .notice { border: 2px solid #070; padding: .5em 1em; background: #efe; } pre { white-space: pre-wrap; }
        .card { border: 1px solid #666; padding: .5em; margin: .5em 0; } .printable { border: 1px dashed #444; padding: 1em; }
        @media print { .no-print, nav, footer { display: none; } .printable { border: none; } }
        """

    static let liveReaderScript = """
        "use strict";
        (function () {
          var printButton = document.getElementById("print");
          if (printButton) { printButton.addEventListener("click", function () { window.print(); }); }
          var box = document.getElementById("live");
          if (!box) { return; }
          function show(view) {
            document.getElementById("live-state").textContent = view.present ? (view.serial || "?") : box.getAttribute("data-empty");
            document.getElementById("live-text").textContent = view.text;
            box.setAttribute("data-present", view.present ? "yes" : "no");
            box.setAttribute("data-serial", view.serial || "");
          }
          function poll() {
            fetch("/reader.json", { credentials: "same-origin", cache: "no-store" })
              .then(function (r) { return r.json(); }).then(show)
              .catch(function () { document.getElementById("live-state").textContent = "…"; })
              .finally(function () { setTimeout(poll, 1500); });
          }
          poll();
        })();
        """
}
