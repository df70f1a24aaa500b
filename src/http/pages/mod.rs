//! Server-rendered pages (contract §8), one room each:
//!
//! - `router`: every page's route, its rate limit, CSRF protection and headers
//! - `render`: the template engine (`Pages`) and the shapes of a page (a result, a form)
//! - `visitor`: who is looking (language, signed in or not); `cookies`: the pages' cookies
//! - `forms`: form view-models, the problem a form shows and how its page answers (plain
//!   values that `render` and `explain` use); `explain`: what a page says about an error
//! - `signed_out`: sign-up, resend, forgotten password; `codes`: the "enter the code" forms;
//!   `links`: the pages a link in an email opens; `account`: log-in and the account page
//! - `assets`: the stylesheet and favicon; `device`: "Chrome on Linux" for the sessions list
//! - `dev_mailbox`: the dev mailbox (contract §7)
//!
//! Every page speaks the visitor's language; the words come from the message catalogue
//! (`crate::i18n`).

mod account;
mod assets;
mod codes;
pub(crate) mod cookies;
pub mod dev_mailbox;
mod device;
mod explain;
mod forms;
mod links;
mod render;
mod router;
mod sign_in;
mod signed_out;
mod visitor;

pub use assets::{PAGE_CSP, STYLESHEET_PATH, security_headers};
pub use render::Pages;
pub use router::router;
pub use visitor::Visitor;
