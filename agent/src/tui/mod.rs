//! The operator's screen (in progress).
