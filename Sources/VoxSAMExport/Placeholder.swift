// Exports (issue 5).
