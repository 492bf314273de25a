// Index: HNSW approximate nearest-neighbour search and its exact oracle.
