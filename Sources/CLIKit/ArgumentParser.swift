import Foundation

/// A small, table-driven command-line parser: each command declares its options and positional
/// arguments as data (`OptionSpec`, `PositionalSpec`); `ArgumentParser.parse` turns argv into
/// `ParsedArguments` or throws a `CLIError.usage` whose message names the offending argument.
///
/// Accepted forms: `--name value`, `--name=value`, `-n value`, `-nvalue`, clustered short flags
/// (`-qv`), `--` (everything after it is positional), `-` (a positional meaning stdin),
/// `--help`/`-h` anywhere before `--`.

/// One option, declared as data.
public struct OptionSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A boolean switch: present or not.
        case flag
        /// Takes a value; `valueName` is shown in help (e.g. `N`, `PATH`).
        case value(valueName: String)
    }

    /// What a value must parse as; checked by the parser, so errors name the option.
    public enum ValueType: Sendable, Equatable { case string, int, double }

    /// Long name without the leading `--`.
    public var long: String
    /// Optional one-letter name without the leading `-`.
    public var short: Character?
    public var kind: Kind
    /// When true, every occurrence is kept (`--include a --include b`); otherwise the last one wins.
    public var repeated: Bool
    /// Value used when the option is absent (shown in help).
    public var defaultValue: String?
    public var valueType: ValueType
    public var help: String

    public init(long: String, short: Character? = nil, kind: Kind, repeated: Bool = false,
                defaultValue: String? = nil, valueType: ValueType = .string, help: String) {
        self.valueType = valueType
        self.long = long
        self.short = short
        self.kind = kind
        self.repeated = repeated
        self.defaultValue = defaultValue
        self.help = help
    }

    /// A boolean switch.
    public static func flag(_ long: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(long: long, short: short, kind: .flag, help: help)
    }

    /// An option taking a value.
    public static func value(_ long: String, short: Character? = nil, _ valueName: String, default defaultValue: String? = nil,
                             repeated: Bool = false, help: String) -> OptionSpec {
        OptionSpec(long: long, short: short, kind: .value(valueName: valueName), repeated: repeated,
                   defaultValue: defaultValue, help: help)
    }

    /// An option taking an integer (checked at parse time).
    public static func int(_ long: String, short: Character? = nil, _ valueName: String = "N", default defaultValue: Int? = nil,
                           help: String) -> OptionSpec {
        OptionSpec(long: long, short: short, kind: .value(valueName: valueName), defaultValue: defaultValue.map(String.init),
                   valueType: .int, help: help)
    }

    /// An option taking a number (checked at parse time).
    public static func double(_ long: String, short: Character? = nil, _ valueName: String, default defaultValue: String? = nil,
                              help: String) -> OptionSpec {
        OptionSpec(long: long, short: short, kind: .value(valueName: valueName), defaultValue: defaultValue,
                   valueType: .double, help: help)
    }

    var takesValue: Bool { if case .value = kind { return true } else { return false } }
    var valueName: String { if case .value(let name) = kind { return name } else { return "" } }
}

/// One positional argument, declared as data.
public struct PositionalSpec: Sendable, Equatable {
    public var name: String
    public var help: String
    public var optional: Bool
    /// Takes all remaining positionals (must be last).
    public var variadic: Bool

    public init(_ name: String, optional: Bool = false, variadic: Bool = false, help: String) {
        self.name = name
        self.help = help
        self.optional = optional
        self.variadic = variadic
    }
}

/// The result of parsing one command's arguments.
public struct ParsedArguments: Sendable, Equatable {
    /// True when `--help`/`-h` appeared; nothing else is validated then.
    public var helpRequested = false
    /// Positional arguments in order.
    public var positionals: [String] = []
    /// Values of value options, in order of appearance (long name → values).
    public var values: [String: [String]] = [:]
    /// Flags that were given (long names).
    public var flags: Set<String> = []
    /// Defaults of absent options (long name → default).
    var defaults: [String: String] = [:]

    public init() {}

    /// Whether the flag `--long` was given.
    public func flag(_ long: String) -> Bool { flags.contains(long) }

    /// The last value of `--long`, else its default.
    public func value(_ long: String) -> String? { values[long]?.last ?? defaults[long] }

    /// All values of a repeated option (empty when absent; the default is not included).
    public func allValues(_ long: String) -> [String] { values[long] ?? [] }

    /// Comma-separated lists over every occurrence: `--columns a,b --columns c` → [a, b, c].
    public func list(_ long: String) -> [String] {
        let raw = values[long] ?? (defaults[long].map { [$0] } ?? [])
        return raw.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
    }

    /// `--long` as an integer (nil when absent without default); a non-integer is a usage error naming the option.
    public func int(_ long: String, min minimum: Int? = nil) throws -> Int? {
        guard let text = value(long) else { return nil }
        guard let number = Int(text) else { throw CLIError.usage("option '--\(long)' expects an integer, got '\(text)'") }
        if let minimum, number < minimum { throw CLIError.usage("option '--\(long)' must be at least \(minimum), got \(number)") }
        return number
    }

    /// `--long` as a floating-point number; a non-number is a usage error naming the option.
    public func double(_ long: String) throws -> Double? {
        guard let text = value(long) else { return nil }
        guard let number = Double(text), number.isFinite else {
            throw CLIError.usage("option '--\(long)' expects a number, got '\(text)'")
        }
        return number
    }

    /// The positional at `index`, if given.
    public func positional(_ index: Int) -> String? { index < positionals.count ? positionals[index] : nil }
}

/// Parses argv (without the program and command names) against a command's declared options.
public enum ArgumentParser {
    /// The implicit `--help` option every command has.
    public static let helpOption = OptionSpec.flag("help", short: "h", help: "Show this help and exit.")

    public static func parse(_ arguments: [String], options: [OptionSpec], positionals specs: [PositionalSpec]) throws -> ParsedArguments {
        var result = ParsedArguments()
        // --help wins over any other problem, so a half-typed command line can still ask for help.
        for argument in arguments {
            if argument == "--" { break }
            if argument == "--help" || argument == "-h" { result.helpRequested = true; return result }
        }
        let byLong = Dictionary(options.map { ($0.long, $0) }, uniquingKeysWith: { first, _ in first })
        let byShort = Dictionary(options.compactMap { o in o.short.map { ($0, o) } }, uniquingKeysWith: { first, _ in first })
        for option in options { if let d = option.defaultValue { result.defaults[option.long] = d } }

        func record(_ option: OptionSpec, _ value: String) throws {
            switch option.valueType {
            case .string: break
            case .int:
                guard Int(value) != nil else { throw CLIError.usage("option '--\(option.long)' expects an integer, got '\(value)'") }
            case .double:
                guard let number = Double(value), number.isFinite else {
                    throw CLIError.usage("option '--\(option.long)' expects a number, got '\(value)'")
                }
            }
            if option.repeated { result.values[option.long, default: []].append(value) } else { result.values[option.long] = [value] }
        }

        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || argument == "-" || !argument.hasPrefix("-") || looksLikeNegativeNumber(argument, byShort) {
                result.positionals.append(argument)
                continue
            }
            if argument == "--" { onlyPositionals = true; continue }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let inline: String? = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                guard let option = byLong[name] else {
                    throw CLIError.usage(unknownOptionMessage("--" + name, candidates: options.map { "--" + $0.long } + ["--help"]))
                }
                if option.takesValue {
                    if let inline { try record(option, inline); continue }
                    guard index < arguments.count else {
                        throw CLIError.usage("option '--\(name)' needs a value (\(option.valueName))")
                    }
                    try record(option, arguments[index])
                    index += 1
                } else {
                    if inline != nil { throw CLIError.usage("option '--\(name)' takes no value") }
                    result.flags.insert(option.long)
                }
                continue
            }
            // Short options, possibly clustered: -qv, -k5, -k 5.
            var letters = Substring(argument.dropFirst())
            while let letter = letters.first {
                letters = letters.dropFirst()
                guard let option = byShort[letter] else {
                    let candidates = options.compactMap { o in o.short.map { "-\($0)" } } + options.map { "--" + $0.long }
                    throw CLIError.usage(unknownOptionMessage("-\(letter)", candidates: candidates))
                }
                if option.takesValue {
                    if !letters.isEmpty { try record(option, String(letters)); break }
                    guard index < arguments.count else {
                        throw CLIError.usage("option '-\(letter)' (--\(option.long)) needs a value (\(option.valueName))")
                    }
                    try record(option, arguments[index])
                    index += 1
                    break
                }
                result.flags.insert(option.long)
            }
        }

        // Positional arity.
        let required = specs.filter { !$0.optional && !$0.variadic }.count
        let variadic = specs.last?.variadic == true
        if result.positionals.count < required {
            let missing = specs.filter { !$0.optional }[result.positionals.count]
            throw CLIError.usage("missing argument \(missing.name)")
        }
        if let last = specs.last, last.variadic, !last.optional, result.positionals.count < specs.count {
            throw CLIError.usage("missing argument \(last.name)")
        }
        if !variadic && result.positionals.count > specs.count {
            throw CLIError.usage("unexpected argument '\(result.positionals[specs.count])'")
        }
        return result
    }

    /// `-3` or `-0.5` is a value, not an option, unless the command has a digit short option.
    private static func looksLikeNegativeNumber(_ argument: String, _ byShort: [Character: OptionSpec]) -> Bool {
        guard argument.count > 1, Double(argument) != nil else { return false }
        return byShort[argument.dropFirst().first!] == nil
    }

    static func unknownOptionMessage(_ given: String, candidates: [String]) -> String {
        if let suggestion = didYouMean(given, candidates: candidates) {
            return "unknown option '\(given)'; did you mean '\(suggestion)'?"
        }
        return "unknown option '\(given)'"
    }

    /// The closest candidate by edit distance (or a unique prefix match), when close enough to be a typo.
    public static func didYouMean(_ given: String, candidates: [String]) -> String? {
        let prefixed = candidates.filter { $0.hasPrefix(given) && given.count >= 3 }
        if prefixed.count == 1 { return prefixed[0] }
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(given, candidate)
            if distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        // About one typo per three letters (dashes not counted), so `-z` does not suggest `-k`.
        func letters(_ s: String) -> Int { s.drop { $0 == "-" }.count }
        let allowed = max(letters(given), letters(candidate)) / 3
        return distance <= allowed ? candidate : nil
    }

    /// Damerau–Levenshtein (optimal string alignment) distance: a transposition counts as one edit.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
