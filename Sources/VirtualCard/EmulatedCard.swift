/// A card that a vpcd reader can talk to: the seam between the vpcd link (which owns the TCP
/// connection to pcscd's vpcd driver) and a card model (DESFire emulator, echo card, …).
///
/// The link calls these methods from one thread at a time, in the order the reader's events
/// arrive. A card model keeps its persistent state (what a real card would keep in EEPROM)
/// separate from its volatile state (session keys, selected application, uncommitted
/// transaction), and drops the volatile part on `powerOff`, `reset` and `leaveField`.
public protocol EmulatedCard: AnyObject {
    /// The ATR the reader reports for this card.
    var atr: [UInt8] { get }

    /// The reader switched the field on (vpcd control byte 0x01).
    func powerOn()

    /// The reader switched the field off (vpcd control byte 0x00): volatile state is lost.
    func powerOff()

    /// The reader reset the card (vpcd control byte 0x02): volatile state is lost.
    func reset()

    /// The card left the field (the link closed the connection, e.g. a tap ended or a tear was
    /// injected): volatile state is lost and uncommitted transactions roll back.
    func leaveField()

    /// Answers one command APDU with response data followed by SW1 SW2.
    func respond(to command: [UInt8]) -> [UInt8]
}
