//! Tree models for task 1 (to be written)
