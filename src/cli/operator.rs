//! `latchkey user …`, `latchkey dev seed` and `latchkey outbox`: the admin API's flows from a
//! shell.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use serde_json::json;

use super::UserCommand;
use crate::{
    Settings,
    application::Services,
    domain::{
        accounts::{DisplayName, User},
        email::EmailAddress,
        password::NewPassword,
    },
    flows::{NewAccount, OutboxStatus, PageSize, UserPatch},
    storage::OutboxEntry,
    views::OutboxMessage,
};

/// One line of standard input (without its line ending): never an argument, so a password
/// stays out of shell history and the process list.
pub fn read_password() -> Result<NewPassword, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let _ = write!(std::io::stderr(), "Password (one line): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err("no password on standard input (pipe one line, or pass --no-password)".into());
    }
    NewPassword::parse(password.to_owned()).map_err(|e| format!("password: {e}"))
}

/// Asks on standard error and reads the answer from standard input; anything but `y` or `yes`
/// (an empty line, or end of input when no one is there to answer) keeps the account.
pub fn confirm_deletion(email: &str) -> Result<(), String> {
    let _ = write!(
        std::io::stderr(),
        "Delete {email} and everything of the account? This cannot be undone. [y/N] "
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer from standard input: {e}"))?;
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(format!("{email} was not deleted (answer y, or pass --yes)")),
    }
}

/// Asks on standard error before removing a user's second factors.
pub fn confirm_mfa_reset(email: &str) -> Result<(), String> {
    let _ = write!(
        std::io::stderr(),
        "Remove every second factor and passkey of {email}? They will sign in with the password alone. [y/N] "
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer from standard input: {e}"))?;
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(format!(
            "{email}: nothing was removed (answer y, or pass --yes)"
        )),
    }
}

fn address(input: &str) -> Result<EmailAddress, String> {
    EmailAddress::parse(input).map_err(|e| format!("{input:?}: {e}"))
}

pub async fn user(
    services: &Services,
    command: UserCommand,
    password: Option<NewPassword>,
) -> Result<(), String> {
    let flows = &services.flows;
    let err = |e: crate::Error| crate::error::Chain(&e).to_string();
    match command {
        UserCommand::Create {
            email,
            name,
            verified,
            admin,
            ..
        } => {
            let account = NewAccount {
                email: address(&email)?,
                password,
                name: DisplayName::parse_optional(name.as_deref()).map_err(|e| e.to_string())?,
                email_verified: verified,
                is_admin: admin,
            };
            let user = flows.create_account(account).await.map_err(err)?;
            outln!("created {} ({})", user.email, user.id)?;
            if !verified {
                outln!(
                    "a verification email is queued; `latchkey serve` or `latchkey worker` sends it"
                )?;
                warn_if_default_links(services);
            }
        }
        UserCommand::List { query, limit } => {
            let size = PageSize::parse(Some(&limit)).map_err(err)?;
            let page = flows
                .list_users(query.as_deref(), size, None)
                .await
                .map_err(err)?;
            print_users(&page.items)?;
            if page.next.is_some() {
                outln!("(more: raise --limit, up to {})", PageSize::MAX)?;
            }
        }
        UserCommand::Show { email } => {
            let user = flows
                .user_by_address(&address(&email)?)
                .await
                .map_err(|e| not_found(e, &email))?;
            print_user(&user)?;
        }
        UserCommand::Verify { email } => {
            let patch = UserPatch {
                email_verified: Some(true),
                ..UserPatch::default()
            };
            change(services, &email, patch, "verified").await?;
        }
        UserCommand::Disable { email } => {
            let patch = UserPatch {
                disabled: Some(true),
                ..UserPatch::default()
            };
            change(services, &email, patch, "disabled; every session ended").await?;
        }
        UserCommand::Delete { email, .. } => {
            let user = flows
                .user_by_address(&address(&email)?)
                .await
                .map_err(|e| not_found(e, &email))?;
            flows
                .delete_account(user.id)
                .await
                .map_err(|e| not_found(e, &email))?;
            outln!(
                "{}: deleted; an account_deleted email is queued",
                user.email
            )?;
            warn_if_default_links(services);
        }
        UserCommand::ResetMfa { email, .. } => {
            let user = flows
                .user_by_address(&address(&email)?)
                .await
                .map_err(|e| not_found(e, &email))?;
            let had = flows
                .reset_second_factors(user.id)
                .await
                .map_err(|e| not_found(e, &email))?;
            if had {
                outln!(
                    "{}: every second factor removed; a security_method_removed email is queued",
                    user.email
                )?;
                warn_if_default_links(services);
            } else {
                outln!("{}: had no second factor; nothing changed", user.email)?;
            }
        }
        UserCommand::Enable { email } => {
            let patch = UserPatch {
                disabled: Some(false),
                ..UserPatch::default()
            };
            change(services, &email, patch, "enabled").await?;
        }
    }
    Ok(())
}

/// A queued email's links come from this command's configuration, not the server's: without
/// LATCHKEY_PUBLIC_URL here they point to the default, which is rarely where the server is.
fn warn_if_default_links(services: &Services) {
    let base = &services.settings.link_base_url;
    if *base == Settings::defaults().link_base_url {
        let _ = writeln!(
            std::io::stderr(),
            "latchkey: warning: LATCHKEY_PUBLIC_URL is not set for this command, so the links in \
             the queued email point to {}; run CLI commands with the server's LATCHKEY_PUBLIC_URL",
            base.as_str().trim_end_matches('/')
        );
    }
}

fn not_found(e: crate::Error, email: &str) -> String {
    match e {
        crate::Error::NotFound => format!("no user has the address {email}"),
        other => other.to_string(),
    }
}

async fn change(
    services: &Services,
    email: &str,
    patch: UserPatch,
    done: &str,
) -> Result<(), String> {
    let user = services
        .flows
        .user_by_address(&address(email)?)
        .await
        .map_err(|e| not_found(e, email))?;
    let user = services
        .flows
        .update_user(user.id, patch, None)
        .await
        .map_err(|e| not_found(e, email))?;
    outln!("{}: {done}", user.email)?;
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn print_users(users: &[User]) -> Result<(), String> {
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.email.clone(),
                u.name.clone().unwrap_or_default(),
                yes_no(u.email_verified).into(),
                yes_no(u.is_admin).into(),
                yes_no(u.disabled).into(),
                u.created_at.rfc3339(),
            ]
        })
        .collect();
    print_table(
        &["EMAIL", "NAME", "VERIFIED", "ADMIN", "DISABLED", "CREATED"],
        &rows,
    )
}

fn print_user(u: &User) -> Result<(), String> {
    outln!("id:             {}", u.id)?;
    outln!("email:          {}", u.email)?;
    outln!("name:           {}", u.name.as_deref().unwrap_or("-"))?;
    outln!("email verified: {}", yes_no(u.email_verified))?;
    outln!("admin:          {}", yes_no(u.is_admin))?;
    outln!("disabled:       {}", yes_no(u.disabled))?;
    outln!("has password:   {}", yes_no(u.password_hash.is_some()))?;
    outln!("created:        {}", u.created_at.rfc3339())?;
    outln!("updated:        {}", u.updated_at.rfc3339())
}

/// Columns padded to their widest cell (counted in characters).
fn print_table(header: &[&str], rows: &[Vec<String>]) -> Result<(), String> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        outln!("{}", padded.join("  ").trim_end())
    };
    line(header.to_vec())?;
    for row in rows {
        line(row.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

/// What the CLI refuses to do on its own, beside what the flows refuse.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the database has users that dev seed did not make; pass --force to seed it anyway")]
    DatabaseNotEmpty,
}

/// `latchkey dev seed`: beside users it did not make only with `--force` (a seed is for a
/// local stack, not for a database in use).
pub async fn seed(services: &Services, force: bool) -> Result<(), String> {
    let err = |e: crate::Error| crate::error::Chain(&e).to_string();
    if !force && services.flows.users_not_seeded().await.map_err(err)? > 0 {
        return Err(Refusal::DatabaseNotEmpty.to_string());
    }
    let users = services.flows.dev_seed().await.map_err(err)?;
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.email.to_string(),
                u.password.clone(),
                if u.is_admin { "admin" } else { "user" }.into(),
            ]
        })
        .collect();
    print_table(&["EMAIL", "PASSWORD", "ROLE"], &rows)
}

/// Retrying and dead messages shown at most (newest first).
const FAILED_SHOWN: u32 = 100;

pub async fn outbox(services: &Services, json: bool) -> Result<(), String> {
    let flows = &services.flows;
    let err = |e: crate::Error| crate::error::Chain(&e).to_string();
    let counts = flows.outbox_counts().await.map_err(err)?;
    let size = PageSize::parse(Some(&FAILED_SHOWN.to_string())).map_err(err)?;
    let mut failed: Vec<OutboxEntry> = Vec::new();
    for status in [OutboxStatus::Retrying, OutboxStatus::Dead] {
        let page = flows
            .outbox_messages(Some(status), size, None)
            .await
            .map_err(err)?;
        failed.extend(page.items);
    }
    if json {
        let counts: serde_json::Map<String, serde_json::Value> = counts
            .iter()
            .map(|(s, n)| (s.as_str().to_owned(), json!(n)))
            .collect();
        let failed: Vec<OutboxMessage> = failed.into_iter().map(OutboxMessage::from).collect();
        outln!("{}", json!({"counts": counts, "failed": failed}))?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|(s, n)| vec![s.as_str().to_owned(), n.to_string()])
        .collect();
    print_table(&["STATUS", "MESSAGES"], &rows)?;
    outln!()?;
    if failed.is_empty() {
        outln!("no retrying or dead messages")?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = failed
        .iter()
        .map(|m| {
            let waiting = m.status == OutboxStatus::Retrying;
            vec![
                m.status.as_str().to_owned(),
                m.kind.to_string(),
                m.recipient.clone(),
                m.attempts.to_string(),
                if waiting {
                    m.next_attempt_at.rfc3339()
                } else {
                    "-".into()
                },
                one_line(m.last_error.as_deref().unwrap_or("-")),
            ]
        })
        .collect();
    print_table(
        &[
            "STATUS",
            "KIND",
            "TO",
            "ATTEMPTS",
            "NEXT ATTEMPT",
            "LAST ERROR",
        ],
        &rows,
    )
}

/// An SMTP error can span lines; a table row cannot.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
