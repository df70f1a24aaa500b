//! Listings a page at a time, for the admin API and the CLI alike: the page size a client
//! asks for, and the opaque cursor where the next page starts.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::{domain::invalid::Invalid, error::Error};

/// How many items a listing returns: 50 unless asked, at most 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub const DEFAULT: Self = Self(50);
    pub const MAX: u32 = 200;

    pub fn parse(input: Option<&str>) -> Result<Self, Error> {
        match input.map(str::trim) {
            None | Some("") => Ok(Self::DEFAULT),
            Some(s) => match s.parse::<u32>() {
                Ok(n @ 1..=Self::MAX) => Ok(Self(n)),
                _ => Err(Invalid::PageSize { max: Self::MAX }.into()),
            },
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Where the next page starts: opaque to clients (the last id of the page, base64url).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub(super) Uuid);

impl Cursor {
    pub fn parse(input: Option<&str>) -> Result<Option<Self>, Error> {
        let Some(text) = input.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|bytes| Uuid::from_slice(&bytes).ok())
            .map(|id| Some(Self(id)))
            .ok_or(Error::Invalid(Invalid::Cursor))
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

/// One page of a listing and where the next one starts (`None`: this was the last).
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// `fetched` holds up to one more than a page, which tells whether another page follows.
    pub(super) fn of(mut fetched: Vec<T>, size: PageSize, id: impl Fn(&T) -> Uuid) -> Self {
        let size = size.get() as usize;
        let next = if fetched.len() > size {
            fetched.truncate(size);
            fetched.last().map(|item| Cursor(id(item)))
        } else {
            None
        };
        Self {
            items: fetched,
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_and_cursors_parse_or_say_why() {
        assert_eq!(PageSize::parse(None).ok(), Some(PageSize::DEFAULT));
        assert_eq!(
            PageSize::parse(Some("200")).ok().map(PageSize::get),
            Some(200)
        );
        for bad in ["0", "201", "-1", "ten", "1e3"] {
            assert!(PageSize::parse(Some(bad)).is_err(), "{bad}");
        }
        let cursor = Cursor(Uuid::now_v7());
        assert_eq!(
            Cursor::parse(Some(&cursor.encode())).ok().flatten(),
            Some(cursor)
        );
        assert!(Cursor::parse(Some("!!")).is_err());
        assert!(Cursor::parse(Some("AAAA")).is_err());
    }
}
