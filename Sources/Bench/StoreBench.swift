// Placeholder until the store benchmark lands.
func runStoreBench(_ arguments: [String]) throws { throw NotImplementedYet(description: "store benchmark not written yet") }
