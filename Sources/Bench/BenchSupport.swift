struct NotImplementedYet: Error, CustomStringConvertible { var description: String }
