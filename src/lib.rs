//! Latchkey: a self-hosted account service.
//!
//! - `configuration`: settings from the environment and `latchkey.toml`
//! - `domain`: accounts, passwords, tokens, keys, time: types that only hold valid values
//! - `storage`: the database behind one API
//! - `mail`: templates, the durable outbox and its worker, SMTP and the dev mailbox
//! - `flows`: every account flow, called alike by the API, the pages and the CLI
//! - `http`: the JSON API, the pages, problem+json
//! - `cli`: the `latchkey` command
//! - `logging`: log lines on standard error, never fatal when it closes
//! - `telemetry`: Prometheus metrics
//! - `views`: the JSON bodies the API answers with (and the CLI prints), one type each
//!
//! Imports point down only: `error` and `telemetry` (leaves) ← `domain` ← `configuration`
//! (parses into domain types) ← `storage` ← `mail` ← `flows` ← `views` ← `http`, `cli` ←
//! `application`. The domain records no metrics: the application hands it the recorders, and
//! storage takes the database's own settings, never the whole `Settings`.

pub mod application;
pub mod cli;
pub mod configuration;
pub mod domain;
pub mod error;
pub mod flows;
pub mod http;
pub mod i18n;
pub mod logging;
pub mod mail;
pub mod storage;
pub mod telemetry;
pub mod views;

pub use application::{Application, Services};
pub use configuration::Settings;
pub use error::Error;
