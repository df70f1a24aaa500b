//! Unique indexes a request can run into, told apart by name where the statement runs (the
//! realworld-axum-sqlx `on_constraint` pattern): each call site says which index means what
//! for it, and any other violation stays an internal error.

use crate::error::Error;

/// A unique index, by the name both engines' migrations give it.
pub(crate) struct UniqueIndex {
    /// PostgreSQL reports the index's name with the violation.
    name: &'static str,
    /// SQLite reports no name, only the indexed columns, as `table.column`: for the indexes
    /// here those are as unique as the name.
    sqlite_columns: &'static str,
}

/// One account per normalized address.
pub(crate) const USERS_EMAIL_NORM: UniqueIndex = UniqueIndex {
    name: "users_email_norm",
    sqlite_columns: "users.email_norm",
};

/// At most one pending email change per account.
pub(crate) const EMAIL_CHANGES_ONE_PENDING: UniqueIndex = UniqueIndex {
    name: "email_changes_one_pending",
    sqlite_columns: "email_changes.user_id",
};

impl UniqueIndex {
    pub(crate) fn violated_by(&self, e: &sqlx::Error) -> bool {
        let sqlx::Error::Database(db) = e else {
            return false;
        };
        if !db.is_unique_violation() {
            return false;
        }
        match db.constraint() {
            Some(name) => name == self.name,
            None if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => db
                .message()
                .rsplit_once(": ")
                .is_some_and(|(_, columns)| columns == self.sqlite_columns),
            None => false,
        }
    }
}

/// `result.on_unique(&INDEX, || Error::X)`: the violation of that index becomes `X`; every
/// other database error goes through `From<sqlx::Error>`.
pub(crate) trait OnUnique<T> {
    fn on_unique(
        self,
        index: &UniqueIndex,
        to: impl FnOnce(sqlx::Error) -> Error,
    ) -> Result<T, Error>;
}

impl<T> OnUnique<T> for Result<T, sqlx::Error> {
    fn on_unique(
        self,
        index: &UniqueIndex,
        to: impl FnOnce(sqlx::Error) -> Error,
    ) -> Result<T, Error> {
        self.map_err(|e| {
            if index.violated_by(&e) {
                to(e)
            } else {
                e.into()
            }
        })
    }
}
