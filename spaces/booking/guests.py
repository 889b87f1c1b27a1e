"""Requests without an account: a resident asks for an on-request space with a name, an e-mail and a group."""
