import Testing

/// Runs `body`, recording anything it throws as a test failure.
///
/// swift-property-based 2.0.1 (with Swift 6.2 or newer) runs a `propertyCheck` body under
/// `try?`: an error thrown from the body is dropped and the case counts as passing. Every
/// property whose body can throw wraps it in this, so a throw fails the test as it should.
public func failOnThrow(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
    } catch {
        Issue.record(error, "the property threw", sourceLocation: sourceLocation)
    }
}
