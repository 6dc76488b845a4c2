// Batch runs (issue 6).
