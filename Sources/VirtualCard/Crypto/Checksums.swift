/// The two checksums DESFire puts inside enciphered frames.
///
/// Written here rather than borrowed so that the card and the client compute them independently.
public enum DESFireChecksum {
    /// CRC32 as DESFire EV1 uses it: the IEEE 802.3 polynomial (reflected 0xEDB88320), preset
    /// 0xFFFFFFFF and *no* final inversion, appended least significant byte first.
    public static func crc32(_ bytes: [UInt8]) -> [UInt8] {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
            }
        }
        return [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
    }

    /// CRC16 as ISO/IEC 14443-3 type A defines it (CRC_A): reflected polynomial 0x8408, preset
    /// 0x6363, no final inversion, appended least significant byte first. DESFire's legacy
    /// (EV0-compatible) secure messaging uses it.
    public static func crc16(_ bytes: [UInt8]) -> [UInt8] {
        var crc: UInt16 = 0x6363
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 {
                crc = crc & 1 != 0 ? (crc >> 1) ^ 0x8408 : crc >> 1
            }
        }
        return [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }
}
