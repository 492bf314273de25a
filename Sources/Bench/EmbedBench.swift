// Placeholder until the embed benchmark lands.
func runEmbedBench(_ arguments: [String]) throws { throw NotImplementedYet(description: "embed benchmark not written yet") }
