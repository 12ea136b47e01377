"""Job runner: long tasks as rows in the metadata store, executed by worker processes."""
