"""Running the service: pages for the people who operate it (the mail outbox)."""
