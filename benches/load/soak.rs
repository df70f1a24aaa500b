//! `--soak MINUTES`: every flow, mixed, for a bounded time, to see that the server's resident
//! memory, open file descriptors and database size per account stay flat and that no request
//! fails.
//!
//! Each client walks one account through its whole life, again and again: sign-up and
//! verification (the link read from the SMTP sink), log-in, refresh, `GET`/`PATCH /me`, password
//! change, forgot and reset, email change confirmed from both addresses, the sessions list,
//! revert, logout, and (every other account) deletion; the kept accounts make the database grow
//! the way a real one does. Once a minute it prints the server's `VmRSS`, its open descriptors,
//! the database file plus WAL (and per live account), and the requests done and failed. Any
//! failed request or email that never came makes the run exit non-zero.

use super::*;

/// Longest wait for one email to reach the sink.
const MAIL_TIMEOUT: Duration = Duration::from_secs(60);
const PASSWORDS: [&str; 3] = [
    "soak password one 7f3a",
    "soak password two 9c1e",
    "soak password three 4b2d",
];
/// Failures printed as they happen (all are counted).
const FAILURES_SHOWN: u64 = 20;
/// Clients when `--clients` is not given: enough to keep both cores busy with hashes without
/// the queue of a saturation run.
pub const DEFAULT_CLIENTS: usize = 8;

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    failed: AtomicU64,
    journeys: AtomicU64,
    /// Verified accounts not deleted.
    live_accounts: AtomicU64,
    /// Per step: (ok, failed).
    steps: Mutex<BTreeMap<&'static str, (u64, u64)>>,
    /// Per page an email links to: µs from the answer of the request that caused the email to
    /// its arrival at the sink.
    mail_latency_us: Mutex<BTreeMap<&'static str, Vec<u32>>>,
}

impl Counters {
    fn count(&self, step: &'static str, ok: bool) {
        if ok {
            self.ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut steps) = self.steps.lock() {
            let entry = steps.entry(step).or_default();
            if ok {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
}

pub async fn run(args: &Args, minutes: u64) -> Result<(), String> {
    let sink = Arc::new(Sink::start(true).await?);
    let binary = args
        .server
        .clone()
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_latchkey").to_owned());
    let server = Server::start(&binary, sink.port, None, args.token_alg.as_deref(), None)?;
    server.wait_ready().await?;
    let clients = args.soak_clients.unwrap_or(DEFAULT_CLIENTS);
    progress(format_args!(
        "soak: server pid {} on {}, {clients} clients, {minutes} min",
        server.pid, server.addr
    ));
    let counters = Arc::new(Counters::default());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(minutes * 60);

    println!();
    println!(
        "## Latchkey soak: {clients} clients, {minutes} min, {} cores, {} MiB memory",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        mem_total_mb()
    );
    println!();
    println!(
        "| minute | requests | failed | journeys | live accounts | emails | RSS MiB | peak RSS MiB | open fds | database + WAL MiB | KiB per live account |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    sample("0", &server, &counters, &sink);

    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let mut client = Client {
                id: c,
                http: Http::new(server.addr),
                sink: Arc::clone(&sink),
                counters: Arc::clone(&counters),
            };
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    n += 1;
                    if client.journey(n).await.is_ok() {
                        client.counters.journeys.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let mut minute = 0;
    let mut next = start + Duration::from_secs(60);
    while next <= deadline {
        tokio::time::sleep_until(next.into()).await;
        minute += 1;
        sample(&minute.to_string(), &server, &counters, &sink);
        next += Duration::from_secs(60);
    }
    for task in tasks {
        task.await
            .map_err(|e| format!("a soak client failed: {e}"))?;
    }
    // The journeys running at the deadline have finished; one more line with their totals.
    progress(format_args!(
        "soak: all clients done {:.0} s after the start",
        start.elapsed().as_secs_f64()
    ));
    sample("end", &server, &counters, &sink);
    println!();
    println!("| step | ok | failed |");
    println!("| --- | ---: | ---: |");
    if let Ok(steps) = counters.steps.lock() {
        for (step, (ok, failed)) in steps.iter() {
            println!("| {step} | {ok} | {failed} |");
        }
    }
    println!();
    println!("| email (by the page it links to), after the answer | emails | p50 | p99 |");
    println!("| --- | ---: | ---: | ---: |");
    if let Ok(mut latencies) = counters.mail_latency_us.lock() {
        for (page, us) in latencies.iter_mut() {
            us.sort_unstable();
            println!(
                "| {page} | {} | {:.1} ms | {:.1} ms |",
                us.len(),
                percentile_ms(us, 0.5),
                percentile_ms(us, 0.99)
            );
        }
    }
    let failed = counters.failed.load(Ordering::Relaxed);
    drop(server);
    if failed > 0 {
        return Err(format!("{failed} requests or emails failed"));
    }
    Ok(())
}

fn sample(minute: &str, server: &Server, counters: &Counters, sink: &Sink) {
    let (rss, peak) = rss_kb(server.pid);
    let fds =
        std::fs::read_dir(format!("/proc/{}/fd", server.pid)).map_or(0, |entries| entries.count());
    let db = server.database_bytes();
    let live = counters.live_accounts.load(Ordering::Relaxed);
    let per_account = if live == 0 {
        "".to_owned()
    } else {
        format!("{:.1}", db as f64 / 1024.0 / live as f64)
    };
    println!(
        "| {minute} | {} | {} | {} | {live} | {} | {:.1} | {:.1} | {fds} | {:.2} | {per_account} |",
        counters.ok.load(Ordering::Relaxed) + counters.failed.load(Ordering::Relaxed),
        counters.failed.load(Ordering::Relaxed),
        counters.journeys.load(Ordering::Relaxed),
        sink.count(),
        rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        db as f64 / 1024.0 / 1024.0,
    );
}

/// A step that went wrong; the journey stops there (its later steps depend on it).
struct Failed;

struct Client {
    id: usize,
    http: Http,
    sink: Arc<Sink>,
    counters: Arc<Counters>,
}

impl Client {
    /// One request; `Failed` unless it answered `expected`.
    async fn call(
        &mut self,
        step: &'static str,
        method: Method,
        path: &str,
        body: Option<Value>,
        bearer: Option<&str>,
        expected: u16,
    ) -> Result<Value, Failed> {
        let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let result =
            tokio::time::timeout(REQUEST_TIMEOUT, self.http.send(method, path, body, bearer))
                .await
                .unwrap_or_else(|_| Err("timed out".into()));
        match result {
            Ok((status, body)) if status == expected => {
                self.counters.count(step, true);
                Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
            }
            Ok((status, body)) => {
                self.fail(
                    step,
                    format_args!("{status} {}", String::from_utf8_lossy(&body)),
                );
                Err(Failed)
            }
            Err(e) => {
                self.http.reset();
                self.fail(step, format_args!("{e}"));
                Err(Failed)
            }
        }
    }

    fn fail(&self, step: &'static str, what: std::fmt::Arguments<'_>) {
        self.counters.count(step, false);
        if self.counters.failed.load(Ordering::Relaxed) <= FAILURES_SHOWN {
            progress(format_args!(
                "soak: client {}: {step} failed: {what}",
                self.id
            ));
        }
    }

    /// The token of the first email to `to` since `mark` with a link to `page`; how long after
    /// `answered` it arrived is counted.
    async fn link(
        &self,
        to: &str,
        page: &'static str,
        mark: usize,
        answered: Instant,
    ) -> Result<String, Failed> {
        match self.sink.wait_link(to, page, mark, MAIL_TIMEOUT).await {
            Some((token, arrived)) => {
                let us = arrived.saturating_duration_since(answered).as_micros();
                if let Ok(mut latencies) = self.counters.mail_latency_us.lock() {
                    latencies
                        .entry(page)
                        .or_default()
                        .push(u32::try_from(us).unwrap_or(u32::MAX));
                }
                Ok(token)
            }
            None => {
                self.fail(
                    page,
                    format_args!("no email to {to} with a {page} link within {MAIL_TIMEOUT:?}"),
                );
                Err(Failed)
            }
        }
    }

    async fn tokens(&mut self, email: &str, password: &str) -> Result<(String, String), Failed> {
        let v = self
            .call(
                "POST /login",
                Method::POST,
                "/api/v1/login",
                Some(json!({"email": email, "password": password})),
                None,
                200,
            )
            .await?;
        Ok((
            str_field(&v, "access_token"),
            str_field(&v, "refresh_token"),
        ))
    }

    async fn journey(&mut self, n: u64) -> Result<(), Failed> {
        use Method as M;
        let old = format!("soak{}-{n}@soak.example.com", self.id);
        let new = format!("soak{}-{n}-new@soak.example.com", self.id);
        let [p1, p2, p3] = PASSWORDS;

        let mark = self.sink.count();
        let register = json!({"email": old, "password": p1, "name": "Soak"});
        self.call(
            "POST /register",
            M::POST,
            "/api/v1/register",
            Some(register),
            None,
            202,
        )
        .await?;
        let answered = Instant::now();
        let token = self.link(&old, "verify-email", mark, answered).await?;
        let verify = json!({"token": token});
        self.call(
            "POST /email/verify",
            M::POST,
            "/api/v1/email/verify",
            Some(verify),
            None,
            200,
        )
        .await?;
        self.counters.live_accounts.fetch_add(1, Ordering::Relaxed);

        let (_, refresh) = self.tokens(&old, p1).await?;
        let v = self
            .call(
                "POST /token/refresh",
                M::POST,
                "/api/v1/token/refresh",
                Some(json!({"refresh_token": refresh})),
                None,
                200,
            )
            .await?;
        let access = str_field(&v, "access_token");
        let at = Some(access.as_str());
        self.call("GET /me", M::GET, "/api/v1/me", None, at, 200)
            .await?;
        let name = json!({"name": format!("Soak {n}")});
        self.call("PATCH /me", M::PATCH, "/api/v1/me", Some(name), at, 200)
            .await?;
        let change = json!({"current_password": p1, "new_password": p2});
        self.call(
            "POST /me/password",
            M::POST,
            "/api/v1/me/password",
            Some(change),
            at,
            200,
        )
        .await?;

        let mark = self.sink.count();
        let forgot = json!({"email": old});
        self.call(
            "POST /password/forgot",
            M::POST,
            "/api/v1/password/forgot",
            Some(forgot),
            None,
            202,
        )
        .await?;
        let answered = Instant::now();
        let token = self.link(&old, "reset-password", mark, answered).await?;
        let reset = json!({"token": token, "new_password": p3});
        self.call(
            "POST /password/reset",
            M::POST,
            "/api/v1/password/reset",
            Some(reset),
            None,
            200,
        )
        .await?;
        // A reset revokes every session, and with it their access tokens at once.
        self.call("GET /me (revoked)", M::GET, "/api/v1/me", None, at, 401)
            .await?;

        let (access, _) = self.tokens(&old, p3).await?;
        let at = Some(access.as_str());
        let mark = self.sink.count();
        let request = json!({"password": p3, "new_email": new});
        self.call(
            "POST /me/email",
            M::POST,
            "/api/v1/me/email",
            Some(request),
            at,
            202,
        )
        .await?;
        let answered = Instant::now();
        let confirm_new = self
            .link(&new, "confirm-email-change", mark, answered)
            .await?;
        let confirm_old = self
            .link(&old, "confirm-email-change", mark, answered)
            .await?;
        let path = "/api/v1/email/change/confirm";
        let step = "POST /email/change/confirm";
        self.call(
            step,
            M::POST,
            path,
            Some(json!({"token": confirm_new})),
            None,
            200,
        )
        .await?;
        let mark = self.sink.count();
        let v = self
            .call(
                step,
                M::POST,
                path,
                Some(json!({"token": confirm_old})),
                None,
                200,
            )
            .await?;
        if v.get("email").and_then(Value::as_str) != Some(new.as_str()) {
            self.fail(step, format_args!("the change did not apply: {v}"));
            return Err(Failed);
        }
        let revert = self
            .link(&old, "revert-email-change", mark, Instant::now())
            .await?;
        self.call(
            "GET /me/sessions",
            M::GET,
            "/api/v1/me/sessions",
            None,
            at,
            200,
        )
        .await?;
        let revert = json!({"token": revert});
        self.call(
            "POST /email/change/revert",
            M::POST,
            "/api/v1/email/change/revert",
            Some(revert),
            None,
            200,
        )
        .await?;

        let (access, refresh) = self.tokens(&old, p3).await?;
        let logout = json!({"refresh_token": refresh});
        self.call(
            "POST /logout",
            M::POST,
            "/api/v1/logout",
            Some(logout),
            None,
            204,
        )
        .await?;
        self.call(
            "GET /me (logged out)",
            M::GET,
            "/api/v1/me",
            None,
            Some(&access),
            401,
        )
        .await?;
        if n % 2 == 1 {
            let (access, _) = self.tokens(&old, p3).await?;
            let delete = json!({"password": p3});
            self.call(
                "DELETE /me",
                M::DELETE,
                "/api/v1/me",
                Some(delete),
                Some(&access),
                204,
            )
            .await?;
            self.counters.live_accounts.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
