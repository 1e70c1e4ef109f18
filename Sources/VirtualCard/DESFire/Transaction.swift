/// Changes to backup, value and record files that wait for CommitTransaction.
///
/// They live only in RAM, as on a real card: AbortTransaction, any error, selecting an
/// application, authenticating (by default), a reset, power off and leaving the field drop them,
/// and nothing of them ever reaches the image file.
struct PendingTransaction: Equatable {
    /// A value file's uncommitted value and what the transaction did to it.
    struct ValueChange: Equatable {
        var value: Int64
        var debited: Int64 = 0
        var limitedCredited: Int64 = 0
    }

    /// A record file's uncommitted clear and new record.
    struct RecordChange: Equatable {
        var cleared = false
        var newRecord: [UInt8]?
    }

    /// New full contents of backup data files.
    var backupData: [UInt8: [UInt8]] = [:]
    /// Value file changes.
    var values: [UInt8: ValueChange] = [:]
    /// Record file changes.
    var records: [UInt8: RecordChange] = [:]

    var isEmpty: Bool { backupData.isEmpty && values.isEmpty && records.isEmpty }

    /// Forgets everything pending for file `number` (it was deleted).
    mutating func forget(file number: UInt8) {
        backupData[number] = nil
        values[number] = nil
        records[number] = nil
    }

    /// Applies every pending change to `application`'s files.
    func commit(into application: inout Application) {
        for index in application.files.indices {
            let number = application.files[index].number
            switch application.files[index].content {
            case .standard:
                break
            case .backup:
                if let data = backupData[number] { application.files[index].content = .backup(data) }
            case .value(var state):
                guard let change = values[number] else { continue }
                state.value = Int32(change.value)
                if change.debited > 0 {
                    state.limitedCreditValue = Int32(clamping: change.debited)
                } else if change.limitedCredited > 0 {
                    state.limitedCreditValue = 0
                }
                application.files[index].content = .value(state)
            case .linearRecord(var state):
                guard let change = records[number] else { continue }
                if change.cleared { state.records = [] }
                if let record = change.newRecord, state.records.count < state.maxRecords { state.records.append(record) }
                application.files[index].content = .linearRecord(state)
            case .cyclicRecord(var state):
                guard let change = records[number] else { continue }
                if change.cleared { state.records = [] }
                if let record = change.newRecord { state.records.append(record) }
                let kept = max(0, state.maxRecords - 1)
                if state.records.count > kept { state.records.removeFirst(state.records.count - kept) }
                application.files[index].content = .cyclicRecord(state)
            }
        }
    }
}
