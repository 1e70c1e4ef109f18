import BrowserTesting
import CommunityKeys
import Desk
import DeskOffice
import DeskRegistry
import DeskWeb
import Entitlements
import Foundation
import Hummingbird
import HummingbirdTesting
import Identifiers
import TestBedSupport
import Testing
import VirtualCard

/// A community key directory in a temporary directory, removed with the value.
final class TestCommunity: @unchecked Sendable {
    let path: String
    init() throws {
        path = WebFixture.temporaryPath("web-keys", "d")
        var generator = SystemRandomNumberGenerator()
        _ = try CommunityDirectory.create(at: path, community: "nemishaieve", now: WebFixture.now.adding(seconds: -86_400), using: &generator)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A page did not show what the test waited for.
struct PageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The browser's view of the app: find, type, click, wait.
struct DeskPage {
    let session: BrowserSession
    let base: String

    func open(_ path: String) async throws { try await session.navigate(to: URL(string: base + path)!) }

    func element(_ css: String, _ source: SourceLocation = #_sourceLocation) async throws -> BrowserSession.Element {
        for _ in 0..<100 {
            if let element = try await session.findElements(css: css).first { return element }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PageError("no element \(css) on \(try await session.currentURL()): \(try await bodyText().replacingOccurrences(of: "\n", with: " | "))")
    }

    func type(_ css: String, _ text: String) async throws {
        let field = try await element(css)
        try await field.clear()
        try await field.type(text)
    }

    func click(_ css: String) async throws { try await element(css).click() }

    func bodyText() async throws -> String { try await session.execute("return document.body.innerText;").string ?? "" }

    /// Clicks `button`, waits for the page the click leads to (not the page it was on, which may
    /// show the same element) to show `css`, and returns that page's text.
    func submit(_ button: String, expecting css: String) async throws -> String {
        _ = try await session.execute("window.hromadaPageBeforeSubmit = true;")
        try await click(button)
        try await waitUntil("return window.hromadaPageBeforeSubmit !== true && document.readyState === 'complete';")
        _ = try await element(css)
        return try await bodyText()
    }

    /// Waits until `script` (returning a boolean) is true.
    func waitUntil(_ script: String, seconds: Int = 10) async throws {
        for _ in 0..<(seconds * 10) {
            if try await session.execute(script).bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PageError("timed out waiting for \(script) on \(try await session.currentURL())")
    }

    func login(_ username: String, password: String = WebFixture.password, expecting css: String = "#search-form") async throws {
        try await open("/login")
        try await type("#username", username)
        try await type("#password", password)
        try await click("#login")
        _ = try await element(css)
    }

    func logout() async throws {
        try await click("#logout")
        _ = try await element("#login-form")
    }
}

/// The desk web app in headless Chromium, against the real card path: pcscd, the virtual card,
/// DeskOffice and an SQLite registry.
@Suite("Desk web app in a browser", .serialized)
struct DeskWebBrowserTests {
    static let serialA = "0A0B-0C0D-0E0F-C001"
    static let serialB = "0A0B-0C0D-0E0F-C002"

    /// Serves the app on a loopback port and runs `body` with a browser page on it.
    static func withBrowser(_ app: DeskWebApp, _ body: @Sendable @escaping (DeskPage) async throws -> Void) async throws {
        let application = Application(router: app.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let port = try #require(client.port)
            try await Browser.withSession { session in try await body(DeskPage(session: session, base: "http://127.0.0.1:\(port)")) }
        }
    }

    @Test("log in, find nobody, register the person and their benefit, issue on the virtual card, top up, read, replace, block, see the audit log; a clerk is refused an erasure")
    func deskFlow() async throws {
        let community = try TestCommunity()
        let cardA = try BlankCard(uid: [0x04, 0xC1, 0x00, 0x01, 0x02, 0x03, 0x04])
        let cardB = try BlankCard(uid: [0x04, 0xC2, 0x00, 0x01, 0x02, 0x03, 0x04])
        defer { cardA.remove(); cardB.remove() }
        let started = Date()
        // The fixture's own holder is someone else: Бондар walks in unregistered and is
        // registered, and given her benefit, through the forms.
        try await WebFixture.withRegistry { registry, _ in
            try await TestBed.shared.withReader { reader in
                let layout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent("CardLayouts/nemishaieve-social-v2.json").path
                let desk = IssuanceDesk(setup: try DeskSetup(keys: community.path, layoutPath: layout, categoriesPath: nil), reader: PlacedCardReader(name: reader.name, wait: .zero))
                var configuration = DeskWebConfiguration()
                configuration.categories = desk.setup.categories
                let app = DeskWebApp(
                    registry: registry, actions: OfficeCardActions(office: DeskOffice(desk: desk, registry: registry)), configuration: configuration,
                    clock: { WebFixture.now })
                try await Self.withBrowser(app) { page in
                    try await page.login("olena")
                    try await page.type("#search-name", "бондар")
                    try await page.click("#search")
                    try await page.click("#register-found-nobody")
                    try await page.type("#register-name", "Бондар Галина Іванівна")
                    try await page.type("#register-birth", "1951-03-14")
                    try await page.type("#register-address", "Немішаєве, вул. Шевченка, 12")
                    _ = try await page.session.execute("document.getElementById('register-document-type').value = 'passport';")
                    try await page.type("#register-document-number", "КВ765432")
                    try await page.type("#register-consent", "З-12")
                    _ = try await page.submit("#register", expecting: "#eligibility-form")
                    let address = try await page.session.currentURL()
                    let holder = try #require(HolderID(String(address.split(separator: "/").last ?? "")))
                    _ = try await page.session.execute("document.getElementById('eligibility-category').value = '1';")
                    try await page.type("#eligibility-evidence", "посвідчення пенсіонера")
                    let person = try await page.submit("#eligibility-add", expecting: "#issue-form")
                    #expect(person.contains("Бондар Галина Іванівна") && person.contains("посвідчення пенсіонера"))

                    try await cardA.placed(on: reader) {
                        try await page.type("#issue-serial", Self.serialA)
                        try await page.type("#issue-purse", "20")
                        let issued = try await page.submit("#issue", expecting: "#done")
                        #expect(issued.contains(Self.serialA))

                        try await page.open("/holders/\(holder)")
                        try await page.type(".card[data-serial='\(Self.serialA)'] .topup-amount", "50")
                        let receipt = try await page.submit(".card[data-serial='\(Self.serialA)'] .topup", expecting: "#printable")
                        #expect(receipt.contains("50.00") || receipt.contains("50,00"), "\(receipt)")

                        // The card on the reader, shown live by the page's poll.
                        try await page.open("/reader")
                        try await page.waitUntil("return document.getElementById('live').getAttribute('data-serial') === '\(Self.serialA)';")
                        let statement = try await page.submit("#read-dispute", expecting: "#printable")
                        #expect(statement.contains(Self.serialA))

                        try await page.open("/holders/\(holder)")
                        try await page.type(".card[data-serial='\(Self.serialA)'] .replace-serial", Self.serialB)
                        _ = try await page.submit(".card[data-serial='\(Self.serialA)'] .replace", expecting: "#replace-finish")
                    }
                    try await cardB.placed(on: reader) {
                        let replaced = try await page.submit("#replace-finish", expecting: "#done")
                        #expect(replaced.contains(Self.serialB))
                    }

                    // Block the new card, which is not at the desk (lost).
                    try await page.open("/holders/\(holder)")
                    try await page.click(".card[data-serial='\(Self.serialB)'] .block-form input[name='absent']")
                    _ = try await page.submit(".card[data-serial='\(Self.serialB)'] .block", expecting: "#done")
                    try await page.open("/holders/\(holder)")
                    let after = try await page.bodyText()
                    #expect(after.contains("замінена на \(Self.serialB)") && after.contains("заблокована (втрачена)"), "\(after)")

                    try await page.open("/audit")
                    let audit = try await page.bodyText()
                    for action in ["holder.add", "eligibility.add", "card.issue", "card.topup", "card.read-dispute", "card.replace.prepare", "card.replace", "card.block", "login"] {
                        #expect(audit.contains(action), "\(action) is not in the audit log")
                    }

                    try await page.logout()
                    try await page.login("ivan")
                    try await page.open("/holders/\(holder)")
                    try await page.type("#erase-reason", "запит особи")
                    let refused = try await page.submit("#erase", expecting: "#failure")
                    #expect(refused.contains("Стерти особисті дані може лише керівник"))
                }
                let holder = try #require(try await registry.search(HolderQuery(name: "бондар"), limit: 2).holders.first?.id)
                #expect(try await registry.holder(holder)?.details?.fullName == "Бондар Галина Іванівна")
                let card = try #require(try await registry.card(CardSerial(printed: Self.serialB)!))
                #expect(card.status == .blocked(.lost))
                #expect(try await registry.card(CardSerial(printed: Self.serialA)!)?.status == .replaced(by: CardSerial(printed: Self.serialB)!))
            }
        }
        print("DeskWebBrowserTests: the desk flow in Chromium took \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    }

    @Test("hostile input in the browser: a name with markup shows as text and runs nothing; a forged CSRF token and an oversized field are refused, nothing changed")
    func hostileInput() async throws {
        let hostile = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script> Шевченко"
        try await WebFixture.withRegistry(holderName: hostile) { registry, holder in
            let app = DeskWebApp.forTests(registry, actions: RecordingActions())
            try await Self.withBrowser(app) { page in
                try await page.login("olena")
                try await page.open("/holders/\(holder)")
                let shown = try await page.element("#holder-name").text()
                #expect(shown == hostile)
                #expect(try await page.session.execute("return window.pwned === undefined;").bool == true)

                // A forged token in the erase form.
                _ = try await page.session.execute("document.querySelector('#erase-form input[name=csrf]').value = '\(String(repeating: "0", count: 64))';")
                try await page.type("#erase-reason", "підробка")
                let forged = try await page.submit("#erase", expecting: "#failure")
                #expect(forged.contains("захисний код (CSRF)"))

                // A field past its limit (the browser's maxlength removed, as a script could).
                try await page.open("/holders/\(holder)")
                _ = try await page.session.execute(
                    "var f = document.getElementById('erase-reason'); f.removeAttribute('maxlength'); f.value = 'я'.repeat(300);")
                let long = try await page.submit("#erase", expecting: "#failure")
                #expect(long.contains("задовге"))
            }
            #expect(try await registry.holder(holder)?.details?.fullName == hostile)
        }
    }

    @Test("staff in the browser: a clerk changes their password (a wrong current one refused), a supervisor disables the clerk from the staff page, the clerk's login is refused")
    func staffFlow() async throws {
        let newPassword = "a new and longer password"
        try await WebFixture.withRegistry { registry, _ in
            try await Self.withBrowser(DeskWebApp.forTests(registry, actions: RecordingActions())) { page in
                try await page.login("ivan")
                try await page.click("a[href='/account']")
                try await page.type("#current-password", "not the password")
                try await page.type("#new-password", newPassword)
                try await page.type("#repeat-password", newPassword)
                let wrong = try await page.submit("#change-password", expecting: "#failure")
                #expect(wrong.contains("чинний пароль неправильний; пароль не змінено"))
                try await page.open("/account")
                try await page.type("#current-password", WebFixture.password)
                try await page.type("#new-password", newPassword)
                try await page.type("#repeat-password", newPassword)
                let changed = try await page.submit("#change-password", expecting: "#done")
                #expect(changed.contains("Пароль змінено"))
                try await page.logout()

                try await page.login("olena")
                try await page.click("a[href='/staff']")
                _ = try await page.submit("tr[data-username='ivan'] button.disable", expecting: "tr[data-username='ivan'][data-active='no']")
                try await page.logout()

                try await page.login("ivan", password: newPassword, expecting: "#failure")
                #expect(try await page.bodyText().contains("обліковий запис ivan вимкнено"))
            }
            #expect(try await registry.staffMember("ivan")?.isActive == false)
        }
    }
}
