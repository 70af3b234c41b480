"""Full-text search for news articles."""
