import Foundation
import Hummingbird

extension DeskWebApp {
    func addReaderRoutes(to router: Router<DeskWebContext>) {
        router.get("/reader") { _, context in
            let language = context.language
            let view = await actions.placedCard(now: clock())
            let body: HTML = """
                <div id="live" data-empty="\(language.text("картки немає", "no card"))" data-present="\(view.present ? "yes" : "no")" data-serial="\(view.serial)">
                <p>\(language.text("На зчитувачі", "On the reader")): <strong id="live-state">\(view.present ? (view.serial ?? "?") : language.text("картки немає", "no card"))</strong></p>
                <pre id="live-text">\(view.text)</pre></div>
                <form method="post" action="/read-dispute" id="dispute-form" class="no-print">\(Pages.csrf(context))
                <button type="submit" id="read-dispute">\(language.text("Прочитати для спору (друкована виписка)", "Read for a dispute (printable statement)"))</button></form>
                """
            return Pages.page(language.text("Картка на зчитувачі", "Card on the reader"), body, context: context)
        }
        router.get("/reader.json") { _, context in
            _ = try context.requireStaff()
            let view = await actions.placedCard(now: clock())
            let data = try JSONEncoder().encode(view)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
