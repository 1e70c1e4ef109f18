import Crypto
import Entitlements
import Identifiers

/// The desk's holder registry: people, their consent and benefits, their cards and everything
/// done to them, on SQLite or PostgreSQL (docs/desk-registry.md).
///
/// Every change is one transaction with its entry in the append-only journal. Document numbers
/// are sealed with the desk key (`RegistryKeyring`); names are searched through a normalized
/// word index (`NameKey`). Get one with `RegistryLocation.withRegistry`.
public final class HolderRegistry: Sendable {
    let engine: any RegistryEngine
    /// The keys that seal and index document numbers.
    public let keyring: RegistryKeyring

    init(engine: any RegistryEngine, keyring: RegistryKeyring) {
        self.engine = engine
        self.keyring = keyring
    }

    /// The Kyiv calendar day of `time`: retention and eligibility days are local days.
    static func day(_ time: UnixTime) -> CivilDate { TimeZoneRule.europeKyiv.local(at: time).date }

    // MARK: Keys

    /// Checks the keyring against the keys the registry was sealed with, and records keys it
    /// has not seen (a new registry's first key, or a rotation's new key).
    ///
    /// A key file that is not this registry's fails here, with a clear message, before any
    /// number is sealed under a key nobody else holds.
    func checkKeys(at time: UnixTime) async throws {
        let keyring = self.keyring
        try await engine.transaction { sql in
            let stored = try await sql.rows("SELECT key_id, check_value FROM registry_keys", [])
            var known = 0
            for row in stored {
                guard let id = row.text(0), let key = keyring.key(id: id) else { continue }
                guard row.blob(1) == key.checkValue else {
                    throw RegistryError(
                        .wrongKey, ukrainian: "ключ \(id) у файлі ключів не той, яким зашифровано цей реєстр",
                        english: "key \(id) in the key file is not the one this registry was sealed with")
                }
                known += 1
            }
            if !stored.isEmpty && known == 0 {
                let ids = stored.compactMap { $0.text(0) }.joined(separator: ", ")
                throw RegistryError(
                    .wrongKey, ukrainian: "файл ключів не цього реєстру (реєстр зашифровано ключами \(ids))",
                    english: "the key file is not this registry's (the registry is sealed with keys \(ids))")
            }
            let storedIDs = Set(stored.compactMap { $0.text(0) })
            for key in keyring.keys where !storedIDs.contains(key.id) {
                try await sql.execute(
                    "INSERT INTO registry_keys (key_id, check_value, added_at) VALUES (?, ?, ?)",
                    [.text(key.id), .blob(key.checkValue), .integer(time.rawValue)])
            }
        }
    }

    /// Re-seals every document number with the current key and recomputes its index (after a
    /// new key was added to the key file). Returns how many numbers were re-sealed.
    public func resealDocuments(clerk: String, at time: UnixTime) async throws -> Int {
        let keyring = self.keyring
        return try await engine.transaction { sql in
            let rows = try await sql.rows(
                "SELECT id, document_type, document_cipher, document_key_id FROM holders WHERE erased_at IS NULL AND document_key_id <> ?",
                [.text(keyring.current.id)])
            for row in rows {
                guard let id = row.integer(0), let type = row.text(1).flatMap(DocumentType.init(rawValue:)), let sealed = row.blob(2), let keyID = row.text(3)
                else { continue }
                let document = try keyring.open(sealed, keyID: keyID, type: type)
                let resealed = try keyring.seal(document)
                try await sql.execute(
                    "UPDATE holders SET document_cipher = ?, document_key_id = ?, document_index = ? WHERE id = ?",
                    [.blob(resealed.sealed), .text(resealed.keyID), .blob(keyring.index(document, with: keyring.current)), .integer(id)])
            }
            try await Self.journal(
                sql, at: time, clerk: clerk, action: "registry.reseal", subject: "key \(keyring.current.id)", before: "",
                after: "re-sealed \(rows.count)")
            return rows.count
        }
    }

    // MARK: Holders

    /// Registers a person with their consent; refused if their document is registered already.
    public func addHolder(_ details: HolderDetails, consentFormReference: String?, clerk: String, at time: UnixTime) async throws -> HolderID {
        try await addHolders([details], consentFormReference: consentFormReference, clerk: clerk, at: time)[0]
    }

    /// Registers several people in one transaction (a move from an older registry, a benchmark).
    public func addHolders(_ people: [HolderDetails], consentFormReference: String?, clerk: String, at time: UnixTime) async throws -> [HolderID] {
        let keyring = self.keyring
        return try await engine.transaction { sql in
            var ids: [HolderID] = []
            ids.reserveCapacity(people.count)
            for details in people {
                if try await Self.holder(byDocument: details.document, keyring: keyring, sql) != nil {
                    throw RegistryError(
                        .refused, ukrainian: "особу з цим документом уже зареєстровано (знайдіть її за номером документа)",
                        english: "a person with this document is registered already (find them by the document number)")
                }
                let sealed = try keyring.seal(details.document)
                let id = try await sql.insert(
                    """
                    INSERT INTO holders (full_name, name_key, date_of_birth, address, document_type, document_cipher, document_key_id,
                      document_index, phone, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(details.fullName), .text(NameKey.normalize(details.fullName)), .text(details.dateOfBirth.description),
                        .text(details.address), .text(details.document.type.rawValue), .blob(sealed.sealed), .text(sealed.keyID),
                        .blob(keyring.index(details.document, with: keyring.current)), .optional(details.phone), .integer(time.rawValue),
                        .integer(time.rawValue),
                    ])
                try await Self.writeTokens(details.fullName, holder: id, sql)
                try await sql.execute(
                    "INSERT INTO consents (holder_id, given_at, clerk, form_reference) VALUES (?, ?, ?, ?)",
                    [.integer(id), .integer(time.rawValue), .text(clerk), .optional(consentFormReference)])
                try await Self.journal(
                    sql, at: time, clerk: clerk, action: "holder.add", subject: "holder \(id)", before: "",
                    after: "document \(details.document.type.rawValue), phone \(details.phone == nil ? "none" : "given"), consent given")
                ids.append(id)
            }
            return ids
        }
    }

    /// Replaces a holder's details; the journal names the fields changed, not their values.
    public func updateHolder(_ id: HolderID, to details: HolderDetails, clerk: String, at time: UnixTime) async throws {
        let keyring = self.keyring
        try await engine.transaction { sql in
            guard let before = try await Self.readHolder(id, keyring: keyring, sql), let old = before.details else {
                throw Self.notFound(id)
            }
            if let other = try await Self.holder(byDocument: details.document, keyring: keyring, sql), other != id {
                throw RegistryError(
                    .refused, ukrainian: "цей документ уже має інша особа (№\(other))", english: "another holder (#\(other)) has this document")
            }
            var changed: [String] = []
            if old.fullName != details.fullName { changed.append("name") }
            if old.dateOfBirth != details.dateOfBirth { changed.append("date of birth") }
            if old.address != details.address { changed.append("address") }
            if old.document != details.document { changed.append("document") }
            if old.phone != details.phone { changed.append("phone") }
            guard !changed.isEmpty else { return }
            let sealed = try keyring.seal(details.document)
            try await sql.execute(
                """
                UPDATE holders SET full_name = ?, name_key = ?, date_of_birth = ?, address = ?, document_type = ?, document_cipher = ?,
                  document_key_id = ?, document_index = ?, phone = ?, updated_at = ? WHERE id = ?
                """,
                [
                    .text(details.fullName), .text(NameKey.normalize(details.fullName)), .text(details.dateOfBirth.description),
                    .text(details.address), .text(details.document.type.rawValue), .blob(sealed.sealed), .text(sealed.keyID),
                    .blob(keyring.index(details.document, with: keyring.current)), .optional(details.phone), .integer(time.rawValue), .integer(id),
                ])
            try await sql.execute("DELETE FROM holder_name_tokens WHERE holder_id = ?", [.integer(id)])
            try await Self.writeTokens(details.fullName, holder: id, sql)
            try await Self.journal(sql, at: time, clerk: clerk, action: "holder.update", subject: "holder \(id)", before: "", after: "changed: " + changed.joined(separator: ", "))
        }
    }

    /// Everything held about `id`, or nil if there is no such holder.
    public func holder(_ id: HolderID) async throws -> HolderRecord? {
        let keyring = self.keyring
        return try await engine.transaction { sql in try await Self.readHolder(id, keyring: keyring, sql) }
    }

    /// Records that the holder withdrew consent (erasure on request is a separate step).
    public func withdrawConsent(of id: HolderID, clerk: String, at time: UnixTime) async throws {
        try await engine.transaction { sql in
            try await sql.execute("UPDATE consents SET withdrawn_at = ? WHERE holder_id = ? AND withdrawn_at IS NULL", [.integer(time.rawValue), .integer(id)])
            try await Self.journal(sql, at: time, clerk: clerk, action: "consent.withdraw", subject: "holder \(id)", before: "given", after: "withdrawn")
        }
    }

    // MARK: Search

    /// Holders matching `query`, by name, `limit` from `offset`.
    public func search(_ query: HolderQuery, offset: Int = 0, limit: Int = 20) async throws -> SearchPage {
        guard !query.isEmpty else {
            throw RegistryError(
                .invalidRequest, ukrainian: "вкажіть, кого шукати: ПІБ, дату народження, номер картки або документа",
                english: "say whom to look for: name, date of birth, card serial or document number")
        }
        guard (1...200).contains(limit), offset >= 0 else {
            throw RegistryError(.invalidRequest, ukrainian: "сторінка результатів: від 1 до 200 записів", english: "a result page holds 1 to 200 holders")
        }
        var conditions = ["h.erased_at IS NULL"]
        var values: [DatabaseValue] = []
        for token in Set(NameKey.tokens(query.name ?? "")).sorted() {
            conditions.append("h.id IN (SELECT holder_id FROM holder_name_tokens WHERE token >= ? AND token < ?)")
            values += [.text(token), .text(NameKey.upperBound(ofPrefix: token))]
        }
        if let birth = query.dateOfBirth {
            conditions.append("h.date_of_birth = ?")
            values.append(.text(birth.description))
        }
        if let serial = query.cardSerial {
            conditions.append("h.id IN (SELECT holder_id FROM cards WHERE serial = ?)")
            values.append(.text(serial.printed))
        }
        if let document = query.document {
            let indexes = keyring.indexes(document)
            conditions.append("h.document_index IN (" + indexes.map { _ in "?" }.joined(separator: ", ") + ")")
            values += indexes.map { .blob($0) }
        }
        values += [.integer(Int64(limit + 1)), .integer(Int64(offset))]
        let sqlText = "SELECT h.id, h.full_name, h.date_of_birth FROM holders h WHERE " + conditions.joined(separator: " AND ")
            + " ORDER BY h.name_key, h.id LIMIT ? OFFSET ?"
        let found = values
        return try await engine.transaction { sql in
            let rows = try await sql.rows(sqlText, found)
            let page = rows.prefix(limit)
            // The page's cards in one query, not one a holder (a round trip each on PostgreSQL).
            var cards: [HolderID: [CardSerial]] = [:]
            let ids = page.compactMap { $0.integer(0) }
            if !ids.isEmpty {
                for row in try await sql.rows(
                    "SELECT holder_id, serial FROM cards WHERE holder_id IN (" + ids.map { _ in "?" }.joined(separator: ", ") + ") ORDER BY recorded_at, serial",
                    ids.map { .integer($0) })
                {
                    if let holder = row.integer(0), let serial = row.text(1).flatMap(CardSerial.init(printed:)) { cards[holder, default: []].append(serial) }
                }
            }
            var holders: [HolderSummary] = []
            for row in page {
                guard let id = row.integer(0), let name = row.text(1), let birth = row.text(2).flatMap(CivilDate.init(iso:)) else { continue }
                holders.append(HolderSummary(id: id, fullName: name, dateOfBirth: birth, cards: cards[id] ?? []))
            }
            return SearchPage(holders: holders, offset: offset, hasMore: rows.count > limit)
        }
    }

    // MARK: Eligibility

    /// Records an eligibility a clerk saw the evidence of.
    public func addEligibility(_ terms: EligibilityTerms, to holder: HolderID, clerk: String, at time: UnixTime) async throws -> Int64 {
        try await engine.transaction { sql in
            try await Self.requireLiving(holder, sql)
            let id = try await Self.insertEligibility(terms, holder: holder, source: .clerk, at: time, sql)
            try await Self.journal(
                sql, at: time, clerk: clerk, action: "eligibility.add", subject: "holder \(holder)", before: "",
                after: "eligibility \(id): \(Self.summary(terms)), source clerk")
            return id
        }
    }

    /// Ends an eligibility on `lastDay` (it covers that day, no later).
    public func endEligibility(_ id: Int64, lastDay: CivilDate, clerk: String, at time: UnixTime) async throws {
        try await engine.transaction { sql in
            guard let row = try await sql.rows("SELECT holder_id, valid_from, valid_until FROM eligibilities WHERE id = ?", [.integer(id)]).first,
                let holder = row.integer(0), let from = row.text(1).flatMap(CivilDate.init(iso:))
            else {
                throw RegistryError(.notFound, ukrainian: "пільги №\(id) немає в реєстрі", english: "there is no eligibility #\(id)")
            }
            guard lastDay >= from.adding(days: -1) else {
                throw RegistryError(.invalidRequest, ukrainian: "пільга почалася \(from); вкажіть пізнішу дату", english: "the eligibility began on \(from); give a later day")
            }
            try await sql.execute("UPDATE eligibilities SET valid_until = ?, updated_at = ? WHERE id = ?", [.text(lastDay.description), .integer(time.rawValue), .integer(id)])
            try await Self.journal(
                sql, at: time, clerk: clerk, action: "eligibility.end", subject: "holder \(holder)", before: "eligibility \(id) until \(row.text(2) ?? "open")",
                after: "eligibility \(id) until \(lastDay)")
        }
    }

    /// Works out what importing `lines` would change, without changing anything.
    public func previewImport(_ lines: [ImportedEligibility], today: CivilDate) async throws -> ImportPreview {
        let keyring = self.keyring
        return try await engine.transaction { sql in
            ImportPreview(diff: try await Self.diff(lines, today: today, keyring: keyring, sql), lines: lines.count)
        }
    }

    /// Applies an import in one transaction: the diff is worked out again inside it, so what is
    /// stored is exactly the diff returned. `fileDigest` (SHA-256 of the file) is kept with the
    /// import's record.
    public func applyImport(_ lines: [ImportedEligibility], fileDigest: [UInt8], today: CivilDate, clerk: String, at time: UnixTime) async throws -> (importID: Int64, preview: ImportPreview) {
        let keyring = self.keyring
        return try await engine.transaction { sql in
            let diff = try await Self.diff(lines, today: today, keyring: keyring, sql)
            let importID = try await sql.insert(
                "INSERT INTO imports (file_digest, imported_at, clerk, lines, added, changed, lapsed, unmatched) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .blob(fileDigest), .integer(time.rawValue), .text(clerk), .integer(Int64(lines.count)), .integer(Int64(diff.additions.count)),
                    .integer(Int64(diff.changes.count)), .integer(Int64(diff.lapses.count)), .integer(Int64(diff.unmatchedLines.count)),
                ])
            for addition in diff.additions {
                let id = try await Self.insertEligibility(addition.terms, holder: addition.holder, source: .importFile(id: importID), at: time, sql)
                try await Self.journal(
                    sql, at: time, clerk: clerk, action: "eligibility.import.add", subject: "holder \(addition.holder)", before: "",
                    after: "eligibility \(id): \(Self.summary(addition.terms)), import \(importID) line \(addition.line)")
            }
            for change in diff.changes {
                try await sql.execute(
                    "UPDATE eligibilities SET evidence = ?, valid_from = ?, valid_until = ?, source = 'import', import_id = ?, updated_at = ? WHERE id = ?",
                    [
                        .text(change.after.evidence), .text(change.after.validFrom.description), .optional(change.after.validUntil?.description),
                        .integer(importID), .integer(time.rawValue), .integer(change.eligibility),
                    ])
                try await Self.journal(
                    sql, at: time, clerk: clerk, action: "eligibility.import.change", subject: "holder \(change.holder)",
                    before: "eligibility \(change.eligibility): \(Self.summary(change.before))",
                    after: "eligibility \(change.eligibility): \(Self.summary(change.after)), import \(importID) line \(change.line)")
            }
            for lapse in diff.lapses {
                try await sql.execute(
                    "UPDATE eligibilities SET valid_until = ?, updated_at = ? WHERE id = ?",
                    [.text(lapse.endsOn.description), .integer(time.rawValue), .integer(lapse.eligibility)])
                try await Self.journal(
                    sql, at: time, clerk: clerk, action: "eligibility.import.lapse", subject: "holder \(lapse.holder)",
                    before: "eligibility \(lapse.eligibility): \(Self.summary(lapse.before))",
                    after: "eligibility \(lapse.eligibility) until \(lapse.endsOn), import \(importID)" + (lapse.line.map { " line \($0)" } ?? " (not in the export)"))
            }
            try await Self.journal(
                sql, at: time, clerk: clerk, action: "eligibility.import", subject: "import \(importID)", before: "",
                after: "lines \(lines.count): added \(diff.additions.count), changed \(diff.changes.count), lapsed \(diff.lapses.count), unchanged \(diff.unchanged), unmatched \(diff.unmatchedLines.count)")
            return (importID, ImportPreview(diff: diff, lines: lines.count))
        }
    }

    /// The renewal worklist on `today` (docs/desk-registry.md, "The renewal worklist").
    public func worklist(today: CivilDate, horizonDays: Int) async throws -> [WorklistLine] {
        try await engine.transaction { sql in
            let cards = try await Self.worklistCards(sql)
            let holders = Set(cards.map(\.holder))
            let eligibilities = try await Self.eligibilities(sql, holder: nil).filter { holders.contains($0.holder) }
            let items = RenewalWorklist.items(cards: cards, eligibilities: eligibilities, today: today, horizonDays: horizonDays)
            var names: [HolderID: (String?, String?)] = [:]
            var lines: [WorklistLine] = []
            for item in items {
                if names[item.holder] == nil {
                    let row = try await sql.rows("SELECT full_name, phone FROM holders WHERE id = ?", [.integer(item.holder)]).first
                    names[item.holder] = (row?.text(0), row?.text(1))
                }
                lines.append(WorklistLine(item: item, fullName: names[item.holder]?.0, phone: names[item.holder]?.1))
            }
            return lines
        }
    }

    // MARK: Erasure

    /// Removes the person — name, birth date, address, document, phone, the consent form's
    /// reference, the evidence texts of their eligibilities, their name index — and keeps the
    /// pseudonymous history (holder id, cards, statuses, entitlements, credits, the categories
    /// and dates of eligibilities, the journal, which never held personal data). Then scrubs
    /// the engine's files (SQLite: secure_delete zeroed the freed bytes; the WAL is truncated).
    public func erase(_ id: HolderID, reason: String, clerk: String, at time: UnixTime) async throws {
        try await engine.transaction { sql in
            guard let row = try await sql.rows("SELECT erased_at FROM holders WHERE id = ?", [.integer(id)]).first else { throw Self.notFound(id) }
            guard row.values[0] == .null else {
                throw RegistryError(.alreadyDone, ukrainian: "дані особи №\(id) уже стерто", english: "holder #\(id) is erased already")
            }
            try await sql.execute(
                """
                UPDATE holders SET full_name = NULL, name_key = NULL, date_of_birth = NULL, address = NULL, document_type = NULL,
                  document_cipher = NULL, document_key_id = NULL, document_index = NULL, phone = NULL, updated_at = ?, erased_at = ? WHERE id = ?
                """, [.integer(time.rawValue), .integer(time.rawValue), .integer(id)])
            try await sql.execute("DELETE FROM holder_name_tokens WHERE holder_id = ?", [.integer(id)])
            try await sql.execute("UPDATE consents SET form_reference = NULL WHERE holder_id = ?", [.integer(id)])
            try await sql.execute("UPDATE eligibilities SET evidence = NULL WHERE holder_id = ?", [.integer(id)])
            try await Self.journal(sql, at: time, clerk: clerk, action: "holder.erase", subject: "holder \(id)", before: "personal data held", after: "erased: \(reason)")
        }
        try await engine.scrubAfterErasure()
    }

    /// Holders due for erasure under `policy` on `today`.
    public func holdersDueForErasure(_ policy: RetentionPolicy, today: CivilDate) async throws -> [HolderID] {
        try await engine.transaction { sql in
            let holders = try await sql.rows("SELECT id, updated_at FROM holders WHERE erased_at IS NULL ORDER BY id", [])
            let cards = try await sql.rows(
                """
                SELECT c.holder_id, s.status, s.at FROM cards c JOIN card_status_history s ON s.serial = c.serial
                WHERE s.id = (SELECT max(id) FROM card_status_history WHERE serial = c.serial)
                """, [])
            var live: Set<HolderID> = []
            var lastEnded: [HolderID: CivilDate] = [:]
            for row in cards {
                guard let holder = row.integer(0), let status = row.text(1), let at = row.integer(2) else { continue }
                if status == "issued" || status == "active" {
                    live.insert(holder)
                } else {
                    lastEnded[holder] = max(lastEnded[holder] ?? Self.day(UnixTime(at)), Self.day(UnixTime(at)))
                }
            }
            return holders.compactMap { row in
                guard let id = row.integer(0), let updated = row.integer(1) else { return nil }
                let facts = RetentionPolicy.Facts(hasLiveCard: live.contains(id), lastCardEndedOn: lastEnded[id], lastChangedOn: Self.day(UnixTime(updated)))
                return policy.isDue(facts, today: today) ? id : nil
            }
        }
    }

    // MARK: Journal

    /// The newest journal entries, newest first.
    public func journal(limit: Int = 100) async throws -> [JournalEntry] {
        try await engine.transaction { sql in
            try await sql.rows(
                "SELECT id, at, clerk, action, subject, before_summary, after_summary FROM journal ORDER BY id DESC LIMIT ?", [.integer(Int64(limit))]
            ).map { row in
                JournalEntry(
                    id: row.integer(0) ?? 0, at: UnixTime(row.integer(1) ?? 0), clerk: row.text(2) ?? "", action: row.text(3) ?? "",
                    subject: row.text(4) ?? "", before: row.text(5) ?? "", after: row.text(6) ?? "")
            }
        }
    }

    /// The card with `serial`, or nil.
    public func card(_ serial: CardSerial) async throws -> CardRecord? {
        try await engine.transaction { sql in try await Self.readCard(serial, sql) }
    }
}

// MARK: Statements shared by the operations

extension HolderRegistry {
    static func notFound(_ id: HolderID) -> RegistryError {
        RegistryError(.notFound, ukrainian: "особи №\(id) немає в реєстрі", english: "there is no holder #\(id)")
    }

    static func summary(_ terms: EligibilityTerms) -> String {
        "category \(terms.category), \(terms.validFrom) until \(terms.validUntil?.description ?? "open")"
    }

    static func journal(
        _ sql: any RegistryTransaction, at time: UnixTime, clerk: String, action: String, subject: String, before: String, after: String
    ) async throws {
        try await sql.execute(
            "INSERT INTO journal (at, clerk, action, subject, before_summary, after_summary) VALUES (?, ?, ?, ?, ?, ?)",
            [.integer(time.rawValue), .text(clerk), .text(action), .text(subject), .text(before), .text(after)])
    }

    static func writeTokens(_ name: String, holder: HolderID, _ sql: any RegistryTransaction) async throws {
        for token in Set(NameKey.tokens(name)).sorted() {
            try await sql.execute("INSERT INTO holder_name_tokens (token, holder_id) VALUES (?, ?)", [.text(token), .integer(holder)])
        }
    }

    static func holder(byDocument document: IdentityDocument, keyring: RegistryKeyring, _ sql: any RegistryTransaction) async throws -> HolderID? {
        let indexes = keyring.indexes(document)
        return try await sql.integer(
            "SELECT id FROM holders WHERE document_index IN (" + indexes.map { _ in "?" }.joined(separator: ", ") + ")", indexes.map { .blob($0) })
    }

    static func requireLiving(_ holder: HolderID, _ sql: any RegistryTransaction) async throws {
        guard let row = try await sql.rows("SELECT erased_at FROM holders WHERE id = ?", [.integer(holder)]).first else { throw notFound(holder) }
        guard row.values[0] == .null else {
            throw RegistryError(.refused, ukrainian: "дані особи №\(holder) стерто", english: "holder #\(holder) is erased")
        }
    }

    static func insertEligibility(_ terms: EligibilityTerms, holder: HolderID, source: EligibilitySource, at time: UnixTime, _ sql: any RegistryTransaction) async throws -> Int64 {
        var importID = DatabaseValue.null
        if case .importFile(let id) = source { importID = .integer(id) }
        return try await sql.insert(
            """
            INSERT INTO eligibilities (holder_id, category, evidence, valid_from, valid_until, source, import_id, recorded_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(holder), .integer(Int64(terms.category.rawValue)), .text(terms.evidence), .text(terms.validFrom.description),
                .optional(terms.validUntil?.description), .text(source.kind), importID, .integer(time.rawValue), .integer(time.rawValue),
            ])
    }

    static func eligibilities(_ sql: any RegistryTransaction, holder: HolderID?) async throws -> [HeldEligibility] {
        let columns = "SELECT id, holder_id, category, evidence, valid_from, valid_until, source, import_id FROM eligibilities"
        let rows =
            if let holder {
                try await sql.rows(columns + " WHERE holder_id = ? ORDER BY id", [.integer(holder)])
            } else {
                try await sql.rows(columns + " ORDER BY id", [])
            }
        return rows.compactMap { row in
            guard let id = row.integer(0), let holder = row.integer(1), let category = row.integer(2), let from = row.text(4).flatMap(CivilDate.init(iso:))
            else { return nil }
            let source: EligibilitySource = row.text(6) == "import" ? .importFile(id: row.integer(7) ?? 0) : .clerk
            let terms = EligibilityTerms(
                stored: CategoryCode(UInt16(truncatingIfNeeded: category)), evidence: row.text(3) ?? "", validFrom: from,
                validUntil: row.text(5).flatMap(CivilDate.init(iso:)))
            return HeldEligibility(id: id, holder: holder, terms: terms, source: source)
        }
    }

    /// Matches import lines to holders (by document index, else by name — the same words in any
    /// order — and birth date when exactly one living holder has both) and compares them with
    /// what is held.
    static func diff(_ lines: [ImportedEligibility], today: CivilDate, keyring: RegistryKeyring, _ sql: any RegistryTransaction) async throws -> ImportDiff {
        var matched: [(line: ImportedEligibility, holder: Int64?)] = []
        for line in lines {
            var holder = try await Self.holder(byDocument: line.document, keyring: keyring, sql)
            if holder == nil {
                // Exports write the surname first or last; the same words in any order match.
                let words = NameKey.tokens(line.fullName).sorted()
                let candidates = try await sql.rows(
                    "SELECT id, name_key FROM holders WHERE date_of_birth = ? AND erased_at IS NULL", [.text(line.dateOfBirth.description)]
                ).filter { NameKey.tokens($0.text(1) ?? "").sorted() == words }
                if candidates.count == 1 { holder = candidates[0].integer(0) }
            }
            matched.append((line, holder))
        }
        return ImportDiff.compare(matched: matched, held: try await eligibilities(sql, holder: nil), today: today)
    }

    static func worklistCards(_ sql: any RegistryTransaction) async throws -> [WorklistCard] {
        let cards = try await sql.rows(
            """
            SELECT c.serial, c.holder_id, s.status FROM cards c JOIN card_status_history s ON s.serial = c.serial
            WHERE s.id = (SELECT max(id) FROM card_status_history WHERE serial = c.serial)
            """, [])
        let written = try await sql.rows(
            """
            SELECT serial, entitlement_id, category, product, valid_from, valid_until FROM entitlements_written w
            WHERE id = (SELECT max(id) FROM entitlements_written WHERE serial = w.serial AND entitlement_id = w.entitlement_id)
            """, [])
        var bySerial: [String: [WrittenEntitlement]] = [:]
        for row in written {
            guard let serial = row.text(0), let entitlement = readEntitlement(row, from: 1) else { continue }
            bySerial[serial, default: []].append(entitlement)
        }
        return cards.compactMap { row in
            guard let text = row.text(0), let serial = CardSerial(printed: text), let holder = row.integer(1) else { return nil }
            let live = row.text(2) == "issued" || row.text(2) == "active"
            return WorklistCard(holder: holder, serial: serial, isLive: live, entitlements: bySerial[text] ?? [])
        }
    }

    /// An entitlement from columns `start…start+4`: id, category, product, valid from, valid until.
    static func readEntitlement(_ row: DatabaseRow, from start: Int) -> WrittenEntitlement? {
        guard let id = row.integer(start), let category = row.integer(start + 1), let product = row.text(start + 2),
            let from = row.text(start + 3).flatMap(CivilDate.init(iso:)), let until = row.text(start + 4).flatMap(CivilDate.init(iso:))
        else { return nil }
        return WrittenEntitlement(
            id: EntitlementID(UInt32(truncatingIfNeeded: id)), category: CategoryCode(UInt16(truncatingIfNeeded: category)), product: product,
            validFrom: from, validUntil: until)
    }

    static func readHolder(_ id: HolderID, keyring: RegistryKeyring, _ sql: any RegistryTransaction) async throws -> HolderRecord? {
        guard let row = try await sql.rows(
            """
            SELECT full_name, date_of_birth, address, document_type, document_cipher, document_key_id, phone, created_at, updated_at, erased_at
            FROM holders WHERE id = ?
            """, [.integer(id)]
        ).first else { return nil }
        var details: HolderDetails?
        if row.integer(9) == nil, let name = row.text(0), let birth = row.text(1).flatMap(CivilDate.init(iso:)), let address = row.text(2),
            let type = row.text(3).flatMap(DocumentType.init(rawValue:)), let sealed = row.blob(4), let keyID = row.text(5)
        {
            let document = try keyring.open(sealed, keyID: keyID, type: type)
            details = HolderDetails(storedName: name, dateOfBirth: birth, address: address, document: document, phone: row.text(6))
        }
        let consents = try await sql.rows("SELECT id, given_at, withdrawn_at, clerk, form_reference FROM consents WHERE holder_id = ? ORDER BY id", [.integer(id)])
            .map { row in
                ConsentRecord(
                    id: row.integer(0) ?? 0, givenAt: UnixTime(row.integer(1) ?? 0), withdrawnAt: row.integer(2).map { UnixTime(rawValue: $0) }, clerk: row.text(3) ?? "",
                    formReference: row.text(4))
            }
        var cards: [CardRecord] = []
        for serialRow in try await sql.rows("SELECT serial FROM cards WHERE holder_id = ? ORDER BY recorded_at, serial", [.integer(id)]) {
            if let serial = serialRow.text(0).flatMap(CardSerial.init(printed:)), let card = try await readCard(serial, sql) { cards.append(card) }
        }
        return HolderRecord(
            id: id, details: details, createdAt: UnixTime(row.integer(7) ?? 0), updatedAt: UnixTime(row.integer(8) ?? 0),
            erasedAt: row.integer(9).map { UnixTime(rawValue: $0) }, consents: consents, eligibilities: try await eligibilities(sql, holder: id), cards: cards)
    }

    static func readCard(_ serial: CardSerial, _ sql: any RegistryTransaction) async throws -> CardRecord? {
        let key = DatabaseValue.text(serial.printed)
        guard let row = try await sql.rows("SELECT uid_digest, layout_version, holder_pseudonym, holder_id FROM cards WHERE serial = ?", [key]).first,
            let digest = row.blob(0), let layout = row.integer(1), let pseudonym = row.blob(2), let holder = row.integer(3)
        else { return nil }
        let history = try await sql.rows("SELECT status, detail, at, clerk FROM card_status_history WHERE serial = ? ORDER BY id", [key]).compactMap { row in
            CardStatusEvent(kind: row.text(0) ?? "", detail: row.text(1)).map { CardStatusRecord(event: $0, at: UnixTime(row.integer(2) ?? 0), clerk: row.text(3) ?? "") }
        }
        let entitlements = try await sql.rows(
            "SELECT entitlement_id, category, product, valid_from, valid_until FROM entitlements_written WHERE serial = ? ORDER BY id", [key]
        ).compactMap { readEntitlement($0, from: 0) }
        let credits = try await sql.rows("SELECT amount_kopecks, at, receipt_number, clerk FROM purse_credits WHERE serial = ? ORDER BY id", [key]).map { row in
            PurseCreditRecord(kopecks: row.integer(0) ?? 0, at: UnixTime(row.integer(1) ?? 0), receipt: row.text(2) ?? "", clerk: row.text(3) ?? "")
        }
        return CardRecord(
            serial: serial, uidDigest: digest, layout: LayoutVersion(UInt16(truncatingIfNeeded: layout)), pseudonym: pseudonym, holder: holder, history: history,
            entitlements: entitlements, credits: credits)
    }
}
