import Foundation

/// Why a tokenizer could not be built from a model folder. Every case names the file
/// (and the field or component) at fault.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The folder has neither `tokenizer.json` nor `vocab.txt`.
    case missingTokenizer(folder: String)
    /// A file the tokenizer needs cannot be read.
    case unreadableFile(path: String, reason: String)
    /// A file is not valid JSON / text, or a field has the wrong shape.
    case corruptFile(path: String, reason: String)
    /// A `tokenizer.json` component (normalizer, pre_tokenizer, model, post_processor)
    /// has a `type` this implementation does not support.
    case unsupportedComponent(component: String, type: String, path: String)
    /// A token the configuration refers to (unk, cls, sep…) is not in the vocabulary.
    case missingToken(token: String, path: String)

    public var description: String {
        switch self {
        case .missingTokenizer(let folder):
            return "no tokenizer in \(folder): expected tokenizer.json or vocab.txt"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .corruptFile(let path, let reason):
            return "corrupt \(path): \(reason)"
        case .unsupportedComponent(let component, let type, let path):
            return "unsupported \(component) type \"\(type)\" in \(path)"
        case .missingToken(let token, let path):
            return "token \"\(token)\" is not in the vocabulary of \(path)"
        }
    }

    public var errorDescription: String? { description }
}
