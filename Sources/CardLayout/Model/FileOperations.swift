/// A DESFire command that touches a file's contents or settings.
public enum FileOperation: String, CaseIterable, Hashable, Sendable {
    /// ReadData on a standard or backup file.
    case readData
    /// WriteData on a standard or backup file.
    case writeData
    /// GetValue on a value file.
    case getValue
    /// Debit on a value file.
    case debit
    /// LimitedCredit on a value file.
    case limitedCredit
    /// Credit on a value file.
    case credit
    /// ReadRecords on a record file.
    case readRecords
    /// WriteRecord on a record file.
    case writeRecord
    /// ClearRecordFile on a record file.
    case clearRecords
    /// ChangeFileSettings.
    case changeSettings
}

extension CardLayout {
    /// What a holder of the key with `role` may do to `file`, by the DESFire EV1 access rules.
    ///
    /// This is how we check a layout's security promises (validators never credit the purse nor
    /// write entitlements) against what the card will really enforce, rather than against what
    /// the file names suggest.
    public func operations(allowedTo role: CardKeyRole, on file: FileSpec) -> Set<FileOperation> {
        let key = AccessRight.key(application.keyNumber(for: role))
        return Self.operations(granting: { $0 == key || $0 == .free }, on: file)
    }

    /// What anyone may do to `file` without authenticating.
    public func operationsWithoutAuthentication(on file: FileSpec) -> Set<FileOperation> {
        Self.operations(granting: { $0 == .free }, on: file)
    }

    private static func operations(granting grants: (AccessRight) -> Bool, on file: FileSpec) -> Set<FileOperation> {
        let access = file.access
        let read = grants(access.read), write = grants(access.write), readWrite = grants(access.readWrite)
        var allowed: Set<FileOperation> = []
        if grants(access.change) { allowed.insert(.changeSettings) }
        switch file.kind {
        case .standard, .backup:
            if read || readWrite { allowed.insert(.readData) }
            if write || readWrite { allowed.insert(.writeData) }
        case .value(let spec):
            if read || write || readWrite { allowed.formUnion([.getValue, .debit]) }
            if spec.limitedCredit, write || readWrite { allowed.insert(.limitedCredit) }
            if readWrite { allowed.insert(.credit) }
        case .linearRecord, .cyclicRecord:
            if read || readWrite { allowed.insert(.readRecords) }
            if write || readWrite { allowed.insert(.writeRecord) }
            if readWrite { allowed.insert(.clearRecords) }
        }
        return allowed
    }
}
