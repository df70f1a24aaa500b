//! SQLite's connections, held here rather than in sqlx pools.
//!
//! A sqlx pool pings every connection given back to it (a spawned task and a round trip to
//! the connection's thread) before it hands the connection out again: with one writer, that
//! ping sat between every two writes, and it was a large part of a read's cost. A SQLite
//! connection is a file handle of this process: it cannot go stale the way a network
//! connection does, and its commands run in order on its own thread, so a statement abandoned
//! half-way (by a client that went away) cannot mix into the next user's. What a connection
//! can carry from one user to the next is an open transaction, and the writer tracks that
//! itself (`Connection::in_transaction`).
//!
//! Checkpoints (copying the WAL back into the database file, with an fsync of each) run in a
//! task of their own on a reader, not on the writer: SQLite's automatic checkpoint runs inside
//! the `COMMIT` that crosses its threshold, so every write of this process waited behind its
//! fsyncs, which made most of the slowest answers under load.

use std::{
    ops::{Deref, DerefMut},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sqlx::{Connection as _, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// How long a request waits for a connection before it answers 503 `busy`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the checkpointer looks for writes to copy back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// One connection, `None` once closed.
type Slot = Arc<Mutex<Option<Connection>>>;

/// The single writer and a few readers of one database file.
pub(super) struct Sqlite {
    /// The writer's options (a failed writer is replaced with a connection like it).
    options: SqliteConnectOptions,
    writer: Slot,
    readers: Readers,
    /// Times the writer was taken, for the checkpointer to tell whether there was a write.
    writes: Arc<AtomicU64>,
}

#[derive(Clone)]
struct Readers {
    slots: Vec<Slot>,
    /// A permit per reader not in use: one taken, a reader is free.
    free: Arc<Semaphore>,
}

/// A connection, and (on the writer) whether a transaction may be open on it: set before
/// `BEGIN` is sent and cleared once `COMMIT` or `ROLLBACK` is done, so that a transaction
/// abandoned at any point (an error, a cancelled request, a failed `COMMIT`) is rolled back
/// before anyone else writes.
pub(super) struct Connection {
    conn: SqliteConnection,
    in_transaction: bool,
}

/// The writer, held: nobody else in this process writes until it is dropped.
pub(super) struct WriterGuard {
    writer: OwnedMappedMutexGuard<Option<Connection>, Connection>,
    slot: Slot,
    writes: Arc<AtomicU64>,
}

/// A reader, held. Dropped, it is free again (its field first, then the permit).
pub(super) struct ReaderGuard {
    reader: OwnedMappedMutexGuard<Option<Connection>, Connection>,
    _free: OwnedSemaphorePermit,
}

/// Connections in use, idle and at most, for `/metrics`.
pub(super) struct Counts {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

impl Sqlite {
    /// Opens the writer and `readers` readers. Within a Tokio runtime (every command and the
    /// server) the writer does not checkpoint: a task does, on a reader, until `close`.
    pub(super) async fn open(
        options: SqliteConnectOptions,
        readers: usize,
    ) -> Result<Self, sqlx::Error> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let writer_options = match runtime {
            Some(_) => options.clone().pragma("wal_autocheckpoint", "0"),
            None => options.clone(),
        };
        let writer = open_slot(&writer_options).await?;
        let mut slots = Vec::with_capacity(readers);
        for _ in 0..readers {
            slots.push(open_slot(&options).await?);
        }
        let readers = Readers {
            free: Arc::new(Semaphore::new(slots.len())),
            slots,
        };
        let writes = Arc::new(AtomicU64::new(0));
        if let Some(runtime) = runtime {
            runtime.spawn(checkpoints(readers.clone(), Arc::clone(&writes)));
        }
        Ok(Self {
            writer,
            readers,
            writes,
            options: writer_options,
        })
    }

    /// The writer, with no transaction open on it.
    pub(super) async fn writer(&self) -> Result<WriterGuard, sqlx::Error> {
        let guard = tokio::time::timeout(ACQUIRE_TIMEOUT, Arc::clone(&self.writer).lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        let mut writer = OwnedMutexGuard::try_map(guard, |slot| slot.as_mut())
            .map_err(|_| sqlx::Error::PoolClosed)?;
        if writer.in_transaction {
            // Left open by an earlier holder whose rollback has not run yet.
            match sqlx::query("ROLLBACK").execute(&mut writer.conn).await {
                Ok(_) => {}
                // SQLite rolled it back itself (as after a failed COMMIT).
                Err(e) if no_transaction(&e) => {}
                Err(e) => {
                    // A connection that cannot leave its transaction would write nothing from
                    // now on: replace it.
                    tracing::warn!(error = %e, "replacing the database writer connection after a failed rollback");
                    let fresh = SqliteConnection::connect_with(&self.options).await?;
                    let stale = std::mem::replace(&mut writer.conn, fresh);
                    let _ = stale.close().await;
                }
            }
            writer.in_transaction = false;
        }
        Ok(WriterGuard {
            writer,
            slot: Arc::clone(&self.writer),
            writes: Arc::clone(&self.writes),
        })
    }

    /// The writer in a `BEGIN IMMEDIATE` transaction: the write lock is taken at once, never
    /// upgraded later (an upgrade can fail with `SQLITE_BUSY` however long it waits).
    pub(super) async fn begin(&self) -> Result<WriterGuard, sqlx::Error> {
        let mut held = self.writer().await?;
        let writer = &mut *held.writer;
        writer.in_transaction = true;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut writer.conn)
            .await?;
        Ok(held)
    }

    /// Applies `migrator`'s migrations, on a connection of their own. (Not the writer: sqlx's
    /// migrator takes a pool or a connection borrowed for any lifetime, and a future borrowing
    /// the writer's guard could then not be shown to be `Send`.)
    pub(super) async fn migrate(
        &self,
        migrator: &sqlx::migrate::Migrator,
    ) -> Result<(), sqlx::migrate::MigrateError> {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(self.options.clone())
            .await?;
        let applied = migrator.run(&pool).await;
        pool.close().await;
        applied
    }

    /// A free reader, waiting for one if all are in use.
    pub(super) async fn reader(&self) -> Result<ReaderGuard, sqlx::Error> {
        self.readers.take().await
    }

    pub(super) fn counts(&self) -> Counts {
        let max = self.readers.slots.len() as u32 + 1;
        let readers_free = self.readers.free.available_permits() as u32;
        let writer_free = u32::from(self.writer.try_lock().is_ok());
        Counts {
            in_use: max - readers_free - writer_free,
            idle: readers_free + writer_free,
            max,
        }
    }

    /// Closes every connection (waiting for those in use); later requests for one fail.
    pub(super) async fn close(&self) {
        self.readers.free.close();
        let slots: Vec<Slot> = (self.readers.slots.iter())
            .chain([&self.writer])
            .cloned()
            .collect();
        for slot in slots {
            let taken = slot.lock().await.take();
            if let Some(connection) = taken {
                let _ = connection.conn.close().await;
            }
        }
    }
}

async fn open_slot(options: &SqliteConnectOptions) -> Result<Slot, sqlx::Error> {
    let conn = SqliteConnection::connect_with(options).await?;
    Ok(Arc::new(Mutex::new(Some(Connection {
        conn,
        in_transaction: false,
    }))))
}

impl Readers {
    async fn take(&self) -> Result<ReaderGuard, sqlx::Error> {
        let free = tokio::time::timeout(ACQUIRE_TIMEOUT, Arc::clone(&self.free).acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        // The permit promises a reader that nobody holds; it is one of these.
        let guard = (self.slots.iter())
            .find_map(|slot| Arc::clone(slot).try_lock_owned().ok())
            .ok_or(sqlx::Error::PoolTimedOut)?;
        let reader = OwnedMutexGuard::try_map(guard, |slot| slot.as_mut())
            .map_err(|_| sqlx::Error::PoolClosed)?;
        Ok(ReaderGuard {
            reader,
            _free: free,
        })
    }
}

/// Copies the WAL back into the database file, soon after writes, until the readers close.
/// PASSIVE: it waits for no reader or writer, and copies what no reader still needs.
async fn checkpoints(readers: Readers, writes: Arc<AtomicU64>) {
    let mut seen = 0;
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if readers.free.is_closed() {
            return;
        }
        let now = writes.load(Ordering::Relaxed);
        if now == seen {
            continue;
        }
        let Ok(mut reader) = readers.take().await else {
            return;
        };
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut *reader)
            .await
        {
            Ok(_) => seen = now,
            Err(e) => tracing::warn!(error = %e, "cannot checkpoint the database's WAL"),
        }
    }
}

/// SQLite's answer to a `ROLLBACK` with no transaction open.
fn no_transaction(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.message().contains("no transaction is active"))
}

impl WriterGuard {
    /// Commits the open transaction.
    pub(super) async fn commit(mut self) -> Result<(), sqlx::Error> {
        sqlx::query("COMMIT").execute(&mut self.writer.conn).await?;
        self.writer.in_transaction = false;
        Ok(())
    }
}

impl Deref for WriterGuard {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.writer.conn
    }
}

impl DerefMut for WriterGuard {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.writer.conn
    }
}

impl Drop for WriterGuard {
    /// A transaction dropped uncommitted is rolled back at once, by a task that takes the
    /// writer again (whoever takes it first rolls back), so that other processes do not wait on
    /// its lock until this process writes again.
    fn drop(&mut self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        if !self.writer.in_transaction {
            return;
        }
        let slot = Arc::clone(&self.slot);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut guard = slot.lock().await;
                if let Some(writer) = guard.as_mut()
                    && writer.in_transaction
                {
                    match sqlx::query("ROLLBACK").execute(&mut writer.conn).await {
                        Err(e) if !no_transaction(&e) => {
                            // Left for the next holder, which replaces the connection.
                            tracing::warn!(error = %e, "cannot roll back a database transaction");
                        }
                        _ => writer.in_transaction = false,
                    }
                }
            });
        }
    }
}

impl Deref for ReaderGuard {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.reader.conn
    }
}

impl DerefMut for ReaderGuard {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.reader.conn
    }
}
