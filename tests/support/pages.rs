//! The paths of the built-in pages, one list for every test that walks them: the headers and
//! weight of every page, queries and forms thrown at every path, and every page fetched
//! through the reverse proxy of the interop test. `pages::site_map` follows every link and
//! form of the pages, so a page added without a line here fails there.

/// Every path the pages answer, for GET or POST (without a query).
pub const PATHS: &[&str] = &[
    "/",
    "/language",
    "/login",
    "/logout",
    "/account",
    "/account/email",
    "/account/email/cancel",
    "/account/password",
    "/account/sessions/revoke",
    "/account/sessions/revoke-others",
    "/account/profile",
    "/account/delete",
    "/account/passkeys",
    "/account/passkeys/options",
    "/account/passkeys/rename",
    "/account/passkeys/remove",
    "/login/passkey",
    "/account/mfa/totp",
    "/account/mfa/totp/confirm",
    "/account/mfa/totp/off",
    "/account/mfa/recovery-codes",
    "/login/mfa",
    "/login/mfa/passkey",
    "/sign-in",
    "/sign-in/email",
    "/sign-in/code",
    "/register",
    "/resend-verification",
    "/forgot-password",
    "/verify-email",
    "/verify-email/code",
    "/reset-password",
    "/reset-password/code",
    "/confirm-email-change",
    "/revert-email-change",
];

/// Every page a signed-out browser opens (answered 200), with a made-up token where the page
/// takes one.
pub const SIGNED_OUT: &[&str] = &[
    "/login",
    "/register",
    "/resend-verification",
    "/forgot-password",
    "/verify-email?token=t",
    "/verify-email/code",
    "/reset-password?token=t",
    "/reset-password/code",
    "/confirm-email-change?token=t",
    "/revert-email-change?token=t",
    "/sign-in/email",
    "/sign-in?token=t",
];

/// The icon every page links to; the stylesheet's path has its hash in it (read it from a
/// page's `<link rel="stylesheet">`).
pub const FAVICON: &str = "/favicon.ico";

/// The same-origin paths (without query) of every `href`, `src` and `action` in `html`.
pub fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\"", "action=\""] {
        for (i, _) in html.match_indices(attribute) {
            let value = &html[i + attribute.len()..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            if value.starts_with('/') && !value.starts_with("//") {
                let path = value.split(['?', '#']).next().unwrap_or(value);
                found.push(path.to_owned());
            }
        }
    }
    found
}
