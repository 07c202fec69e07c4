"""The trained span reader: ``model`` (weights, windows, null score), ``runtime`` (torch or ONNX Runtime),
``reader`` (retrieved chunks to passages, best spans to an answer). Its weights ship in ``weights/``."""
