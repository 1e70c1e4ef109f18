#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The registry's schema as versioned steps, written once for both engines (as the accounting
/// store's are): `{blob}`, `{bigint}`, `{serial}` and `{key}` become each engine's type names,
/// and the few statements only one engine understands (append-only triggers) are listed per
/// engine. A step is never edited once released; a change is a new step.
///
/// Personal data lives only in `holders` (and the evidence text of `eligibilities`, the form
/// reference of `consents`); everything else is pseudonymous: holder ids, card serials, digests.
enum RegistrySchema {
    struct Step {
        let version: Int
        let statements: [String]
        let sqliteOnly: [String]
        let postgresOnly: [String]

        init(version: Int, statements: [String], sqliteOnly: [String] = [], postgresOnly: [String] = []) {
            self.version = version
            self.statements = statements
            self.sqliteOnly = sqliteOnly
            self.postgresOnly = postgresOnly
        }
    }

    /// Tables whose rows are never changed or deleted once written.
    static let appendOnlyTables = ["card_status_history", "journal", "purse_credits", "entitlements_written"]

    /// Step 4's append-only table: the web app's audit log.
    static let staffAppendOnlyTables = ["staff_audit"]

    static func sqliteAppendOnly(_ table: String) -> [String] {
        [
            "CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table) BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END",
            "CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table) BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END",
        ]
    }

    static func postgresAppendOnly(_ table: String) -> String {
        "CREATE TRIGGER \(table)_append_only BEFORE UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION registry_append_only()"
    }

    static let steps: [Step] = [
        // People, their consent, and the keys that encrypt their documents.
        Step(version: 1, statements: [
            """
            CREATE TABLE registry_keys (
                key_id TEXT PRIMARY KEY,
                check_value {blob} NOT NULL,
                added_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE holders (
                id {serial},
                full_name TEXT,
                name_key {key},
                date_of_birth TEXT,
                address TEXT,
                document_type TEXT,
                document_cipher {blob},
                document_key_id TEXT,
                document_index {blob},
                phone TEXT,
                created_at {bigint} NOT NULL,
                updated_at {bigint} NOT NULL,
                erased_at {bigint})
            """,
            "CREATE INDEX holders_by_name ON holders (name_key)",
            "CREATE INDEX holders_by_birth ON holders (date_of_birth)",
            "CREATE UNIQUE INDEX holders_by_document ON holders (document_index)",
            """
            CREATE TABLE holder_name_tokens (
                token {key} NOT NULL,
                holder_id {bigint} NOT NULL REFERENCES holders (id),
                PRIMARY KEY (token, holder_id))
            """,
            "CREATE INDEX holder_name_tokens_by_holder ON holder_name_tokens (holder_id)",
            """
            CREATE TABLE consents (
                id {serial},
                holder_id {bigint} NOT NULL REFERENCES holders (id),
                given_at {bigint} NOT NULL,
                withdrawn_at {bigint},
                clerk TEXT NOT NULL,
                form_reference TEXT)
            """,
            "CREATE INDEX consents_by_holder ON consents (holder_id)",
        ]),
        // Benefits: what a clerk saw or an import confirmed.
        Step(version: 2, statements: [
            """
            CREATE TABLE imports (
                id {serial},
                file_digest {blob} NOT NULL,
                imported_at {bigint} NOT NULL,
                clerk TEXT NOT NULL,
                lines {bigint} NOT NULL,
                added {bigint} NOT NULL,
                changed {bigint} NOT NULL,
                lapsed {bigint} NOT NULL,
                unmatched {bigint} NOT NULL)
            """,
            """
            CREATE TABLE eligibilities (
                id {serial},
                holder_id {bigint} NOT NULL REFERENCES holders (id),
                category {bigint} NOT NULL,
                evidence TEXT,
                valid_from TEXT NOT NULL,
                valid_until TEXT,
                source TEXT NOT NULL CHECK (source IN ('clerk', 'import')),
                import_id {bigint} REFERENCES imports (id),
                recorded_at {bigint} NOT NULL,
                updated_at {bigint} NOT NULL)
            """,
            "CREATE INDEX eligibilities_by_holder ON eligibilities (holder_id, category)",
        ]),
        // Cards and what happened to them; the journal of every action.
        Step(version: 3, statements: [
            """
            CREATE TABLE cards (
                serial TEXT PRIMARY KEY,
                uid_digest {blob} NOT NULL,
                layout_version {bigint} NOT NULL,
                holder_pseudonym {blob} NOT NULL,
                holder_id {bigint} NOT NULL REFERENCES holders (id),
                recorded_at {bigint} NOT NULL)
            """,
            "CREATE INDEX cards_by_holder ON cards (holder_id)",
            """
            CREATE TABLE card_status_history (
                id {serial},
                serial TEXT NOT NULL REFERENCES cards (serial),
                status TEXT NOT NULL CHECK (status IN ('issued', 'active', 'blocked', 'replaced', 'expired', 'returned')),
                detail TEXT,
                at {bigint} NOT NULL,
                clerk TEXT NOT NULL)
            """,
            "CREATE INDEX card_status_by_serial ON card_status_history (serial, id)",
            """
            CREATE TABLE entitlements_written (
                id {serial},
                serial TEXT NOT NULL REFERENCES cards (serial),
                entitlement_id {bigint} NOT NULL,
                category {bigint} NOT NULL,
                product TEXT NOT NULL,
                valid_from TEXT NOT NULL,
                valid_until TEXT NOT NULL,
                written_at {bigint} NOT NULL)
            """,
            "CREATE INDEX entitlements_written_by_serial ON entitlements_written (serial, entitlement_id)",
            """
            CREATE TABLE purse_credits (
                id {serial},
                serial TEXT NOT NULL REFERENCES cards (serial),
                amount_kopecks {bigint} NOT NULL CHECK (amount_kopecks > 0),
                at {bigint} NOT NULL,
                receipt_number TEXT NOT NULL UNIQUE,
                clerk TEXT NOT NULL)
            """,
            "CREATE INDEX purse_credits_by_serial ON purse_credits (serial)",
            """
            CREATE TABLE journal (
                id {serial},
                at {bigint} NOT NULL,
                clerk TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                before_summary TEXT NOT NULL,
                after_summary TEXT NOT NULL)
            """,
        ], sqliteOnly: appendOnlyTables.flatMap(sqliteAppendOnly), postgresOnly: [
            """
            CREATE FUNCTION registry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$
            """,
        ] + appendOnlyTables.map(postgresAppendOnly)),
        // The desk web app's staff, their sessions and the audit log of every request and action
        // (Staff/). Sessions are kept by the SHA-256 of their cookie token, so a copy of the
        // database opens no session; the audit log names ids and serials, never a document number.
        Step(version: 4, statements: [
            """
            CREATE TABLE staff (
                username TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
                password_hash TEXT NOT NULL,
                created_at {bigint} NOT NULL,
                updated_at {bigint} NOT NULL,
                disabled_at {bigint})
            """,
            """
            CREATE TABLE staff_sessions (
                token_digest {blob} PRIMARY KEY,
                username TEXT NOT NULL REFERENCES staff (username),
                csrf_token TEXT NOT NULL,
                created_at {bigint} NOT NULL,
                expires_at {bigint} NOT NULL)
            """,
            "CREATE INDEX staff_sessions_by_user ON staff_sessions (username)",
            """
            CREATE TABLE staff_audit (
                id {serial},
                at {bigint} NOT NULL,
                username TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                outcome TEXT NOT NULL)
            """,
        ], sqliteOnly: staffAppendOnlyTables.flatMap(sqliteAppendOnly), postgresOnly: staffAppendOnlyTables.map(postgresAppendOnly)),
        // When each member of staff last logged in, for the staff list (`staff list`, /staff): a
        // supervisor sees an account nobody uses and disables it.
        Step(version: 5, statements: [
            "ALTER TABLE staff ADD COLUMN last_login_at {bigint}",
        ]),
    ]

    /// The newest schema version.
    static var latest: Int { steps.last?.version ?? 0 }

    /// The statements of `step` for SQLite.
    static func sqlite(_ step: Step) -> [String] {
        (step.statements + step.sqliteOnly).map {
            render($0, blob: "BLOB", bigint: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT", key: "TEXT")
        }
    }

    /// The statements of `step` for PostgreSQL; the search keys sort byte by byte ("C"), as
    /// SQLite's do, so one prefix range serves both.
    static func postgres(_ step: Step) -> [String] {
        (step.statements + step.postgresOnly).map {
            render($0, blob: "BYTEA", bigint: "BIGINT", serial: "BIGSERIAL PRIMARY KEY", key: "TEXT COLLATE \"C\"")
        }
    }

    static func render(_ sql: String, blob: String, bigint: String, serial: String, key: String) -> String {
        sql.replacingOccurrences(of: "{blob}", with: blob)
            .replacingOccurrences(of: "{bigint}", with: bigint)
            .replacingOccurrences(of: "{serial}", with: serial)
            .replacingOccurrences(of: "{key}", with: key)
    }
}
