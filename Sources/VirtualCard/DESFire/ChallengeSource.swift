/// Where the card draws its random bytes: the authentication challenge RndB, and a UID for a
/// blank card made without one.
///
/// Injected so tests can replay published authentication traces with their exact RndB.
public protocol ChallengeSource {
    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8]
}

/// Random bytes from any `RandomNumberGenerator` (the system one by default).
public struct GeneratorChallengeSource<Generator: RandomNumberGenerator>: ChallengeSource {
    private var generator: Generator

    /// Draws from `generator`.
    public init(_ generator: Generator) { self.generator = generator }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

extension GeneratorChallengeSource where Generator == SystemRandomNumberGenerator {
    /// Draws from the system's cryptographically secure generator.
    public init() { self.init(SystemRandomNumberGenerator()) }
}

/// Replays fixed byte strings, one per request, then repeats the last one; for tests that
/// reproduce a trace. A request for a different length than the next script entry takes that
/// many bytes from it (cycling), so a script never makes the card crash.
public struct ScriptedChallengeSource: ChallengeSource {
    private var script: [[UInt8]]
    private var next = 0

    /// Replays `script` in order.
    public init(_ script: [[UInt8]]) {
        precondition(!script.isEmpty && script.allSatisfy { !$0.isEmpty }, "script needs non-empty entries")
        self.script = script
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        let entry = script[min(next, script.count - 1)]
        next += 1
        return (0..<count).map { entry[$0 % entry.count] }
    }
}
