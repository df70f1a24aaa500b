//! A PostgreSQL cluster of a test's own (initdb + pg_ctl from /usr/lib/postgresql/*/bin) in a
//! temporary directory on a random port: a test may stop and start it without disturbing the
//! shared server the other tests use. As root the PostgreSQL programs run as the `postgres`
//! user (they refuse to run as root), in a directory that user owns.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Command, Output},
};

/// The superuser of a private cluster (trust authentication on loopback and its socket).
pub const USER: &str = "latchkey";

pub struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The newest installed PostgreSQL's program directory that has initdb and pg_ctl.
pub fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn describe(what: &str, out: std::io::Result<Output>) -> Result<(), String> {
    match out {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{what}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

impl PrivateCluster {
    /// initdb into a new temporary directory and start the cluster; an error says why not
    /// (for example: no PostgreSQL programs, see [`binaries`]).
    pub fn start_new() -> Result<Self, String> {
        let bin = binaries().ok_or("no /usr/lib/postgresql/*/bin with initdb and pg_ctl")?;
        let dir = tempfile::Builder::new()
            .prefix("latchkey-pg-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let as_postgres = is_root();
        if as_postgres {
            describe(
                "chown postgres",
                Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(dir.path())
                    .output(),
            )?;
        }
        let cluster = Self {
            dir,
            bin,
            port: free_port(),
            as_postgres,
        };
        let data = cluster.data();
        describe(
            "initdb",
            cluster
                .program("initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ])
                .output(),
        )?;
        cluster.start()?;
        Ok(cluster)
    }

    /// [`Self::start_new`] for a test that needs one: `None` after saying on standard error
    /// that `what` was skipped; under `CI=true` a failure instead.
    pub fn start_or_skip(what: &str) -> Option<Self> {
        match Self::start_new() {
            Ok(cluster) => Some(cluster),
            Err(e) => {
                let message = format!(
                    "{what} needs a PostgreSQL cluster of its own (Debian: apt-get install \
                     postgresql): {e}"
                );
                assert!(!super::under_ci(), "{message}; with CI=true it must run");
                eprintln!("SKIPPED: {message}");
                None
            }
        }
    }

    /// A command for one of the cluster's programs, run as `postgres` when we are root.
    fn program(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// Starts the cluster (again) and waits until it accepts connections.
    pub fn start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        describe(
            "pg_ctl start",
            self.program("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.dir.path().join("postgres.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"])
                .output(),
        )
        .map_err(|e| format!("{e}\n{}", self.log()))
    }

    /// Stops the cluster: `fast` ends every session at once (as a server going down does).
    pub fn stop(&self) -> Result<(), String> {
        self.stop_with("fast")
    }

    fn stop_with(&self, mode: &str) -> Result<(), String> {
        describe(
            "pg_ctl stop",
            self.program("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-w", "-t", "60", "-m", mode, "stop"])
                .output(),
        )
    }

    /// The URL of `database` for the cluster's superuser.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{USER}:{USER}@127.0.0.1:{}/{database}",
            self.port
        )
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.stop_with("immediate");
    }
}
