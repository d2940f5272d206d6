"""Identity and access: users, passwords, TOTP, sessions, roles and scope."""
