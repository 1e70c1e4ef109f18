/// One native DESFire command before secure messaging: what to send, how it is protected, and
/// what the answer may look like.
///
/// Build commands with the static functions (``readData(file:offset:length:mode:)``, …), hand
/// them to ``DESFireSession/prepare(_:)``, or simply to ``DESFireCard/execute(_:)``.
public struct DESFireCommand: Hashable, Sendable {
    /// The command code.
    public var instruction: InstructionCode
    /// Parameters sent in clear even in enciphered mode (file number, offset, length, key
    /// number, …); covered by the CMAC and by EV1's CRC32.
    public var header: [UInt8]
    /// The payload `requestMode` protects.
    public var data: [UInt8]
    /// How the payload travels to the card.
    public var requestMode: CommunicationMode
    /// How the answer's payload travels back.
    public var responseMode: CommunicationMode
    /// The plain payload the answer may carry.
    public var response: ResponseLength

    /// What the command does to the session besides the IV (internal bookkeeping).
    var effect: Effect = .ordinary
    /// Bytes placed after the CRC inside an enciphered payload (ChangeKey's CRC of the new key).
    var encipheredTrailer: [UInt8] = []
    /// The most response frames the command can produce, where the protocol fixes it.
    var maxResponseFrames: Int? = nil

    /// A command from its parts; the static builders are usually more convenient.
    public init(
        _ instruction: InstructionCode,
        header: [UInt8] = [],
        data: [UInt8] = [],
        requestMode: CommunicationMode = .plain,
        responseMode: CommunicationMode = .plain,
        response: ResponseLength = .empty
    ) {
        self.instruction = instruction
        self.header = header
        self.data = data
        self.requestMode = requestMode
        self.responseMode = responseMode
        self.response = response
    }

    enum Effect: Hashable, Sendable {
        case ordinary
        /// SelectApplication: the card drops authentication and answers without a MAC.
        case selectsApplication(ApplicationID)
        /// ChangeKey of the key the session is authenticated with: the answer has no MAC and the
        /// session ends.
        case changesAuthenticatedKey
    }
}

/// The plain payload a response may carry (before MAC, CRC and padding).
public enum ResponseLength: Hashable, Sendable {
    /// A status only.
    case empty
    /// Exactly this many bytes.
    case exactly(Int)
    /// Any number of bytes up to this many.
    case upTo(Int)
    /// A multiple of the first number of bytes, up to the second (records).
    case multiple(of: Int, upTo: Int)

    /// The most payload bytes the response may carry.
    public var maximum: Int {
        switch self {
        case .empty: 0
        case .exactly(let count), .upTo(let count): count
        case .multiple(_, let maximum): maximum
        }
    }

    /// Whether a payload of `count` bytes fits.
    public func allows(_ count: Int) -> Bool {
        switch self {
        case .empty: count == 0
        case .exactly(let expected): count == expected
        case .upTo(let maximum): (0...maximum).contains(count)
        case .multiple(let unit, let maximum): unit > 0 && count % unit == 0 && (0...maximum).contains(count)
        }
    }

    /// Every allowed length, longest first (where an enciphered response's CRC may end).
    var candidatesLongestFirst: [Int] {
        switch self {
        case .empty: [0]
        case .exactly(let count): [count]
        case .upTo(let maximum): Array((0...max(0, maximum)).reversed())
        case .multiple(let unit, let maximum): unit > 0 ? Array(stride(from: maximum / unit * unit, through: 0, by: -unit)) : [0]
        }
    }
}
