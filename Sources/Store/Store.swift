// Store: the LMDB collection store, the single source of truth.
