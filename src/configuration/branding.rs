//! The branding settings (contract §12): the accent colour, the logo and an extra stylesheet.
//! Files are read once here, so an unreadable one stops the start naming its setting.

use std::path::{Path, PathBuf};

use url::Url;

use super::InvalidValue;

/// Larger logos and stylesheets are mistakes (a photo, the wrong file), not branding.
const MAX_FILE: u64 = 1024 * 1024;

/// `LATCHKEY_BRAND_COLOR`, `LATCHKEY_LOGO_URL`, `LATCHKEY_PAGES_CSS`.
#[derive(Debug, Clone, Default)]
pub struct Branding {
    /// `#rrggbb`, lower case.
    pub color: Option<String>,
    pub logo: Option<Logo>,
    /// The extra stylesheet's text, added after the built-in one.
    pub pages_css: Option<String>,
}

/// A logo from another site (an image only) or a file Latchkey serves.
#[derive(Debug, Clone)]
pub enum Logo {
    Url(Url),
    File {
        bytes: Vec<u8>,
        content_type: &'static str,
        extension: &'static str,
    },
}

impl Logo {
    /// Where pages find the logo: the URL, or `/assets/logo-HASH.EXT` for a file (a new file
    /// gets a new path, so it may be cached for long).
    pub fn src(&self) -> String {
        match self {
            Self::Url(url) => url.to_string(),
            Self::File {
                bytes, extension, ..
            } => format!("/assets/logo-{}.{extension}", short_hash(bytes)),
        }
    }
}

/// Twelve hex digits of SHA-256: the content part of an asset's path.
pub fn short_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn parse_color(s: &str) -> Result<String, InvalidValue> {
    let t = s.trim();
    match t.strip_prefix('#') {
        Some(hex) if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
            Ok(t.to_ascii_lowercase())
        }
        _ => Err(InvalidValue::expected("a colour like #1f4fd1", s)),
    }
}

/// An `https://` URL, or else a path to an image file.
pub(super) fn parse_logo(s: &str) -> Result<Logo, InvalidValue> {
    let t = s.trim();
    if t.contains("://") || t.starts_with("//") || t.starts_with("http:") {
        let url = Url::parse(t).map_err(|source| InvalidValue::Url {
            value: t.to_owned(),
            source,
        })?;
        if url.scheme() != "https" || url.host_str().is_none() {
            return Err(InvalidValue::expected(
                "an https:// URL or an image file",
                s,
            ));
        }
        return Ok(Logo::Url(url));
    }
    let path = Path::new(t);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let (content_type, extension) = match ext.as_deref() {
        Some("png") => ("image/png", "png"),
        Some("svg") => ("image/svg+xml", "svg"),
        Some("jpg" | "jpeg") => ("image/jpeg", "jpg"),
        Some("gif") => ("image/gif", "gif"),
        Some("webp") => ("image/webp", "webp"),
        _ => {
            return Err(InvalidValue::expected(
                "an https:// URL or a .png, .svg, .jpg, .gif or .webp file",
                s,
            ));
        }
    };
    Ok(Logo::File {
        bytes: read(path)?,
        content_type,
        extension,
    })
}

pub(super) fn parse_pages_css(s: &str) -> Result<String, InvalidValue> {
    let path = PathBuf::from(s.trim());
    String::from_utf8(read(&path)?)
        .map_err(|_| InvalidValue::expected("a UTF-8 stylesheet file", s))
}

fn read(path: &Path) -> Result<Vec<u8>, InvalidValue> {
    let err = |source| InvalidValue::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(err)?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return Err(InvalidValue::expected(
            "a file of at most 1 MiB",
            &path.to_string_lossy(),
        ));
    }
    std::fs::read(path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(parse_color(" #A1B2c3 ").ok().as_deref(), Some("#a1b2c3"));
        for bad in ["red", "#fff", "#12345g", "1f4fd1", "#1f4fd1;x", ""] {
            assert!(parse_color(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_logo_url_must_be_https() {
        assert!(matches!(
            parse_logo("https://cdn.example.com/l.png"),
            Ok(Logo::Url(_))
        ));
        for bad in [
            "http://cdn.example.com/l.png",
            "javascript://x",
            "https://",
            "ftp://x/y.png",
        ] {
            assert!(parse_logo(bad).is_err(), "{bad}");
        }
        assert!(parse_logo("/nowhere/logo.png").is_err());
        assert!(parse_logo("/etc/hostname").is_err());
    }
}
