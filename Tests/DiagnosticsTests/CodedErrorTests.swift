import Diagnostics
import Testing

/// A module's error as the modules write it: stored code, reason and location, nothing else.
struct SampleError: CodedError {
    typealias Code = ErrorCode<SampleError>
    let code: Code
    let reason: String
    let file: String
    let line: UInt

    init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == SampleError {
    static var truncated: Self { Self("truncated") }
    static var tooLarge: Self { Self("too-large") }
}

/// An error that compares more than its code, as `CardLayoutError` does with its path.
struct PathError: CodedError {
    typealias Code = ErrorCode<PathError>
    let code: Code
    let reason: String
    let path: String

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code && lhs.path == rhs.path }
    func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(path)
    }
}

func failing(_ code: SampleError.Code) throws(SampleError) {
    throw SampleError(code, "failed on purpose")
}

@Suite("CodedError")
struct CodedErrorTests {
    @Test("equality and hashing use the code only, not the reason or the location")
    func equalityOnCodeOnly() {
        // Different reasons and different lines: a memberwise `==` would call these unequal.
        let first = SampleError(.truncated, "needs 4 bytes")
        let second = SampleError(.truncated, "needs 9 bytes")
        #expect(first.line != second.line)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(Set([first, second]).count == 1)
        #expect(SampleError(.truncated, "same words") != SampleError(.tooLarge, "same words"))
    }

    @Test("description is the code, a colon and the reason")
    func description() {
        #expect(SampleError(.tooLarge, "detail text is 300 bytes").description == "too-large: detail text is 300 bytes")
        #expect("\(SampleError(.truncated, "x"))" == "truncated: x")
    }

    @Test("a code matches its error in catch and switch patterns", arguments: [SampleError.Code.truncated, .tooLarge])
    func patternMatching(code: SampleError.Code) {
        var caught: SampleError.Code?
        do {
            try failing(code)
        } catch SampleError.Code.truncated {
            caught = .truncated
        } catch SampleError.Code.tooLarge {
            caught = .tooLarge
        } catch {
            caught = nil
        }
        #expect(caught == code)

        switch SampleError(code, "switched") {
        case SampleError.Code.truncated: #expect(code == .truncated)
        case SampleError.Code.tooLarge: #expect(code == .tooLarge)
        default: Issue.record("no code matched")
        }
    }

    @Test("a conformer's own equality takes precedence over the default")
    func ownEqualityWins() {
        let code = ErrorCode<PathError>("bad")
        #expect(PathError(code: code, reason: "a", path: "/x") == PathError(code: code, reason: "b", path: "/x"))
        #expect(PathError(code: code, reason: "a", path: "/x") != PathError(code: code, reason: "a", path: "/y"))
        // `~=` still comes from the protocol.
        switch PathError(code: code, reason: "a", path: "/x") {
        case code: break
        default: Issue.record("the code did not match")
        }
    }

    @Test("a code is its name; the domain keeps same-named codes of different errors apart")
    func codeNames() {
        #expect(ErrorCode<SampleError>("too-large").description == "too-large")
        #expect(ErrorCode<SampleError>("too-large") == .tooLarge)
        #expect(ErrorCode<SampleError>.tooLarge.name == ErrorCode<PathError>("too-large").name)
    }
}
