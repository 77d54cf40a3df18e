//! Pure job rules, with no I/O: when a job fires ([`schedule`]), whether a job is valid
//! ([`validate`]), what it runs ([`executor_spec`]) and how its output is handled ([`processor_settings`]) and which nodes it aims at ([`targeting`]). Every layer above may use them;
//! they use only the model.

pub(crate) mod executor_spec;
pub(crate) mod processor_settings;
pub(crate) mod schedule;
pub(crate) mod targeting;
pub mod validate;
