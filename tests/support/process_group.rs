//! A program that starts programs of its own (nginx its workers, chromedriver its browsers),
//! run in a process group of its own: stopped the way it asks to be stopped, then checked to
//! have left nothing running. If a test fails before that, the whole group is killed.

use std::{
    os::unix::process::CommandExt as _,
    process::{Child, Command},
    time::{Duration, Instant},
};

pub struct ProcessGroup {
    leader: Child,
    name: String,
}

impl ProcessGroup {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(name: &str, mut command: Command) -> Self {
        let leader = command
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Self {
            leader,
            name: name.to_owned(),
        }
    }

    /// The processes of the group that still run (zombies excluded): the leader and what it
    /// started, unless they left the group.
    pub fn running(&self) -> Vec<String> {
        let group = self.leader.id().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("stat")).ok())
            .filter_map(|stat| {
                // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
                let (head, rest) = stat.rsplit_once(')')?;
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let (state, pgrp) = (*fields.first()?, *fields.get(2)?);
                (pgrp == group && state != "Z").then(|| format!("{head})"))
            })
            .collect()
    }

    /// Sends `signal` (`QUIT`, `TERM`) to the leader, then waits at most `within` until the
    /// leader has ended and no process of the group runs any more; panics naming those left.
    pub fn stop(mut self, signal: &str, within: Duration) {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.leader.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -{signal} {}", self.name);
        let deadline = Instant::now() + within;
        loop {
            let ended = matches!(self.leader.try_wait(), Ok(Some(_)));
            let left = self.running();
            if ended && left.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not stop within {within:?} of SIG{signal}; still running: {left:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if !self.running().is_empty() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.leader.id())])
                .status();
        }
        let _ = self.leader.wait();
    }
}
