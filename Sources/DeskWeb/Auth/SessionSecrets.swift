import Crypto

/// The random values that stand for a logged-in clerk, and how they are compared.
///
/// The session cookie holds 32 random bytes (hex); the database keeps only their SHA-256, so a
/// copy of the database, a backup or a log cannot be replayed as a login. Each session has its
/// own CSRF token, which every form carries and which is compared in constant time: a page on
/// another site cannot read it, so cannot forge a form the desk accepts.
enum SessionSecrets {
    /// 32 random bytes as 64 hex digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in hex(UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// The digest the database keeps for a cookie token.
    static func digest(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    /// Whether two tokens are equal, in time that depends on their lengths only.
    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard a.count == b.count, !a.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Whether `text` looks like one of our tokens (64 lower-case hex digits), before any lookup.
    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
