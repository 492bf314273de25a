/// Why a model folder, a weights file or an encoder input was rejected. Every case names the
/// file and, where there is one, the tensor or field.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    /// A file the model needs is not there.
    case missingFile(path: String)
    /// The folder has PyTorch pickles only; anglevec reads safetensors (never unpickles).
    case pytorchOnly(folder: String)
    /// A safetensors file whose container is malformed (header, offsets, sizes).
    case invalidSafetensors(file: String, reason: String)
    /// One tensor is malformed, of an unusable dtype or of the wrong shape.
    case invalidTensor(file: String, tensor: String, reason: String)
    /// The architecture expects tensors the file lacks.
    case missingTensors(file: String, names: [String])
    /// The file has tensors the architecture does not know (a different model, or a head).
    case unexpectedTensors(file: String, names: [String])
    /// config.json (or another JSON file) is unreadable or inconsistent.
    case invalidConfiguration(file: String, reason: String)
    /// config.json's `model_type` has no native implementation.
    case unknownModelType(String, file: String)
    /// A bad argument to the encoder (a view, a pooling name, token ids).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "missing file: \(path)"
        case .pytorchOnly(let folder):
            return "\(folder) has only pytorch_model.bin; convert it to safetensors once with: "
                + "python -c \"from transformers import AutoModel; P='\(folder)'; "
                + "AutoModel.from_pretrained(P).save_pretrained(P, safe_serialization=True)\""
        case .invalidSafetensors(let file, let reason): return "\(file): invalid safetensors: \(reason)"
        case .invalidTensor(let file, let tensor, let reason): return "\(file): tensor '\(tensor)': \(reason)"
        case .missingTensors(let file, let names):
            return "\(file): missing tensors: \(names.sorted().joined(separator: ", "))"
        case .unexpectedTensors(let file, let names):
            return "\(file): unexpected tensors: \(names.sorted().joined(separator: ", "))"
        case .invalidConfiguration(let file, let reason): return "\(file): \(reason)"
        case .unknownModelType(let type, let file):
            return "\(file): model_type '\(type)' is not supported (supported: \(ModelRegistry.supportedTypes.joined(separator: ", ")))"
        case .invalidInput(let reason): return reason
        }
    }
}
