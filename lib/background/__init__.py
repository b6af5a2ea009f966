"""Work that no page and no scrape waits for, done in one thread per process from its start."""
