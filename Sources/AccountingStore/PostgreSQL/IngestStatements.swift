import NIOCore
import PostgresNIO

/// The statements every uploaded batch runs, as named prepared statements.
///
/// A statement sent with its text is parsed and planned again on every call; a batch runs four
/// of them (the registration read, the nonce, the head, the head's compare-and-set with the
/// checkpoint and receipt, which has two forms below), about 0.1–0.2 ms of the server's time
/// each before it executes. A named statement is parsed once a connection (postgres-nio prepares
/// it on its first use there) and, after a few calls, planned once too.
enum IngestStatements {
    /// A device's registration.
    struct Registration: PostgresPreparedStatement {
        static let sql = "SELECT device_id, certificate, label, registered_at, role FROM devices WHERE device_id = $1"
        typealias Row = (Int64, ByteBuffer, String, Int64, String)
        var device: Int64

        func makeBindings() throws -> PostgresBindings {
            var binds = PostgresBindings(capacity: 1)
            binds.append(device)
            return binds
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The nonce's admission (`PostgresStorage.admitNonce` says why it is written this way).
    struct AdmitNonce: PostgresPreparedStatement {
        static let sql = """
            WITH forgotten AS (
              DELETE FROM request_nonces WHERE signed_at < $1 AND NOT (device_id = $2 AND nonce = $3)),
            asynchronous AS (SELECT set_config('synchronous_commit', 'off', true))
            INSERT INTO request_nonces (device_id, nonce, signed_at)
            SELECT $2, $3, $4 FROM asynchronous
            ON CONFLICT (device_id, nonce) DO UPDATE SET signed_at = excluded.signed_at WHERE request_nonces.signed_at < $1
            RETURNING device_id
            """
        typealias Row = Int64
        var oldest: Int64
        var device: Int64
        var nonce: String
        var signedAt: Int64

        func makeBindings() throws -> PostgresBindings {
            var binds = PostgresBindings(capacity: 4)
            binds.append(oldest)
            binds.append(device)
            binds.append(nonce)
            binds.append(signedAt)
            return binds
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }

    /// The head, the held entry's hash and the receipt at one sequence.
    struct HeadWithHeld: PostgresPreparedStatement {
        static let sql = """
            SELECT h.sequence, h.chain_hash, e.hash, r.chain_hash, r.signature
            FROM (SELECT $1::bigint AS device_id) AS d
            LEFT JOIN device_heads h ON h.device_id = d.device_id
            LEFT JOIN entries e ON e.device_id = d.device_id AND e.sequence = $2
            LEFT JOIN receipts r ON r.device_id = d.device_id AND r.sequence = $2
            """
        typealias Row = (Int64?, ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?)
        var device: Int64
        var sequence: Int64

        func makeBindings() throws -> PostgresBindings {
            var binds = PostgresBindings(capacity: 2)
            binds.append(device)
            binds.append(sequence)
            return binds
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// What moves the head and seals the batch, bound the same way for both statements below.
    struct Seal: Sendable {
        var device: Int64
        var newSequence: Int64
        var newHash: ByteBuffer
        var expectedSequence: Int64
        var expectedHash: ByteBuffer
        var checkpointSequence: Int64
        var checkpointHash: ByteBuffer
        var checkpointSignature: ByteBuffer
        var receiptDevice: Int64
        var receiptSequence: Int64
        var receiptHash: ByteBuffer
        var receiptSignature: ByteBuffer

        /// `$1`–`$3` the new head, `$4`–`$5` the expected one, `$6`–`$8` the checkpoint,
        /// `$9`–`$12` the receipt.
        func bindings() -> PostgresBindings {
            var binds = PostgresBindings(capacity: 12)
            binds.append(device)
            binds.append(newSequence)
            binds.append(newHash)
            binds.append(expectedSequence)
            binds.append(expectedHash)
            binds.append(checkpointSequence)
            binds.append(checkpointHash)
            binds.append(checkpointSignature)
            binds.append(receiptDevice)
            binds.append(receiptSequence)
            binds.append(receiptHash)
            binds.append(receiptSignature)
            return binds
        }

        /// The checkpoint and the receipt, written only when the head moved (they select from
        /// its RETURNING), after `moveHead`.
        static func sql(moveHead: String) -> String {
            """
            WITH moved AS (\(moveHead)),
            checkpoint AS (
              INSERT INTO checkpoints (device_id, sequence, chain_hash, signature)
              SELECT device_id, $6, $7, $8 FROM moved ON CONFLICT DO NOTHING),
            receipt AS (
              INSERT INTO receipts (device_id, sequence, chain_hash, signature)
              SELECT $9, $10, $11, $12 FROM moved ON CONFLICT DO NOTHING)
            SELECT device_id FROM moved
            """
        }
    }

    /// A device's first batch: the head is created. The expected head (genesis) is bound but
    /// unused, so the parameters' types are declared: the server cannot infer `$4` and `$5`.
    struct SealFirst: PostgresPreparedStatement {
        static let sql = Seal.sql(
            moveHead: "INSERT INTO device_heads (device_id, sequence, chain_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING device_id")
        static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .bytea, .int8, .bytea, .int8, .bytea, .bytea, .int8, .int8, .bytea, .bytea]
        typealias Row = Int64
        var seal: Seal

        func makeBindings() throws -> PostgresBindings { seal.bindings() }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }

    /// Every later batch: the head moves only from the expected one (the compare-and-set).
    struct SealNext: PostgresPreparedStatement {
        static let sql = Seal.sql(
            moveHead: "UPDATE device_heads SET sequence = $2, chain_hash = $3 WHERE device_id = $1 AND sequence = $4 AND chain_hash = $5 RETURNING device_id")
        typealias Row = Int64
        var seal: Seal

        func makeBindings() throws -> PostgresBindings { seal.bindings() }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }
}
