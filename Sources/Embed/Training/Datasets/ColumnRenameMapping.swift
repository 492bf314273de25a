import Foundation

/// angle-trainer's `--column_rename_mapping "old:new;old2:new2"`, parsed as it does
/// (split on ';', then ':', names trimmed).
public func parseColumnRenameMapping(_ text: String) throws -> [String: String] {
    var mapping = [String: String]()
    for item in text.split(separator: ";", omittingEmptySubsequences: false) {
        let parts = item.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw DatasetError.invalidOption(option: "column_rename_mapping", message: "\"\(item)\" is not old_name:new_name")
        }
        let old = parts[0].trimmingCharacters(in: .whitespaces), new = parts[1].trimmingCharacters(in: .whitespaces)
        guard !old.isEmpty, !new.isEmpty else {
            throw DatasetError.invalidOption(option: "column_rename_mapping", message: "empty column name in \"\(item)\"")
        }
        mapping[old] = new
    }
    return mapping
}
