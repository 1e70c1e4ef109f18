/// The reconciliation of one period: every rule applied to the input, nothing read from
/// anywhere else (no clock, no files, no database).
///
/// Deterministic: the same input, in any order and however its entries were batched, gives an
/// equal report.
public func reconcile(_ input: ReconciliationInput) -> ReconciliationReport {
    ReconciliationAccumulator(input).finish()
}
