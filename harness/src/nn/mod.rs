//! Neural networks for task 2 (to be written)
