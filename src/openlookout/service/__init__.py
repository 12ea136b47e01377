"""The service layers, protocol-free.

``common/`` holds what both APIs use; ``lookoutvision/`` and ``custom_labels/`` hold each API's own rules.
"""
