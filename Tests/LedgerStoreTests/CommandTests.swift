import Crypto
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Testing

@testable import LedgerStore

/// `hromada-validator ledger verify|export|show`, run as the operator would.
@Suite struct CommandTests {
    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    static func validator(_ arguments: [String]) throws -> Outcome {
        let binary = try #require(CrashTests.validatorBinary, "build hromada-validator first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: outText, errors: errorText)
    }

    static func ledger(in directory: URL, entries: Int) throws -> String {
        let path = directory.appendingPathComponent("ledger.db").path
        let store = try Support.open(path)
        for index in 0..<entries { try store.append(Support.ride(index)) }
        try store.checkpoint()
        return path
    }

    @Test func verifySaysIntactAndExitsZero() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledger(in: directory, entries: 25)
        let key = Hex.encode(Support.deviceKey.publicKey.rawRepresentation)
        let outcome = try Self.validator(["ledger", "verify", "--db", path, "--device-key", key])
        #expect(outcome.status == 0)
        #expect(outcome.output == """
            Журнал цілий / Ledger intact
              пристрій / device: 501
              записи №1–25 (25) / entries 1–25
              контрольних точок / checkpoints: 3, остання / last: №25
              хеш ланцюга / chain hash: \(try Support.open(path).head.hash)
              №1–25: підписано контрольною точкою пристрою №25 / entries 1–25: signed by the device's checkpoint 25

            """)
        // The key may also come from a file, as `hromada-keys` writes public keys.
        let keyFile = directory.appendingPathComponent("device.pub")
        try Data((key + "\n").utf8).write(to: keyFile)
        #expect(try Self.validator(["ledger", "verify", "--db", path, "--device-key", keyFile.path]).status == 0)
    }

    @Test func verifyNamesTheFirstBadSequenceAndExitsOne() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledger(in: directory, entries: 25)
        do {
            let store = try Support.open(path)
            try store.connection.execute("DROP TRIGGER entries_no_delete")
            try store.connection.execute("DELETE FROM entries WHERE sequence = 13")
        }
        let outcome = try Self.validator(["ledger", "verify", "--db", path])
        #expect(outcome.status == 1)
        #expect(outcome.output == """
            Журнал пошкоджено / Ledger broken
              перший поганий запис / first bad sequence: 13
              причина / reason (missing-entries): бракує запису №13 / entry 13 is missing

            """)
        let wrongKey = Hex.encode(Support.serviceKey.publicKey.rawRepresentation)
        let withWrongKey = try Self.validator(["ledger", "verify", "--db", path, "--device-key", wrongKey])
        #expect(withWrongKey.status == 1)
        #expect(withWrongKey.output.contains("first bad sequence: 10"))
    }

    /// An indexed column changed on a copy (triggers dropped first) is named, entry and column.
    @Test func verifyNamesAChangedIndexedColumn() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledger(in: directory, entries: 12)
        let deviceTime = try #require(try Support.open(path).entry(at: 5)).record.deviceTime.rawValue
        do {
            let store = try Support.open(path)
            try store.connection.execute("DROP TRIGGER entries_no_update")
            try store.connection.execute("UPDATE entries SET device_time = 1 WHERE sequence = 5")
        }
        let outcome = try Self.validator(["ledger", "verify", "--db", path])
        #expect(outcome.status == 1)
        #expect(outcome.output == """
            Журнал пошкоджено / Ledger broken
              перший поганий запис / first bad sequence: 5
              причина / reason (stored-column-mismatch): запис №5 змінено: стовпець device_time містить 1, а байти запису — \(deviceTime) / entry 5 was changed: its device_time column says 1, its bytes say \(deviceTime)

            """)
    }

    /// Receipts are reported, and how each range of entries is covered.
    @Test func verifyReportsReceiptsAndCoverage() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ledger.db").path
        do {
            let store = try Support.open(path, .init(checkpointInterval: 4))
            for index in 0..<15 { try store.append(Support.ride(index)) }
            let at14 = ChainHead(after: try #require(try store.entry(at: 14)))
            try store.storeReceipt(try Receipt(signing: at14, with: Support.serviceKey), servicePublicKey: Support.serviceKey.publicKey)
        }
        let key = Hex.encode(Support.deviceKey.publicKey.rawRepresentation)
        let outcome = try Self.validator(["ledger", "verify", "--db", path, "--device-key", key])
        #expect(outcome.status == 0)
        #expect(outcome.output == """
            Журнал цілий / Ledger intact
              пристрій / device: 501
              записи №1–15 (15) / entries 1–15
              контрольних точок / checkpoints: 3, остання / last: №12
              квитанцій / receipts: 1, остання / last: №14
              хеш ланцюга / chain hash: \(try Support.open(path).head.hash)
              №1–12: підписано контрольною точкою пристрою №12 / entries 1–12: signed by the device's checkpoint 12
              №13–14: підписано квитанцією сервісу обліку №14 / entries 13–14: signed by the accounting service's receipt 14
              №15: лише ланцюг, без підпису / entry 15: the chain only, nothing signed
              квитанції перевірено ключем сервісу, записаним у журналі / receipts were checked against the service key recorded in the ledger (pass --trust-bundle to check against the accounting certificate)
              увага: 1 запис після останньої контрольної точки й квитанції захищений лише ланцюгом / note: 1 entry after the last checkpoint and receipt is protected by the chain only

            """)
        // A flipped receipt signature is reported, even without a trusted service key.
        do {
            let store = try Support.open(path, .init(checkpointInterval: 4))
            try store.connection.execute("DROP TRIGGER receipts_no_update")
            try store.connection.execute("UPDATE receipts SET signature = zeroblob(64) WHERE sequence = 14")
        }
        let flipped = try Self.validator(["ledger", "verify", "--db", path, "--device-key", key])
        #expect(flipped.status == 1)
        #expect(flipped.output.contains("(receipt-signature-invalid): підпис квитанції №14 недійсний / the receipt at 14 has an invalid signature"))
    }

    /// `--device-key` takes the device's certificate file (`keys/<id>.cert`); with `--root-key`
    /// the certificate's root signature, role and dates are checked first.
    @Test func verifyTakesTheDeviceCertificate() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledger(in: directory, entries: 5)
        let root = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x33, count: 32))
        let rootPublic = SigningPublicKey(root.publicKey)
        let devicePublic = SigningPublicKey(Support.deviceKey.publicKey)
        func certificate(role: KeyRole, signer: Curve25519.Signing.PrivateKey) throws -> URL {
            let certificate = try CertificateTerms(
                keyID: KeyID(derivedFrom: devicePublic), role: role, publicKey: devicePublic, notBefore: UnixTime(1_700_000_000),
                notAfter: UnixTime(4_000_000_000), issuerKeyID: KeyID(derivedFrom: rootPublic),
                deviceID: role == .validator ? Support.device : nil
            ).signed(with: signer)
            let file = directory.appendingPathComponent("\(role)-\(signer.publicKey.rawRepresentation.first ?? 0).cert")
            try Data(try certificate.encoded()).write(to: file)
            return file
        }
        let rootFile = directory.appendingPathComponent("root.pub")
        try Data(Hex.encode(root.publicKey.rawRepresentation).utf8).write(to: rootFile)
        let good = try certificate(role: .validator, signer: root)

        let unchecked = try Self.validator(["ledger", "verify", "--db", path, "--device-key", good.path])
        #expect(unchecked.status == 0, "\(unchecked.errors)")
        #expect(unchecked.output.contains("warning: certificate \(KeyID(derivedFrom: devicePublic)) was not checked against the community root (pass --root-key)"))
        let checked = try Self.validator(["ledger", "verify", "--db", path, "--device-key", good.path, "--root-key", rootFile.path])
        #expect(checked.status == 0, "\(checked.errors)")
        #expect(checked.output.contains("device key from certificate \(KeyID(derivedFrom: devicePublic)), signed by the community root"))
        #expect(!checked.output.contains("checked only against the key recorded in the ledger"))

        // A certificate the root did not sign, or for another role, is refused.
        let forged = try certificate(role: .validator, signer: Support.serviceKey)
        let refused = try Self.validator(["ledger", "verify", "--db", path, "--device-key", forged.path, "--root-key", rootFile.path])
        #expect(refused.status == 1)
        let issuer = try certificate(role: .issuer, signer: root)
        #expect(try Self.validator(["ledger", "verify", "--db", path, "--device-key", issuer.path, "--root-key", rootFile.path]).status == 1)
    }

    @Test func aMissingOrDamagedFileExitsTwo() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try Self.validator(["ledger", "verify", "--db", directory.appendingPathComponent("none.db").path])
        #expect(missing.status == 2)
        #expect(missing.errors.hasPrefix("Файл журналу не знайдено / Ledger file not found"))
        let junk = directory.appendingPathComponent("junk.db")
        try Data(String(repeating: "junk", count: 2000).utf8).write(to: junk)
        let damaged = try Self.validator(["ledger", "show", "--db", junk.path])
        #expect(damaged.status == 2)
        #expect(damaged.errors.hasPrefix("Журнал пошкоджено / The ledger database is damaged"))
    }

    @Test func exportWritesEveryEntryAndCheckpoint() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledger(in: directory, entries: 25)
        let jsonl = try Self.validator(["ledger", "export", "--db", path, "--format", "jsonl"])
        #expect(jsonl.status == 0)
        let lines = jsonl.output.split(separator: "\n")
        #expect(lines.count == 1 + 25 + 3)
        #expect(lines[0].hasPrefix(#"{"type":"ledger","format":1,"device":501,"devicePublicKey":""#))
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
        let entries = try Support.open(path).lastEntries(25)
        #expect(lines[1...25].map(String.init) == entries.map(LedgerExport.jsonLine))

        let partial = try Self.validator(["ledger", "export", "--db", path, "--format", "jsonl", "--from", "20"])
        let partialLines = partial.output.split(separator: "\n")
        #expect(partialLines.count == 1 + 6 + 2)  // header, entries 20–25, checkpoints 20 and 25
        #expect(partialLines[0].contains(#""startSequence":19,"startHash":"\#(entries[18].hash.hex)""#))

        let csv = try Self.validator(["ledger", "export", "--db", path, "--format", "csv", "--from", "24"])
        #expect(csv.status == 0)
        #expect(csv.output == "\u{FEFF}" + LedgerExport.csvHeader + "\n" + entries[23...].map { LedgerExport.csvRow($0) + "\n" }.joined())
    }

    @Test func showPrintsTheLastEntries() throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.ledger(in: directory, entries: 12)
        let outcome = try Self.validator(["ledger", "show", "--db", path, "--last", "2"])
        #expect(outcome.status == 0)
        let lines = outcome.output.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0] == "Журнал пристрою / Ledger of device 501: останній запис / last entry №12, записів / entries stored: 12")
        #expect(lines[1] == "  контрольна точка / last checkpoint: №12")
        #expect(lines[4] == "12  2026-06-15T06:00:11Z  ride-accepted  card 00AA-0000-0000-000B  fare 15.00 ₴  route 7  vehicle 11")
    }
}
