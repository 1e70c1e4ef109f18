// hromada-desk: the issuance desk's command line. Thin: it reads the keys directory, the layout,
// the categories, the clock and the system's randomness, talks to the reader through PC/SC, and
// leaves every decision and every byte to the SocialCard library.

import ArgumentParser
import CardLayout
import CommunityKeys
import Crypto
import DESFire
import Entitlements
import Identifiers
import PCSC
import SmartCard
import SocialCard

import Foundation
#if canImport(Glibc)
import Glibc
#endif

@main
struct HromadaDesk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-desk",
        abstract: "Issue and read community social cards on a PC/SC reader.",
        discussion: """
            Exit status: 0 done; 64 bad arguments; 65 the card cannot be used as asked (not ours, \
            another layout or community, already issued to another serial, damaged); 66 the keys, \
            layout or categories could not be read; 69 the reader or pcscd is unavailable; 75 the \
            card left the reader mid-way (put it back and run the same command again: it resumes); \
            70 anything else.
            """,
        subcommands: [Issue.self, Read.self])
}

/// Options both commands take.
struct CommonOptions: ParsableArguments {
    @Option(help: "The PC/SC reader's name.") var reader: String
    @Option(help: "The community key directory (made by hromada-keys init).") var keys: String
    @Option(help: "The card layout JSON (default: CardLayouts/nemishaieve-social-v1.json near the program).") var layout: String?
    @Option(help: "The benefit categories JSON (default: Communities/<community>/categories.json near the layout).") var categories: String?
    @Option(help: "Seconds to wait for a card to be placed on the reader (0: it must be there already).") var wait = 0

    /// Runs `body` with the card on the reader, waiting up to `wait` seconds for one to be placed.
    ///
    /// pcscd notices a card leaving only at its next poll, so a reader may still report the
    /// previous card for a moment: a connection refused for a missing card before anything was
    /// sent is waited out (until the card really is gone, then until one is placed) rather than
    /// reported, while the time allows.
    func withPlacedCard<Result>(_ body: (PCSCCardChannel) async throws -> Result) async throws -> Result {
        let pcsc = PCSCClient()
        let deadline = ContinuousClock.now + .seconds(wait)
        var told = false
        while true {
            if wait > 0, (try? pcsc.status(of: reader))?.cardPresent != true {
                if !told {
                    FileHandle.standardError.write(Data("Покладіть картку на зчитувач / Place the card on the reader…\n".utf8))
                    told = true
                }
                _ = try await pcsc.waitForCard(in: reader, timeout: max(.milliseconds(1), deadline - .now))
            }
            var started = false
            do {
                return try await pcsc.withCard(reader: reader) { channel in
                    started = true
                    return try await body(channel)
                }
            } catch let error as CardError where error.code == .removed && !started && ContinuousClock.now < deadline {
                _ = try? await pcsc.waitForCard(in: reader, present: false, timeout: .seconds(1))
            }
        }
    }
}

struct Issue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Personalize a blank card (or finish one whose personalization was interrupted).")

    @OptionGroup var common: CommonOptions
    @Option(help: "The card serial, 16 hex digits (0123-4567-89AB-CDEF).") var serial: String
    @Option(help: "The benefit category: its code or id (e.g. 1 or pensioner).") var category: String
    @Option(help: "free | discount:PCT | rides:N/day|week|month | pass:FROM..UNTIL | purse") var product = "free"
    @Option(help: "Last day the entitlement is valid, YYYY-MM-DD (default: one year from today).") var validUntil: String?
    @Option(help: "Kopecks to credit to the purse.") var purse: Int32 = 0
    @Option(help: "The issuer key id (default: the directory's valid issuer key).") var issuer: String?

    func validate() throws {
        guard CardSerial(printed: serial) != nil else { throw ValidationError("--serial must be 16 hex digits, e.g. 0123-4567-89AB-CDEF") }
        if let validUntil, CivilDate(iso: validUntil) == nil { throw ValidationError("--valid-until must be a date YYYY-MM-DD") }
        guard purse >= 0 else { throw ValidationError("--purse must not be negative") }
        do { _ = try ProductText.parse(product) } catch { throw ValidationError(error.reason) }
    }

    func run() async throws {
        try await Desk.guarded {
            let context = try Desk.Context(common)
            let now = UnixTime(Date())
            let today = TimeZoneRule.europeKyiv.local(at: now).date
            let categoryList = context.categories
            guard let chosen = categoryList.first(where: { String($0.code.rawValue) == category || $0.id == category }) else {
                throw Desk.Failure(65, "категорії «\(category)» немає у списку громади", "category \"\(category)\" is not in the community's list")
            }
            let product = try ProductText.parse(product)
            let validUntilDate: CivilDate
            if case .pass(_, let through) = product, validUntil == nil {
                validUntilDate = through
            } else {
                validUntilDate = validUntil.flatMap { CivilDate(iso: $0) } ?? today.adding(days: 365)
            }
            var validFrom = today
            if case .pass(let from, _) = product, from < today { validFrom = from }
            let issuerKey = try context.issuerKey(issuer, now: now)
            let cardSerial = CardSerial(printed: serial)!
            let terms = EntitlementTerms(
                id: 1, cardSerial: cardSerial, layoutVersion: LayoutVersion(UInt16(context.layout.layout.version)),
                category: chosen.code, product: product, validFrom: validFrom, validUntil: validUntilDate,
                issuerKeyID: issuerKey.keyID)
            let entitlement = try terms.signed(with: issuerKey.privateKey)
            var random = SystemRandomNumberGenerator()
            let request = IssuanceRequest(
                serial: cardSerial, issueDate: today, expiryDate: max(validUntilDate, today.adding(days: 5 * 365)),
                holderPseudonym: IssuanceRequest.randomPseudonym(length: context.layout.pseudonymLength, using: &random),
                entitlements: [entitlement], purseKopecks: purse, issuedAt: now, issuerDeviceID: issuerKey.keyID.rawValue)
            let plan = try PersonalizationPlan(layout: context.layout, request: request)
            let personalization = Personalization(plan: plan, keyring: context.keyring)
            let report = try await common.withPlacedCard { channel in
                try await personalization.run(on: channel, using: &random)
            }
            print(CardSummary.issued(report, plan: plan, categories: categoryList), terminator: "")
        }
    }
}

struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print what is on a card, with each entitlement's verdict.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await Desk.guarded {
            let context = try Desk.Context(common)
            let now = UnixTime(Date())
            let reader = SocialCardReader(layout: context.layout, keyring: context.keyring)
            var random = SystemRandomNumberGenerator()
            let contents = try await common.withPlacedCard { channel in
                try await reader.read(from: channel, purpose: .desk, trips: .all, using: &random)
            }
            let trust = try context.trustStore()
            let verdicts: [EntitlementVerdict?] = contents.slots.map { slot in
                slot.entitlement.map {
                    trust.verify($0, for: contents.info.serial, layoutVersion: LayoutVersion(UInt16(context.layout.layout.version)),
                                 categories: context.categories, now: now)
                }
            }
            print(CardSummary.read(contents, verdicts: verdicts, categories: context.categories), terminator: "")
        }
    }
}

/// The desk's I/O: files, messages, exit codes.
enum Desk {
    /// A failure with its exit code and a message in both languages.
    struct Failure: Error {
        let code: Int32
        let ukrainian: String
        let english: String
        init(_ code: Int32, _ ukrainian: String, _ english: String) {
            self.code = code
            self.ukrainian = ukrainian
            self.english = english
        }
    }

    /// The files a command needs, loaded.
    struct Context {
        let directory: CommunityDirectory
        let layout: SocialCardLayout
        let keyring: CardKeyring
        let categories: [BenefitCategory]

        init(_ options: CommonOptions) throws {
            do {
                directory = try CommunityDirectory(opening: options.keys)
            } catch {
                throw Failure(66, "не вдалося відкрити теку ключів \(options.keys): \(error.reason)", "cannot open the key directory \(options.keys): \(error.reason)")
            }
            let layoutPath = options.layout ?? Desk.findNearProgram("CardLayouts/nemishaieve-social-v1.json")
            let cardLayout: CardLayout
            do {
                cardLayout = try CardLayout(json: try Desk.readFile(layoutPath))
            } catch let error as CardLayoutError {
                throw Failure(66, "макет картки \(layoutPath) хибний: \(error)", "the card layout \(layoutPath) is invalid: \(error)")
            }
            layout = try SocialCardLayout(cardLayout)
            guard directory.community == cardLayout.community else {
                throw Failure(66, "ключі належать громаді \(directory.community), а макет — \(cardLayout.community)",
                              "the keys are \(directory.community)'s but the layout is \(cardLayout.community)'s")
            }
            var sets: [CardMasterKeySet] = []
            do {
                for version in try directory.cardKeyVersions() {
                    var keys: [CardMasterRole: SymmetricKey] = [:]
                    for master in try directory.cardMasterKeys(version: version) {
                        if let role = CardMasterRole(rawValue: master.role.rawValue) { keys[role] = master.key }
                    }
                    sets.append(try CardMasterKeySet(version: version, keys: keys))
                }
            } catch let error as CommunityKeysError {
                throw Failure(66, "не вдалося прочитати ключі карток: \(error.reason)", "cannot read the card master keys: \(error.reason)")
            }
            keyring = try CardKeyring(community: cardLayout.community, sets: sets)
            let categoriesPath = options.categories
                ?? URL(fileURLWithPath: layoutPath).deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent("Communities/\(cardLayout.community)/categories.json").path
            do {
                let list = try JSONDecoder().decode(BenefitCategoryList.self, from: Data(try Desk.readFile(categoriesPath)))
                categories = list.categories
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(66, "список категорій \(categoriesPath) хибний: \(error)", "the category list \(categoriesPath) is invalid: \(error)")
            }
        }

        /// The issuer's signing key: `id`, or the one valid, unrevoked issuer whose secret is here.
        func issuerKey(_ id: String?, now: UnixTime) throws -> CommunitySigningKey {
            do {
                if let id {
                    guard let raw = UInt32(id, radix: 16) else { throw Failure(64, "--issuer: \(id) не є ідентифікатором ключа", "--issuer: \(id) is not a key id") }
                    return try directory.signingKey(KeyID(raw))
                }
                let revoked = Set(try directory.revocations().revocations.map(\.keyID))
                let candidates = try directory.certificates()
                    .filter { $0.role == .issuer && !revoked.contains($0.keyID) && $0.notBefore <= now && now <= $0.notAfter }
                    .sorted { $0.notBefore > $1.notBefore }
                for certificate in candidates {
                    if let key = try? directory.signingKey(certificate.keyID) { return key }
                }
                throw Failure(66, "у теці ключів немає чинного ключа видавця", "the key directory holds no valid issuer key")
            } catch let error as CommunityKeysError {
                throw Failure(66, "ключ видавця недоступний: \(error.reason)", "the issuer key is unavailable: \(error.reason)")
            }
        }

        /// The trust store made of the directory's public part.
        func trustStore() throws -> TrustStore {
            do {
                let root = try directory.root()
                return try TrustStore(rootKeyID: root.keyID, rootPublicKey: root.publicKey,
                                      certificates: try directory.certificates(), revocations: try directory.revocations())
            } catch let error as CommunityKeysError {
                throw Failure(66, "сертифікати громади недоступні: \(error.reason)", "the community's certificates are unavailable: \(error.reason)")
            }
        }
    }

    /// Runs `body`, turning every error into a bilingual message on stderr and an exit code.
    static func guarded(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as Failure {
            fail(failure)
        } catch let error as SocialCardError {
            fail(translate(error))
        } catch let error as CardError {
            fail(Failure(75, "картку прибрано з зчитувача до завершення (\(error.code)); поверніть її та повторіть ту саму команду — вона продовжить з місця зупинки",
                         "the card left the reader before the end (\(error.code)); put it back and run the same command again: it resumes where it stopped"))
        } catch let error as ReaderError {
            fail(Failure(69, "зчитувач або служба pcscd недоступні: \(error)", "the reader or the pcscd service is unavailable: \(error)"))
        } catch let error as DESFireError {
            fail(Failure(65, "картка відмовила: \(error)", "the card refused: \(error)"))
        } catch let error as ExitCode {
            throw error
        } catch {
            fail(Failure(70, "непередбачена помилка: \(error)", "unexpected error: \(error)"))
        }
    }

    static func translate(_ error: SocialCardError) -> Failure {
        let ukrainian: String
        var code: Int32 = 65
        switch error.code {
        case .notOurCard: ukrainian = "це не картка нашої громади (ключі не підходять)"
        case .noApplication: ukrainian = "на картці немає застосунку громади"
        case .layoutVersionUnknown: ukrainian = "картку створено за невідомою версією макета"
        case .otherCommunity: ukrainian = "картка належить іншій громаді"
        case .malformedFile: ukrainian = "дані на картці пошкоджені"
        case .personalizationIncomplete: ukrainian = "персоналізацію картки не завершено; повторіть видачу"
        case .alreadyPersonalized: ukrainian = "картку вже видано з іншим номером"
        case .layoutMismatch: ukrainian = "файли на картці не відповідають макету"
        case .unknownKeyVersion: ukrainian = "картка має ключі невідомої версії"
        case .missingKey: ukrainian = "бракує потрібного ключа"; code = 66
        case .layoutUnsupported: ukrainian = "макет не підходить для соціальної картки"; code = 66
        case .invalidRequest: ukrainian = "запит неможливо виконати"; code = 64
        case .inconsistentCard: ukrainian = "стан картки суперечливий"
        default: ukrainian = "помилка картки"
        }
        return Failure(code, "\(ukrainian) (\(error.code))", error.description)
    }

    static func fail(_ failure: Failure) -> Never {
        FileHandle.standardError.write(Data("помилка: \(failure.ukrainian)\nerror: \(failure.english)\n".utf8))
        exit(failure.code)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(66, "не вдалося прочитати файл \(path)", "cannot read the file \(path)")
        }
        return [UInt8](data)
    }

    /// `relative` found beside the program or up to five directories above it (a build tree
    /// inside the package), else in the current directory.
    static func findNearProgram(_ relative: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath + "/" + relative
    }
}
