/// What GetVersion reports: the chip's hardware and software versions and its production data.
public struct VersionInfo: Hashable, Sendable {
    /// One of the two 7-byte version blocks (hardware or software).
    public struct Component: Hashable, Sendable {
        /// Vendor (0x04 is NXP).
        public var vendorID: UInt8
        /// Product type (0x01 is DESFire).
        public var type: UInt8
        /// Product subtype.
        public var subtype: UInt8
        /// Major version (EV1 software is 1.x).
        public var majorVersion: UInt8
        /// Minor version.
        public var minorVersion: UInt8
        /// Storage size code: 2^(n/2) bytes, "more than that" when bit 0 is set (0x18 is 4 KiB).
        public var storageSizeCode: UInt8
        /// Communication protocol type (0x05 is ISO 14443-2 and -3).
        public var protocolType: UInt8

        /// A version block from its parts.
        public init(vendorID: UInt8, type: UInt8, subtype: UInt8, majorVersion: UInt8, minorVersion: UInt8, storageSizeCode: UInt8, protocolType: UInt8) {
            self.vendorID = vendorID
            self.type = type
            self.subtype = subtype
            self.majorVersion = majorVersion
            self.minorVersion = minorVersion
            self.storageSizeCode = storageSizeCode
            self.protocolType = protocolType
        }

        /// The storage size in bytes the code names at least (nil for codes above 2^62).
        public var storageBytes: Int? {
            let exponent = Int(storageSizeCode >> 1)
            return exponent < 63 ? 1 << exponent : nil
        }

        var bytes: [UInt8] { [vendorID, type, subtype, majorVersion, minorVersion, storageSizeCode, protocolType] }

        init(_ bytes: [UInt8]) {
            self.init(vendorID: bytes[0], type: bytes[1], subtype: bytes[2], majorVersion: bytes[3], minorVersion: bytes[4], storageSizeCode: bytes[5], protocolType: bytes[6])
        }
    }

    /// The hardware version (first frame).
    public var hardware: Component
    /// The software version (second frame).
    public var software: Component
    /// The 7-byte UID (unless the card hides it behind random-ID mode).
    public var uid: [UInt8]
    /// The 5-byte production batch number.
    public var batchNumber: [UInt8]
    /// Calendar week of production (BCD, as the card sends it).
    public var productionWeek: UInt8
    /// Year of production (BCD, as the card sends it).
    public var productionYear: UInt8

    /// Version info from its parts.
    public init(hardware: Component, software: Component, uid: [UInt8], batchNumber: [UInt8], productionWeek: UInt8, productionYear: UInt8) {
        self.hardware = hardware
        self.software = software
        self.uid = uid
        self.batchNumber = batchNumber
        self.productionWeek = productionWeek
        self.productionYear = productionYear
    }

    /// The number of bytes of the three GetVersion frames together.
    public static let byteCount = 28

    /// Decodes the 28 bytes of the three GetVersion frames.
    public init(bytes: [UInt8]) throws(DESFireError) {
        var reader = ByteReader(bytes, parsing: "GetVersion")
        hardware = Component(try reader.bytes(7))
        software = Component(try reader.bytes(7))
        uid = try reader.bytes(7)
        batchNumber = try reader.bytes(5)
        productionWeek = try reader.byte()
        productionYear = try reader.byte()
        try reader.finish()
    }

    /// The 28 bytes as the card sends them; throws if the UID or batch number has the wrong size.
    public func bytes() throws(DESFireError) -> [UInt8] {
        guard uid.count == 7, batchNumber.count == 5 else {
            throw DESFireError(.invalidArgument, "GetVersion carries a 7-byte UID and a 5-byte batch number")
        }
        return hardware.bytes + software.bytes + uid + batchNumber + [productionWeek, productionYear]
    }
}
