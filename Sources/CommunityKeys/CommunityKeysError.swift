// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A community key directory that cannot be created, read or changed as asked.
///
/// Equality compares the code only.
public struct CommunityKeysError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<CommunityKeysError>

    /// What went wrong.
    public let code: Code
    /// A human explanation; never contains key material.
    public let reason: String
    /// Source file that raised it.
    public let file: String
    /// Source line that raised it.
    public let line: UInt

    /// Creates an error.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == CommunityKeysError {
    /// The directory already holds a community.
    public static var alreadyExists: Self { Self("already-exists") }
    /// The directory holds no community (no `community.json`).
    public static var notACommunity: Self { Self("not-a-community") }
    /// A file could not be read, written or renamed; the reason carries the system error.
    public static var fileSystem: Self { Self("file-system") }
    /// A secret file can be read by group or others; it is refused until fixed.
    public static var insecurePermissions: Self { Self("insecure-permissions") }
    /// A key or data file is not in the documented format.
    public static var malformedFile: Self { Self("malformed-file") }
    /// No key with this id, or not of the expected role.
    public static var unknownKey: Self { Self("unknown-key") }
    /// The key is already revoked, or is the root.
    public static var cannotRevoke: Self { Self("cannot-revoke") }
    /// A bundle version not above the last one signed for that kind.
    public static var versionNotNewer: Self { Self("version-not-newer") }
    /// The input file for a bundle is invalid.
    public static var invalidInput: Self { Self("invalid-input") }
    /// An argument is out of range.
    public static var invalidArgument: Self { Self("invalid-argument") }
    /// The device id already belongs to another unrevoked key, or the key to another device.
    public static var deviceTaken: Self { Self("device-taken") }
}
