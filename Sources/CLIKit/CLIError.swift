/// Errors a command reports to the user. The message is printed as
/// `anglevec <cmd>: error: <message>` on stderr, without a stack trace, and mapped to an exit code.
public enum CLIError: Error, Equatable, CustomStringConvertible {
    /// Bad command line (unknown option, missing value, wrong type): exit 1.
    case usage(String)
    /// Bad input data (malformed JSONL line, non-UTF-8 file, missing column): exit 2.
    case data(String)
    /// Something anglevec itself could not do (a missing tool, an I/O failure): exit 3.
    case `internal`(String)

    public var description: String {
        switch self {
        case .usage(let m), .data(let m), .internal(let m): return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .usage: return ExitCode.usage
        case .data: return ExitCode.data
        case .internal: return ExitCode.internal
        }
    }
}

/// The process exit codes of `anglevec`.
public enum ExitCode {
    public static let ok: Int32 = 0
    public static let usage: Int32 = 1
    public static let data: Int32 = 2
    public static let `internal`: Int32 = 3
}
