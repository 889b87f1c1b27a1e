"""Groups book: the one booking service and its rules, pages, API, feeds and mails."""
