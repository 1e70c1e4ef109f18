/// The one deterministic generator of the test targets: SplitMix64 from a 64-bit seed.
///
/// Property loops, fuzz loops and test fixtures (keys, pseudonyms, layouts) draw from it so a
/// failure replays from its seed on any machine. SplitMix64 is tiny, passes BigCrush and visits
/// every 64-bit state, which is all a test needs; it is no source of secrets.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Starts the sequence at `seed`; equal seeds give equal sequences.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
