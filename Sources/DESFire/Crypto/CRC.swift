/// The two CRCs DESFire puts inside enciphered data, so the receiver can tell a correct
/// decryption from garbage.
enum DESFireCRC {
    /// EV1's CRC32: IEEE 802.3's reflected polynomial and 0xFFFFFFFF start, but *without* the
    /// final inversion (the "JAMCRC" variant). Appended least significant byte first.
    static func crc32<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc
    }

    /// The CRC32 as the 4 bytes DESFire sends (little-endian).
    static func crc32Bytes<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        littleEndian(crc32(bytes), count: 4)
    }

    /// ISO/IEC 14443-3 CRC_A (legacy sessions): reflected polynomial 0x8408, start 0x6363,
    /// no final inversion. Appended least significant byte first.
    static func crc16<Bytes: Sequence>(_ bytes: Bytes) -> UInt16 where Bytes.Element == UInt8 {
        var crc: UInt16 = 0x6363
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? (crc >> 1) ^ 0x8408 : crc >> 1
            }
        }
        return crc
    }

    /// The CRC16 as the 2 bytes DESFire sends (little-endian).
    static func crc16Bytes<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        littleEndian(UInt32(crc16(bytes)), count: 2)
    }

    private static let crc32Table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1
        }
        return value
    }
}

/// The low `count` bytes of `value`, least significant first.
func littleEndian(_ value: UInt32, count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt32(8 * $0)) }
}
