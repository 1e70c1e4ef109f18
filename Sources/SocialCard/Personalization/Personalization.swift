import CardLayout
import DESFire
import SmartCard

/// What one run of a personalization did to the card.
public struct PersonalizationReport: Hashable, Sendable {
    /// One thing done to the card.
    public enum Step: Hashable, Sendable, CustomStringConvertible {
        /// The card-level master key replaced (factory key to the community's diversified key).
        case changedPICCKey
        /// The card-level key settings changed.
        case changedPICCKeySettings
        /// The application created.
        case createdApplication
        /// An application key set to the card's diversified key.
        case changedApplicationKey(UInt8)
        /// A file created.
        case createdFile(UInt8)
        /// Entitlement slot written.
        case wroteEntitlementSlot(Int)
        /// The purse credited and the `issued` trip record written, in one transaction.
        case committedIssue(purseKopecks: Int32)
        /// The card info written: the card is complete.
        case wroteCardInfo
        /// A trip record carried over from another layout committed (the first goes with the purse).
        case committedTripRecord(Int)
        /// The former layout's application marked as moving to the new layout (its card info
        /// names the new version), just before the new application's card info is written.
        case markedFormerApplication
        /// The application of the card's former layout deleted (an upgrade's last step).
        case deletedFormerApplication

        public var description: String {
            switch self {
            case .changedPICCKey: "PICC master key changed"
            case .changedPICCKeySettings: "PICC key settings changed"
            case .createdApplication: "application created"
            case .changedApplicationKey(let number): "application key \(number) changed"
            case .createdFile(let number): "file \(number) created"
            case .wroteEntitlementSlot(let slot): "entitlement slot \(slot) written"
            case .committedIssue(let amount): "purse credited with \(amount) and issue recorded"
            case .wroteCardInfo: "card info written"
            case .committedTripRecord(let index): "trip record \(index) carried over"
            case .markedFormerApplication: "former application marked as upgraded"
            case .deletedFormerApplication: "former application deleted"
            }
        }
    }

    /// The card's UID.
    public var uid: [UInt8] = []
    /// The version of the card's keys.
    public var keyVersion: UInt8 = 0
    /// What this run did, in order; empty when the card was already complete.
    public var steps: [Step] = []
    /// Whether the card was found partly personalized (a re-run after a tear).
    public var resumed = false
    /// APDUs sent, including the reader's GET DATA for the UID.
    public var apduCount = 0

    /// Whether the card was already complete and this run changed nothing.
    public var wasAlreadyComplete: Bool { steps.isEmpty }
}

/// Turns a blank DESFire card into a social card, or finishes one whose personalization was torn.
///
/// Each run first asks the card what is done — which PICC key authenticates (by its version),
/// whether the application exists, which keys are changed (GetKeyVersion), which files exist and
/// with which settings, whether the issue transaction committed (the trip log holds a record),
/// whether the card info is written — and then does only the rest. The order makes every
/// intermediate state recognisable:
///
/// 1. card level: create the application, set the key settings, then change the PICC key
///    (last, because it ends the session);
/// 2. application keys: every other key first, key 0 last, so "key 0 has a version" means
///    "all keys are changed";
/// 3. files, as the layout says;
/// 4. entitlement slots (standard file, compared with what is there on a re-run);
/// 5. one transaction: credit the purse and write an `issued` trip record — a trip log that
///    holds a record means the credit happened, exactly once;
/// 6. card info, last: until it is written, readers report `personalization-incomplete`, so a
///    half-made card is never used (where card info and the slots share a file, v3, it is that
///    file's first bytes, written by a WriteData of its own after the slots').
///
/// A card pulled away at any point makes the run throw the channel's `CardError`; run it again.
public struct Personalization: Sendable {
    /// What to write.
    public let plan: PersonalizationPlan
    /// The community's card master keys (all roles).
    public let keyring: CardKeyring

    /// A personalization of `plan` with keys from `keyring`.
    public init(plan: PersonalizationPlan, keyring: CardKeyring) {
        self.plan = plan
        self.keyring = keyring
    }

    private var layout: SocialCardLayout { plan.layout }

    /// Runs the personalization on the card behind `channel`; `generator` supplies the
    /// authentication challenges (the system's CSPRNG outside tests).
    public func run<Channel: CardChannel>(
        on channel: Channel, using generator: inout some RandomNumberGenerator
    ) async throws -> PersonalizationReport {
        try await run(on: channel, leavingCardInfo: false, using: &generator).report
    }

    /// Runs the personalization as ``run(on:using:)`` does; with `leavingCardInfo` it stops before
    /// the card info, the completing write, and says whether that write is still to be made
    /// (``writeCardInfo(on:uid:keyVersion:using:)`` makes it): a layout upgrade marks the former
    /// application in between.
    func run<Channel: CardChannel>(
        on channel: Channel, leavingCardInfo: Bool, using generator: inout some RandomNumberGenerator
    ) async throws -> (report: PersonalizationReport, cardInfoPending: Bool) {
        var card = DESFireCard(channel: channel)
        var report = PersonalizationReport()
        let pending = try await personalize(&card, &report, leavingCardInfo: leavingCardInfo, using: &generator)
        report.apduCount = card.apduCount + 1
        return (report, pending)
    }

    /// Writes the card info of an application otherwise complete (a run with `leavingCardInfo`
    /// stopped before it): selects the application, authenticates with the issue key, writes.
    /// Returns the APDUs sent.
    func writeCardInfo<Channel: CardChannel>(
        on channel: Channel, uid: [UInt8], keyVersion: UInt8, using generator: inout some RandomNumberGenerator
    ) async throws -> Int {
        var card = DESFireCard(channel: channel)
        try await card.selectApplication(layout.applicationID)
        let key = try keyring.cardKeys(uid: uid, application: layout.applicationID, version: keyVersion).applicationKey(.issue)
        try await authenticate(orReport: "the card's issue key is not the community's") {
            try await card.authenticateAES(keyNumber: layout.keyNumber(.issue), key: key, using: &generator)
        }
        try await card.writeData(
            file: SocialCardLayout.fileNumber(layout.cardInfo), offset: layout.cardInfo.offset, data: plan.cardInfoBytes,
            mode: SocialCardLayout.communicationMode(layout.cardInfo))
        return card.apduCount
    }

    /// Does what is not done yet; returns whether the card info is still to be written (only
    /// with `leavingCardInfo`).
    private func personalize<Channel: CardChannel>(
        _ card: inout DESFireCard<Channel>, _ report: inout PersonalizationReport, leavingCardInfo: Bool,
        using generator: inout some RandomNumberGenerator
    ) async throws -> Bool {
        let uid = try await card.channel.readUID()
        report.uid = uid
        let aid = layout.applicationID

        // 1. Card level.
        let piccVersion = try await card.getKeyVersion(keyNumber: 0)
        let piccIsFactory = piccVersion == 0
        if piccIsFactory {
            try await authenticate(orReport: "the card-level key has version 0 but is not the factory key") {
                try await card.authenticateLegacy(keyNumber: 0, key: .factoryDefault, using: &generator)
            }
        } else {
            guard keyring.holds(version: piccVersion) else {
                throw SocialCardError(.notOurCard, "the card-level key has version \(piccVersion), which is not one of this community's")
            }
            let piccKey = try keyring.cardKeys(uid: uid, application: aid, version: piccVersion).piccMaster()
            try await authenticate(orReport: "the community's card-level key v\(piccVersion) does not open this card") {
                try await card.authenticateAES(keyNumber: 0, key: piccKey, using: &generator)
            }
            report.resumed = true
        }
        let applications = try await card.getApplicationIDs()
        let applicationExisted = applications.contains(aid)
        if !applicationExisted {
            try await card.createApplication(aid, settings: plan.applicationKeySettings, keyCount: layout.keyCount, family: .aes)
            report.steps.append(.createdApplication)
        } else {
            report.resumed = true
        }
        let piccSettings = try await card.getKeySettings()
        if piccSettings.settings != plan.piccKeySettings {
            try await card.changeKeySettings(plan.piccKeySettings)
            report.steps.append(.changedPICCKeySettings)
        }
        if piccIsFactory {
            let newKeys = try keyring.cardKeys(uid: uid, application: aid, version: keyring.newestVersion)
            try await card.changeKey(0, to: try newKeys.piccMaster())
            report.steps.append(.changedPICCKey)
        }

        // 2. Application keys.
        try await card.selectApplication(aid)
        var versions: [UInt8: UInt8] = [:]
        let keyNumbers = layout.layout.application.keys.map(\.number)
        if applicationExisted {
            versions[0] = try await card.getKeyVersion(keyNumber: 0)
            if versions[0] == 0 {
                for number in keyNumbers where number != 0 { versions[number] = try await card.getKeyVersion(keyNumber: number) }
            }
        } else {
            for number in keyNumbers { versions[number] = 0 }
        }
        let changedVersions = Set(versions.values.filter { $0 != 0 })
        guard changedVersions.count <= 1 else {
            throw SocialCardError(.inconsistentCard, "the application's keys have versions \(changedVersions.sorted()); one version expected")
        }
        let keyVersion = changedVersions.first ?? keyring.newestVersion
        let keys = try keyring.cardKeys(uid: uid, application: aid, version: keyVersion)
        report.keyVersion = keyVersion
        let masterKey = try keys.applicationKey(.applicationMaster)
        if versions[0] == 0 {
            let zero = DESFireKey.zero(.aes128)
            try await authenticate(orReport: "the application's key 0 reports version 0 but is not the blank key") {
                try await card.authenticateAES(keyNumber: 0, key: zero, using: &generator)
            }
            for spec in layout.layout.application.keys where spec.number != 0 && versions[spec.number] == 0 {
                try await card.changeKey(spec.number, to: try keys.applicationKey(spec.role), currentKey: zero)
                report.steps.append(.changedApplicationKey(spec.number))
            }
            try await card.changeKey(0, to: masterKey)
            report.steps.append(.changedApplicationKey(0))
        }
        try await authenticate(orReport: "the card's application master key is not the community's") {
            try await card.authenticateAES(keyNumber: 0, key: masterKey, using: &generator)
        }

        // 3. Files.
        var existing: [FileNumber: FileSettings] = [:]
        if applicationExisted {
            let configuration = try await card.getKeySettings()
            guard configuration.keyCount == layout.keyCount, configuration.family == .aes else {
                throw SocialCardError(.layoutMismatch, "application \(aid) has \(configuration.keyCount) \(configuration.family) keys; the layout says \(layout.keyCount) AES")
            }
            for number in try await card.getFileIDs() {
                existing[number] = try await card.getFileSettings(number)
            }
            report.resumed = report.resumed || !existing.isEmpty
        }
        for (number, found) in existing {
            guard let spec = layout.layout.file(number: number.rawValue) else {
                throw SocialCardError(.layoutMismatch, "the application has \(number), which the layout does not have")
            }
            guard SocialCardLayout.matches(found, spec) else {
                throw SocialCardError(.layoutMismatch, "\(number) (\(spec.name)) exists with other settings than the layout's")
            }
        }
        for file in plan.files where existing[file.number] == nil {
            try await create(file, on: &card)
            report.steps.append(.createdFile(file.number.rawValue))
        }

        // 4.-6. Contents, with the issue key.
        try await authenticate(orReport: "the card's issue key is not the community's") {
            try await card.authenticateAES(keyNumber: layout.keyNumber(.issue), key: try keys.applicationKey(.issue), using: &generator)
        }

        let cardInfoFile = SocialCardLayout.fileNumber(layout.cardInfo)
        let cardInfoMode = SocialCardLayout.communicationMode(layout.cardInfo)
        if existing[cardInfoFile] != nil {
            let current = try await card.readData(file: cardInfoFile, offset: layout.cardInfo.offset, length: plan.cardInfoBytes.count, mode: cardInfoMode)
            // Card info is written last, so once it names a serial the card is complete; a
            // repeated issue for the same serial changes nothing (not even the pseudonym).
            if current == plan.cardInfoBytes { return false }
            if let info = try? layout.decodeCardInfo(current) {
                guard info.serial == plan.request.serial else {
                    throw SocialCardError(.alreadyPersonalized, "the card is already personalized as \(info.serial)")
                }
                return false
            }
        }

        let slotSize = layout.entitlementSlotSize
        let entitlementsFile = SocialCardLayout.fileNumber(layout.entitlements)
        let entitlementsMode = SocialCardLayout.communicationMode(layout.entitlements)
        if !plan.entitlementBytes.isEmpty {
            if existing[entitlementsFile] != nil {
                let current = try await card.readData(
                    file: entitlementsFile, offset: layout.entitlements.offset, length: plan.entitlementBytes.count, mode: entitlementsMode)
                for slot in 0..<plan.request.entitlements.count {
                    let range = slot * slotSize..<(slot + 1) * slotSize
                    if Array(current[range]) != Array(plan.entitlementBytes[range]) {
                        try await card.writeData(
                            file: entitlementsFile, offset: layout.entitlements.offset + range.lowerBound, data: Array(plan.entitlementBytes[range]),
                            mode: entitlementsMode)
                        report.steps.append(.wroteEntitlementSlot(slot))
                    }
                }
            } else {
                try await card.writeData(file: entitlementsFile, offset: layout.entitlements.offset, data: plan.entitlementBytes, mode: entitlementsMode)
                for slot in 0..<plan.request.entitlements.count { report.steps.append(.wroteEntitlementSlot(slot)) }
            }
        }

        let purseFile = SocialCardLayout.fileNumber(layout.purse)
        let purseMode = SocialCardLayout.communicationMode(layout.purse)
        let tripFile = SocialCardLayout.fileNumber(layout.tripLog)
        let tripMode = SocialCardLayout.communicationMode(layout.tripLog)
        let recordsPresent = existing[tripFile]?.recordCount ?? 0
        if recordsPresent > 0 {
            let purse = try await card.getValue(file: purseFile, mode: purseMode)
            guard purse == plan.expectedPurse else {
                throw SocialCardError(.inconsistentCard, "the issue was recorded but the purse holds \(purse), not \(plan.expectedPurse)")
            }
            if plan.tripRecordBytes.count > 1 {
                // Records carried over from another layout: those on the card must be the plan's
                // first. The trip log is read with a key that may read it, then the issue key again.
                guard let reader = [CardKeyRole.read, .validate, .issue].first(where: {
                    layout.layout.operations(allowedTo: $0, on: layout.tripLog).contains(.readRecords)
                }) else {
                    throw SocialCardError(.missingKey, "no key of \(layout.layout.id) may read the trip log")
                }
                try await authenticate(orReport: "the card's \(reader.rawValue) key is not the community's") {
                    try await card.authenticateAES(keyNumber: layout.keyNumber(reader), key: try keys.applicationKey(reader), using: &generator)
                }
                let size = SocialCardLayout.recordSize(layout.tripLog)
                let onCard = try await card.readAllRecords(
                    file: tripFile, recordSize: size, maxRecords: SocialCardLayout.readableRecords(layout.tripLog), mode: tripMode)
                guard onCard.count <= plan.tripRecordBytes.count, Array(plan.tripRecordBytes.prefix(onCard.count)) == onCard else {
                    throw SocialCardError(.inconsistentCard, "the card's trip records are not the ones being carried over")
                }
                try await authenticate(orReport: "the card's issue key is not the community's") {
                    try await card.authenticateAES(keyNumber: layout.keyNumber(.issue), key: try keys.applicationKey(.issue), using: &generator)
                }
            }
        } else {
            if plan.request.purseKopecks > 0 {
                try await card.credit(file: purseFile, amount: plan.request.purseKopecks, mode: purseMode)
            }
            try await card.writeRecord(file: tripFile, data: plan.tripRecordBytes[0], mode: tripMode)
            try await card.commitTransaction()
            report.steps.append(.committedIssue(purseKopecks: plan.request.purseKopecks))
        }
        // DESFire appends one record to a record file per transaction: one commit each.
        for index in plan.tripRecordBytes.indices where index >= max(1, recordsPresent) {
            try await card.writeRecord(file: tripFile, data: plan.tripRecordBytes[index], mode: tripMode)
            try await card.commitTransaction()
            report.steps.append(.committedTripRecord(index))
        }

        if leavingCardInfo { return true }
        try await card.writeData(file: cardInfoFile, offset: layout.cardInfo.offset, data: plan.cardInfoBytes, mode: cardInfoMode)
        report.steps.append(.wroteCardInfo)
        return false
    }

    private func create<Channel: CardChannel>(_ file: FileCreation, on card: inout DESFireCard<Channel>) async throws {
        let mode = file.settings.communicationMode
        let access = file.settings.accessRights
        switch file.settings.kind {
        case .standardData(let size):
            try await card.createStandardDataFile(file.number, mode: mode, access: access, size: size)
        case .backupData(let size):
            try await card.createBackupDataFile(file.number, mode: mode, access: access, size: size)
        case .value(let settings):
            try await card.createValueFile(file.number, mode: mode, access: access, settings: settings)
        case .linearRecord(let settings):
            try await card.createLinearRecordFile(file.number, mode: mode, access: access, recordSize: settings.recordSize, maxRecords: settings.maxRecords)
        case .cyclicRecord(let settings):
            try await card.createCyclicRecordFile(file.number, mode: mode, access: access, recordSize: settings.recordSize, maxRecords: settings.maxRecords)
        }
    }

    /// Runs an authentication; a card that refuses the key is reported as not ours.
    private func authenticate(orReport reason: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as DESFireError where error.code == .authenticationError || error.code == .cardAuthenticationFailed
            || error.code == .integrityError || error.code == .permissionDenied || error.code == .noSuchKey {
            throw SocialCardError(.notOurCard, "\(reason) (\(error.code))")
        }
    }
}

extension FileSettings {
    /// The records a record file holds (0 for other files).
    var recordCount: Int {
        switch kind {
        case .linearRecord(let records), .cyclicRecord(let records): records.currentRecords
        default: 0
        }
    }
}
