//! Finding the cluster without a list of addresses: go-discover style `provider=…` join values
//! that are looked up afresh at every join attempt.

pub mod wire;
