/// The sizes the service accepts and the uploader respects.
///
/// Why: every limit bounds what a hostile or broken client can make the service allocate or
/// verify in one request. A batch of 1000 entries of the largest kind (88-byte header, 1024
/// bytes of detail, 32-byte hash) is about 1.5 MB of base64 in JSON; 4 MiB leaves room.
public struct AccountingLimits: Hashable, Sendable {
    /// The largest number of entries in one batch.
    public var maximumBatchEntries: Int
    /// The largest request body, in bytes.
    public var maximumBodyBytes: Int
    /// How far a signed request's timestamp may be from the service's clock, in seconds.
    public var requestClockSkewSeconds: Int64
    /// The largest page of transactions an operator may ask for.
    public var maximumPageSize: Int
    /// How long a batch that finds a gap waits for an earlier batch of its device to arrive
    /// when none is being ingested: an uploader's batches in flight travel on separate
    /// connections and can overtake each other by a few milliseconds. A real gap is answered
    /// this much later.
    public var earlierBatchGrace: Duration

    /// Creates limits; the defaults are the documented ones (docs/accounting.md).
    public init(
        maximumBatchEntries: Int = 1000, maximumBodyBytes: Int = 4 * 1024 * 1024, requestClockSkewSeconds: Int64 = 300,
        maximumPageSize: Int = 1000, earlierBatchGrace: Duration = .milliseconds(500)
    ) {
        self.maximumBatchEntries = maximumBatchEntries
        self.maximumBodyBytes = maximumBodyBytes
        self.requestClockSkewSeconds = requestClockSkewSeconds
        self.maximumPageSize = maximumPageSize
        self.earlierBatchGrace = earlierBatchGrace
    }

    /// The documented defaults.
    public static let standard = AccountingLimits()
}
