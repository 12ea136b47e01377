"""What both service layers use.

Pagination, tag rules, KMS key checks, the hosting lifecycle and the request context.
"""
