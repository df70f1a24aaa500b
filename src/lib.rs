//! Latchkey: a self-hosted account service.
//!
//! - `telemetry`: Prometheus metrics; `i18n`: the message catalogue
//! - `domain`: accounts, passwords, tokens, keys, time: types that only hold valid values, and
//!   their own refusals and errors
//! - `error`: the one error of storage and the flows, which the domain's errors become
//! - `configuration`: settings from the environment and `latchkey.toml`
//! - `logging`: log lines on standard error, never fatal when it closes
//! - `storage`: the database behind one API
//! - `mail`: templates, the durable outbox and its worker, SMTP and the dev mailbox
//! - `flows`: every account flow, called alike by the API, the pages and the CLI
//! - `views`: the JSON bodies the API answers with (and the CLI prints), one type each
//! - `http`: the JSON API, the pages, problem+json
//! - `application`: the services built from the settings; `cli`: the `latchkey` command
//!
//! Imports point down only, in the order above (docs/architecture.md's picture, which the
//! `docs::layers` test checks). The domain records no metrics: the application hands it the
//! recorders, and storage takes the database's own settings, never the whole `Settings`.

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
