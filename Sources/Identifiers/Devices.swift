/// A validator device's number.
public struct DeviceID: NumericIdentifier, BitwiseCopyable {
    /// The number.
    public let rawValue: UInt32
    /// Creates a device number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
}

/// A vehicle's fleet number.
public struct VehicleID: NumericIdentifier {
    /// The number.
    public let rawValue: UInt32
    /// Creates a vehicle number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
}
