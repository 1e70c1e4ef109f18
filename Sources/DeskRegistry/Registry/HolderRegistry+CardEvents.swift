import Crypto
import Entitlements
import Identifiers

/// The card lifecycle's record in the registry (`CardEventRecorder`): one transaction per
/// event with its journal entry; the same event again changes nothing.
extension HolderRegistry: CardEventRecorder {
    public func recordIssued(_ card: IssuedCard, holder: HolderID, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try await engine.transaction { sql in try await Self.insertCard(card, holder: holder, clerk: clerk, at: time, sql) }
    }

    public func recordEntitlements(_ entitlements: [WrittenEntitlement], on serial: CardSerial, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try await engine.transaction { sql in
            guard try await Self.readCard(serial, sql) != nil else { throw Self.noCard(serial) }
            return try await Self.insertEntitlements(entitlements, on: serial, clerk: clerk, at: time, sql)
        }
    }

    public func recordCredit(kopecks: Int64, on serial: CardSerial, receipt: String, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        guard kopecks > 0, !receipt.isEmpty else {
            throw RegistryError(.invalidRequest, ukrainian: "поповнення має бути більше нуля і мати номер квитанції", english: "a credit is positive and has a receipt number")
        }
        return try await engine.transaction { sql in
            if let row = try await sql.rows("SELECT serial, amount_kopecks FROM purse_credits WHERE receipt_number = ?", [.text(receipt)]).first {
                guard row.text(0) == serial.printed, row.integer(1) == kopecks else {
                    throw RegistryError(
                        .refused, ukrainian: "квитанцію \(receipt) вже видано на інше поповнення", english: "receipt \(receipt) was issued for another credit")
                }
                return .alreadyRecorded
            }
            guard try await Self.readCard(serial, sql) != nil else { throw Self.noCard(serial) }
            try await sql.execute(
                "INSERT INTO purse_credits (serial, amount_kopecks, at, receipt_number, clerk) VALUES (?, ?, ?, ?, ?)",
                [.text(serial.printed), .integer(kopecks), .integer(time.rawValue), .text(receipt), .text(clerk)])
            try await Self.journal(sql, at: time, clerk: clerk, action: "card.credit", subject: "card \(serial.printed)", before: "", after: "credit \(kopecks) kopecks, receipt \(receipt)")
            return .recorded
        }
    }

    public func recordStatus(_ event: CardStatusEvent, of serial: CardSerial, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try await engine.transaction { sql in try await Self.insertStatus(event, of: serial, clerk: clerk, at: time, sql) }
    }

    public func recordReplacement(of old: CardSerial, by new: IssuedCard, clerk: String, at time: UnixTime) async throws -> RecordOutcome {
        try await engine.transaction { sql in
            guard let former = try await Self.readCard(old, sql) else { throw Self.noCard(old) }
            let issued = try await Self.insertCard(new, holder: former.holder, clerk: clerk, at: time, sql)
            let replaced = try await Self.insertStatus(.replaced(by: new.serial), of: old, clerk: clerk, at: time, sql)
            return issued == .alreadyRecorded && replaced == .alreadyRecorded ? .alreadyRecorded : .recorded
        }
    }

    static func noCard(_ serial: CardSerial) -> RegistryError {
        RegistryError(.notFound, ukrainian: "картки \(serial.printed) немає в реєстрі", english: "card \(serial.printed) is not in the registry")
    }

    static func insertCard(_ card: IssuedCard, holder: HolderID, clerk: String, at time: UnixTime, _ sql: any RegistryTransaction) async throws -> RecordOutcome {
        let digest = Array(SHA256.hash(data: card.uid))
        if let existing = try await readCard(card.serial, sql) {
            guard existing.uidDigest == digest, existing.holder == holder, existing.pseudonym == card.pseudonym else {
                throw RegistryError(
                    .refused, ukrainian: "картку \(card.serial.printed) вже записано з іншим чипом, власником або псевдонімом",
                    english: "card \(card.serial.printed) is recorded already with another chip, holder or pseudonym")
            }
            let entitlements = try await insertEntitlements(card.entitlements, on: card.serial, clerk: clerk, at: time, sql)
            return entitlements
        }
        try await requireLiving(holder, sql)
        try await sql.execute(
            "INSERT INTO cards (serial, uid_digest, layout_version, holder_pseudonym, holder_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(card.serial.printed), .blob(digest), .integer(Int64(card.layout.rawValue)), .blob(card.pseudonym), .integer(holder), .integer(time.rawValue)])
        try await sql.execute(
            "INSERT INTO card_status_history (serial, status, detail, at, clerk) VALUES (?, 'issued', NULL, ?, ?)",
            [.text(card.serial.printed), .integer(time.rawValue), .text(clerk)])
        try await journal(
            sql, at: time, clerk: clerk, action: "card.issue", subject: "card \(card.serial.printed)", before: "",
            after: "holder \(holder), layout \(card.layout), \(card.entitlements.count) entitlement(s)")
        _ = try await insertEntitlements(card.entitlements, on: card.serial, clerk: clerk, at: time, sql)
        return .recorded
    }

    static func insertEntitlements(_ entitlements: [WrittenEntitlement], on serial: CardSerial, clerk: String, at time: UnixTime, _ sql: any RegistryTransaction) async throws -> RecordOutcome {
        var outcome = RecordOutcome.alreadyRecorded
        for entitlement in entitlements {
            // The latest row for this entitlement id: the same terms again is a re-run.
            let latest = try await sql.rows(
                """
                SELECT entitlement_id, category, product, valid_from, valid_until FROM entitlements_written
                WHERE serial = ? AND entitlement_id = ? ORDER BY id DESC LIMIT 1
                """, [.text(serial.printed), .integer(Int64(entitlement.id.rawValue))]
            ).first.flatMap { readEntitlement($0, from: 0) }
            if latest == entitlement { continue }
            try await sql.execute(
                """
                INSERT INTO entitlements_written (serial, entitlement_id, category, product, valid_from, valid_until, written_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(serial.printed), .integer(Int64(entitlement.id.rawValue)), .integer(Int64(entitlement.category.rawValue)), .text(entitlement.product),
                    .text(entitlement.validFrom.description), .text(entitlement.validUntil.description), .integer(time.rawValue),
                ])
            try await journal(
                sql, at: time, clerk: clerk, action: "card.entitlement", subject: "card \(serial.printed)",
                before: latest.map { "entitlement \($0.id): category \($0.category), \($0.product), \($0.validFrom) until \($0.validUntil)" } ?? "",
                after: "entitlement \(entitlement.id): category \(entitlement.category), \(entitlement.product), \(entitlement.validFrom) until \(entitlement.validUntil)")
            outcome = .recorded
        }
        return outcome
    }

    static func insertStatus(_ event: CardStatusEvent, of serial: CardSerial, clerk: String, at time: UnixTime, _ sql: any RegistryTransaction) async throws -> RecordOutcome {
        guard let card = try await readCard(serial, sql) else { throw noCard(serial) }
        if card.status == event { return .alreadyRecorded }
        if let status = card.status, case .replaced = status {
            throw RegistryError(
                .refused, ukrainian: "картку \(serial.printed) замінено; її стан більше не змінюється",
                english: "card \(serial.printed) was replaced; its status no longer changes")
        }
        if card.status == .returned, event != .returned {
            throw RegistryError(
                .refused, ukrainian: "картку \(serial.printed) повернено; видайте її знову як нову", english: "card \(serial.printed) was returned; issue it anew")
        }
        try await sql.execute(
            "INSERT INTO card_status_history (serial, status, detail, at, clerk) VALUES (?, ?, ?, ?, ?)",
            [.text(serial.printed), .text(event.kind), .optional(event.detail), .integer(time.rawValue), .text(clerk)])
        try await journal(
            sql, at: time, clerk: clerk, action: "card.\(event.kind)", subject: "card \(serial.printed)", before: card.status?.english ?? "", after: event.english)
        return .recorded
    }
}
