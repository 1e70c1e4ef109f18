#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The schema, as versioned steps written once for both engines.
///
/// `{blob}`, `{bigint}` and `{serial}` are replaced by each engine's type names (SQLite
/// `BLOB`/`INTEGER`, PostgreSQL `BYTEA`/`BIGINT`); everything else is the SQL both accept. A
/// step is never edited once released: a change is a new version. SQLite applies the steps
/// with `SQLiteMigrator` (the version in `PRAGMA user_version`); PostgreSQL records each applied
/// version in `schema_migrations`. Both refuse a database newer than the code.
enum Migrations {
    struct Migration {
        let version: Int
        let statements: [String]
        /// Work done in code after the statements, in the same transaction.
        var code: Code? = nil
    }

    /// Steps a migration takes in code, which each engine implements.
    enum Code {
        /// Fills the columns of schema 5 of every stored row from its canonical bytes
        /// (`EntryColumns`), a page of `backfillPageSize` rows at a time.
        case fillEntryColumns
    }

    /// Rows the backfill of schema 5 reads and writes at a time.
    static let backfillPageSize = 1000

    static let all: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE devices (
                device_id {bigint} PRIMARY KEY,
                key_id {bigint} NOT NULL,
                public_key {blob} NOT NULL,
                certificate {blob} NOT NULL,
                label TEXT NOT NULL,
                registered_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE device_heads (
                device_id {bigint} PRIMARY KEY,
                sequence {bigint} NOT NULL,
                chain_hash {blob} NOT NULL)
            """,
            """
            CREATE TABLE entries (
                device_id {bigint} NOT NULL,
                sequence {bigint} NOT NULL,
                kind {bigint} NOT NULL,
                device_time {bigint} NOT NULL,
                bytes {blob} NOT NULL,
                hash {blob} NOT NULL,
                received_at {bigint} NOT NULL,
                PRIMARY KEY (device_id, sequence))
            """,
            """
            CREATE TABLE checkpoints (
                device_id {bigint} NOT NULL,
                sequence {bigint} NOT NULL,
                chain_hash {blob} NOT NULL,
                signature {blob} NOT NULL,
                PRIMARY KEY (device_id, sequence))
            """,
            """
            CREATE TABLE receipts (
                device_id {bigint} NOT NULL,
                sequence {bigint} NOT NULL,
                chain_hash {blob} NOT NULL,
                signature {blob} NOT NULL,
                PRIMARY KEY (device_id, sequence))
            """,
            """
            CREATE TABLE operator_tokens (
                token_hash {blob} PRIMARY KEY,
                role TEXT NOT NULL,
                label TEXT NOT NULL,
                created_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE bundles (
                kind {bigint} NOT NULL,
                version {bigint} NOT NULL,
                bytes {blob} NOT NULL,
                uploaded_at {bigint} NOT NULL,
                PRIMARY KEY (kind, version))
            """,
        ]),
        Migration(version: 2, statements: [
            """
            CREATE TABLE tamper_alarms (
                id {serial},
                device_id {bigint} NOT NULL,
                sequence {bigint} NOT NULL,
                held_hash {blob} NOT NULL,
                offered_hash {blob} NOT NULL,
                batch_range TEXT NOT NULL,
                recorded_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE deny_list_requests (
                id {serial},
                card_serial TEXT NOT NULL,
                reason TEXT NOT NULL,
                reported_by TEXT NOT NULL,
                reported_at {bigint} NOT NULL)
            """,
            "CREATE INDEX entries_by_device_time ON entries (device_time)",
        ]),
        // The replay window of signed device requests, kept across restarts (docs/accounting.md).
        Migration(version: 3, statements: [
            """
            CREATE TABLE request_nonces (
                device_id {bigint} NOT NULL,
                nonce TEXT NOT NULL,
                signed_at {bigint} NOT NULL,
                PRIMARY KEY (device_id, nonce))
            """,
            "CREATE INDEX request_nonces_by_time ON request_nonces (signed_at)",
        ]),
        // One key, one device (docs/accounting.md, "Registering devices"): a database that holds
        // one key under two device ids stops here until an operator removes the wrong row.
        Migration(version: 4, statements: [
            "CREATE UNIQUE INDEX devices_one_device_per_key ON devices (public_key)",
        ]),
        // The fields of each entry in columns of their own, so that months of entries can be
        // queried (docs/accounting.md, "Entries as columns"); rows stored before are filled from
        // their bytes by the step's code. Two indexes serve every query the service and the
        // reconciliation make, each ending in (device_id, sequence) so that a keyset page seeks
        // straight to its cursor: device time (a period, a time-filtered page) and card serial
        // + device time (a card's history; partial, as many entries name no card). The old
        // device-time index is replaced by the longer one.
        Migration(
            version: 5,
            statements: EntryColumns.addedNames.map { "ALTER TABLE entries ADD COLUMN \($0) {bigint}" } + [
                "DROP INDEX entries_by_device_time",
                "CREATE INDEX entries_by_device_time ON entries (device_time, device_id, sequence)",
                "CREATE INDEX entries_by_card ON entries (card_serial, device_time, device_id, sequence) WHERE card_serial IS NOT NULL",
            ],
            code: .fillEntryColumns),
        // The finance officer's reference data (docs/accounting.md, "Reference data"): who runs
        // which route on which bus, the programme's budget, which tariff held when, when a deny
        // listing took effect, desk credits and issued entitlements (imported), payments, and
        // the signed closing of each month. Civil dates are days since 1970-01-01; card serials
        // are their printed form, as in deny_list_requests.
        Migration(version: 6, statements: [
            """
            CREATE TABLE carriers (
                carrier_id {bigint} PRIMARY KEY,
                name TEXT NOT NULL,
                edrpou TEXT NOT NULL UNIQUE,
                contract TEXT NOT NULL)
            """,
            """
            CREATE TABLE routes (
                route {bigint} PRIMARY KEY,
                name TEXT NOT NULL,
                carrier_id {bigint} NOT NULL REFERENCES carriers (carrier_id))
            """,
            // One device's spans never overlap: the store checks it in the writing transaction
            // (under a per-device lock in PostgreSQL); valid_until is exclusive, NULL while open.
            """
            CREATE TABLE device_assignments (
                device_id {bigint} NOT NULL,
                valid_from {bigint} NOT NULL,
                valid_until {bigint},
                vehicle {bigint} NOT NULL,
                carrier_id {bigint} NOT NULL REFERENCES carriers (carrier_id),
                PRIMARY KEY (device_id, valid_from),
                CHECK (valid_until IS NULL OR valid_until > valid_from))
            """,
            """
            CREATE TABLE programme_lines (
                year {bigint} NOT NULL,
                category {bigint} NOT NULL,
                budget_kopecks {bigint} NOT NULL CHECK (budget_kopecks >= 0),
                monthly_cap_kopecks {bigint} CHECK (monthly_cap_kopecks >= 0),
                PRIMARY KEY (year, category))
            """,
            """
            CREATE TABLE tariff_periods (
                version {bigint} PRIMARY KEY,
                effective_from {bigint} NOT NULL)
            """,
            "ALTER TABLE deny_list_requests ADD COLUMN effective_at {bigint}",
            "ALTER TABLE deny_list_requests ADD COLUMN bundle_version {bigint}",
            """
            CREATE TABLE purse_credits (
                id {serial},
                card_serial TEXT NOT NULL,
                amount_kopecks {bigint} NOT NULL CHECK (amount_kopecks > 0),
                credited_at {bigint} NOT NULL,
                source TEXT NOT NULL,
                reference TEXT NOT NULL,
                UNIQUE (card_serial, credited_at, reference))
            """,
            "CREATE INDEX purse_credits_by_time ON purse_credits (credited_at)",
            """
            CREATE TABLE issued_entitlements (
                card_serial TEXT NOT NULL,
                entitlement_id {bigint} NOT NULL,
                category {bigint} NOT NULL,
                product {bigint} NOT NULL,
                ride_limit {bigint},
                ride_period {bigint},
                discount_percent {bigint},
                valid_from_day {bigint} NOT NULL,
                valid_until_day {bigint} NOT NULL,
                PRIMARY KEY (card_serial, entitlement_id))
            """,
            """
            CREATE TABLE carrier_payments (
                id {serial},
                carrier_id {bigint} NOT NULL REFERENCES carriers (carrier_id),
                paid_on_day {bigint} NOT NULL,
                amount_kopecks {bigint} NOT NULL CHECK (amount_kopecks > 0),
                reference TEXT NOT NULL,
                UNIQUE (carrier_id, reference))
            """,
            "CREATE INDEX carrier_payments_by_day ON carrier_payments (paid_on_day)",
            """
            CREATE TABLE period_closes (
                month TEXT PRIMARY KEY,
                closed_at {bigint} NOT NULL,
                record {blob} NOT NULL,
                signature {blob} NOT NULL)
            """,
        ]),
        // Desks and the evidence of gaps (docs/accounting.md, "Desks" and "Refused batches"). A
        // device is registered as a validator or a desk; the columns of format 2 entries (all
        // NULL for the format 1 rows stored before, so no backfill); and the batches refused
        // after a hole in a device's chain, a bounded number a device (`RefusedBatchRecord.keptPerDevice`),
        // one row per distinct batch however often it is offered again.
        Migration(
            version: 7,
            statements: ["ALTER TABLE devices ADD COLUMN role TEXT NOT NULL DEFAULT 'validator'"]
                + EntryColumns.schema7Names.map { "ALTER TABLE entries ADD COLUMN \($0) {bigint}" } + [
                    """
                    CREATE TABLE refused_batches (
                        id {serial},
                        device_id {bigint} NOT NULL,
                        first_sequence {bigint} NOT NULL,
                        last_sequence {bigint} NOT NULL,
                        first_previous_hash {blob} NOT NULL,
                        last_hash {blob} NOT NULL,
                        held_sequence {bigint} NOT NULL,
                        first_refused_at {bigint} NOT NULL,
                        last_refused_at {bigint} NOT NULL,
                        times_offered {bigint} NOT NULL,
                        UNIQUE (device_id, first_sequence, last_sequence, last_hash))
                    """,
                ]),
    ]

    /// The newest schema version.
    static var latest: Int { all.last?.version ?? 0 }

    /// PostgreSQL's schema-version table, created before any step. (SQLite databases made
    /// before `SQLiteMigrator` have it too; their version is read from it once.)
    static let versionTable = "CREATE TABLE IF NOT EXISTS schema_migrations (version {bigint} PRIMARY KEY, applied_at {bigint} NOT NULL)"

    /// `sql` in an engine's dialect.
    static func render(_ sql: String, blob: String, bigint: String, serial: String) -> String {
        sql.replacingOccurrences(of: "{blob}", with: blob)
            .replacingOccurrences(of: "{bigint}", with: bigint)
            .replacingOccurrences(of: "{serial}", with: serial)
    }
}
