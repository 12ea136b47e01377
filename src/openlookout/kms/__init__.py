"""Local key management: a keyring file and AES-256-GCM envelope encryption."""
