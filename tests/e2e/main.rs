//! The end-to-end suite, one test binary: the real application on a random port with a
//! temporary database (SQLite, or PostgreSQL with `LATCHKEY_TEST_ENGINE=postgres`), real SMTP
//! and HTTP listeners, the `latchkey` binary as a process where a test is about the process.
//! `support` is the harness. One binary links once, and its helpers are checked for use.
//!
//! Run one group or one file with a filter: `cargo test --test e2e pages::`,
//! `cargo test --test e2e signup`. Two things run in binaries of their own: the timing test
//! (`tests/timing.rs`), which measures answer times and so must not share the machine with
//! the rest of the suite, and the interoperability checks (`tests/interop.rs`), which need
//! Python and Node packages and run only with `--ignored`.
//!
//! The tests share one process, on 4 threads (`.cargo/config.toml`): none may set environment
//! variables or the current directory, none may read a count from the in-process `/metrics`
//! (its recorder is process-wide; a test of counts runs `latchkey serve` as a process), and a
//! test that runs several processes or a PostgreSQL cluster of its own takes a turn
//! (`support::heavy_test`).

#[path = "../support/mod.rs"]
mod support;

/// The account flows over the JSON API.
mod api {
    mod admin;
    mod codes;
    mod contested;
    mod email_change;
    mod host_app;
    mod languages;
    mod passkeys;
    mod password;
    mod password_guessing;
    mod refresh_cookie;
    mod refresh_tokens;
    mod revert_guard;
    pub(crate) mod second_factor;
    mod second_probe;
    mod sessions;
    mod sign_in;
    mod signup;
    mod signup_visible;
    mod token_edges;
    mod verification;
    mod verify_links;
}

/// Delivery: what the emails are, the outbox and its worker, SMTP faults, webhooks.
mod delivery {
    mod email_design;
    mod email_languages;
    mod emails;
    mod lease;
    mod outbox;
    mod smtp_connections;
    mod smtp_faults;
    mod spam;
    mod webhooks;
}

/// Documents that must say what the code does: the API reference, the integration guide's
/// snippets, the walk-through with curl, the links between the documents, and the layers of
/// docs/architecture.md.
mod docs {
    mod api_docs;
    mod integration_guide;
    mod layers;
    mod links;
    mod walkthrough;
}

/// The HTTP surface against misuse: bad inputs, hostile connections, limits, headers, the
/// OpenAPI document, and property tests of every parser of outside input.
mod http {
    mod connections;
    mod hardening;
    mod http_hygiene;
    mod input_hygiene;
    mod keep_alive;
    mod openapi_constraints;
    mod openapi_drift;
    mod properties;
    mod rate_limits;
}

/// The built-in pages, over HTTP and in a headless browser.
mod pages {
    mod account_pages;
    mod branding;
    mod browser;
    mod dev_mailbox;
    mod link_pages;
    mod newcomer_fixes;
    mod page_experience;
    mod page_fixes;
    mod return_to;
    mod sign_in_pages;
    mod site_map;
}

/// The `latchkey` binary as a process: settings, start-up, commands, signals, output, logs.
mod process {
    mod binary;
    mod cli;
    mod closed_output;
    mod logs;
    mod start_up;
}

/// The databases: full disks and locks on SQLite, and PostgreSQL (schemas beside SQLite's,
/// start-up, several nodes, races across processes, an outage).
mod storage {
    mod postgres_nodes;
    mod postgres_outage;
    mod postgres_races;
    mod postgres_schema;
    mod postgres_signup_visible;
    mod postgres_start;
    mod sqlite_checkpoints;
    mod storage_faults;
}
