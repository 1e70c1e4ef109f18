import DeskRegistry
import Entitlements
import Identifiers
import TestBedSupport
import Testing

import Foundation

/// Runs the `hromada-desk` program's registry commands on an SQLite registry in a fresh
/// directory and compares what it prints word for word.
@Suite("hromada-desk holder, eligibility, worklist and registry commands", .serialized)
struct DeskRegistryCommandTests {
    static var deskPath: String {
        URL(fileURLWithPath: VcardExecutable.path()).deletingLastPathComponent().appendingPathComponent("hromada-desk").path
    }

    /// A fresh directory holding the registry and its key.
    struct Desk {
        let directory: String
        var registry: String { directory + "/registry.sqlite" }
        var key: String { directory + "/desk.key" }

        init() throws {
            directory = Fixture.temporaryPath("desk", "d")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        /// Runs `hromada-desk arguments… --registry … --key … --clerk test` (the staff commands take
        /// no `--clerk`: `clerk: false`); returns status, output and errors.
        func run(
            _ arguments: [String], key: String? = nil, clerk: Bool = true, environment: [String: String] = [:]
        ) throws -> (status: Int32, output: String, errors: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: DeskRegistryCommandTests.deskPath)
            process.arguments = arguments + ["--registry", registry, "--key", key ?? self.key] + (clerk ? ["--clerk", "test"] : [])
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let out = output.fileHandleForReading.readDataToEndOfFile()
            let err = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        }

        func write(_ name: String, _ text: String) throws -> String {
            let path = directory + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    @Test("init makes a 0600 key and the registry; init again is refused; migrate reports the version")
    func initAndMigrate() throws {
        let desk = try Desk()
        let made = try desk.run(["registry", "init", "--language", "en"])
        #expect(made.status == 0, "\(made.errors)")
        let keyID = try RegistryKeyFile.load(desk.key).current.id
        #expect(made.output == "Registry created (schema v5), key \(keyID). Keep the key file apart from the database: without it no document number can be read.\n")
        let mode = try FileManager.default.attributesOfItem(atPath: desk.key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try desk.run(["registry", "init"])
        #expect(again.status == 65)
        #expect(again.errors == "помилка: файл ключа \(desk.key) вже існує\nerror: already-done: the key file \(desk.key) exists already\n")
        let migrated = try desk.run(["registry", "migrate"])
        #expect(migrated.output == "Схема реєстру: v5.\nRegistry schema: v5.\n")
    }

    @Test("staff add, list (role, state, last login, no password data), disable, enable, password; the last active supervisor kept")
    func staffCommands() async throws {
        let desk = try Desk()
        #expect(try desk.run(["registry", "init"]).status == 0)
        let password = ["HROMADA_STAFF_PASSWORD": "a long enough password"]
        let added = try desk.run(["staff", "add", "--role", "supervisor", "--cost", "10", "olena"], clerk: false, environment: password)
        #expect(added.output == "Користувача olena додано (керівник).\nUser olena added (supervisor).\n", "\(added.errors)")
        #expect(try desk.run(["staff", "add", "--cost", "10", "ivan"], clerk: false, environment: password).status == 0)
        #expect(try desk.run(["staff", "list"], clerk: false).output == "ivan\tclerk\tactive\tlast login never\nolena\tsupervisor\tactive\tlast login never\n")

        let disabled = try desk.run(["staff", "disable", "ivan"], clerk: false)
        #expect(disabled.output == "Користувача ivan вимкнено; його сеанси завершено.\nUser ivan disabled; their sessions ended.\n", "\(disabled.errors)")
        let listed = try desk.run(["staff", "list"], clerk: false).output
        #expect(listed.hasPrefix("ivan\tclerk\tdisabled 20") && listed.hasSuffix("\tlast login never\nolena\tsupervisor\tactive\tlast login never\n"))
        #expect(!listed.contains("$2"))
        let again = try desk.run(["staff", "disable", "ivan"], clerk: false)
        #expect(again.status == 65 && again.errors.contains("already-done: user ivan is disabled already"))
        #expect(try desk.run(["staff", "enable", "ivan"], clerk: false).output == "Користувача ivan ввімкнено.\nUser ivan enabled.\n")
        let last = try desk.run(["staff", "disable", "olena"], clerk: false)
        #expect(last.status != 0 && last.errors.contains("olena is the last active supervisor; add or enable another supervisor first"))

        func storedHash() async throws -> String? {
            try await RegistryLocation.sqlite(path: desk.registry).withRegistry(keyring: try RegistryKeyFile.load(desk.key), now: Fixture.now) { registry in
                try await registry.staffMember("ivan")?.passwordHash
            }
        }
        let before = try await storedHash()
        let short = try desk.run(["staff", "password", "--cost", "10", "ivan"], clerk: false, environment: ["HROMADA_STAFF_PASSWORD": "short"])
        #expect(short.status != 0 && short.errors.contains("a password must be 10 to 200 characters"))
        let changed = try desk.run(["staff", "password", "--cost", "10", "ivan"], clerk: false, environment: ["HROMADA_STAFF_PASSWORD": "another long password"])
        #expect(changed.output == "Пароль користувача ivan змінено; його сеанси завершено.\nThe password of ivan was changed; their sessions ended.\n", "\(changed.errors)")
        let unknown = try desk.run(["staff", "password", "--cost", "10", "nobody"], clerk: false, environment: password)
        #expect(unknown.status != 0 && unknown.errors.contains("there is no user nobody; check the name (staff list)"))
        let after = try await storedHash()
        #expect(before != nil && after != before && after?.hasPrefix("$2b$10$") == true)
    }

    @Test("add, find (any apostrophe), show, import with a bad line (nothing stored), import, worklist, erase")
    func holderLifecycle() async throws {
        let desk = try Desk()
        #expect(try desk.run(["registry", "init"]).status == 0)
        let added = try desk.run([
            "holder", "add", "--name", "Шевчук Мар’яна Петрівна", "--birth", "1951-03-14", "--address", "Немішаєве, вул. Садова, 3", "--document-type", "паспорт",
            "--document-number", "кн 123456", "--phone", "+380 67 123 45 67",
        ])
        #expect(added.status == 0, "\(added.errors)")
        #expect(added.output == "Особу зареєстровано: №1.\nHolder registered: #1.\n")
        let found = try desk.run(["holder", "find", "--name", "МАРʼЯНА шевч", "--language", "uk"])
        #expect(found.output == "Знайдено (1–1):\n  №1  Шевчук Мар’яна Петрівна  1951-03-14  без картки\n")
        let byDocument = try desk.run(["holder", "find", "--document-type", "passport", "--document-number", "KH123456", "--language", "en"])
        #expect(byDocument.output == "Found (1–1):\n  №1  Шевчук Мар’яна Петрівна  1951-03-14  no card\n")
        let shown = try desk.run(["holder", "show", "1", "--language", "en"])
        #expect(shown.output.hasPrefix("Holder #1: Шевчук Мар’яна Петрівна\n  Date of birth: 1951-03-14\n  Address: Немішаєве, вул. Садова, 3\n  Document: passport КН123456\n  Phone: +380671234567\n  Consent to processing: "))

        let bad = try desk.write(
            "bad.csv",
            "ПІБ;Дата народження;Тип документа;Номер документа;Категорія;Підстава;Діє до\nШевчук Марʼяна Петрівна;14.03.1951;паспорт;КН123456;1;пенсійне 5;2027-01-31\nБондар Іван;31.02.1950;паспорт;КН000002;1;пенсійне 6;\n")
        let refused = try desk.run(["eligibility", "import", bad])
        #expect(refused.status == 65)
        #expect(refused.output.isEmpty)
        #expect(
            refused.errors == """
                помилка: імпорт відхилено, нічого не збережено: помилкових рядків — 1
                  рядок 3: дата народження «31.02.1950» не є датою (РРРР-ММ-ДД або ДД.ММ.РРРР)
                error: refused: import rejected, nothing stored: 1 bad line(s)
                  line 3: the date of birth is not a date (YYYY-MM-DD or DD.MM.YYYY)

                """)

        // The import and the worklist run on the real day; the dates are relative to it.
        let today = TimeZoneRule.europeKyiv.local(at: UnixTime(Date())).date
        let ends = today.adding(days: 14)
        let good = try desk.write(
            "good.csv",
            "\u{FEFF}full_name,date_of_birth,document_type,document_number,category,evidence,valid_until\n\"Шевчук Мар'яна Петрівна\",1951-03-14,passport,КН123456,1,пенсійне посвідчення 5,\(ends)\n")
        let dry = try desk.run(["eligibility", "import", good, "--dry-run", "--language", "en"])
        #expect(dry.output == "Import checked (nothing stored). Lines: 1.\n  New: 1; changed: 0; lapsed: 0; unchanged: 0; person not found: 0\n  new: holder #1, category 1, until \(ends) (line 2)\n")
        let imported = try desk.run(["eligibility", "import", good, "--language", "en"])
        #expect(imported.output == "Import #1 stored. Lines: 1.\n  New: 1; changed: 0; lapsed: 0; unchanged: 0; person not found: 0\n  new: holder #1, category 1, until \(ends) (line 2)\n")

        // The card is issued by the lifecycle (desk-cards); here through the registry's API.
        let location = RegistryLocation.sqlite(path: desk.registry)
        let keyring = try RegistryKeyFile.load(desk.key)
        _ = try await location.withRegistry(keyring: keyring, now: Fixture.now) { registry in
            try await registry.recordIssued(
                Fixture.card(0x0A0B_0C0D_0E0F_1011, uid: 0x61, entitlements: [Fixture.entitlement(1, until: today.adding(days: 200).description)]), holder: 1, clerk: "test",
                at: Fixture.now)
        }
        let worklist = try desk.run(["worklist", "--today", today.description, "--days", "30"])
        #expect(
            worklist.output == """
                Список на поновлення на \(today) (горизонт 30 дн.): 1
                  до \(ends): особа №1 Шевчук Мар’яна Петрівна, +380671234567; картка 0A0B-0C0D-0E0F-1011, пільга 1 (категорія 1): пільга закінчується \(ends)
                Renewal worklist on \(today) (horizon 30 days): 1
                  by \(ends): holder #1 Шевчук Мар’яна Петрівна, +380671234567; card 0A0B-0C0D-0E0F-1011, entitlement 1 (category 1): eligibility ends on \(ends) [eligibility-lapsing]

                """)

        let erased = try desk.run(["holder", "erase", "1", "--reason", "request"])
        #expect(erased.output == "Особисті дані стерто: №1. Історію карток збережено без особистих даних.\nPersonal data erased: #1. The card history is kept, without personal data.\n")
        let after = try desk.run(["holder", "show", "1", "--language", "en"])
        #expect(after.output.hasPrefix("Holder #1: personal data erased "))
        #expect(after.output.contains("  Card 0A0B-0C0D-0E0F-1011 (layout v2): issued; credited in all: 0.00 UAH\n"))
        #expect(!after.output.contains("Шевчук"))
        let gone = try desk.run(["holder", "find", "--name", "шевчук", "--language", "en"])
        #expect(gone.output == "Nobody found.\n")
        let twice = try desk.run(["holder", "erase", "1"])
        #expect(twice.status == 65)
    }

    @Test("exit statuses: another registry's key 66, a key readable by others 66, a bad date 64, an unknown holder 65")
    func failures() throws {
        let desk = try Desk()
        #expect(try desk.run(["registry", "init"]).status == 0)
        #expect(try desk.run([
            "holder", "add", "--name", "Бондар Іван", "--birth", "1950-01-01", "--address", "вул. Садова, 3", "--document-type", "id-card", "--document-number", "123456789",
        ]).status == 0)
        let other = try Desk()
        #expect(try other.run(["registry", "init"]).status == 0)
        let wrong = try desk.run(["holder", "show", "1"], key: other.key)
        #expect(wrong.status == 66)
        #expect(wrong.errors.hasPrefix("помилка: файл ключів не цього реєстру (реєстр зашифровано ключами "))
        #expect(wrong.errors.contains("\nerror: wrong-key: the key file is not this registry's"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: desk.key)
        let exposed = try desk.run(["holder", "show", "1"])
        #expect(exposed.status == 66)
        #expect(exposed.errors == "помилка: файл ключа \(desk.key) можуть читати інші користувачі; виконайте chmod 600 \(desk.key)\nerror: key-unreadable: the key file \(desk.key) is readable by others; run chmod 600 \(desk.key)\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: desk.key)

        let badDate = try desk.run(["holder", "find", "--birth", "1950-13-01"])
        #expect(badDate.status == 64)
        #expect(badDate.errors.hasSuffix("error: invalid-request: --birth: \"1950-13-01\" is not a date (YYYY-MM-DD)\n"))
        let missing = try desk.run(["holder", "show", "42"])
        #expect(missing.status == 65)
        #expect(missing.errors == "помилка: особи №42 немає в реєстрі\nerror: not-found: there is no holder #42\n")
    }
}
