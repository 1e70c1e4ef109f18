import AsyncHTTPClient
import Crypto
import Desk
import DeskOffice
import DeskRecords
import DeskRegistry
import DeskWeb
import Entitlements
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Identifiers
import Logging
import NIOCore
import Tariff

/// The desk web app over a registry of many holders: the person page and the three searches
/// through the real app (`DeskWebApp.router()`, the routes `hromada-desk serve` runs) on a
/// loopback port, a clerk logged in, each request with its session lookup and its audit-log
/// append; beside the registry's own calls without HTTP or HTML, a static file through the
/// same app, and a bare Hummingbird route answering a constant page of the person page's size.
enum DeskWebBenchmark {
    static let now = UnixTime(1_795_953_600)  // 2026-11-29 12:00 UTC
    static let today = CivilDate(year: 2026, month: 11, day: 29)!

    static let surnames = [
        "Коваль", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Мельник", "Лисенко", "Шевчук", "Поліщук", "Бойко", "Савченко",
        "Руденко", "Мороз", "Марченко", "Петренко", "Левченко", "Клименко", "Павленко", "Кузьменко", "Гончаренко", "Захарченко", "Литвиненко",
        "Сидоренко", "Романенко", "Харченко", "Ковальчук", "Тимошенко", "Гнатюк", "Дмитренко", "Яковенко", "Костенко", "Кравчук", "Приходько",
        "Білик", "Вовк", "Гриценко", "Демченко", "Євтушенко", "Жук", "Зінченко", "Іваненко", "Карпенко", "Лук'яненко", "Мазур", "Назаренко",
        "Осадчий", "Пономаренко", "Рибак", "Семенко", "Тарасенко", "Устименко", "Федоренко", "Хоменко", "Цимбал", "Чорновол", "Швець", "Щербак",
        "Юрченко", "Ярошенко",
    ]
    static let givenNames = [
        "Марія", "Олена", "Ганна", "Наталія", "Ірина", "Тетяна", "Оксана", "Людмила", "Світлана", "Галина", "Валентина", "Катерина", "Юлія",
        "Іван", "Петро", "Микола", "Василь", "Олександр", "Сергій", "Андрій", "Володимир", "Михайло", "Юрій", "Богдан", "Тарас", "Олег",
        "Дмитро", "Степан", "Віктор", "Григорій",
    ]
    static let patronymics = [
        "Петрівна", "Іванівна", "Миколаївна", "Василівна", "Олександрівна", "Сергіївна", "Андріївна", "Михайлівна", "Степанівна", "Григорівна",
        "Петрович", "Іванович", "Миколайович", "Васильович", "Олександрович", "Сергійович", "Андрійович", "Михайлович", "Степанович", "Григорович",
    ]
    static let streets = ["Шевченка", "Франка", "Лесі Українки", "Незалежності", "Садова", "Миру", "Польова", "Центральна", "Шкільна", "Лісова"]

    /// A made-up person, the same for the same `index` (document numbers unique by index).
    static func person(_ index: Int, using generator: inout some RandomNumberGenerator) throws -> HolderDetails {
        let name = "\(surnames.randomElement(using: &generator)!) \(givenNames.randomElement(using: &generator)!) \(patronymics.randomElement(using: &generator)!)"
        let birth = CivilDate(year: 1930, month: 1, day: 1)!.adding(days: Int.random(in: 0..<(85 * 365), using: &generator))
        let document =
            index % 3 == 0
            ? try IdentityDocument(type: .passport, number: "КН" + String(100_000 + index).suffix(6))
            : try IdentityDocument(type: .idCard, number: String(100_000_000 + index))
        return try HolderDetails(
            fullName: name, dateOfBirth: birth, address: "Немішаєве, вул. \(streets.randomElement(using: &generator)!), \(1 + index % 120)",
            document: document, phone: index % 2 == 0 ? "+380 67 \(1_000_000 + index % 9_000_000)" : nil, today: today)
    }

    static func run(holders: Int, cardHolders: Int, requests: Int, directory: String, postgresURL: String?) async throws {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        let logger = quiet
        print("desk-web: \(holders) holders (each with an eligibility from one import), \(cardHolders) of them with a card; \(requests) timed requests a line")
        let scratch = "\(directory)/hromada-bench-desk-web-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        print("sqlite: file in \(directory) (\(AccountingBenchmark.fileSystemNote(directory)))")
        var targets: [(name: String, location: RegistryLocation)] = [("sqlite", .sqlite(path: "\(scratch)/registry.sqlite"))]
        if let postgresURL, case .postgres(let host, let port, let user, let password, _) = RegistryLocation(postgresURL) {
            let server = PostgresServer(host: host, port: port, user: user, password: password)
            let database = "bench_desk_web_\(Int.random(in: 0..<1_000_000))"
            _ = try await server.createDatabase(database, logger: logger)
            targets.append(("postgres", .postgres(host: host, port: port, user: user, password: password, database: database)))
        } else {
            print("desk-web: PostgreSQL skipped (no HROMADA_POSTGRES_URL)")
        }
        let keyring = RegistryKeyring(keys: [RegistryKeyring.Key(SymmetricKey(size: .bits256))])
        for target in targets {
            try await target.location.withRegistry(keyring: keyring, now: now, logger: logger) { registry in
                let sample = try await fill(registry, name: target.name, holders: holders, cardHolders: cardHolders)
                try await measure(target.name, registry, sample: sample, requests: requests, logger: logger)
            }
        }
    }

    /// What the timed requests pick from.
    struct Sample: Sendable {
        var holders: [HolderID]
        var cardHolders: [(id: HolderID, serial: CardSerial)]
        var names: [String]
        var births: [CivilDate]
    }

    static func fill(_ registry: HolderRegistry, name: String, holders: Int, cardHolders: Int) async throws -> Sample {
        var generator = SystemRandomNumberGenerator()
        let clock = ContinuousClock()
        var started = clock.now
        var ids: [HolderID] = []
        var people: [HolderDetails] = []
        ids.reserveCapacity(holders)
        people.reserveCapacity(holders)
        var index = 0
        while index < holders {
            var batch: [HolderDetails] = []
            while batch.count < 1000, index < holders {
                batch.append(try person(index, using: &generator))
                index += 1
            }
            ids += try await registry.addHolders(batch, consentFormReference: "З-\(index)", clerk: "bench", at: now)
            people += batch
        }
        var seconds = AccountingBenchmark.seconds(clock.now - started)
        print("\(name): \(holders) holders added by addHolders, 1000 a transaction, in \(format(seconds, 1)) s (\(format(Double(holders) / seconds, 0)) holders/s)")

        // Every holder's benefit from one eligibility import (the social-protection export's path).
        started = clock.now
        let lines = try people.enumerated().map { line, details in
            ImportedEligibility(
                line: line + 2, fullName: details.fullName, dateOfBirth: details.dateOfBirth, document: details.document,
                terms: try EligibilityTerms(
                    category: CategoryCode(UInt16(1 + line % 4)), evidence: "посвідчення \(700_000 + line)", validFrom: CivilDate(year: 2026, month: 1, day: 1)!,
                    validUntil: line % 5 == 0 ? nil : CivilDate(year: 2027, month: 12, day: 31)!))
        }
        let (_, preview) = try await registry.applyImport(lines, fileDigest: Array(SHA256.hash(data: Data("bench".utf8))), today: today, clerk: "bench", at: now)
        seconds = AccountingBenchmark.seconds(clock.now - started)
        guard preview.diff.additions.count == holders else { throw BenchmarkFailure("the import added \(preview.diff.additions.count) eligibilities, not \(holders)") }
        print("\(name): \(holders) eligibilities by one applyImport in \(format(seconds, 1)) s")

        // Cards for a random part of them: issued with one entitlement, and one desk credit (a
        // transaction each, as the desk records them).
        started = clock.now
        var withCards: [(id: HolderID, serial: CardSerial)] = []
        for (position, id) in ids.shuffled(using: &generator).prefix(cardHolders).enumerated() {
            let serial = CardSerial(0x00DE_5C00_0000_0000 | UInt64(position + 1))
            var pseudonym = [UInt8](repeating: 0, count: 16)
            for byte in pseudonym.indices { pseudonym[byte] = UInt8.random(in: 0...255, using: &generator) }
            let entitlement = WrittenEntitlement(
                id: EntitlementID(1), category: CategoryCode(UInt16(1 + position % 4)), product: "rides 30/month", validFrom: today,
                validUntil: CivilDate(year: 2027, month: 12, day: 31)!)
            _ = try await registry.recordIssued(
                IssuedCard(serial: serial, uid: [0x04, 0xDE, 0x5C, UInt8(position >> 16 & 0xFF), UInt8(position >> 8 & 0xFF), UInt8(position & 0xFF), 0x01],
                    layout: LayoutVersion(2), pseudonym: pseudonym, entitlements: [entitlement]),
                holder: id, clerk: "bench", at: now)
            _ = try await registry.recordCredit(kopecks: 10_000, on: serial, receipt: "R\(position + 1)", clerk: "bench", at: now)
            withCards.append((id, serial))
        }
        seconds = AccountingBenchmark.seconds(clock.now - started)
        print("\(name): \(cardHolders) cards recorded issued and credited (two transactions each) in \(format(seconds, 1)) s")
        try await registry.addStaff(StaffMember(username: "ivan", role: .clerk, passwordHash: Bcrypt.hash(password, cost: 10), createdAt: now), at: now)

        // Search terms a clerk types: a surname's first four letters and a given name's first three.
        let names = people.shuffled(using: &generator).prefix(200).map { details -> String in
            let words = details.fullName.split(separator: " ")
            return "\(words[0].prefix(4)) \(words[1].prefix(3))"
        }
        return Sample(holders: ids, cardHolders: withCards, names: names, births: people.shuffled(using: &generator).prefix(200).map(\.dateOfBirth))
    }

    static let password = "bench password 1"

    static func measure(_ name: String, _ registry: HolderRegistry, sample: Sample, requests: Int, logger: Logger) async throws {
        var generator = SystemRandomNumberGenerator()
        let warmup = min(50, requests)

        // The registry alone: what each page asks of it, without HTTP or HTML.
        let rawHolder = try await Samples.measure("\(name): raw holder(id), random holder", iterations: requests, warmup: warmup) {
            guard try await registry.holder(sample.holders.randomElement(using: &generator)!) != nil else { throw BenchmarkFailure("a holder is missing") }
        }
        let rawCardHolder = try await Samples.measure("\(name): raw holder(id), holder with a card", iterations: requests, warmup: warmup) {
            guard try await registry.holder(sample.cardHolders.randomElement(using: &generator)!.id)?.cards.count == 1 else { throw BenchmarkFailure("a card is missing") }
        }
        var found = 0
        let rawName = try await Samples.measure("\(name): raw search, name prefix", iterations: requests, warmup: warmup) {
            found += try await registry.search(HolderQuery(name: sample.names.randomElement(using: &generator)!), limit: 50).holders.count
        }
        let nameHits = Double(found) / Double(requests + warmup)
        found = 0
        let rawBirth = try await Samples.measure("\(name): raw search, date of birth", iterations: requests, warmup: warmup) {
            found += try await registry.search(HolderQuery(dateOfBirth: sample.births.randomElement(using: &generator)!), limit: 50).holders.count
        }
        let birthHits = Double(found) / Double(requests + warmup)
        let rawSerial = try await Samples.measure("\(name): raw search, card serial", iterations: requests, warmup: warmup) {
            guard try await registry.search(HolderQuery(cardSerial: sample.cardHolders.randomElement(using: &generator)!.serial), limit: 50).holders.count == 1 else {
                throw BenchmarkFailure("a card serial found nobody")
            }
        }
        let rawAudit = try await Samples.measure("\(name): raw appendAudit (each request's write)", iterations: requests, warmup: warmup) {
            try await registry.appendAudit(AuditEntry(at: now, username: "ivan", action: "GET /bench", subject: "request", detail: "", outcome: "200"))
        }
        // The registry's whole share of a person page: the session, the holder, the audit entry.
        let digest = Array(SHA256.hash(data: Data("bench session".utf8)))
        try await registry.openSession(tokenDigest: digest, username: "ivan", csrfToken: "bench", expiresAt: UnixTime(Date()).adding(seconds: 86_400), at: UnixTime(Date()))
        let rawShare = try await Samples.measure("\(name): raw session + holder(id) + appendAudit", iterations: requests, warmup: warmup) {
            guard try await registry.session(tokenDigest: digest, at: UnixTime(Date())) != nil,
                try await registry.holder(sample.holders.randomElement(using: &generator)!) != nil
            else { throw BenchmarkFailure("a session or a holder is missing") }
            try await registry.appendAudit(AuditEntry(at: UnixTime(Date()), username: "ivan", action: "GET /holders/bench", subject: "request", detail: "", outcome: "200"))
        }
        for line in [rawHolder, rawCardHolder, rawName, rawBirth, rawSerial, rawAudit, rawShare] { report(line) }
        print("\(name): a name-prefix search finds \(format(nameHits, 1)) holders on average (at most 50), a birth date \(format(birthHits, 1))")

        // The real app on a loopback port, and a client keeping one connection.
        let app = DeskWebApp(registry: registry, actions: NoCardActions(), configuration: DeskWebConfiguration(), clock: { UnixTime(Date()) })
        let (port, server) = try await serve(app.router(), logger: logger)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { server.cancel() }
        let base = "http://127.0.0.1:\(port)"
        let cookie = try await login(client, base: base)

        let auditBefore = try await registry.auditLog(limit: 1).first?.id ?? 0
        var bytes = 0
        let page = try await Samples.measure("\(name): GET /holders/N, random holder", iterations: requests, warmup: warmup) {
            bytes = try await get(client, base + "/holders/\(sample.holders.randomElement(using: &generator)!)", cookie: cookie, expecting: "holder-name").count
        }
        let cardPage = try await Samples.measure("\(name): GET /holders/N, holder with a card", iterations: requests, warmup: warmup) {
            _ = try await get(client, base + "/holders/\(sample.cardHolders.randomElement(using: &generator)!.id)", cookie: cookie, expecting: "class=\"serial\"")
        }
        let namePage = try await Samples.measure("\(name): GET /search?name= (prefixes)", iterations: requests, warmup: warmup) {
            _ = try await get(client, base + "/search?name=" + encode(sample.names.randomElement(using: &generator)!), cookie: cookie, expecting: "id=\"results\"")
        }
        let birthPage = try await Samples.measure("\(name): GET /search?birth=", iterations: requests, warmup: warmup) {
            _ = try await get(client, base + "/search?birth=\(sample.births.randomElement(using: &generator)!)", cookie: cookie, expecting: "id=\"results\"")
        }
        let serialPage = try await Samples.measure("\(name): GET /search?serial=", iterations: requests, warmup: warmup) {
            _ = try await get(client, base + "/search?serial=\(sample.cardHolders.randomElement(using: &generator)!.serial.printed)", cookie: cookie, expecting: "class=\"holder\"")
        }
        let staticFile = try await Samples.measure("\(name): GET /static/desk.css (session, no audit)", iterations: requests, warmup: warmup) {
            _ = try await get(client, base + "/static/desk.css", cookie: cookie, expecting: "")
        }
        try await client.shutdown()
        server.cancel()
        _ = try? await server.value
        // Every page request above wrote its audit entry (the static file is not audited).
        let audited = (try await registry.auditLog(limit: 1).first?.id ?? 0) - auditBefore
        guard audited >= Int64(5 * (requests + warmup)) else { throw BenchmarkFailure("the pages wrote \(audited) audit entries, expected \(5 * (requests + warmup))") }
        print("\(name): the page requests wrote \(audited) audit entries, one each")
        // The audit write again, after the pages (the first run follows the bulk fill's writes).
        let rawAuditAfter = try await Samples.measure("\(name): raw appendAudit, after the pages", iterations: requests, warmup: warmup) {
            try await registry.appendAudit(AuditEntry(at: now, username: "ivan", action: "GET /bench", subject: "request", detail: "", outcome: "200"))
        }

        // The same HTTP stack with nothing behind it: a constant page of the person page's size.
        let bare = Router()
        let constant = String(repeating: "x", count: bytes)
        bare.get("/page") { _, _ in Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: constant))) }
        let (barePort, bareServer) = try await serve(bare, logger: logger)
        let bareClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let barePage = try await Samples.measure("\(name): GET bare route, as many bytes", iterations: requests, warmup: warmup) {
            _ = try await get(bareClient, "http://127.0.0.1:\(barePort)/page", cookie: "", expecting: "")
        }
        try await bareClient.shutdown()
        bareServer.cancel()
        _ = try? await bareServer.value

        func ratio(_ line: Samples, _ baseline: Samples) -> String {
            "\(format(line.median / baseline.median, 1))× \(baseline.name.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")"
        }
        report(page, extra: "\(bytes) bytes of HTML; median \(ratio(page, rawHolder)), \(ratio(page, rawShare)), \(ratio(page, barePage))")
        report(cardPage, extra: "median \(ratio(cardPage, rawCardHolder))")
        report(namePage, extra: "median \(ratio(namePage, rawName))")
        report(birthPage, extra: "median \(ratio(birthPage, rawBirth))")
        report(serialPage, extra: "median \(ratio(serialPage, rawSerial))")
        report(staticFile, extra: "median \(ratio(staticFile, barePage))")
        report(barePage)
        report(rawAuditAfter)
    }

    /// Runs `router` on a free loopback port; the port and the server's task (cancel to stop).
    static func serve<Context: RequestContext>(_ router: Router<Context>, logger: Logger) async throws -> (Int, Task<Void, Error>) where Context.Source == ApplicationRequestContextSource {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "hromada-desk"),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.run() }
        for await port in ports { return (port, task) }
        throw BenchmarkFailure("the server did not start")
    }

    /// Logs in as the benchmark's clerk through the login form; the session cookie.
    static func login(_ client: HTTPClient, base: String) async throws -> String {
        let form = try await client.execute(HTTPClientRequest(url: base + "/login"), timeout: .seconds(30))
        let loginCookie = cookies(form)["hromada_login"] ?? ""
        let body = String(buffer: try await form.body.collect(upTo: 1 << 20))
        guard let range = body.range(of: "name=\"csrf\" value=\"") else { throw BenchmarkFailure("the login page has no form token") }
        let csrf = body[range.upperBound...].prefix(while: { $0 != "\"" })
        var request = HTTPClientRequest(url: base + "/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Cookie", value: "hromada_login=\(loginCookie)")
        request.body = .bytes(ByteBuffer(string: "csrf=\(encode(String(csrf)))&username=ivan&password=\(encode(password))"))
        let answer = try await client.execute(request, timeout: .seconds(30))
        _ = try await answer.body.collect(upTo: 1 << 20)
        guard answer.status == .seeOther, let session = cookies(answer)["hromada_session"] else {
            throw BenchmarkFailure("the login answered \(answer.status.code) without a session")
        }
        return "hromada_session=\(session)"
    }

    static func cookies(_ response: HTTPClientResponse) -> [String: String] {
        var found: [String: String] = [:]
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if pair.count == 2 { found[String(pair[0])] = String(pair[1]) }
        }
        return found
    }

    /// GETs `url` with the session cookie; the body, which must be a 200 containing `marker`.
    static func get(_ client: HTTPClient, _ url: String, cookie: String, expecting marker: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        if !cookie.isEmpty { request.headers.add(name: "Cookie", value: cookie) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 4 << 20))
        guard response.status == .ok, marker.isEmpty || body.contains(marker) else {
            throw BenchmarkFailure("GET \(url) answered \(response.status.code) without \(marker): \(body.prefix(300))")
        }
        return body
    }

    static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
}

/// The benchmark reads pages only: no card action is ever asked for.
struct NoCardActions: DeskCardActions {
    func refuse() -> BenchmarkFailure { BenchmarkFailure("the benchmark asked for a card action") }
    func issue(_ order: HolderIssueOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func renew(_ serial: CardSerial, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func topUp(_ serial: CardSerial, kopecks: Int32, receipt: UInt32, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func block(_ serial: CardSerial, reason: DenyList.Reason, cardAtDesk: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func prepareReplacement(_ order: ReplacementOrder, oldCardLost: Bool, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func finishReplacement(_ order: ReplacementOrder, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func returnCard(_ serial: CardSerial, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func deregister(_ holder: HolderID, reason: ReturnReason, clerk: String, now: UnixTime) async throws -> [DeskActionOutcome] { throw refuse() }
    func readForDispute(deskName: String, now: UnixTime) async throws -> DeskActionOutcome { throw refuse() }
    func placedCard(now: UnixTime) async -> PlacedCardView { PlacedCardView(present: false, serial: nil, text: "") }
}
