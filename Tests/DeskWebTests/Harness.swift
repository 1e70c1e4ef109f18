import Crypto
import Desk
import DeskOffice
import DeskRegistry
import DeskWeb
import Entitlements
import Foundation
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import Identifiers
import Synchronization
import Tariff
import Testing

enum WebFixture {
    /// 2026-11-29 12:00 UTC.
    static let now = UnixTime(1_795_953_600)
    static let today = CivilDate(year: 2026, month: 11, day: 29)!
    static let keyring = RegistryKeyring(keys: [RegistryKeyring.Key(SymmetricKey(data: [UInt8](repeating: 0x5A, count: 32)))])
    static let password = "correct horse battery"
    /// A low bcrypt cost keeps the tests fast; the command's default is 12.
    static let hash = Bcrypt.hash(password, cost: 4)
    static let passport = "КН123456"

    static func temporaryPath(_ stem: String, _ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hromada-\(stem)-\(UUID().uuidString).\(suffix)").path
    }

    static func person(_ name: String, passport: String = passport) -> HolderDetails {
        try! HolderDetails(
            fullName: name, dateOfBirth: CivilDate(iso: "1951-03-14")!, address: "Немішаєве, вул. Шевченка, 12",
            document: try! IdentityDocument(type: .passport, number: passport), phone: nil, today: today)
    }

    /// A fresh SQLite registry with a clerk `ivan`, a supervisor `olena` and one holder with a
    /// pensioner eligibility; `body` gets it and the holder's id.
    static func withRegistry<Result: Sendable>(
        holderName: String = "Коваль Марія Петрівна", _ body: @Sendable (HolderRegistry, HolderID) async throws -> Result
    ) async throws -> Result {
        let location = RegistryLocation.sqlite(path: temporaryPath("web-registry", "sqlite"))
        return try await location.withRegistry(keyring: keyring, now: now) { registry in
            try await registry.addStaff(StaffMember(username: "ivan", role: .clerk, passwordHash: hash, createdAt: now), at: now)
            try await registry.addStaff(StaffMember(username: "olena", role: .supervisor, passwordHash: hash, createdAt: now), at: now)
            let holder = try await registry.addHolder(person(holderName), consentFormReference: "З-1", clerk: "setup", at: now)
            _ = try await registry.addEligibility(
                try EligibilityTerms(category: CategoryCode(1), evidence: "посвідчення пенсіонера", validFrom: CivilDate(iso: "2026-01-01")!, validUntil: nil),
                to: holder, clerk: "setup", at: now)
            return try await body(registry, holder)
        }
    }
}

/// Card actions that only remember what they were asked: the HTTP tests check who may ask for
/// what, not the card (the browser test drives the real card).
final class RecordingActions: DeskCardActions {
    let calls = Mutex<[String]>([])

    var called: [String] { calls.withLock { $0 } }

    func outcome(_ call: String, _ serial: CardSerial, printable: String? = nil) -> DeskActionOutcome {
        calls.withLock { $0.append(call) }
        return DeskActionOutcome(serial: serial, summary: "зроблено: \(call)\ndone: \(call)\n", printable: printable, wasAlreadyDone: false)
    }

    func issue(_ order: HolderIssueOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { outcome("issue \(order.serial.printed)", order.serial) }
    func renew(_ serial: CardSerial, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { outcome("renew", serial) }
    func topUp(_ serial: CardSerial, kopecks: Int32, receipt: UInt32, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        outcome("topup \(kopecks)", serial, printable: "КВИТАНЦІЯ \(receipt)")
    }
    func block(_ serial: CardSerial, reason: DenyList.Reason, cardAtDesk: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        outcome("block \(reason.rawValue)", serial)
    }
    func prepareReplacement(_ order: ReplacementOrder, oldCardLost: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome {
        outcome("replace-1", order.oldSerial)
    }
    func finishReplacement(_ order: ReplacementOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { outcome("replace-2", order.newSerial) }
    func returnCard(_ serial: CardSerial, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { outcome("return \(reason.rawValue)", serial) }
    func deregister(_ holder: HolderID, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> [DeskActionOutcome] {
        calls.withLock { $0.append("deregister \(holder)") }
        return []
    }
    func readForDispute(deskName: String, now: UnixTime) async throws -> DeskActionOutcome { outcome("dispute", CardSerial(printed: "0000-0000-0000-0001")!) }
    func placedCard(now: UnixTime) async -> PlacedCardView { PlacedCardView(present: false, serial: nil, text: "") }
}

/// A browser-like client over HummingbirdTesting: keeps cookies, reads the CSRF token of the
/// last page, posts forms.
final class WebClient: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var lastBody = ""
    var csrf: String? {
        guard let range = lastBody.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(lastBody[range.upperBound...].prefix(while: { $0 != "\"" }))
    }

    init(_ client: any TestClientProtocol) { self.client = client }

    @discardableResult
    func get(_ uri: String) async throws -> TestResponse {
        try await send(uri, method: .get, body: nil)
    }

    @discardableResult
    func post(_ uri: String, _ fields: [(String, String)]) async throws -> TestResponse {
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(uri, method: .post, body: body)
    }

    func send(_ uri: String, method: HTTPRequest.Method, body: String?) async throws -> TestResponse {
        var headers = HTTPFields()
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        lastBody = String(buffer: response.body)
        return response
    }

    /// Logs in as `username`; returns the login's response.
    @discardableResult
    func login(_ username: String, password: String = WebFixture.password) async throws -> TestResponse {
        try await get("/login")
        return try await post("/login", [("csrf", csrf ?? ""), ("username", username), ("password", password)])
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

extension DeskWebApp {
    /// The app over `registry` with `actions`, at the fixture's time.
    static func forTests(_ registry: HolderRegistry, actions: any DeskCardActions, secureCookies: Bool = false) -> DeskWebApp {
        var configuration = DeskWebConfiguration()
        configuration.secureCookies = secureCookies
        configuration.passwordCost = 4
        configuration.categories = [BenefitCategory(code: CategoryCode(1), id: "pensioner", name: LocalizedText(uk: "Пенсіонер", en: "Pensioner"))]
        return DeskWebApp(registry: registry, actions: actions, configuration: configuration, clock: { WebFixture.now })
    }

    /// Runs `body` with a client of this app, without sockets.
    func withClient<Result: Sendable>(_ body: @Sendable (WebClient) async throws -> Result) async throws -> Result {
        try await Application(router: router()).test(.router) { client in try await body(WebClient(client)) }
    }
}
