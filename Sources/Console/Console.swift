#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// Terminal output for the command-line programs: messages on standard error and large outputs
/// written in blocks. One home, so every program writes the same way; plain `write(2)`, so a
/// program that avoids Foundation (the virtual card) can use it too.
public enum Console {
    /// Writes `text` and `terminator` to standard error, unbuffered: people read it as it happens.
    public static func error(_ text: String, terminator: String = "\n") {
        writeAll(Array((text + terminator).utf8), to: 2)
    }

    /// Standard error as a `TextOutputStream`, for `print(…, to:)`.
    public struct StandardError: TextOutputStream {
        /// A stream onto standard error.
        public init() {}

        /// Writes `string` to standard error.
        public mutating func write(_ string: String) {
            Console.writeAll(Array(string.utf8), to: 2)
        }
    }

    /// Collects standard output and writes it in large blocks: an export can be millions of lines,
    /// and one write per line would cost more than producing them.
    public struct BufferedOutput {
        private var buffer: [UInt8] = []

        /// An empty buffer.
        public init() {}

        /// Appends `text`, writing the buffer out when it passes 64 KiB.
        public mutating func write(_ text: String) {
            buffer.append(contentsOf: text.utf8)
            if buffer.count > 1 << 16 { flush() }
        }

        /// Appends `text` and a line break.
        public mutating func line(_ text: String) { write(text + "\n") }

        /// Writes out what is buffered.
        public mutating func flush() {
            Console.writeAll(buffer, to: 1)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Writes every byte, retrying short writes and interruptions; gives up on any other error
    /// (a closed pipe: nobody is reading).
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                written += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
