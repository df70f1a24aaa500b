//! The `latchkey` command line (contract §1). Operator commands call the same flows as the
//! admin API; each prints its result on standard output, or one line on standard error and a
//! non-zero exit status.

/// `println!` for what a command prints, through [`print_out`]: evaluates to
/// `Result<(), String>`.
macro_rules! outln {
    () => {
        $crate::cli::print_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::print_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub mod mail;
mod operator;

use std::{
    io::{self, Write as _},
    sync::atomic::{AtomicBool, Ordering},
};

use clap::{ArgGroup, Parser, Subcommand};

use crate::{
    application::{Application, Services, shutdown_signal},
    configuration::Settings,
    mail::EmailKind,
};

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "A self-hosted account service",
    after_help = "Settings come from LATCHKEY_* variables and ./latchkey.toml, for every command. \
        Commands that queue an email (user create, user delete) build its links from their own \
        LATCHKEY_PUBLIC_URL (or LATCHKEY_LINK_BASE_URL), not the server's: run them with the \
        server's settings."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and the outbox worker.
    Serve,
    /// Run only the outbox worker.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Operator commands on users.
    ///
    /// Emails these commands queue (verification on create, the notice on delete) have links
    /// built from this command's own LATCHKEY_PUBLIC_URL, not the server's.
    #[command(subcommand)]
    User(UserCommand),
    /// Development helpers.
    #[command(subcommand)]
    Dev(DevCommand),
    /// Email templates and the configured transport.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Outbox messages by status, and the retrying and dead ones with their last error.
    Outbox {
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    ///
    /// Without --verified a verification email is queued; its link is built from this
    /// command's LATCHKEY_PUBLIC_URL (set it as the server has it).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Mark the address verified (no verification email).
        #[arg(long)]
        verified: bool,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
        /// Create the user without a password (they set one through a reset); stdin is not read.
        #[arg(long)]
        no_password: bool,
    },
    /// List users, newest first.
    List {
        /// Only users whose address or name contains this.
        #[arg(long, short)]
        query: Option<String>,
        /// How many (1 to 200).
        #[arg(long, default_value = "50")]
        limit: String,
    },
    /// Show one user.
    Show { email: String },
    /// Mark a user's address verified.
    Verify { email: String },
    /// Disable a user and end all their sessions.
    Disable { email: String },
    /// Enable a disabled user.
    Enable { email: String },
    /// Delete a user with everything of the account; asks first unless --yes.
    Delete {
        email: String,
        /// Delete without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Remove every second factor of a user who lost them (the authenticator app, recovery
    /// codes, passkeys); the user is told by email. Asks first unless --yes.
    #[command(name = "reset-mfa")]
    ResetMfa {
        email: String,
        /// Remove without asking.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Create a few verified test users and print their passwords.
    Seed {
        /// Seed even though the database has users the seed did not make.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Render one email kind with sample data.
    #[command(group(ArgGroup::new("part").required(true).args(["html", "text"])))]
    Preview {
        #[arg(value_parser = parse_kind)]
        kind: EmailKind,
        /// Print the HTML part.
        #[arg(long)]
        html: bool,
        /// Print the plain-text part (subject first).
        #[arg(long)]
        text: bool,
        /// The language to render (en, de, fr, es, sv); default: LATCHKEY_DEFAULT_LOCALE.
        #[arg(long)]
        locale: Option<String>,
    },
    /// Send a test email through the configured transport.
    Test {
        #[arg(long)]
        to: String,
    },
}

fn parse_kind(s: &str) -> Result<EmailKind, String> {
    s.parse().map_err(|_| {
        let kinds: Vec<_> = EmailKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown email kind {s:?}; one of {}", kinds.join(", "))
    })
}

/// Runs the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let (settings, warnings) = match Settings::load() {
        Ok(loaded) => loaded,
        Err(e) => return fail(chain(&e)),
    };
    let server = matches!(cli.command, Command::Serve | Command::Worker);
    crate::logging::init(&settings, server);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    // Read before the runtime starts: a blocking read of standard input.
    let password = match &cli.command {
        Command::User(UserCommand::Create {
            no_password: false, ..
        }) => match operator::read_password() {
            Ok(p) => Some(p),
            Err(e) => return fail(e),
        },
        _ => None,
    };
    // The same for the confirmation of a deletion.
    if let Command::User(UserCommand::Delete { email, yes: false }) = &cli.command
        && let Err(e) = operator::confirm_deletion(email)
    {
        return fail(e);
    }
    if let Command::User(UserCommand::ResetMfa { email, yes: false }) = &cli.command
        && let Err(e) = operator::confirm_mfa_reset(email)
    {
        return fail(e);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result: Result<(), String> = runtime.block_on(async move {
        match cli.command {
            Command::Serve => {
                let app = Application::build(settings).await.map_err(|e| chain(&e))?;
                app.run(shutdown_signal()).await.map_err(|e| chain(&e))
            }
            Command::Worker => {
                // A worker binds no port, so it cannot give port 0 a real one: its links would
                // lead to port 0 (contract §1: links are built from the public URL only).
                if let Some(var) = settings.url_on_port_zero() {
                    return Err(format!(
                        "{var} is on port 0 (LATCHKEY_LISTEN's port, which `worker` does not bind): set LATCHKEY_PUBLIC_URL to the URL the servers are reached at"
                    ));
                }
                let services = Services::build(settings).await.map_err(|e| chain(&e))?;
                services.ensure_first_admin().await.map_err(|e| chain(&e))?;
                services.log_created_files();
                let (stop, stopped) = tokio::sync::watch::channel(false);
                tokio::spawn(
                    std::sync::Arc::clone(&services.flows)
                        .finish_unfinished_signups(stopped.clone()),
                );
                let worker = tokio::spawn(services.worker().run(stopped));
                shutdown_signal().await;
                let _ = stop.send(true);
                let _ = worker.await;
                Ok(())
            }
            Command::Migrate => {
                crate::application::migrate(&settings)
                    .await
                    .map_err(|e| chain(&e))?;
                outln!("migrations applied")
            }
            Command::Mail(MailCommand::Preview {
                kind, html, locale, ..
            }) => mail::preview(&settings, kind, locale.as_deref(), html),
            Command::Mail(MailCommand::Test { to }) => mail::test(settings, &to).await,
            Command::User(command) => {
                // Only `user create` may make the database (contract §1).
                let services = if matches!(command, UserCommand::Create { .. }) {
                    Services::build(settings).await
                } else {
                    Services::open_existing(settings).await
                }
                .map_err(|e| chain(&e))?;
                let result = operator::user(&services, command, password).await;
                services.store.close().await;
                result
            }
            Command::Dev(DevCommand::Seed { force }) => {
                let services = Services::build(settings).await.map_err(|e| chain(&e))?;
                let result = operator::seed(&services, force).await;
                services.store.close().await;
                result
            }
            Command::Outbox { json } => {
                let services = Services::open_existing(settings)
                    .await
                    .map_err(|e| chain(&e))?;
                let result = operator::outbox(&services, json).await;
                services.store.close().await;
                result
            }
        }
    });
    match result {
        Ok(()) => 0,
        Err(e) => fail(e),
    }
}

/// An error with its causes, for the one line the command prints.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    crate::error::Chain(e).to_string()
}

fn fail(message: impl std::fmt::Display) -> i32 {
    // One line, whatever the message held.
    let message = message.to_string().replace(['\n', '\r'], " ");
    // `eprintln!` would panic on a closed standard error; the exit status still tells.
    let _ = writeln!(io::stderr(), "latchkey: {message}");
    1
}

/// Set once standard output's reader has gone away.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes command output. A reader that has gone away (`latchkey … | head`) is a normal end
/// for a command: the rest of the output is dropped quietly and the command finishes with
/// status 0. Any other write error (a full disk) fails the command.
pub(crate) fn print_out(args: std::fmt::Arguments<'_>) -> Result<(), String> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}
