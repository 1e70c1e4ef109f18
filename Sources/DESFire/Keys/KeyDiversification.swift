import Crypto

/// Per-card keys derived from a master key (NXP AN10922, "Symmetric key diversifications").
///
/// Every card gets its own keys: the desk and the validators hold role master keys and derive a
/// card's key from its UID when they meet the card. A key read out of one card (by a side
/// channel or a broken card) then opens only that card, not the whole community's. AN10922's
/// AES-128 method is a CMAC under the master key of a constant 0x01 followed by the
/// diversification input, always padded to two blocks.
public enum KeyDiversification {
    /// AN10922 §2.2: diversifies an AES-128 master key with `input` (1 to 31 bytes, usually
    /// UID || AID || system identifier).
    ///
    /// The message 0x01 || input is padded with 0x80 0x00… to 32 bytes when shorter (and the
    /// last block masked with CMAC subkey K2), or left as is at exactly 32 bytes (masked with
    /// K1) — unlike plain CMAC, a short message is padded to two blocks, not one.
    public static func an10922AES128(masterKey: DESFireKey, input: [UInt8]) throws(DESFireError) -> SymmetricKey {
        guard masterKey.type == .aes128 else {
            throw DESFireError(.unsupportedKeyType, "AN10922 AES-128 diversification needs an AES-128 master key, not \(masterKey.type)")
        }
        guard (1...31).contains(input.count) else {
            throw DESFireError(.invalidArgument, "AN10922 diversification input has 1 to 31 bytes, not \(input.count)")
        }
        let cipher = BlockCipher.aes(masterKey.material)
        let (k1, k2) = CMAC.subkeys(cipher)
        var message = [0x01] + input
        let mask: [UInt8]
        if message.count == 32 {
            mask = k1
        } else {
            message += [0x80] + [UInt8](repeating: 0, count: 32 - message.count - 1)
            mask = k2
        }
        for index in 0..<16 { message[16 + index] ^= mask[index] }
        let ciphertext = cipher.cbcEncrypt(message, iv: [UInt8](repeating: 0, count: 16))
        return SymmetricKey(data: ciphertext.suffix(16))
    }

    /// The usual AN10922 input for a DESFire application key: the card's 7-byte UID, the
    /// application ID in the order the card sends it (least significant byte first, as in
    /// AN10922's example), and a system identifier naming the scheme (e.g. the community).
    public static func an10922AES128(
        masterKey: DESFireKey,
        uid: [UInt8],
        application: ApplicationID,
        systemIdentifier: [UInt8],
        version: UInt8 = 0
    ) throws(DESFireError) -> DESFireKey {
        let key = try an10922AES128(masterKey: masterKey, input: uid + application.wireBytes + systemIdentifier)
        return try DESFireKey.aes128(key, version: version)
    }
}
