//! The domain: types that can only hold valid values, the refusals of input that does not
//! make one (`invalid`), and its own errors (`fault`, a refused code or token). It imports
//! nothing else of the crate; the flows that use it live in the `flows` module.

pub mod access;
pub mod accounts;
pub mod codes;
pub mod email;
pub mod email_kind;
pub mod fault;
pub mod invalid;
pub mod ip_hint;
pub mod jws;
pub mod keys;
pub mod locale;
pub mod new_password;
pub mod passkey;
pub mod password;
pub mod return_to;
pub mod second_factor;
pub mod time;
pub mod tokens;
pub mod webhooks;
