//! The domain: types that can only hold valid values, and the refusals of input that does not
//! make one (`invalid`). The flows that use them live in the `flows` module.

pub mod access;
pub mod accounts;
pub mod codes;
pub mod email;
pub mod email_kind;
pub mod invalid;
pub mod jws;
pub mod keys;
pub mod locale;
pub mod new_password;
pub mod password;
pub mod time;
pub mod tokens;
pub mod webhooks;
