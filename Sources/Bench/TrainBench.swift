// Placeholder until the train benchmark lands.
func runTrainBench(_ arguments: [String]) throws { throw NotImplementedYet(description: "train benchmark not written yet") }
