// Placeholder until the index benchmark lands.
func runIndexBench(_ arguments: [String]) throws { throw NotImplementedYet(description: "index benchmark not written yet") }
