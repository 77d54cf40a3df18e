//! Cluster-level tests.
