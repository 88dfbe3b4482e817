"""Connecting an account: the platform's authorisation in the person's browser, or a prompt
for an app password, ending with the credentials in the secrets file."""
