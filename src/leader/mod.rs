//! The work only the leader does: decide which ticks are due ([`scheduler`]), send each launch
//! to its nodes ([`dispatcher`]) and tell the outside world about executions ([`notify`]).

pub(crate) mod dispatcher;
pub mod notify;
pub(crate) mod scheduler;
