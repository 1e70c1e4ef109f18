// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A card image file could not be read, parsed or written.
///
/// Equality compares the code only.
public struct CardImageError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<CardImageError>

    /// The code.
    public let code: Code
    /// A human reason.
    public let reason: String
    /// Where it was raised.
    public let file: String
    /// Where it was raised.
    public let line: UInt

    /// An error with `code` and `reason`.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == CardImageError {
    /// The file is not JSON, or not an image of this format.
    public static var malformed: Self { Self("image-malformed") }
    /// The image has a format version this program does not know.
    public static var unsupportedVersion: Self { Self("image-unsupported-version") }
    /// The image parses but describes a card that cannot exist (wrong lengths, limits…).
    public static var inconsistent: Self { Self("image-inconsistent") }
    /// Reading or writing the file failed.
    public static var io: Self { Self("image-io") }
}
