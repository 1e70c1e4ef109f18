import CLibCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A symmetric key held by the virtual card, bound to the cipher that runs it.
///
/// The card's cryptography runs on OpenSSL's libcrypto and nothing else, so the emulator shares
/// no cipher code with the project's DESFire client (which uses swift-crypto): a bug on one side
/// cannot be cancelled out by the same bug on the other. Single DES is run as two-key 3DES with
/// K1 = K2 (EDE with equal halves is DES), because OpenSSL 3 offers plain DES only in its legacy
/// provider while DES-EDE and DES-EDE3 live in the default one. The key bytes never appear in a
/// description.
public struct CardCipherKey: Sendable, Equatable, CustomStringConvertible {
    /// The block cipher a key belongs to.
    public enum Algorithm: Sendable, Equatable {
        /// AES-128.
        case aes128
        /// Two-key triple DES (EDE, 16 bytes); single DES when both halves are equal.
        case tripleDESTwoKey
        /// Three-key triple DES (EDE3, 24 bytes).
        case tripleDESThreeKey
    }

    /// The cipher.
    public let algorithm: Algorithm
    /// The raw key bytes (16 for AES and two-key 3DES, 24 for three-key 3DES).
    let bytes: [UInt8]

    /// A key for `algorithm`; an 8-byte key for two-key 3DES is single DES (K2 = K1).
    public init(_ algorithm: Algorithm, bytes: [UInt8]) {
        switch algorithm {
        case .aes128:
            precondition(bytes.count == 16, "AES-128 keys are 16 bytes")
            self.bytes = bytes
        case .tripleDESTwoKey:
            precondition(bytes.count == 8 || bytes.count == 16, "DES / 2K3DES keys are 8 or 16 bytes")
            self.bytes = bytes.count == 8 ? bytes + bytes : bytes
        case .tripleDESThreeKey:
            precondition(bytes.count == 24, "3K3DES keys are 24 bytes")
            self.bytes = bytes
        }
        self.algorithm = algorithm
    }

    /// The cipher's block size in bytes: 16 for AES, 8 for DES.
    public var blockSize: Int { algorithm == .aes128 ? 16 : 8 }

    public var description: String { "CardCipherKey(\(algorithm), <redacted>)" }
}

/// AES, DES and CMAC over OpenSSL's libcrypto (`EVP_CIPHER` and `EVP_MAC`).
///
/// Every entry point takes whole blocks (callers pad first); a failure inside libcrypto with
/// well-formed input means the library itself is broken, which stops the process with the
/// OpenSSL error text rather than letting the card answer with wrong cryptograms.
public enum LibCrypto {
    /// Encrypts whole blocks in CBC mode starting from `iv`.
    public static func cbcEncrypt(_ key: CardCipherKey, iv: [UInt8], _ data: [UInt8]) -> [UInt8] {
        run(key, mode: .cbc, iv: iv, data, encrypt: true)
    }

    /// Decrypts whole blocks in CBC mode starting from `iv`.
    public static func cbcDecrypt(_ key: CardCipherKey, iv: [UInt8], _ data: [UInt8]) -> [UInt8] {
        run(key, mode: .cbc, iv: iv, data, encrypt: false)
    }

    /// Encrypts whole blocks in ECB mode (each block alone).
    public static func ecbEncrypt(_ key: CardCipherKey, _ data: [UInt8]) -> [UInt8] {
        run(key, mode: .ecb, iv: nil, data, encrypt: true)
    }

    /// Decrypts whole blocks in ECB mode (each block alone).
    public static func ecbDecrypt(_ key: CardCipherKey, _ data: [UInt8]) -> [UInt8] {
        run(key, mode: .ecb, iv: nil, data, encrypt: false)
    }

    /// CMAC (NIST SP 800-38B) of `message` as one full block, through OpenSSL's `EVP_MAC` "CMAC".
    public static func cmac(_ key: CardCipherKey, _ message: [UInt8]) -> [UInt8] {
        evpCMAC(key, message)
    }

    /// CMAC whose CBC chain starts from `chainingValue` instead of zero, as DESFire EV1 secure
    /// messaging uses it (the session IV is the previous CMAC or cipher block).
    ///
    /// Starting the chain from V equals a standard CMAC of the message with V XORed into its first
    /// block, as long as that first block is a full block that is not also a padded last block;
    /// those messages go through `EVP_MAC`. Shorter messages (one incomplete block) are computed
    /// here from the SP 800-38B subkey K2 and one block encryption.
    public static func cmac(_ key: CardCipherKey, chainingValue: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let blockSize = key.blockSize
        precondition(chainingValue.count == blockSize, "chaining value must be one block")
        if message.count >= blockSize {
            var tweaked = message
            for index in 0..<blockSize { tweaked[index] ^= chainingValue[index] }
            return evpCMAC(key, tweaked)
        }
        let (_, subkey2) = cmacSubkeys(key)
        var last = message + [0x80] + [UInt8](repeating: 0, count: blockSize - message.count - 1)
        for index in 0..<blockSize { last[index] ^= subkey2[index] ^ chainingValue[index] }
        return ecbEncrypt(key, last)
    }

    /// The CMAC subkeys K1 and K2 of SP 800-38B for `key`.
    static func cmacSubkeys(_ key: CardCipherKey) -> ([UInt8], [UInt8]) {
        let blockSize = key.blockSize
        let reduction: UInt8 = blockSize == 16 ? 0x87 : 0x1B
        let encryptedZero = ecbEncrypt(key, [UInt8](repeating: 0, count: blockSize))
        func double(_ block: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: blockSize)
            var carry: UInt8 = 0
            for index in stride(from: blockSize - 1, through: 0, by: -1) {
                out[index] = block[index] << 1 | carry
                carry = block[index] >> 7
            }
            if block[0] & 0x80 != 0 { out[blockSize - 1] ^= reduction }
            return out
        }
        let subkey1 = double(encryptedZero)
        return (subkey1, double(subkey1))
    }

    // MARK: - libcrypto plumbing

    enum Mode { case ecb, cbc }

    private static func run(_ key: CardCipherKey, mode: Mode, iv: [UInt8]?, _ data: [UInt8], encrypt: Bool) -> [UInt8] {
        let blockSize = key.blockSize
        precondition(data.count % blockSize == 0, "data must be whole cipher blocks")
        if data.isEmpty { return [] }
        if let iv { precondition(iv.count == blockSize, "IV must be one block") }
        let cipher = FetchedCiphers.shared.cipher(key.algorithm, mode)
        guard let context = EVP_CIPHER_CTX_new() else { libcryptoFailure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        let initialised: Int32 = key.bytes.withUnsafeBufferPointer { keyPointer in
            if let iv {
                return iv.withUnsafeBufferPointer { ivPointer in
                    EVP_CipherInit_ex2(context, cipher, keyPointer.baseAddress, ivPointer.baseAddress, encrypt ? 1 : 0, nil)
                }
            }
            return EVP_CipherInit_ex2(context, cipher, keyPointer.baseAddress, nil, encrypt ? 1 : 0, nil)
        }
        guard initialised == 1 else { libcryptoFailure("EVP_CipherInit_ex2") }
        EVP_CIPHER_CTX_set_padding(context, 0)
        var output = [UInt8](repeating: 0, count: data.count + blockSize)
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        let ok: Bool = output.withUnsafeMutableBufferPointer { out in
            guard EVP_CipherUpdate(context, out.baseAddress, &written, data, Int32(data.count)) == 1 else { return false }
            return EVP_CipherFinal_ex(context, out.baseAddress! + Int(written), &finalWritten) == 1
        }
        guard ok else { libcryptoFailure("EVP_CipherUpdate/Final") }
        return Array(output[0..<Int(written + finalWritten)])
    }

    private static func evpCMAC(_ key: CardCipherKey, _ message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MAC_CTX_new(FetchedCiphers.shared.cmac) else { libcryptoFailure("EVP_MAC_CTX_new") }
        defer { EVP_MAC_CTX_free(context) }
        let cipherName: String
        switch key.algorithm {
        case .aes128: cipherName = "AES-128-CBC"
        case .tripleDESTwoKey: cipherName = "DES-EDE-CBC"
        case .tripleDESThreeKey: cipherName = "DES-EDE3-CBC"
        }
        let parameterName = strdup("cipher")
        let parameterValue = strdup(cipherName)
        defer { free(parameterName); free(parameterValue) }
        var parameters = [
            OSSL_PARAM_construct_utf8_string(parameterName, parameterValue, 0),
            OSSL_PARAM_construct_end(),
        ]
        let initialised = key.bytes.withUnsafeBufferPointer { keyPointer in
            EVP_MAC_init(context, keyPointer.baseAddress, keyPointer.count, &parameters)
        }
        guard initialised == 1 else { libcryptoFailure("EVP_MAC_init") }
        guard EVP_MAC_update(context, message, message.count) == 1 else { libcryptoFailure("EVP_MAC_update") }
        var output = [UInt8](repeating: 0, count: key.blockSize)
        var written = 0
        guard EVP_MAC_final(context, &output, &written, output.count) == 1, written == key.blockSize else {
            libcryptoFailure("EVP_MAC_final")
        }
        return output
    }

    private static func libcryptoFailure(_ call: String) -> Never {
        var text = ""
        var code = ERR_get_error()
        while code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            text += " " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            code = ERR_get_error()
        }
        fatalError("libcrypto \(call) failed:\(text)")
    }
}

/// Cipher and MAC implementations fetched once from OpenSSL's default provider.
///
/// Fetched `EVP_CIPHER`/`EVP_MAC` objects are immutable and reference counted, so OpenSSL allows
/// sharing them between threads; that is what makes this box safe to mark Sendable.
private final class FetchedCiphers: @unchecked Sendable {
    static let shared = FetchedCiphers()

    let aesECB: OpaquePointer
    let aesCBC: OpaquePointer
    let tdes2ECB: OpaquePointer
    let tdes2CBC: OpaquePointer
    let tdes3ECB: OpaquePointer
    let tdes3CBC: OpaquePointer
    let cmac: OpaquePointer

    private init() {
        func fetch(_ name: String) -> OpaquePointer {
            guard let cipher = EVP_CIPHER_fetch(nil, name, nil) else {
                fatalError("OpenSSL's default provider does not offer \(name)")
            }
            return cipher
        }
        aesECB = fetch("AES-128-ECB")
        aesCBC = fetch("AES-128-CBC")
        tdes2ECB = fetch("DES-EDE-ECB")
        tdes2CBC = fetch("DES-EDE-CBC")
        tdes3ECB = fetch("DES-EDE3-ECB")
        tdes3CBC = fetch("DES-EDE3-CBC")
        guard let mac = EVP_MAC_fetch(nil, "CMAC", nil) else { fatalError("OpenSSL does not offer CMAC") }
        cmac = mac
    }

    func cipher(_ algorithm: CardCipherKey.Algorithm, _ mode: LibCrypto.Mode) -> OpaquePointer {
        switch (algorithm, mode) {
        case (.aes128, .ecb): aesECB
        case (.aes128, .cbc): aesCBC
        case (.tripleDESTwoKey, .ecb): tdes2ECB
        case (.tripleDESTwoKey, .cbc): tdes2CBC
        case (.tripleDESThreeKey, .ecb): tdes3ECB
        case (.tripleDESThreeKey, .cbc): tdes3CBC
        }
    }
}
