/// How much card memory an application takes, line by line.
///
/// DESFire EV1 allocates file memory in blocks of 32 bytes; a backup file is kept twice (the
/// committed copy and the one being written); a record file allocates `recordSize × maxRecords`
/// rounded up to whole blocks; a value file takes one block. NXP does not publish the exact
/// bookkeeping cost of applications, keys and file headers, so we add our own allowance for it:
/// one block for the application, one per key and one per file. The real card therefore has at
/// least as much free memory as `freeBytes` says.
public struct MemoryBudget: Hashable, Sendable {
    /// One line of the budget.
    public struct Item: Hashable, Sendable {
        /// What takes the memory ("file 1 cardInfo (standard 32 B)").
        public let what: String
        /// Bytes allocated.
        public let bytes: Int
    }

    /// The allocation unit of DESFire EV1 memory.
    public static let blockSize = 32

    /// Lines in order: application and keys allowance, then each file with its header allowance.
    public let items: [Item]
    /// The card's capacity.
    public let capacityBytes: Int

    /// Sum of the items.
    public var totalBytes: Int { items.reduce(0) { $0 + $1.bytes } }
    /// What is left on the card.
    public var freeBytes: Int { capacityBytes - totalBytes }

    /// `bytes` rounded up to whole blocks.
    public static func blocks(_ bytes: Int) -> Int { (bytes + blockSize - 1) / blockSize * blockSize }

    /// Bytes of EEPROM the contents of `file` take, without our header allowance.
    public static func dataBytes(of file: FileSpec) -> Int {
        switch file.kind {
        case .standard(let size): blocks(size)
        case .backup(let size): 2 * blocks(size)
        case .value: blockSize
        case .linearRecord(let recordSize, let maxRecords), .cyclicRecord(let recordSize, let maxRecords):
            blocks(recordSize * maxRecords)
        }
    }
}

extension CardLayout {
    /// The application's memory use on the card, with our allowance for bookkeeping.
    public var memoryBudget: MemoryBudget {
        var items = [
            MemoryBudget.Item(what: "application \(application.aid) (allowance)", bytes: MemoryBudget.blockSize),
            MemoryBudget.Item(what: "\(application.keyCount) AES keys (allowance)", bytes: MemoryBudget.blockSize * application.keyCount),
        ]
        for file in files {
            let detail: String
            switch file.kind {
            case .standard(let size): detail = "standard \(size) B"
            case .backup(let size): detail = "backup \(size) B ×2"
            case .value: detail = "value"
            case .linearRecord(let recordSize, let maxRecords): detail = "linear record \(maxRecords) × \(recordSize) B"
            case .cyclicRecord(let recordSize, let maxRecords): detail = "cyclic record \(maxRecords) × \(recordSize) B"
            }
            items.append(MemoryBudget.Item(what: "file \(file.number) \(file.name) (\(detail))", bytes: MemoryBudget.dataBytes(of: file)))
            items.append(MemoryBudget.Item(what: "file \(file.number) header (allowance)", bytes: MemoryBudget.blockSize))
        }
        return MemoryBudget(items: items, capacityBytes: card.capacityBytes)
    }
}
