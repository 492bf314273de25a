// AngleVec: the facade a RAG app imports.
@_exported import Embed
@_exported import Store
@_exported import Index
