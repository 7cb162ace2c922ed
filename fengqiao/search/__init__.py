"""Full-text search over Chinese text on PostgreSQL and SQLite: see fengqiao.search.index."""
