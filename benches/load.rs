//! The load tool of issue 2 ("Performance").
//!
//! Starts the real `latchkey serve` as its own process (temporary SQLite database, rate limits
//! off, mail cooldown 0s, every other setting at its default) with `LATCHKEY_SMTP_URL` pointing
//! at a small SMTP sink on loopback run here, then drives it with N concurrent clients, each on
//! one keep-alive HTTP/1 connection. It prints, per endpoint, requests/s, p50/p99 latency,
//! errors and the server's CPU milliseconds per request (utime+stime of the server process from
//! `/proc/PID/stat`), the sign-up-to-email-delivered latency, the server's peak RSS (`VmHWM`),
//! and a bare loop of Argon2id hashes to compare sign-up and log-in throughput with.
//!
//! `cargo bench --bench load [-- --clients 64 --seconds 10]`
//!
//! `cargo bench --bench load -- --database-url postgres://USER:PASSWORD@HOST/DB` runs the same
//! phases on PostgreSQL: USER must be allowed to create databases; the tool creates a fresh
//! database for the run (named `latchkey_bench_PID_TIME`, next to DB), gives its URL and a random
//! `LATCHKEY_SECRET` to the server, and drops it at the end. `--servers N` (PostgreSQL only)
//! starts N `serve` processes on that one database and spreads the clients over them
//! round-robin: the table then shows their combined throughput and the CPU of all N, and the
//! progress lines the answers per server. With PostgreSQL the table also has the CPU the
//! database's processes spent per request (this database's backends plus the cluster's WAL
//! writer, checkpointer and background writer, from `/proc`), and on either engine the CPU the
//! rest of the machine spent meanwhile (other builds and tests on a shared machine).
//!
//! `cargo bench --bench load -- --soak MINUTES` instead runs every flow, mixed, for that long
//! (at most 60 minutes), printing the server's memory, descriptors and database size each
//! minute (see `load/soak.rs`).
//!
//! Traffic goes to 127.0.0.1 only, and every loop is bounded in count and in time. Without
//! `--bench` (as under `cargo test --all-targets`) it does nothing.

use std::{
    collections::{BTreeMap, HashMap},
    fs::File,
    net::{SocketAddr, TcpListener as StdListener},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, Version};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{
    Method, Request,
    client::conn::http1::SendRequest,
    header::{AUTHORIZATION, CONTENT_TYPE, HOST},
};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::{Barrier, Notify, watch},
};

#[path = "load/soak.rs"]
mod soak;
// The tests' software passkey: registers passkeys and signs the sign-in assertions.
#[path = "../tests/support/passkey.rs"]
mod passkey;

/// Passes the password policy (not on the common list).
const PASSWORD: &str = "load test password 7f3a";
/// Every server's public URL: the tokens' issuer, and the origin of passkey answers.
const PUBLIC_URL: &str = "https://id.load.example";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(180);

// Targets for the requests that hash no password (`email/verify`, `token/refresh`, `me`).
const TARGET_FAST_SQLITE: FastTarget = FastTarget {
    cpu_ms: 0.15,
    rps: 3_000.0,
    p99_ms: 25.0,
};
const TARGET_FAST_POSTGRES: FastTarget = FastTarget {
    cpu_ms: 0.5,
    rps: 2_000.0,
    p99_ms: 30.0,
};
const TARGET_HASH_RATIO: f64 = 0.9;
const TARGET_DELIVERED_P99_MS: f64 = 250.0;
const TARGET_RSS_MIB: f64 = 48.0;
/// Server CPU of the second step of a log-in with an authenticator app, beyond the hash of the
/// password step before it (issue 18).
const TARGET_MFA_STEP_CPU_MS: f64 = 0.5;

#[derive(Clone, Copy)]
struct FastTarget {
    /// Latchkey's CPU (all its server processes) per request.
    cpu_ms: f64,
    rps: f64,
    p99_ms: f64,
}

#[derive(Debug, Clone)]
struct Args {
    clients: usize,
    /// Length of each timed phase (register, login, refresh; verify runs out of tokens first).
    seconds: f64,
    bare_seconds: f64,
    /// Verification tokens to have before the verify phase (sign-ups beyond the register phase
    /// are made, unmeasured, to reach it).
    verify_tokens: usize,
    /// Upper bound on the requests of any one phase.
    max_requests: u64,
    /// Paced sign-ups after the load phases: how many, and how many per second.
    probe: u64,
    probe_rate: f64,
    /// `perf record` the server during this phase.
    perf: Option<String>,
    /// Another server binary than the one cargo built (to compare two builds A/B).
    server: Option<String>,
    /// Print each phase's answers and slowest latency per 100 ms (to see stalls).
    timeline: bool,
    /// Configure a webhook receiver that takes this long to answer each event (to see that
    /// slow webhook deliveries do not slow the emails).
    webhook_delay: Option<f64>,
    /// `LATCHKEY_ACCESS_TOKEN_ALG` of the server (its default when unset).
    token_alg: Option<String>,
    /// Minutes of the mixed workload of every flow, instead of the phases above.
    soak: Option<u64>,
    /// `--clients` as given (the soak has its own default).
    soak_clients: Option<usize>,
    /// PostgreSQL URL of a role that may create databases: the run gets a fresh database.
    database_url: Option<String>,
    /// `serve` processes on the one database (PostgreSQL only).
    servers: usize,
    /// Accounts given an authenticator app and a pending second step for the `login/mfa`
    /// phase: one request each (a code is used once).
    mfa_steps: usize,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            clients: 64,
            seconds: 10.0,
            bare_seconds: 5.0,
            verify_tokens: 5_000,
            max_requests: 1_000_000,
            probe: 100,
            probe_rate: 20.0,
            perf: None,
            server: None,
            timeline: false,
            webhook_delay: None,
            token_alg: None,
            soak: None,
            soak_clients: None,
            database_url: None,
            servers: 1,
            mfa_steps: 600,
        }
    }
}

const USAGE: &str = "cargo bench --bench load [-- OPTIONS]
  --clients N         concurrent clients, one keep-alive connection each (64)
  --seconds S         length of the register, login and refresh phases (10)
  --bare-seconds S    length of each bare Argon2id loop (5)
  --verify-tokens N   verification tokens to collect for the verify phase (5000)
  --max-requests N    upper bound on the requests of one phase (1000000)
  --probe N           paced sign-ups, then as many paced password reset requests and email
                      changes, for the idle delivery latency of each kind of email (100)
  --probe-rate R      paced requests per second of each probe (20)
  --perf PHASE        perf record the server during one phase (register, email/verify, login,
                      token/refresh, me, login/mfa, login/mfa-step, login/passkey) into
                      $TMPDIR/latchkey-PHASE.perf.data
  --server PATH       run this latchkey binary instead of the one cargo built (A/B runs)
  --timeline          print answers and slowest latency per 100 ms of each phase (stalls)
  --webhook-delay S   send account events to a receiver that answers each after S seconds
  --token-alg ALG     LATCHKEY_ACCESS_TOKEN_ALG of the server (ES256 or EdDSA)
  --database-url URL  run on PostgreSQL: URL (postgres://USER:PASSWORD@HOST/DB) of a role that
                      may create databases; a fresh database is made for the run and dropped
  --servers N         N serve processes on that one database, clients spread over them (1)
  --mfa-steps N       accounts for the login/mfa phase, one second step each (600; capped by
                      the verified accounts the other phases leave); the unmeasured setup takes
                      three password hashes per account
  --soak MINUTES      instead of the phases: every flow, mixed, for MINUTES (1 to 60), with the
                      server's memory, descriptors and database size each minute; --clients
                      defaults to 8 here; exits non-zero if any request failed";

impl Args {
    /// `None`: nothing to run (no `--bench`, so not under `cargo bench`, or `--help`).
    fn parse() -> Result<Option<Self>, String> {
        let mut args = Self::default();
        let mut bench = false;
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--bench" => bench = true,
                "--clients" => {
                    args.clients = value(&mut it, &arg)?;
                    args.soak_clients = Some(args.clients);
                }
                "--soak" => args.soak = Some(value(&mut it, &arg)?),
                "--seconds" => args.seconds = value(&mut it, &arg)?,
                "--bare-seconds" => args.bare_seconds = value(&mut it, &arg)?,
                "--verify-tokens" => args.verify_tokens = value(&mut it, &arg)?,
                "--max-requests" => args.max_requests = value(&mut it, &arg)?,
                "--probe" => args.probe = value(&mut it, &arg)?,
                "--probe-rate" => args.probe_rate = value(&mut it, &arg)?,
                "--perf" => args.perf = Some(value(&mut it, &arg)?),
                "--server" => args.server = Some(value(&mut it, &arg)?),
                "--timeline" => args.timeline = true,
                "--webhook-delay" => args.webhook_delay = Some(value(&mut it, &arg)?),
                "--token-alg" => args.token_alg = Some(value(&mut it, &arg)?),
                "--database-url" => args.database_url = Some(value(&mut it, &arg)?),
                "--servers" => args.servers = value(&mut it, &arg)?,
                "--mfa-steps" => args.mfa_steps = value(&mut it, &arg)?,
                "--help" | "-h" => {
                    println!("{USAGE}");
                    return Ok(None);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        if !bench {
            println!("load: run it with `cargo bench --bench load`; nothing to do here");
            return Ok(None);
        }
        if args.clients == 0 || args.seconds <= 0.0 || args.probe_rate <= 0.0 {
            return Err("--clients, --seconds and --probe-rate must be positive".into());
        }
        if args.soak.is_some_and(|m| !(1..=60).contains(&m)) {
            return Err("--soak takes 1 to 60 minutes".into());
        }
        if let Some(url) = &args.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err("--database-url takes a postgres:// URL".into());
        }
        if args.servers == 0 || (args.servers > 1 && args.database_url.is_none()) {
            return Err("--servers above 1 needs --database-url (one PostgreSQL database)".into());
        }
        if args.soak.is_some() && (args.database_url.is_some() || args.servers > 1) {
            return Err("--soak runs on SQLite with one server only".into());
        }
        Ok(Some(args))
    }
}

fn value<T: std::str::FromStr>(
    it: &mut impl Iterator<Item = String>,
    name: &str,
) -> Result<T, String> {
    let raw = it.next().ok_or_else(|| format!("{name} needs a value"))?;
    raw.parse()
        .map_err(|_| format!("{name}: cannot read {raw:?}"))
}

fn main() {
    let args = match Args::parse() {
        Ok(Some(args)) => args,
        Ok(None) => return,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = match args.soak {
        Some(minutes) => runtime.block_on(soak::run(&args, minutes)),
        None => runtime.block_on(run(args)),
    };
    if let Err(e) = result {
        eprintln!("load: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// The run

async fn run(args: Args) -> Result<(), String> {
    let database = match &args.database_url {
        Some(admin) => Some(PgDatabase::create(admin).await?),
        None => None,
    };
    let result = run_on(args, database.as_ref()).await;
    // The servers have stopped (dropped inside `run_on`): nothing holds the database now.
    if let Some(database) = database {
        database.drop_database().await;
    }
    result
}

async fn run_on(args: Args, database: Option<&PgDatabase>) -> Result<(), String> {
    let sink = Sink::start(false).await?;
    let binary = args
        .server
        .clone()
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_latchkey").to_owned());
    let webhook = match args.webhook_delay {
        Some(delay) => Some(slow_webhook_receiver(Duration::from_secs_f64(delay)).await?),
        None => None,
    };
    let mut servers = Vec::with_capacity(args.servers);
    for _ in 0..args.servers {
        servers.push(Server::start(
            &binary,
            sink.port,
            webhook.as_deref(),
            args.token_alg.as_deref(),
            database,
        )?);
    }
    for server in &servers {
        server.wait_ready().await?;
    }
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let addr = &addrs[..];
    let pids: Vec<u32> = servers.iter().map(|s| s.pid).collect();
    let watched = Watched {
        servers: pids.clone(),
        database: database.map(|d| d.name.clone()),
    };
    let mut report = Report {
        server_pid: pids[0],
        args: args.clone(),
        postgres: database.is_some(),
        ..Report::default()
    };
    progress(format_args!(
        "server pids {pids:?} on {addrs:?} ({}), SMTP sink on 127.0.0.1:{}, {} clients",
        database.map_or("SQLite".to_owned(), |d| format!(
            "PostgreSQL database {}",
            d.name
        )),
        sink.port,
        args.clients
    ));

    // Bare Argon2id loop while the server is idle.
    let (rss, _) = rss_kb(pids[0]);
    progress(format_args!(
        "server RSS when idle: {:.1} MiB",
        rss as f64 / 1024.0
    ));
    report.bare_before_register = bare_hash_loop(args.bare_seconds).await;
    report.bare_progress(report.bare_before_register);

    // Register: timed, 64 clients; CPU counted until the emails it caused are delivered.
    let cpu = Cpu::start(&watched).profiled(&args, "register");
    let workloads = (0..args.clients)
        .map(|c| Register::new(format!("r{c}")))
        .collect();
    let (registered, stats) = drive(addr, workloads, Limits::timed(&args)).await;
    let signups: Vec<Signup> = registered.into_iter().flat_map(|w| w.accepted).collect();
    let mut expected_mails = signups.len();
    sink.wait_for(expected_mails).await?;
    let used = cpu.finish();
    report.add("register", stats, used);
    report.delivered_saturated = delivery(&sink, &signups, |s| s.sent);
    report.delivered_after_answer = delivery(&sink, &signups, |s| s.answered);

    // Top up the verification tokens (unmeasured).
    let mut verify_addresses: Vec<String> = signups.into_iter().map(|s| s.address).collect();
    if verify_addresses.len() < args.verify_tokens {
        let missing = (args.verify_tokens - verify_addresses.len()) as u64;
        progress(format_args!(
            "setup: {missing} more sign-ups for verification tokens"
        ));
        let workloads = (0..args.clients)
            .map(|c| Register::new(format!("s{c}")))
            .collect();
        let limits = Limits {
            duration: Duration::from_secs(600),
            max: missing,
            pace: None,
        };
        let (more, _) = drive(addr, workloads, limits).await;
        let more: Vec<String> = more
            .into_iter()
            .flat_map(|w| w.accepted)
            .map(|s| s.address)
            .collect();
        expected_mails += more.len();
        verify_addresses.extend(more);
        sink.wait_for(expected_mails).await?;
    }
    let tokens = sink.verification_tokens();
    let mut pairs: Vec<(String, String)> = verify_addresses
        .into_iter()
        .filter_map(|a| tokens.get(&a).map(|t| (t.clone(), a)))
        .collect();
    pairs.sort();
    let pairs = Arc::new(pairs);
    progress(format_args!("{} verification tokens", pairs.len()));
    // The setup's tail (sent messages marked, the WAL copied back) is not the verify phase's.
    settle(&watched).await;

    // Verify: one fresh token per request, until they run out (or the time does).
    let cursor = Arc::new(AtomicUsize::new(0));
    let cpu = Cpu::start(&watched).profiled(&args, "email/verify");
    let workloads = (0..args.clients)
        .map(|_| Verify {
            pairs: Arc::clone(&pairs),
            cursor: Arc::clone(&cursor),
            current: None,
            verified: Vec::new(),
        })
        .collect();
    let (verified, stats) = drive(addr, workloads, Limits::timed(&args)).await;
    let used = cpu.finish();
    report.add("email/verify", stats, used);
    let verified: Arc<Vec<String>> =
        Arc::new(verified.into_iter().flat_map(|w| w.verified).collect());
    if verified.is_empty() {
        return Err("no account was verified; cannot log in".into());
    }

    // Login: round robin over the verified accounts.
    report.bare_before_login = bare_hash_loop(args.bare_seconds).await;
    report.bare_progress(report.bare_before_login);
    let cpu = Cpu::start(&watched).profiled(&args, "login");
    let workloads = (0..args.clients)
        .map(|c| Login {
            accounts: Arc::clone(&verified),
            next: c,
            step: args.clients,
            refresh_token: None,
        })
        .collect();
    let (logged_in, stats) = drive(addr, workloads, Limits::timed(&args)).await;
    let used = cpu.finish();
    report.add("login", stats, used);

    // Refresh: each client rotates the session of its last log-in.
    let chains: Vec<String> = logged_in
        .into_iter()
        .filter_map(|w| w.refresh_token)
        .collect();
    if chains.len() < args.clients {
        progress(format_args!(
            "only {} sessions for {} clients",
            chains.len(),
            args.clients
        ));
    }
    let cpu = Cpu::start(&watched).profiled(&args, "token/refresh");
    let workloads = chains
        .into_iter()
        .map(|t| Refresh {
            token: Some(t),
            access: None,
        })
        .collect();
    let (refreshed, stats) = drive(addr, workloads, Limits::timed(&args)).await;
    let used = cpu.finish();
    report.add("token/refresh", stats, used);

    // GET /me: each client with the access token of its last rotation.
    let cpu = Cpu::start(&watched).profiled(&args, "me");
    let workloads: Vec<Me> = refreshed
        .into_iter()
        .filter_map(|w| w.access)
        .map(|access| Me { access })
        .collect();
    let (_, stats) = drive(addr, workloads, Limits::timed(&args)).await;
    let used = cpu.finish();
    report.add("me", stats, used);

    // Log-in with an authenticator app: each client alternates the password log-in (401
    // mfa_required) and POST /login/mfa with a code, once per account (a code is used once):
    // the second step's server CPU is twice the phase's per request less a log-in's.
    let mfa_accounts = {
        let k = (verified.len() / 4).min(200);
        &verified[verified.len() - k..]
    };
    let enrolled = enrol_totp(addr[0], mfa_accounts).await?;
    let per_client = enrolled.len().div_ceil(args.clients.max(1)).max(1);
    let cpu = Cpu::start(&watched).profiled(&args, "login/mfa");
    let workloads: Vec<MfaLogin> = enrolled
        .chunks(per_client)
        .map(|chunk| MfaLogin {
            accounts: chunk.to_vec(),
            mfa_token: None,
        })
        .collect();
    let limits = Limits {
        duration: Duration::from_secs_f64(args.seconds * 6.0),
        max: 2 * enrolled.len() as u64,
        pace: None,
    };
    let (_, stats) = drive(addr, workloads, limits).await;
    let used = cpu.finish();
    report.add("login (mfa_required) + login/mfa (TOTP)", stats, used);

    // POST /login/mfa alone: the hash of the password step (and the enrolment) is paid in the
    // setup, so the phase shows what the second step costs. Accounts that no other phase
    // uses (passkeys take the first `--clients`, the probes the first 2 × `--probe`, the
    // phase above the last ones), one request each: a code is used once per account and step.
    let pool = {
        let start = args.clients.max(2 * args.probe as usize);
        let end = verified.len() - mfa_accounts.len();
        &verified[start.min(end)..end]
    };
    let count = args
        .mfa_steps
        .min(pool.len())
        .min(usize::try_from(args.max_requests).unwrap_or(usize::MAX));
    if count > 0 {
        let steps = pending_totp_steps(addr[0], &pool[..count], args.clients).await?;
        settle(&watched).await;
        let steps = Arc::new(steps);
        let cursor = Arc::new(AtomicUsize::new(0));
        let cpu = Cpu::start(&watched).profiled(&args, "login/mfa-step");
        let workloads = (0..args.clients)
            .map(|_| MfaStep {
                steps: Arc::clone(&steps),
                cursor: Arc::clone(&cursor),
            })
            .collect();
        let (_, stats) = drive(addr, workloads, Limits::timed(&args)).await;
        let used = cpu.finish();
        report.add("login/mfa (TOTP)", stats, used);
    }

    // Passkey sign-in: each client alternates the options and the signed assertion (a software
    // passkey in this process signs), so a sign-in is two requests; its server CPU is twice
    // the phase's per request.
    let owners = &verified[..verified.len().min(args.clients)];
    let passkeys = register_passkeys(addr[0], owners).await?;
    let cpu = Cpu::start(&watched).profiled(&args, "login/passkey");
    let workloads = passkeys
        .into_iter()
        .map(|passkey| PasskeySignIn {
            passkey,
            started: None,
        })
        .collect();
    let (_, stats) = drive(addr, workloads, Limits::timed(&args)).await;
    let used = cpu.finish();
    report.add("login/passkey/options + login/passkey", stats, used);

    // Paced sign-ups on an otherwise idle server: the email pipeline without a hashing queue.
    if args.probe > 0 {
        let every = Duration::from_secs_f64(1.0 / args.probe_rate);
        let limits = Limits {
            duration: every * args.probe as u32 + Duration::from_secs(30),
            max: args.probe,
            pace: Some(every),
        };
        let workloads = (0..4).map(|c| Register::new(format!("p{c}"))).collect();
        let (probed, _) = drive(addr, workloads, limits).await;
        let probed: Vec<Signup> = probed.into_iter().flat_map(|w| w.accepted).collect();
        expected_mails += probed.len();
        sink.wait_for(expected_mails).await?;
        report.delivered_paced = delivery(&sink, &probed, |s| s.sent);
        report.delivered_paced_after_answer = delivery(&sink, &probed, |s| s.answered);
        if let Some(d) = &report.delivered_paced {
            progress(format_args!(
                "paced sign-ups: delivered p50 {:.1} ms, p99 {:.1} ms",
                d.p50_ms, d.p99_ms
            ));
        }
        probe_resets_and_changes(&args, addr, &sink, &verified, expected_mails, &mut report)
            .await?;
    }

    report.peak_rss_kb = servers.iter().filter_map(Server::peak_rss_kb).max();
    drop(servers);
    report.print();
    Ok(())
}

/// Paced password reset requests, then paced email changes (of other accounts, signed in
/// first), on the otherwise idle server: how long after the answer each kind of email arrives.
/// Each email a flow queues is sent without a polling delay only if the worker is woken when
/// its transaction commits; the sign-up probe alone would not show a flow that forgets to.
async fn probe_resets_and_changes(
    args: &Args,
    addr: &[SocketAddr],
    sink: &Sink,
    verified: &Arc<Vec<String>>,
    mut expected_mails: usize,
    report: &mut Report,
) -> Result<(), String> {
    let n = (args.probe as usize).min(verified.len() / 2);
    if n == 0 {
        return Ok(());
    }
    let every = Duration::from_secs_f64(1.0 / args.probe_rate);
    let paced = Limits {
        duration: every * n as u32 + Duration::from_secs(30),
        max: n as u64,
        pace: Some(every),
    };
    let both = |list: &[Signup], arrivals: &HashMap<String, Instant>| {
        Some((
            delivery_of(arrivals, list, |s| s.sent)?,
            delivery_of(arrivals, list, |s| s.answered)?,
        ))
    };

    let resets = Arc::new(verified[..n].to_vec());
    let cursor = Arc::new(AtomicUsize::new(0));
    let workloads = (0..4)
        .map(|_| Forgot {
            accounts: Arc::clone(&resets),
            cursor: Arc::clone(&cursor),
            pending: None,
            accepted: Vec::new(),
        })
        .collect();
    let (asked, stats) = drive(addr, workloads, paced).await;
    refused("password/forgot", &stats);
    let asked: Vec<Signup> = asked.into_iter().flat_map(|w| w.accepted).collect();
    expected_mails += asked.len();
    sink.wait_for(expected_mails).await?;
    report.reset_paced = both(&asked, &sink.arrivals_with_link_to("reset-password"));

    // Other accounts than the resets', each signed in once.
    let accounts = Arc::new(verified[n..2 * n].to_vec());
    let cursor = Arc::new(AtomicUsize::new(0));
    let workloads = (0..4)
        .map(|_| SignIn {
            accounts: Arc::clone(&accounts),
            cursor: Arc::clone(&cursor),
            current: None,
            sessions: Vec::new(),
        })
        .collect();
    let unpaced = Limits {
        duration: Duration::from_secs(600),
        max: n as u64,
        pace: None,
    };
    let (signed_in, stats) = drive(addr, workloads, unpaced).await;
    refused("login", &stats);
    let sessions: Arc<Vec<(String, String)>> =
        Arc::new(signed_in.into_iter().flat_map(|w| w.sessions).collect());
    let cursor = Arc::new(AtomicUsize::new(0));
    let workloads = (0..4)
        .map(|_| ChangeEmail {
            sessions: Arc::clone(&sessions),
            cursor: Arc::clone(&cursor),
            current: None,
            accepted: Vec::new(),
            refusal: None,
        })
        .collect();
    let paced = Limits {
        max: sessions.len() as u64,
        ..paced
    };
    let (changed, stats) = drive(addr, workloads, paced).await;
    refused("me/email", &stats);
    if let Some(why) = changed.iter().find_map(|w| w.refusal.as_ref()) {
        progress(format_args!("me/email: last refusal {why}"));
    }
    let (new, old): (Vec<Signup>, Vec<Signup>) =
        changed.into_iter().flat_map(|w| w.accepted).unzip();
    expected_mails += new.len() + old.len();
    sink.wait_for(expected_mails).await?;
    let arrivals = sink.arrivals_with_link_to("confirm-email-change");
    report.change_new_paced = both(&new, &arrivals);
    report.change_old_paced = both(&old, &arrivals);
    for (what, d) in [
        ("reset", &report.reset_paced),
        ("email change (new address)", &report.change_new_paced),
        ("email change (old address)", &report.change_old_paced),
    ] {
        if let Some((_, after)) = d {
            progress(format_args!(
                "paced {what}: delivered after the answer p50 {:.1} ms, p99 {:.1} ms",
                after.p50_ms, after.p99_ms
            ));
        }
    }
    Ok(())
}

/// Says so when requests of a probe were not answered as expected (they have no email to time).
fn refused(what: &str, stats: &Stats) {
    if stats.errors > 0 {
        progress(format_args!(
            "{what}: {} of {} requests not answered as expected, statuses {:?}{}",
            stats.errors,
            stats.ok + stats.errors,
            stats.statuses,
            stats
                .last_error
                .as_ref()
                .map(|e| format!(", last error: {e}"))
                .unwrap_or_default()
        ));
    }
}

fn progress(args: std::fmt::Arguments<'_>) {
    eprintln!("load: {args}");
}

// ---------------------------------------------------------------------------------------------
// Workloads: what one client sends, and what it keeps from the answers

trait Workload: Send + 'static {
    /// The next request body for `path`, or `None` when this client is done.
    fn next(&mut self) -> Option<(&'static str, Bytes)>;
    /// Whether the answer is the expected one; keeps what later phases need.
    fn answer(&mut self, sent: Instant, status: u16, body: &[u8]) -> bool;
    /// The access token the request from the last `next` goes with, if any.
    fn bearer(&self) -> Option<&str> {
        None
    }
    /// The method of this workload's requests.
    fn method(&self) -> Method {
        Method::POST
    }
}

struct Register {
    prefix: String,
    seq: u64,
    pending: Option<String>,
    /// Sign-ups that were accepted.
    accepted: Vec<Signup>,
}

/// An accepted sign-up (or reset or email change request): the address its email goes to, when
/// its request was sent and when it was answered.
struct Signup {
    address: String,
    sent: Instant,
    answered: Instant,
}

impl Register {
    fn new(prefix: String) -> Self {
        Self {
            prefix,
            seq: 0,
            pending: None,
            accepted: Vec::new(),
        }
    }
}

impl Workload for Register {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        self.seq += 1;
        let email = format!("{}-{}@load.example.com", self.prefix, self.seq);
        let body = json!({"email": email, "password": PASSWORD}).to_string();
        self.pending = Some(email);
        Some(("/api/v1/register", body.into()))
    }
    fn answer(&mut self, sent: Instant, status: u16, _: &[u8]) -> bool {
        let email = self.pending.take();
        if status != 202 {
            return false;
        }
        if let Some(address) = email {
            self.accepted.push(Signup {
                address,
                sent,
                answered: Instant::now(),
            });
        }
        true
    }
}

struct Verify {
    /// (token, address), each used once.
    pairs: Arc<Vec<(String, String)>>,
    cursor: Arc<AtomicUsize>,
    current: Option<usize>,
    verified: Vec<String>,
}

impl Workload for Verify {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        let i = self.cursor.fetch_add(1, Ordering::Relaxed);
        let (token, _) = self.pairs.get(i)?;
        self.current = Some(i);
        Some((
            "/api/v1/email/verify",
            json!({"token": token}).to_string().into(),
        ))
    }
    fn answer(&mut self, _: Instant, status: u16, _: &[u8]) -> bool {
        let Some(i) = self.current.take() else {
            return false;
        };
        if status == 200 {
            self.verified.push(self.pairs[i].1.clone());
        }
        status == 200
    }
}

struct Login {
    accounts: Arc<Vec<String>>,
    next: usize,
    step: usize,
    refresh_token: Option<String>,
}

impl Workload for Login {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        let email = &self.accounts[self.next % self.accounts.len()];
        self.next += self.step;
        let body = json!({"email": email, "password": PASSWORD}).to_string();
        Some(("/api/v1/login", body.into()))
    }
    fn answer(&mut self, _: Instant, status: u16, body: &[u8]) -> bool {
        match (status, refresh_token_of(body)) {
            (200, Some(token)) => {
                self.refresh_token = Some(token);
                true
            }
            _ => false,
        }
    }
}

/// Registers a software passkey for each account (log-in, options with the password, the
/// signed registration), before the timed phase.
async fn register_passkeys(
    addr: SocketAddr,
    accounts: &[String],
) -> Result<Vec<passkey::SoftPasskey>, String> {
    let mut http = Http::new(addr);
    let mut passkeys = Vec::new();
    let json_of = |what: &str, status: u16, expected: u16, body: &[u8]| {
        if status != expected {
            return Err(format!(
                "passkey set-up: {what} answered {status}: {}",
                String::from_utf8_lossy(body)
            ));
        }
        serde_json::from_slice::<Value>(body).map_err(|e| format!("passkey set-up: {what}: {e}"))
    };
    for email in accounts {
        let body = json!({"email": email, "password": PASSWORD}).to_string();
        let (status, answer) = http
            .request(Method::POST, "/api/v1/login", body.into())
            .await?;
        let tokens = json_of("log-in", status, 200, &answer)?;
        let access = tokens["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let body = json!({"password": PASSWORD}).to_string();
        let (status, answer) = http
            .send(
                Method::POST,
                "/api/v1/me/passkeys/options",
                body.into(),
                Some(&access),
            )
            .await?;
        let options = json_of("options", status, 200, &answer)?;
        let (passkey, credential) =
            passkey::SoftPasskey::register(&options["publicKey"], PUBLIC_URL);
        let body = json!({"challenge_id": options["challenge_id"], "credential": credential});
        let (status, answer) = http
            .send(
                Method::POST,
                "/api/v1/me/passkeys",
                body.to_string().into(),
                Some(&access),
            )
            .await?;
        json_of("registration", status, 201, &answer)?;
        passkeys.push(passkey);
    }
    Ok(passkeys)
}

/// Turns on an authenticator app for each account (log-in, the enrolment with the password,
/// the first code), before the timed phase: (address, the code for the next 30-second step,
/// computed by `oathtool`). That code is accepted for about a minute (one step of drift either
/// way), after the step the enrolment used.
async fn enrol_totp(
    addr: SocketAddr,
    accounts: &[String],
) -> Result<Vec<(String, String)>, String> {
    let mut http = Http::new(addr);
    let mut enrolled = Vec::new();
    for email in accounts {
        let secret = enrol_one(&mut http, email).await?;
        enrolled.push((email.clone(), oathtool(&secret, 1)?));
    }
    Ok(enrolled)
}

/// Turns on an authenticator app for one account (log-in, the enrolment with the password,
/// the code of the current step): its secret (base32).
async fn enrol_one(http: &mut Http, email: &str) -> Result<String, String> {
    let json_of = |what: &str, status: u16, body: &[u8]| {
        if status != 200 {
            return Err(format!(
                "TOTP set-up: {what} answered {status}: {}",
                String::from_utf8_lossy(body)
            ));
        }
        serde_json::from_slice::<Value>(body).map_err(|e| format!("TOTP set-up: {what}: {e}"))
    };
    let body = json!({"email": email, "password": PASSWORD}).to_string();
    let (status, answer) = http
        .request(Method::POST, "/api/v1/login", body.into())
        .await?;
    let tokens = json_of("log-in", status, &answer)?;
    let access = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let body = json!({"password": PASSWORD}).to_string();
    let (status, answer) = http
        .send(
            Method::POST,
            "/api/v1/me/mfa/totp",
            body.into(),
            Some(&access),
        )
        .await?;
    let setup = json_of("enrolment", status, &answer)?;
    let secret = setup["secret"].as_str().unwrap_or_default().to_owned();
    let body = json!({"code": oathtool(&secret, 0)?}).to_string();
    let (status, answer) = http
        .send(
            Method::POST,
            "/api/v1/me/mfa/totp/confirm",
            body.into(),
            Some(&access),
        )
        .await?;
    json_of("confirmation", status, &answer)?;
    Ok(secret)
}

/// For the `login/mfa` phase, before it: each account gets an authenticator app, then (after
/// all enrolments, the token lasts 5 minutes) a password log-in's `mfa_token`; then the code
/// of the next 30-second step, by `oathtool` (accepted for at least 30 s: one step of drift,
/// and after the step the enrolment used). `clients` connections share the accounts.
async fn pending_totp_steps(
    addr: SocketAddr,
    accounts: &[String],
    clients: usize,
) -> Result<Vec<(String, String)>, String> {
    progress(format_args!(
        "setup: authenticator app and a pending second step for {} accounts",
        accounts.len()
    ));
    let chunk = accounts.len().div_ceil(clients.max(1)).max(1);
    let enrolled = futures::future::try_join_all(accounts.chunks(chunk).map(|chunk| async move {
        let mut http = Http::new(addr);
        let mut secrets = Vec::with_capacity(chunk.len());
        for email in chunk {
            secrets.push((email.clone(), enrol_one(&mut http, email).await?));
        }
        Ok::<_, String>(secrets)
    }))
    .await?;
    let pending = futures::future::try_join_all(enrolled.into_iter().map(|chunk| async move {
        let mut http = Http::new(addr);
        let mut pending = Vec::with_capacity(chunk.len());
        for (email, secret) in chunk {
            let body = json!({"email": email, "password": PASSWORD}).to_string();
            let (status, answer) = http
                .request(Method::POST, "/api/v1/login", body.into())
                .await?;
            let token = (status == 401)
                .then(|| serde_json::from_slice::<Value>(&answer).ok())
                .flatten()
                .and_then(|v| v.get("mfa_token")?.as_str().map(str::to_owned))
                .ok_or_else(|| {
                    format!(
                        "TOTP set-up: log-in answered {status}, not mfa_required: {}",
                        String::from_utf8_lossy(&answer)
                    )
                })?;
            pending.push((token, secret));
        }
        Ok::<_, String>(pending)
    }))
    .await?;
    pending
        .into_iter()
        .flatten()
        .map(|(token, secret)| Ok((token, oathtool(&secret, 1)?)))
        .collect()
}

/// The code of `secret` (base32) `steps` 30-second steps from now, by `oathtool` (Debian's
/// `oathtool` package): an implementation apart from the server's.
fn oathtool(secret: &str, steps: u64) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let at = format!("@{}", now + steps * 30);
    let out = std::process::Command::new("oathtool")
        .args(["--totp", "-b", "-N", &at, secret])
        .output()
        .map_err(|e| format!("oathtool is needed for the login/mfa phase: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "oathtool: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

struct MfaLogin {
    /// (address, its code) not used yet.
    accounts: Vec<(String, String)>,
    /// The step under way: its token; `None`: the next request is a password log-in.
    mfa_token: Option<String>,
}

impl Workload for MfaLogin {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        match &self.mfa_token {
            None => {
                let (email, _) = self.accounts.last()?;
                let body = json!({"email": email, "password": PASSWORD}).to_string();
                Some(("/api/v1/login", body.into()))
            }
            Some(token) => {
                let (_, code) = self.accounts.pop()?;
                let body = json!({"mfa_token": token, "code": code}).to_string();
                Some(("/api/v1/login/mfa", body.into()))
            }
        }
    }
    fn answer(&mut self, _: Instant, status: u16, body: &[u8]) -> bool {
        if self.mfa_token.take().is_some() {
            return status == 200;
        }
        let token = (status == 401)
            .then(|| serde_json::from_slice::<Value>(body).ok())
            .flatten()
            .and_then(|v| v.get("mfa_token")?.as_str().map(str::to_owned));
        if token.is_none() {
            // No step to finish: this account is done.
            self.accounts.pop();
        }
        self.mfa_token = token;
        self.mfa_token.is_some()
    }
}

/// `POST /login/mfa` alone: (mfa_token, code) pairs, each used once.
struct MfaStep {
    steps: Arc<Vec<(String, String)>>,
    cursor: Arc<AtomicUsize>,
}

impl Workload for MfaStep {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        let (token, code) = self
            .steps
            .get(self.cursor.fetch_add(1, Ordering::Relaxed))?;
        let body = json!({"mfa_token": token, "code": code}).to_string();
        Some(("/api/v1/login/mfa", body.into()))
    }
    fn answer(&mut self, _: Instant, status: u16, _: &[u8]) -> bool {
        status == 200
    }
}

struct PasskeySignIn {
    passkey: passkey::SoftPasskey,
    /// The options of the sign-in under way; `None`: the next request asks for them.
    started: Option<Value>,
}

impl Workload for PasskeySignIn {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        match &self.started {
            None => Some(("/api/v1/login/passkey/options", Bytes::from_static(b"{}"))),
            Some(options) => {
                let credential = self.passkey.assert(&options["publicKey"]);
                let body =
                    json!({"challenge_id": options["challenge_id"], "credential": credential});
                Some(("/api/v1/login/passkey", body.to_string().into()))
            }
        }
    }
    fn answer(&mut self, _: Instant, status: u16, body: &[u8]) -> bool {
        let asked_options = self.started.is_none();
        self.started = None;
        if status != 200 {
            return false;
        }
        if asked_options {
            match serde_json::from_slice::<Value>(body) {
                Ok(options) => self.started = Some(options),
                Err(_) => return false,
            }
        }
        true
    }
}

struct Refresh {
    /// The chain's current refresh token; `None` once the chain broke.
    token: Option<String>,
    /// The access token of the last rotation.
    access: Option<String>,
}

impl Workload for Refresh {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        let token = self.token.take()?;
        let body = json!({"refresh_token": token}).to_string();
        Some(("/api/v1/token/refresh", body.into()))
    }
    fn answer(&mut self, _: Instant, status: u16, body: &[u8]) -> bool {
        let v: Option<Value> = (status == 200)
            .then(|| serde_json::from_slice(body).ok())
            .flatten();
        let field = |name: &str| {
            v.as_ref()
                .and_then(|v| v.get(name)?.as_str().map(str::to_owned))
        };
        self.token = field("refresh_token");
        if let Some(access) = field("access_token") {
            self.access = Some(access);
        }
        self.token.is_some()
    }
}

/// `GET /me` with one access token, again and again: the cost of an authenticated request
/// (the token's signature checked, its session looked up).
struct Me {
    access: String,
}

impl Workload for Me {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        Some(("/api/v1/me", Bytes::new()))
    }
    fn bearer(&self) -> Option<&str> {
        Some(&self.access)
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn answer(&mut self, _: Instant, status: u16, _: &[u8]) -> bool {
        status == 200
    }
}

/// Paced password reset requests (`password/forgot`), one per account.
struct Forgot {
    accounts: Arc<Vec<String>>,
    cursor: Arc<AtomicUsize>,
    pending: Option<String>,
    accepted: Vec<Signup>,
}

impl Workload for Forgot {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        let email = self
            .accounts
            .get(self.cursor.fetch_add(1, Ordering::Relaxed))?;
        self.pending = Some(email.clone());
        let body = json!({ "email": email }).to_string();
        Some(("/api/v1/password/forgot", body.into()))
    }
    fn answer(&mut self, sent: Instant, status: u16, _: &[u8]) -> bool {
        let email = self.pending.take();
        if status != 202 {
            return false;
        }
        if let Some(address) = email {
            self.accepted.push(Signup {
                address,
                sent,
                answered: Instant::now(),
            });
        }
        true
    }
}

/// Paced email changes (`POST /me/email`), one per signed-in account (address, access token):
/// a confirmation goes to the new address and, as by default, another to the current one.
struct ChangeEmail {
    sessions: Arc<Vec<(String, String)>>,
    cursor: Arc<AtomicUsize>,
    current: Option<usize>,
    /// (to the new address, to the old one)
    accepted: Vec<(Signup, Signup)>,
    /// The body of the last answer that was not 202, to say why.
    refusal: Option<String>,
}

fn changed_address(i: usize) -> String {
    format!("changed-{i}@load.example.com")
}

impl Workload for ChangeEmail {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        let i = self.cursor.fetch_add(1, Ordering::Relaxed);
        self.sessions.get(i)?;
        self.current = Some(i);
        let body = json!({ "password": PASSWORD, "new_email": changed_address(i) }).to_string();
        Some(("/api/v1/me/email", body.into()))
    }
    fn bearer(&self) -> Option<&str> {
        let (_, token) = self.sessions.get(self.current?)?;
        Some(token)
    }
    fn answer(&mut self, sent: Instant, status: u16, body: &[u8]) -> bool {
        let Some(i) = self.current.take() else {
            return false;
        };
        if status != 202 {
            self.refusal = Some(format!("{status} {}", String::from_utf8_lossy(body)));
            return false;
        }
        let answered = Instant::now();
        let new = Signup {
            address: changed_address(i),
            sent,
            answered,
        };
        let old = Signup {
            address: self.sessions[i].0.clone(),
            sent,
            answered,
        };
        self.accepted.push((new, old));
        true
    }
}

/// Logs in each account once (unmeasured), for the email change probe.
struct SignIn {
    accounts: Arc<Vec<String>>,
    cursor: Arc<AtomicUsize>,
    current: Option<usize>,
    sessions: Vec<(String, String)>,
}

impl Workload for SignIn {
    fn next(&mut self) -> Option<(&'static str, Bytes)> {
        let i = self.cursor.fetch_add(1, Ordering::Relaxed);
        let email = self.accounts.get(i)?;
        self.current = Some(i);
        let body = json!({ "email": email, "password": PASSWORD }).to_string();
        Some(("/api/v1/login", body.into()))
    }
    fn answer(&mut self, _: Instant, status: u16, body: &[u8]) -> bool {
        let Some(i) = self.current.take() else {
            return false;
        };
        let access = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
            v.get("access_token")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        match (status, access) {
            (200, Some(token)) => {
                self.sessions.push((self.accounts[i].clone(), token));
                true
            }
            _ => false,
        }
    }
}

fn refresh_token_of(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("refresh_token")?.as_str().map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Driving the clients

#[derive(Clone, Copy)]
struct Limits {
    /// From when every client is connected.
    duration: Duration,
    max: u64,
    /// Request n (over all clients) is sent no earlier than `start + n * every`.
    pace: Option<Duration>,
}

impl Limits {
    fn timed(args: &Args) -> Self {
        Self {
            duration: Duration::from_secs_f64(args.seconds),
            max: args.max_requests,
            pace: None,
        }
    }
}

#[derive(Default)]
struct Stats {
    ok: u64,
    errors: u64,
    latencies_us: Vec<u32>,
    /// (ms from the start of the phase, latency µs) of each answer, for `--timeline`.
    timeline: Vec<(u32, u32)>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
    last_error: Option<String>,
    elapsed: Duration,
    /// Expected answers per server (with `--servers`), in the order of the servers.
    by_server: Vec<u64>,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.latencies_us.extend(other.latencies_us);
        self.timeline.extend(other.timeline);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.transport_errors += other.transport_errors;
        if self.by_server.len() < other.by_server.len() {
            self.by_server.resize(other.by_server.len(), 0);
        }
        for (mine, theirs) in self.by_server.iter_mut().zip(other.by_server) {
            *mine += theirs;
        }
        if other.last_error.is_some() {
            self.last_error = other.last_error;
        }
    }
}

/// Client `i` talks to server `i % addrs.len()`.
async fn drive<W: Workload>(
    addrs: &[SocketAddr],
    workloads: Vec<W>,
    limits: Limits,
) -> (Vec<W>, Stats) {
    let issued = Arc::new(AtomicU64::new(0));
    // Every client connects first; the clock starts when all are connected, as with any
    // keep-alive client that is already up when the load comes.
    let connected = Arc::new(Barrier::new(workloads.len() + 1));
    let (go, start) = watch::channel(None::<Instant>);
    let tasks: Vec<_> = workloads
        .into_iter()
        .enumerate()
        .map(|(i, mut w)| {
            let issued = Arc::clone(&issued);
            let connected = Arc::clone(&connected);
            let mut start = start.clone();
            let target = i % addrs.len();
            let addr = addrs[target];
            let servers = addrs.len();
            tokio::spawn(async move {
                let mut http = Http::new(addr);
                let mut stats = Stats {
                    by_server: vec![0; servers],
                    ..Stats::default()
                };
                // A failed connect is retried, and counted, by the first request.
                let _ = http.connected().await;
                connected.wait().await;
                let start = match start.wait_for(Option::is_some).await {
                    Ok(at) => at.unwrap_or_else(Instant::now),
                    Err(_) => Instant::now(),
                };
                let deadline = start + limits.duration;
                loop {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let n = issued.fetch_add(1, Ordering::Relaxed);
                    if n >= limits.max {
                        break;
                    }
                    if let Some(every) = limits.pace {
                        let at = start + every.saturating_mul(n.min(u64::from(u32::MAX)) as u32);
                        tokio::time::sleep_until(at.into()).await;
                    }
                    let Some((path, body)) = w.next() else {
                        break;
                    };
                    let sent = Instant::now();
                    let request = http.send(w.method(), path, body, w.bearer());
                    match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
                        Ok(Ok((status, body))) => {
                            let latency = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
                            let at = sent.duration_since(start).as_millis().min(u32::MAX as u128);
                            stats.latencies_us.push(latency);
                            stats.timeline.push((at as u32, latency));
                            *stats.statuses.entry(status).or_default() += 1;
                            if w.answer(sent, status, &body) {
                                stats.ok += 1;
                                stats.by_server[target] += 1;
                            } else {
                                stats.errors += 1;
                            }
                        }
                        Ok(Err(e)) => {
                            w.answer(sent, 0, &[]);
                            stats.errors += 1;
                            stats.transport_errors += 1;
                            stats.last_error = Some(e);
                            http.reset();
                        }
                        Err(_) => {
                            w.answer(sent, 0, &[]);
                            stats.errors += 1;
                            stats.transport_errors += 1;
                            stats.last_error = Some("timed out".into());
                            http.reset();
                        }
                    }
                }
                (w, stats)
            })
        })
        .collect();
    connected.wait().await;
    let started = Instant::now();
    let _ = go.send(Some(started));
    let mut workloads = Vec::with_capacity(tasks.len());
    let mut total = Stats::default();
    for task in tasks {
        match task.await {
            Ok((w, stats)) => {
                workloads.push(w);
                total.merge(stats);
            }
            Err(e) => total.last_error = Some(format!("client task failed: {e}")),
        }
    }
    total.elapsed = started.elapsed();
    (workloads, total)
}

/// One keep-alive HTTP/1 connection, reopened after an error.
struct Http {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Http {
    fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    fn reset(&mut self) {
        self.sender = None;
    }

    async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Connects now if not connected.
    async fn connected(&mut self) -> Result<(), String> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(Self::connect(self.addr).await?);
        }
        Ok(())
    }

    async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<(u16, Bytes), String> {
        self.send(method, path, body, None).await
    }

    /// A request with `Authorization: Bearer` when a token is given.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
        bearer: Option<&str>,
    ) -> Result<(u16, Bytes), String> {
        let sender = match &mut self.sender {
            Some(s) if !s.is_closed() => s,
            _ => self.sender.insert(Self::connect(self.addr).await?),
        };
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, "127.0.0.1")
            .header(CONTENT_TYPE, "application/json");
        if let Some(token) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        let result = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result.map_err(|e| e.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// The bare hash loop

/// The bare Argon2id loop: hashes per second, and this process's CPU milliseconds per hash
/// (a measure that does not drift with what else runs on the machine).
#[derive(Default, Clone, Copy)]
struct Bare {
    per_second: f64,
    cpu_ms: f64,
}

/// Argon2id hashes with the server's default parameters, one thread per core.
async fn bare_hash_loop(seconds: f64) -> Bare {
    let cpu = Cpu::of_self();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let params = Params::new(19_456, 2, 1, None).expect("the default parameters");
                let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                let mut n = 0u64;
                // Bounded by time, and by count in case the clock misbehaves.
                while Instant::now() < deadline && n < 1_000_000 {
                    let hash = argon2
                        .hash_password(PASSWORD.as_bytes())
                        .map(|h| h.to_string())
                        .expect("hashing");
                    std::hint::black_box(hash);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total = tokio::task::spawn_blocking(move || {
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(0))
            .sum::<u64>()
    })
    .await
    .unwrap_or(0);
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_ms = cpu.finish().client_ms;
    Bare {
        per_second: total as f64 / elapsed,
        cpu_ms: cpu_ms / total.max(1) as f64,
    }
}

// ---------------------------------------------------------------------------------------------
// The server process

struct Server {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(
        binary: &str,
        smtp_port: u16,
        webhook: Option<&str>,
        token_alg: Option<&str>,
        postgres: Option<&PgDatabase>,
    ) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
        // A free loopback port: bound and released; the server binds it a moment later.
        let addr = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?;
        let log = File::create(dir.path().join("server.log")).map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command.arg("serve").current_dir(dir.path());
        for (name, _) in std::env::vars() {
            if name.starts_with("LATCHKEY_") {
                command.env_remove(name);
            }
        }
        match postgres {
            Some(db) => command
                .env("LATCHKEY_DATABASE_URL", &db.url)
                .env("LATCHKEY_SECRET", &db.secret),
            None => command.env(
                "LATCHKEY_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("latchkey.db").display()),
            ),
        };
        command
            .env("LATCHKEY_LISTEN", addr.to_string())
            // One public URL for every server, as a deployment behind one name has: it is the
            // access tokens' issuer, so a token from one server is good on the others.
            .env("LATCHKEY_PUBLIC_URL", PUBLIC_URL)
            .env("LATCHKEY_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("LATCHKEY_RATE_LIMIT", "off")
            // Every client is on loopback: one address, however many connections.
            .env("LATCHKEY_HTTP_CONNECTIONS_PER_IP", "0")
            .env("LATCHKEY_METRICS_LISTEN", "off")
            .env("LATCHKEY_MAIL_COOLDOWN", "0s");
        if let Some(alg) = token_alg {
            command.env("LATCHKEY_ACCESS_TOKEN_ALG", alg);
        }
        if let Some(url) = webhook {
            command.env("LATCHKEY_WEBHOOK_URL", url).env(
                "LATCHKEY_WEBHOOK_SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            );
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {binary}: {e}"))?;
        Ok(Self {
            pid: child.id(),
            child,
            addr,
            dir,
        })
    }

    async fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut http = Http::new(self.addr);
        while Instant::now() < deadline {
            if let Ok((200, _)) = http.request(Method::GET, "/readyz", Bytes::new()).await {
                return Ok(());
            }
            http.reset();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "the server did not become ready; its log:\n{}",
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        ))
    }

    /// The SQLite database file and its WAL, in bytes.
    fn database_bytes(&self) -> u64 {
        ["latchkey.db", "latchkey.db-wal"]
            .iter()
            .filter_map(|name| std::fs::metadata(self.dir.path().join(name)).ok())
            .map(|m| m.len())
            .sum()
    }

    fn peak_rss_kb(&self) -> Option<u64> {
        Some(rss_kb(self.pid).1).filter(|&kb| kb > 0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM for a graceful stop, then SIGKILL if it lingers.
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The run's own PostgreSQL database, made with the `--database-url` role and dropped after.
struct PgDatabase {
    admin: String,
    name: String,
    /// The admin URL with the run's database in place of its own.
    url: String,
    /// `LATCHKEY_SECRET` of the servers (PostgreSQL requires one; all servers share it).
    secret: String,
}

impl PgDatabase {
    async fn create(admin: &str) -> Result<Self, String> {
        use base64::Engine as _;
        use sqlx::Connection as _;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!("latchkey_bench_{}_{now}", std::process::id());
        let mut url = url::Url::parse(admin).map_err(|e| format!("--database-url: {e}"))?;
        url.set_path(&name);
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", redacted(admin)))?;
        // The name is ours (digits and underscores): nothing to inject.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("cannot create database {name}: {e}"))?;
        let _ = conn.close().await;
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))
            .map_err(|e| format!("random bytes: {e}"))?;
        progress(format_args!("created PostgreSQL database {name}"));
        Ok(Self {
            admin: admin.to_owned(),
            name,
            url: url.to_string(),
            secret: base64::engine::general_purpose::STANDARD.encode(key),
        })
    }

    async fn drop_database(self) {
        use sqlx::Connection as _;
        let dropped = async {
            let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
            // FORCE (PostgreSQL 13+): a server that did not stop in time still holds sessions.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await?;
            conn.close().await
        }
        .await;
        match dropped {
            Ok(()) => progress(format_args!("dropped PostgreSQL database {}", self.name)),
            Err(e) => progress(format_args!(
                "could not drop PostgreSQL database {}: {e}",
                self.name
            )),
        }
    }
}

/// A URL without its password, for messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(the URL)".to_owned(),
    }
}

/// (VmRSS, VmHWM) of a process in kB; zeros if unreadable.
fn rss_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The processes whose CPU a phase counts: the servers and, on PostgreSQL, the database's.
#[derive(Clone, Default)]
struct Watched {
    servers: Vec<u32>,
    /// The run's PostgreSQL database: its backends are counted, with the cluster's writers.
    database: Option<String>,
}

impl Watched {
    fn server_ticks(&self) -> u64 {
        self.servers.iter().map(|p| cpu_ticks(&p.to_string())).sum()
    }

    fn switches(&self) -> u64 {
        self.servers.iter().map(|&p| context_switches(p)).sum()
    }

    /// utime + stime of this run's PostgreSQL processes, per pid (a backend that started
    /// during a phase counts from 0).
    fn postgres_ticks(&self) -> HashMap<u32, u64> {
        let Some(name) = &self.database else {
            return HashMap::new();
        };
        let mine = format!(" {name} ");
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return HashMap::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                // A backend's title: "postgres: USER DATABASE HOST(PORT) STATE".
                let title = std::fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                    .unwrap_or_default();
                title.starts_with("postgres: ")
                    && (title.contains(&mine)
                        || ["walwriter", "checkpointer", "background writer"]
                            .iter()
                            .any(|w| title.trim_end().ends_with(w)))
            })
            .map(|pid| (pid, cpu_ticks(&pid.to_string())))
            .collect()
    }
}

/// CPU time of the servers, the database, this process and the whole machine over a phase.
struct Cpu {
    watched: Watched,
    server: u64,
    postgres: HashMap<u32, u64>,
    client: u64,
    machine: u64,
    switches: u64,
    /// `perf record` of the (first) server over this phase (`--perf PHASE`).
    perf: Option<Child>,
}

impl Cpu {
    fn start(watched: &Watched) -> Self {
        Self {
            watched: watched.clone(),
            server: watched.server_ticks(),
            postgres: watched.postgres_ticks(),
            client: cpu_ticks("self"),
            machine: machine_busy_ticks(),
            switches: watched.switches(),
            perf: None,
        }
    }

    /// This process alone (the bare hash loop).
    fn of_self() -> Self {
        Self::start(&Watched::default())
    }

    /// With `--perf PHASE` naming this phase, samples the server with `perf record` meanwhile.
    fn profiled(mut self, args: &Args, phase: &str) -> Self {
        if args.perf.as_deref() != Some(phase) {
            return self;
        }
        let out =
            std::env::temp_dir().join(format!("latchkey-{}.perf.data", phase.replace('/', "-")));
        match Command::new("perf")
            .args(["record", "-F", "999", "-g", "-o"])
            .arg(&out)
            .args(["-p", &self.watched.servers[0].to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => {
                progress(format_args!(
                    "perf record of {phase} into {}",
                    out.display()
                ));
                self.perf = Some(child);
                // Let perf attach before the phase starts.
                std::thread::sleep(Duration::from_millis(500));
                self = Self {
                    perf: self.perf.take(),
                    ..Self::start(&self.watched)
                };
            }
            Err(e) => progress(format_args!("cannot run perf: {e}")),
        }
        self
    }

    /// What was used since `start`.
    fn finish(mut self) -> Used {
        if let Some(mut perf) = self.perf.take() {
            let _ = Command::new("kill")
                .args(["-INT", &perf.id().to_string()])
                .status();
            let _ = perf.wait();
        }
        let per_tick = 1000.0 / clock_ticks_per_second();
        let server = self.watched.server_ticks().saturating_sub(self.server);
        let postgres: u64 = self
            .watched
            .postgres_ticks()
            .into_iter()
            .map(|(pid, now)| now.saturating_sub(self.postgres.get(&pid).copied().unwrap_or(0)))
            .sum();
        let client = cpu_ticks("self").saturating_sub(self.client);
        let machine = machine_busy_ticks().saturating_sub(self.machine);
        Used {
            server_ms: server as f64 * per_tick,
            postgres_ms: postgres as f64 * per_tick,
            client_ms: client as f64 * per_tick,
            others_ms: machine.saturating_sub(server + postgres + client) as f64 * per_tick,
            switches: self.watched.switches().saturating_sub(self.switches),
        }
    }
}

/// Busy time of all cores (user, nice, system, irq, softirq, steal) from `/proc/stat`, in
/// clock ticks.
fn machine_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let fields: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum()
}

#[derive(Clone, Copy)]
struct Used {
    server_ms: f64,
    /// This run's PostgreSQL processes (0 on SQLite).
    postgres_ms: f64,
    client_ms: f64,
    /// Every other process on the machine (other builds and tests on a shared machine).
    others_ms: f64,
    /// Context switches of the server's threads (those alive at the end; a diagnostic: each
    /// round trip between a request and a database worker thread costs some).
    switches: u64,
}

/// Voluntary and involuntary context switches summed over a process's live threads.
fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("voluntary_ctxt_switches:")
                        .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                })
                .collect::<Vec<_>>()
        })
        .sum()
}

/// utime + stime of a process, in clock ticks.
/// Waits (at most 5 s) until the servers spend no CPU for 200 ms: work left over from an
/// unmeasured setup must not be counted in the phase after it.
async fn settle(watched: &Watched) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut before = watched.server_ticks();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = watched.server_ticks();
        if now == before {
            return;
        }
        before = now;
    }
}

fn cpu_ticks(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command name, which is in parentheses: state is field 3, utime 14, stime 15.
    let rest = stat.rfind(')').map_or("", |i| &stat[i + 1..]);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

// ---------------------------------------------------------------------------------------------
// The SMTP sink: enough of RFC 5321 for lettre; keeps each message's recipients, arrival time
// and raw text (parsed only after the measured phases).

struct Mail {
    to: Vec<String>,
    arrived: Instant,
    /// Empty when the sink keeps `links` instead (the soak: hours of raw mail would not fit).
    raw: String,
    /// (page, token) of each link with a token, read on arrival in soak mode.
    links: Vec<(String, String)>,
}

/// A webhook receiver that reads each request and answers 204 only after `delay`, one
/// connection per request: the slowest well-behaved receiver the worker may meet.
async fn slow_webhook_receiver(delay: Duration) -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("webhook receiver: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut read = 0;
                // Head and body: the body is small; read until the client waits for us.
                while let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf[read..]))
                        .await
                {
                    if n == 0 || read + n >= buf.len() {
                        break;
                    }
                    read += n;
                }
                tokio::time::sleep(delay).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    Ok(format!("http://{addr}/hooks"))
}

struct Sink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
}

impl Sink {
    /// `links_only`: read each mail's links on arrival and drop its text.
    async fn start(links_only: bool) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("SMTP sink: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let sink = Self {
            port,
            mails: Arc::default(),
            arrived: Arc::new(Notify::new()),
        };
        let (mails, arrived) = (Arc::clone(&sink.mails), Arc::clone(&sink.arrived));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (mails, arrived) = (Arc::clone(&mails), Arc::clone(&arrived));
                tokio::spawn(async move {
                    let _ = smtp_session(stream, mails, arrived, links_only).await;
                });
            }
        });
        Ok(sink)
    }

    fn count(&self) -> usize {
        self.mails.lock().map_or(0, |m| m.len())
    }

    /// Waits until `n` messages have arrived in all.
    async fn wait_for(&self, n: usize) -> Result<(), String> {
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        loop {
            let notified = self.arrived.notified();
            let have = self.count();
            if have >= n {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "only {have} of {n} emails arrived within {DRAIN_TIMEOUT:?}"
                ));
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
    }

    /// The token of the first mail since the `mark`-th to `to` with a link to `page`, and when
    /// that mail arrived; `None` if none came within `timeout`. Only in `links_only` mode.
    async fn wait_link(
        &self,
        to: &str,
        page: &str,
        mark: usize,
        timeout: Duration,
    ) -> Option<(String, Instant)> {
        let to = to.to_lowercase();
        let deadline = Instant::now() + timeout;
        let mut from = mark;
        loop {
            let notified = self.arrived.notified();
            if let Ok(mails) = self.mails.lock() {
                let found = mails.iter().skip(from).find_map(|mail| {
                    if !mail.to.contains(&to) {
                        return None;
                    }
                    mail.links
                        .iter()
                        .find(|(p, _)| p == page)
                        .map(|(_, token)| (token.clone(), mail.arrived))
                });
                if found.is_some() {
                    return found;
                }
                from = from.max(mails.len());
            }
            if Instant::now() >= deadline {
                return None;
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
    }

    /// First arrival time per recipient.
    fn arrivals(&self) -> HashMap<String, Instant> {
        let mut out = HashMap::new();
        if let Ok(mails) = self.mails.lock() {
            for mail in mails.iter() {
                for to in &mail.to {
                    out.entry(to.to_lowercase()).or_insert(mail.arrived);
                }
            }
        }
        out
    }

    /// First arrival per recipient of a mail with a link to `page` (`reset-password`, ...).
    fn arrivals_with_link_to(&self, page: &str) -> HashMap<String, Instant> {
        let mut out = HashMap::new();
        if let Ok(mails) = self.mails.lock() {
            for mail in mails.iter() {
                if !links_of(&mail.raw).iter().any(|(p, _)| p == page) {
                    continue;
                }
                for to in &mail.to {
                    out.entry(to.to_lowercase()).or_insert(mail.arrived);
                }
            }
        }
        out
    }

    /// The verification token of the newest email to each recipient.
    fn verification_tokens(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        if let Ok(mails) = self.mails.lock() {
            for mail in mails.iter() {
                if let Some(token) = verification_token(&mail.raw) {
                    for to in &mail.to {
                        out.insert(to.to_lowercase(), token.clone());
                    }
                }
            }
        }
        out
    }
}

fn verification_token(raw: &str) -> Option<String> {
    const MARK: &str = "/verify-email?token=";
    let text = mailparse::parse_mail(raw.as_bytes())
        .ok()
        .and_then(|m| plain_text(&m))
        .unwrap_or_else(|| raw.to_owned());
    let at = text.find(MARK)? + MARK.len();
    let token: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (token.len() == 43).then_some(token)
}

/// (page, token) of every `{base}/PAGE?token=T` link in a mail's plain-text part.
fn links_of(raw: &str) -> Vec<(String, String)> {
    const MARK: &str = "?token=";
    let text = mailparse::parse_mail(raw.as_bytes())
        .ok()
        .and_then(|m| plain_text(&m))
        .unwrap_or_else(|| raw.to_owned());
    let mut links = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(MARK) {
        let page: String = rest[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let after = &rest[at + MARK.len()..];
        let token: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        links.push((page, token));
        rest = after;
    }
    links
}

fn plain_text(part: &mailparse::ParsedMail<'_>) -> Option<String> {
    if part.ctype.mimetype == "text/plain" {
        return part.get_body().ok();
    }
    part.subparts.iter().find_map(plain_text)
}

async fn smtp_session(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
    links_only: bool,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 load.sink ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    // Bounded: a session ends with its connection; lettre's pool closes idle ones.
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-load.sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 load.sink\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address_of(line.trim_end()));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut raw = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                raw.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            let arrived_at = Instant::now();
            let (raw, links) = if links_only {
                (String::new(), links_of(&raw))
            } else {
                (raw, Vec::new())
            };
            let mail = Mail {
                to: std::mem::take(&mut to),
                arrived: arrived_at,
                raw,
                links,
            };
            if let Ok(mut mails) = mails.lock() {
                mails.push(mail);
            }
            arrived.notify_waiters();
            b"250 OK queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

fn address_of(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Results

struct Delivery {
    count: usize,
    missing: usize,
    p50_ms: f64,
    p99_ms: f64,
}

/// From `since` a sign-up to its email arriving at the sink, matched by recipient address.
fn delivery(
    sink: &Sink,
    signups: &[Signup],
    since: impl Fn(&Signup) -> Instant,
) -> Option<Delivery> {
    delivery_of(&sink.arrivals(), signups, since)
}

/// From `since` each request to the arrival of its email in `arrivals` (by recipient).
fn delivery_of(
    arrivals: &HashMap<String, Instant>,
    signups: &[Signup],
    since: impl Fn(&Signup) -> Instant,
) -> Option<Delivery> {
    let mut latencies = Vec::new();
    let mut missing = 0;
    for signup in signups {
        match arrivals.get(&signup.address) {
            Some(at) => {
                latencies.push(at.saturating_duration_since(since(signup)).as_micros() as u32)
            }
            None => missing += 1,
        }
    }
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_unstable();
    Some(Delivery {
        count: latencies.len(),
        missing,
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
    })
}

fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    f64::from(sorted_us[rank - 1]) / 1000.0
}

struct Phase {
    name: &'static str,
    stats: Stats,
    server_cpu_ms: f64,
    postgres_cpu_ms: f64,
    client_cpu_ms: f64,
    others_cpu_ms: f64,
    switches: u64,
}

impl Phase {
    fn rps(&self) -> f64 {
        self.stats.ok as f64 / self.stats.elapsed.as_secs_f64().max(1e-9)
    }
    fn cpu_per_request(&self) -> f64 {
        self.server_cpu_ms / (self.stats.ok + self.stats.errors).max(1) as f64
    }
    fn client_cpu_per_request(&self) -> f64 {
        self.client_cpu_ms / (self.stats.ok + self.stats.errors).max(1) as f64
    }
    fn postgres_cpu_per_request(&self) -> f64 {
        self.postgres_cpu_ms / (self.stats.ok + self.stats.errors).max(1) as f64
    }
    fn others_cpu_per_request(&self) -> f64 {
        self.others_cpu_ms / (self.stats.ok + self.stats.errors).max(1) as f64
    }
}

#[derive(Default)]
struct Report {
    args: Args,
    phases: Vec<Phase>,
    bare_before_register: Bare,
    bare_before_login: Bare,
    server_pid: u32,
    /// The run is on PostgreSQL (its targets, and its CPU column).
    postgres: bool,
    delivered_saturated: Option<Delivery>,
    delivered_after_answer: Option<Delivery>,
    delivered_paced: Option<Delivery>,
    delivered_paced_after_answer: Option<Delivery>,
    /// The paced reset and email change probes, each (from the request, after the answer).
    reset_paced: Option<(Delivery, Delivery)>,
    change_new_paced: Option<(Delivery, Delivery)>,
    change_old_paced: Option<(Delivery, Delivery)>,
    peak_rss_kb: Option<u64>,
}

impl Report {
    fn add(&mut self, name: &'static str, mut stats: Stats, used: Used) {
        if self.args.timeline {
            let mut buckets = BTreeMap::<u32, (u32, u32)>::new();
            for &(at, latency) in &stats.timeline {
                let bucket = buckets.entry(at / 100).or_default();
                bucket.0 += 1;
                bucket.1 = bucket.1.max(latency);
            }
            let line: Vec<String> = buckets
                .values()
                .map(|(n, max)| format!("{n}:{:.0}", f64::from(*max) / 1000.0))
                .collect();
            progress(format_args!(
                "{name} per 100 ms (answers:slowest ms): {}",
                line.join(" ")
            ));
        }
        stats.latencies_us.sort_unstable();
        let phase = Phase {
            name,
            stats,
            server_cpu_ms: used.server_ms,
            postgres_cpu_ms: used.postgres_ms,
            client_cpu_ms: used.client_ms,
            others_cpu_ms: used.others_ms,
            switches: used.switches,
        };
        let (rss, peak) = rss_kb(self.server_pid);
        progress(format_args!(
            "{name}: {} ok, {} errors in {:.2} s: {:.0} req/s{}, p50 {:.2} ms, p99 {:.2} ms, server {:.3} ms CPU/req, PostgreSQL {:.3}, rest of the machine {:.3}, {:.1} context switches/req, RSS {:.1} MiB (peak {:.1} MiB), statuses {:?}{}",
            phase.stats.ok,
            phase.stats.errors,
            phase.stats.elapsed.as_secs_f64(),
            phase.rps(),
            if phase.stats.by_server.len() > 1 {
                format!(" (answers per server {:?})", phase.stats.by_server)
            } else {
                String::new()
            },
            percentile_ms(&phase.stats.latencies_us, 0.5),
            percentile_ms(&phase.stats.latencies_us, 0.99),
            phase.cpu_per_request(),
            phase.postgres_cpu_per_request(),
            phase.others_cpu_per_request(),
            phase.switches as f64 / (phase.stats.ok + phase.stats.errors).max(1) as f64,
            rss as f64 / 1024.0,
            peak as f64 / 1024.0,
            phase.stats.statuses,
            phase
                .stats
                .last_error
                .as_ref()
                .map(|e| format!(", last error: {e}"))
                .unwrap_or_default(),
        ));
        self.phases.push(phase);
    }

    fn bare_progress(&self, bare: Bare) {
        progress(format_args!(
            "bare Argon2id loop: {:.1} hashes/s, {:.2} ms CPU per hash",
            bare.per_second, bare.cpu_ms
        ));
    }

    fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }

    fn print(&self) {
        let a = &self.args;
        println!();
        println!(
            "## Latchkey load: {}, {} server process{}, {} clients, {} s phases, {} cores, {} MiB memory",
            if self.postgres {
                "PostgreSQL"
            } else {
                "SQLite"
            },
            a.servers,
            if a.servers == 1 { "" } else { "es" },
            a.clients,
            a.seconds,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            mem_total_mb()
        );
        println!();
        println!(
            "| endpoint | requests ok | errors | req/s | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | client CPU ms/req | rest of machine CPU ms/req | target | met |"
        );
        println!(
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
        );
        for p in &self.phases {
            let (target, met) = self.target(p);
            println!(
                "| `{}` | {} | {} | {:.0} | {:.2} | {:.2} | {:.3} | {} | {:.3} | {:.3} | {} | {} |",
                p.name,
                p.stats.ok,
                p.stats.errors,
                p.rps(),
                percentile_ms(&p.stats.latencies_us, 0.5),
                percentile_ms(&p.stats.latencies_us, 0.99),
                p.cpu_per_request(),
                if self.postgres {
                    format!("{:.3}", p.postgres_cpu_per_request())
                } else {
                    "-".to_owned()
                },
                p.client_cpu_per_request(),
                p.others_cpu_per_request(),
                target,
                yes_no(met),
            );
        }
        println!();
        println!("| measure | value | target | met |");
        println!("| --- | --- | --- | --- |");
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for (label, bare) in [
            ("register", self.bare_before_register),
            ("login", self.bare_before_login),
        ] {
            println!(
                "| bare Argon2id loop (m=19456,t=2,p=1; {threads} threads), just before `{label}` | {:.1} hashes/s, {:.2} ms CPU per hash | | |",
                bare.per_second, bare.cpu_ms
            );
            if let Some(p) = self.phase(label) {
                let ratio = p.rps() / bare.per_second.max(1e-9);
                println!(
                    "| `{label}` throughput / bare loop | {:.1} / {:.1} = {:.0}% | ≥ {:.0}% | {} |",
                    p.rps(),
                    bare.per_second,
                    ratio * 100.0,
                    TARGET_HASH_RATIO * 100.0,
                    yes_no(ratio >= TARGET_HASH_RATIO)
                );
                println!(
                    "| `{label}` CPU efficiency: bare CPU per hash / server CPU per request | {:.2} / {:.2} ms = {:.0}% | (drift-free view of the same) | |",
                    bare.cpu_ms,
                    p.cpu_per_request(),
                    bare.cpu_ms / p.cpu_per_request().max(1e-9) * 100.0
                );
            }
        }
        if let Some(d) = &self.delivered_saturated {
            println!(
                "| sign-up → email delivered, during `register` ({} clients): p50 / p99 | {:.1} / {:.1} ms ({} emails{}) | p99 < {TARGET_DELIVERED_P99_MS:.0} ms | {} |",
                a.clients,
                d.p50_ms,
                d.p99_ms,
                d.count,
                missing(d.missing),
                yes_no(d.p99_ms < TARGET_DELIVERED_P99_MS)
            );
        }
        if let Some(d) = &self.delivered_after_answer {
            println!(
                "| … of which after the 202 answer: p50 / p99 | {:.1} / {:.1} ms | | |",
                d.p50_ms, d.p99_ms
            );
        }
        if let Some(d) = &self.delivered_paced {
            println!(
                "| sign-up → email delivered, paced ({} sign-ups at {}/s): p50 / p99 | {:.1} / {:.1} ms ({} emails{}) | p99 < {TARGET_DELIVERED_P99_MS:.0} ms | {} |",
                a.probe,
                a.probe_rate,
                d.p50_ms,
                d.p99_ms,
                d.count,
                missing(d.missing),
                yes_no(d.p99_ms < TARGET_DELIVERED_P99_MS)
            );
        }
        if let Some(d) = &self.delivered_paced_after_answer {
            println!(
                "| … of which after the 202 answer: p50 / p99 | {:.1} / {:.1} ms | | |",
                d.p50_ms, d.p99_ms
            );
        }
        let probes = [
            ("password reset request → reset email", &self.reset_paced),
            (
                "email change → confirmation to the new address",
                &self.change_new_paced,
            ),
            (
                "email change → confirmation to the old address",
                &self.change_old_paced,
            ),
        ];
        for (what, delivered) in probes {
            if let Some((d, after)) = delivered {
                println!(
                    "| {what}, paced ({} requests at {}/s): p50 / p99 | {:.1} / {:.1} ms ({} emails{}) | p99 < {TARGET_DELIVERED_P99_MS:.0} ms | {} |",
                    a.probe,
                    a.probe_rate,
                    d.p50_ms,
                    d.p99_ms,
                    d.count,
                    missing(d.missing),
                    yes_no(d.p99_ms < TARGET_DELIVERED_P99_MS)
                );
                println!(
                    "| … of which after the 202 answer: p50 / p99 | {:.1} / {:.1} ms | | |",
                    after.p50_ms, after.p99_ms
                );
            }
        }
        match self.peak_rss_kb {
            Some(kb) => {
                let mb = kb as f64 / 1024.0;
                println!(
                    "| server peak RSS (VmHWM) | {mb:.1} MiB | < {TARGET_RSS_MIB:.0} MiB | {} |",
                    yes_no(mb < TARGET_RSS_MIB)
                );
            }
            None => {
                println!("| server peak RSS (VmHWM) | unknown | < {TARGET_RSS_MIB:.0} MiB | ? |")
            }
        }
    }

    fn target(&self, p: &Phase) -> (String, bool) {
        match p.name {
            "email/verify" | "token/refresh" | "me" => {
                let t = if self.postgres {
                    TARGET_FAST_POSTGRES
                } else {
                    TARGET_FAST_SQLITE
                };
                let p99 = percentile_ms(&p.stats.latencies_us, 0.99);
                (
                    format!(
                        "≤ {} ms server CPU, ≥ {:.0} req/s, p99 < {:.0} ms",
                        t.cpu_ms, t.rps, t.p99_ms
                    ),
                    p.cpu_per_request() <= t.cpu_ms
                        && p.rps() >= t.rps
                        && p99 < t.p99_ms
                        && p.stats.errors == 0,
                )
            }
            "register" | "login" => {
                let bare = if p.name == "register" {
                    self.bare_before_register.per_second
                } else {
                    self.bare_before_login.per_second
                };
                (
                    format!(
                        "≥ {:.0}% of bare loop ({bare:.1}/s)",
                        TARGET_HASH_RATIO * 100.0
                    ),
                    p.rps() >= TARGET_HASH_RATIO * bare && p.stats.errors == 0,
                )
            }
            "login/mfa (TOTP)" => (
                format!("≤ {TARGET_MFA_STEP_CPU_MS} ms server CPU (issue 18)"),
                p.cpu_per_request() <= TARGET_MFA_STEP_CPU_MS && p.stats.errors == 0,
            ),
            _ => (String::new(), true),
        }
    }
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

fn missing(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(", {n} never arrived")
    }
}

fn mem_total_mb() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
