"""The gap report: where and when community space is missing, per construction phase."""
