//! `belfry top`, the live dashboard: a client of the HTTP API through `belfry::client` and
//! nothing more. Its state (fed from the API) and its view (pure rendering) will live here;
//! the crate is empty until the dashboard is built.
