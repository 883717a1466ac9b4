//! cw-multi-test suites over a real cw20-base TOK. One file per message family.

mod admin;
mod auth;
mod cap;
mod claim;
mod deposits;
mod lifecycle;
mod migrate;
mod property;
mod queries;
mod record;
mod suite;
mod validation;
