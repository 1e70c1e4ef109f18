import Crypto
import Identifiers
import LedgerCore

/// Operator bearer tokens: made once, shown once, stored only as a SHA-256 hash.
///
/// Why a plain hash suffices: a token is 32 random bytes, so there is nothing to brute-force;
/// a slow password hash protects guessable secrets, which these are not. A stolen database
/// then yields no usable token.
public enum OperatorTokens {
    /// A new token: `hct_` and 64 hex digits from `rng` (cryptographically secure outside tests).
    public static func make(using rng: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            var word = rng.next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return "hct_" + Hex.encode(bytes)
    }

    /// The stored form of `token`.
    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }
}
