import ArgumentParser
import Crypto
import DESFire
import Identifiers
import PCSC
import SmartCard

/// `hromada-demo`: walks a factory-fresh DESFire card (virtual or physical) through the life of a
/// transit card over PC/SC, printing each step for people (Ukrainian first, English after).
@main
struct HromadaDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-demo",
        abstract: "Personalizes a blank DESFire card and taps it, step by step, over PC/SC.")

    @Option(help: "PC/SC reader name (as `Tools/testbed status` prints it).")
    var reader: String

    @Option(help: "Seconds to wait for a card in the reader.")
    var wait = 10

    func run() async throws {
        let pcsc = PCSCClient()
        say("Очікую картку у зчитувачі «\(reader)»", "Waiting for a card in \(reader)")
        let status = try await pcsc.waitForCard(in: reader, timeout: .seconds(wait))
        say("Картку виявлено, ATR \(Hex.encode(status.atr, case: .upper))", "Card present, ATR \(Hex.encode(status.atr, case: .upper))")

        try await pcsc.withCard(reader: reader) { channel in
            var card = DESFireCard(channel: channel)
            var random = SystemRandomNumberGenerator()
            let aid: ApplicationID = 0x44_454D
            let piccKey = try DESFireKey.aes128(SymmetricKey(size: .bits128), version: 1)
            let appKey = try DESFireKey.aes128(SymmetricKey(size: .bits128), version: 1)
            let purse: FileNumber = 1
            let tripLog: FileNumber = 2

            let uid = try await step(&card, "UID картки", "card UID") { _ in try await channel.readUID() }
            print("    UID \(Hex.encode(uid, case: .upper))")
            let version = try await step(&card, "версія чипа", "chip version") { try await $0.getVersion() }
            print("    vendor 0x\(Hex.encode([version.hardware.vendorID], case: .upper)), storage code 0x\(Hex.encode([version.hardware.storageSizeCode], case: .upper))")

            try await step(&card, "вхід заводським ключем DES", "authenticate with the factory DES key") {
                try await $0.authenticateLegacy(keyNumber: 0, key: .factoryDefault, using: &random)
            }
            try await step(&card, "ключ картки замінено на AES", "PICC master key changed to AES") {
                try await $0.changeKey(0, to: piccKey)
                try await $0.authenticateAES(keyNumber: 0, key: piccKey, using: &random)
            }
            try await step(&card, "створено застосунок і файли", "application and files created") {
                let settings = KeySettings(
                    settingsChangeable: true, freeCreateDelete: false, freeDirectoryListing: false, masterKeyChangeable: true)
                try await $0.createApplication(aid, settings: settings, keyCount: 1, family: .aes)
                try await $0.selectApplication(aid)
                try await $0.authenticateAES(keyNumber: 0, key: .zero(.aes128), using: &random)
                try await $0.changeKey(0, to: appKey)
                try await $0.authenticateAES(keyNumber: 0, key: appKey, using: &random)
                let access = AccessRights(read: .key(0), write: .key(0), readWrite: .key(0), change: .key(0))
                try await $0.createValueFile(
                    purse, mode: .maced, access: access,
                    settings: ValueFileSettings(lowerLimit: 0, upperLimit: 500_000, limitedCreditValue: 0, limitedCreditEnabled: false))
                try await $0.createCyclicRecordFile(tripLog, mode: .enciphered, access: access, recordSize: 16, maxRecords: 6)
            }
            try await step(&card, "гаманець поповнено на 100,00 грн", "purse topped up with 100.00 UAH") {
                try await $0.credit(file: purse, amount: 10_000, mode: .maced)
                try await $0.commitTransaction()
            }
            for ride in 1...3 {
                let balance = try await step(&card, "поїздка \(ride): списано 15,00 грн", "ride \(ride): 15.00 UAH debited") {
                    try await $0.selectApplication(aid)
                    try await $0.authenticateAES(keyNumber: 0, key: appKey, using: &random)
                    try await $0.debit(file: purse, amount: 1500, mode: .maced)
                    try await $0.writeRecord(file: tripLog, data: [UInt8(ride)] + [UInt8](repeating: 0, count: 15), mode: .enciphered)
                    try await $0.commitTransaction()
                    return try await $0.getValue(file: purse, mode: .maced)
                }
                print("    залишок / balance: \(hryvnias(balance)) грн")
            }
            let trips = try await step(&card, "журнал поїздок прочитано", "trip log read") {
                try await $0.readAllRecords(file: tripLog, recordSize: 16, maxRecords: 6, mode: .enciphered)
            }
            print("    записів / records: \(trips.count)")
            let free = try await step(&card, "вільна пам'ять", "free memory") { try await $0.freeMemory() }
            print("    \(free) B")
        }
        say("Готово: клієнт DESFire і картка порозумілися через PC/SC", "Done: the DESFire client and the card agreed over PC/SC")
    }

    /// Runs one step, then prints it with the APDUs and time it took.
    @discardableResult
    func step<Channel: CardChannel, Result>(
        _ card: inout DESFireCard<Channel>, _ uk: String, _ en: String,
        _ body: (inout DESFireCard<Channel>) async throws -> Result
    ) async throws -> Result {
        let clock = ContinuousClock()
        let apdusBefore = card.apduCount
        let start = clock.now
        let result = try await body(&card)
        let elapsed = clock.now - start
        let apdus = card.apduCount - apdusBefore
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        print("  ✓ \(uk) / \(en)  [\(apdus) APDU, \(micros) µs]")
        return result
    }

    func say(_ uk: String, _ en: String) { print("\(uk) / \(en)") }

    func hryvnias(_ kopecks: Int32) -> String {
        let remainder = kopecks % 100
        return "\(kopecks / 100),\(remainder < 10 ? "0" : "")\(remainder)"
    }
}
