import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the browser test infrastructure: chromium missing, chromedriver not starting, a
/// WebDriver command answered with an error.
public struct BrowserError: Error, CustomStringConvertible {
    /// What went wrong, and what to do about it.
    public let description: String

    init(_ description: String) { self.description = description }
}

/// Headless Chromium driven over W3C WebDriver by a `chromedriver` this process starts.
///
/// Use `Browser.withSession { session in … }`: it starts chromedriver on a free port, opens a
/// headless session, runs the body, then deletes the session and shuts chromedriver down,
/// whether the body returned or threw. Debian's `chromium` and `chromium-driver` are required
/// (Tools/setup installs them); when they are absent this throws, naming Tools/setup, rather
/// than skipping, because CI runs Tools/setup and a skipped browser test would hide a gap.
public enum Browser {
    /// Where Debian puts the browser binary (`/usr/bin/chromium` is a shell wrapper that reads
    /// /etc/chromium.d; WebDriver talks to the binary directly).
    public static let chromiumCandidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"]
    /// Where Debian's `chromium-driver` puts chromedriver.
    public static let driverCandidates = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]

    /// Runs `body` with a fresh headless session; everything is torn down afterwards.
    ///
    /// `windowSize` is the viewport for layout (CSS pixels); printing uses its own page size.
    public static func withSession<T: Sendable>(
        windowSize: (width: Int, height: Int) = (1280, 1024), _ body: (BrowserSession) async throws -> T
    ) async throws -> T {
        let driver = try ChromeDriver.start()
        do {
            let session = try await BrowserSession.create(driver: driver, windowSize: windowSize)
            do {
                let result = try await body(session)
                try await session.delete()
                await driver.shutdown()
                return result
            } catch {
                try? await session.delete()
                throw error
            }
        } catch {
            await driver.shutdown()
            throw error
        }
    }

    static func locate(_ candidates: [String], package: String) throws -> String {
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BrowserError(
                "\(package) is not installed (looked for \(candidates.joined(separator: ", "))): run Tools/setup, which installs Debian's chromium and chromium-driver")
        }
        return path
    }
}

/// A running `chromedriver` process and the port it listens on (127.0.0.1 only).
public final class ChromeDriver: Sendable {
    /// The browser binary sessions use.
    public let chromium: String
    /// The base URL of the WebDriver endpoint.
    public let endpoint: String
    private let process: Process
    private let logDirectory: URL

    private init(chromium: String, endpoint: String, process: Process, logDirectory: URL) {
        self.chromium = chromium
        self.endpoint = endpoint
        self.process = process
        self.logDirectory = logDirectory
    }

    /// Starts chromedriver on a port the kernel picks and waits until it says which.
    public static func start(timeoutSeconds: Double = 20) throws -> ChromeDriver {
        let chromium = try Browser.locate(Browser.chromiumCandidates, package: "chromium")
        let driver = try Browser.locate(Browser.driverCandidates, package: "chromium-driver (chromedriver)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chromedriver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("stdout.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: driver)
        // Port 0: the kernel picks a free port and chromedriver prints it, so parallel tests and
        // other helpers never collide on a fixed one.
        process.arguments = ["--port=0", "--allowed-ips=127.0.0.1"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try launchWithDefaultSignalMask(process)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let range = text.range(of: "started successfully on port ") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) {
                    return ChromeDriver(chromium: chromium, endpoint: "http://127.0.0.1:\(port)", process: process, logDirectory: directory)
                }
            }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        Self.kill(process)
        try? FileManager.default.removeItem(at: directory)
        throw BrowserError("chromedriver did not start within \(timeoutSeconds) s; its output: \(text)")
    }

    /// Asks chromedriver to quit (it closes any browser left), then makes sure it has.
    public func shutdown() async {
        _ = try? await WebDriverHTTP.send(.GET, "\(endpoint)/shutdown", body: nil, timeoutSeconds: 5)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 50_000_000) }
        if process.isRunning { Self.kill(process) }
        try? FileManager.default.removeItem(at: logDirectory)
    }

    static func kill(_ process: Process) {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Starts `process` from a thread with no blocked signals, so that the child can be stopped
/// with signals: Swift's cooperative threads block nearly all of them and a child inherits that.
func launchWithDefaultSignalMask(_ process: Process) throws {
    let result = LaunchResult()
    let thread = Thread {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        result.set(Result { try process.run() })
    }
    thread.start()
    try result.wait().get()
}

private final class LaunchResult: @unchecked Sendable {
    // Guarded by the condition's lock.
    private let condition = NSCondition()
    private var result: Result<Void, any Error>?

    func set(_ result: Result<Void, any Error>) {
        condition.lock()
        self.result = result
        condition.signal()
        condition.unlock()
    }

    func wait() -> Result<Void, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}

/// One headless browser session.
public struct BrowserSession: Sendable {
    /// The chromedriver serving the session.
    public let driver: ChromeDriver
    /// The WebDriver session id.
    public let id: String

    static func create(driver: ChromeDriver, windowSize: (width: Int, height: Int)) async throws -> BrowserSession {
        var arguments: [WebDriverValue] = [
            "--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", .string("--window-size=\(windowSize.width),\(windowSize.height)"),
        ]
        // Chromium's sandbox refuses to start as root (CI containers run as root).
        if getuid() == 0 { arguments.append("--no-sandbox") }
        let capabilities: WebDriverValue = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": ["binary": .string(driver.chromium), "args": .array(arguments)],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ]
            ]
        ]
        let value = try await WebDriverHTTP.command(.POST, "\(driver.endpoint)/session", body: capabilities, timeoutSeconds: 60)
        guard let id = value["sessionId"]?.string else { throw BrowserError("new session: no sessionId in \(value)") }
        return BrowserSession(driver: driver, id: id)
    }

    var base: String { "\(driver.endpoint)/session/\(id)" }

    /// Opens `url` (a `file://` URL of a report, or a page of a test server) and waits for load.
    public func navigate(to url: URL) async throws {
        _ = try await WebDriverHTTP.command(.POST, "\(base)/url", body: ["url": .string(url.absoluteString)])
    }

    /// Runs `script` as the body of a function with `arguments` and returns what it returns.
    public func execute(_ script: String, arguments: [WebDriverValue] = []) async throws -> WebDriverValue {
        try await WebDriverHTTP.command(.POST, "\(base)/execute/sync", body: ["script": .string(script), "args": .array(arguments)])
    }

    /// The elements matching a CSS selector, in document order.
    public func findElements(css selector: String) async throws -> [Element] {
        let value = try await WebDriverHTTP.command(.POST, "\(base)/elements", body: ["using": "css selector", "value": .string(selector)])
        return (value.array ?? []).compactMap { $0[Element.key]?.string.map { Element(session: self, id: $0) } }
    }

    /// The browser console since the last call (Chromium's log: level, message, source).
    public func consoleLog() async throws -> [ConsoleEntry] {
        let value = try await WebDriverHTTP.command(.POST, "\(base)/se/log", body: ["type": "browser"])
        return (value.array ?? []).map {
            ConsoleEntry(level: $0["level"]?.string ?? "", message: $0["message"]?.string ?? "", source: $0["source"]?.string ?? "")
        }
    }

    /// The page printed to PDF (A4 portrait, the page's own CSS `@page` margins and size).
    public func printToPDF(background: Bool = true) async throws -> [UInt8] {
        let body: WebDriverValue = [
            "orientation": "portrait", "background": .bool(background), "page": ["width": .number(21.0), "height": .number(29.7)],
        ]
        let value = try await WebDriverHTTP.command(.POST, "\(base)/print", body: body, timeoutSeconds: 120)
        guard let encoded = value.string, let data = Data(base64Encoded: encoded) else { throw BrowserError("print: no PDF in the answer") }
        return Array(data)
    }

    /// Lays the page out for `media` (`print` or `screen`), as Ctrl+P would, so that a test can
    /// read the print stylesheet's computed styles; `""` ends the emulation (it also holds while
    /// printing to PDF). A Chromium DevTools command (chromedriver's `goog/cdp/execute`), not W3C.
    public func emulateMedia(_ media: String) async throws {
        _ = try await WebDriverHTTP.command(
            .POST, "\(base)/goog/cdp/execute", body: ["cmd": "Emulation.setEmulatedMedia", "params": ["media": .string(media)]])
    }

    /// Resizes the browser window (CSS pixels).
    public func setWindowSize(width: Int, height: Int) async throws {
        _ = try await WebDriverHTTP.command(.POST, "\(base)/window/rect", body: ["width": .number(Double(width)), "height": .number(Double(height))])
    }

    /// The page's title.
    public func title() async throws -> String {
        try await WebDriverHTTP.command(.GET, "\(base)/title", body: nil).string ?? ""
    }

    /// The URL of the page shown.
    public func currentURL() async throws -> String {
        try await WebDriverHTTP.command(.GET, "\(base)/url", body: nil).string ?? ""
    }

    /// Ends the session and closes the browser.
    public func delete() async throws {
        _ = try await WebDriverHTTP.command(.DELETE, base, body: nil)
    }

    /// One element of the page, as WebDriver refers to it.
    public struct Element: Sendable {
        /// The W3C element reference key.
        static let key = "element-6066-11e4-a52e-4f735466cecf"
        /// The session the element belongs to.
        public let session: BrowserSession
        /// The element reference.
        public let id: String

        /// The rendered text.
        public func text() async throws -> String {
            try await WebDriverHTTP.command(.GET, "\(session.base)/element/\(id)/text", body: nil).string ?? ""
        }

        /// The bounding box in CSS pixels.
        public func rect() async throws -> (x: Double, y: Double, width: Double, height: Double) {
            let value = try await WebDriverHTTP.command(.GET, "\(session.base)/element/\(id)/rect", body: nil)
            return (value["x"]?.number ?? 0, value["y"]?.number ?? 0, value["width"]?.number ?? 0, value["height"]?.number ?? 0)
        }

        /// An attribute's value, or nil.
        public func attribute(_ name: String) async throws -> String? {
            try await WebDriverHTTP.command(.GET, "\(session.base)/element/\(id)/attribute/\(name)", body: nil).string
        }

        /// Clicks the element's centre, as a user would.
        public func click() async throws {
            _ = try await WebDriverHTTP.command(.POST, "\(session.base)/element/\(id)/click", body: [:])
        }

        /// Types `text` into the element (an input, a text area).
        public func type(_ text: String) async throws {
            _ = try await WebDriverHTTP.command(.POST, "\(session.base)/element/\(id)/value", body: ["text": .string(text)])
        }

        /// Empties an input or a text area.
        public func clear() async throws {
            _ = try await WebDriverHTTP.command(.POST, "\(session.base)/element/\(id)/clear", body: [:])
        }

        /// The element as a script argument.
        public var argument: WebDriverValue { [Self.key: .string(id)] }
    }

    /// One line of the browser console.
    public struct ConsoleEntry: Sendable, Hashable, CustomStringConvertible {
        /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
        public let level: String
        /// The message, with its source URL and position.
        public let message: String
        /// `console-api`, `javascript`, `network`, `security`, …
        public let source: String

        /// `LEVEL source: message`.
        public var description: String { "\(level) \(source): \(message)" }
    }
}

/// The HTTP side of WebDriver: JSON in, `{"value": …}` out, errors as `BrowserError`.
enum WebDriverHTTP {
    static func command(_ method: HTTPMethod, _ url: String, body: WebDriverValue?, timeoutSeconds: Int64 = 30) async throws
        -> WebDriverValue
    {
        let (status, bytes) = try await send(method, url, body: body, timeoutSeconds: timeoutSeconds)
        let answer = try JSONDecoder().decode(WebDriverValue.self, from: Data(bytes))
        let value = answer["value"] ?? .null
        guard (200..<300).contains(status) else {
            let error = value["error"]?.string ?? "HTTP \(status)"
            let message = value["message"]?.string ?? ""
            throw BrowserError("WebDriver \(method) \(url): \(error): \(message)")
        }
        return value
    }

    static func send(_ method: HTTPMethod, _ url: String, body: WebDriverValue?, timeoutSeconds: Int64) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeoutSeconds))
        var buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
        return (Int(response.status.code), buffer.readBytes(length: buffer.readableBytes) ?? [])
    }
}
