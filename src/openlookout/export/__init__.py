"""ONNX export of trained anomaly models and their onnxruntime inference path (docs/packaging.md)."""
