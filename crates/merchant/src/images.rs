//! Where a product image is: an http(s) URL (recorded, never fetched) or a file inside the feed's
//! folder. A local path is accepted only when it stays inside that folder after normalisation
//! and after following symlinks, and when the file decodes as an image.

use std::path::{Component, Path, PathBuf};

use glint_media::{load_image, DecodeLimits};

/// A product image that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageRef {
    Url,
    /// The canonical path of a decodable image inside the feed folder.
    Local(PathBuf),
}

/// Whether `s` is an absolute http(s) URL with a host, no credentials and no blanks.
pub(crate) fn is_http_url(s: &str) -> bool {
    // Parsed by the WHATWG rules browsers use, so Glint and the shopper's browser agree on
    // where a link goes. Credentials are refused: in `https://shop.example@evil.example/` the
    // host a reader sees first is not the one the browser opens.
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    // WHATWG forgives `https:example.com` and `https:///a.jpg` (a host after extra slashes);
    // a feed's link is written out in full or refused.
    if !s
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with(['/', '\\']))
    {
        return false;
    }
    match url::Url::parse(s) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty())
                && u.username().is_empty()
                && u.password().is_none()
        }
        Err(_) => false,
    }
}

/// Checks one image reference. `feed_dir` is the canonical folder of the feed, or `None` when
/// the feed came without its images (a bare upload), where only URLs can work.
pub(crate) fn check(source: &str, feed_dir: Option<&Path>, limits: DecodeLimits) -> Result<ImageRef, String> {
    if is_http_url(source) {
        return Ok(ImageRef::Url);
    }
    if source.contains("://") {
        return Err("only http(s) URLs or paths relative to the feed are accepted".into());
    }
    let dir =
        feed_dir.ok_or("a local image path needs a ZIP upload that contains the images (or use an http(s) URL)")?;
    let relative = lexical_relative(source)?;
    let joined = dir.join(&relative);
    let real = match joined.canonicalize() {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(format!("image file {source} not found")),
        Err(e) => return Err(format!("cannot read image {source}: {e}")),
    };
    // A symlink may point anywhere; only the resolved path counts.
    if !real.starts_with(dir) {
        return Err(format!("image {source} resolves outside the feed folder"));
    }
    if !real.is_file() {
        return Err(format!("image {source} is not a file"));
    }
    load_image(&real, limits).map_err(|e| format!("not a decodable image: {e}"))?;
    Ok(ImageRef::Local(real))
}

/// `source` as a normalised relative path, or why it is refused (absolute, or climbing out of
/// the feed folder with `..`).
fn lexical_relative(source: &str) -> Result<PathBuf, String> {
    // Backslashes are separators in feeds written on Windows; a drive letter is absolute there.
    let unified = source.replace('\\', "/");
    let bytes = unified.as_bytes();
    if unified.starts_with('/') || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic()) {
        return Err(format!(
            "image path {source} is absolute; paths must be relative to the feed"
        ));
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in Path::new(&unified).components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(format!("image path {source} escapes the feed folder"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "image path {source} is absolute; paths must be relative to the feed"
                ))
            }
        }
    }
    if parts.is_empty() {
        return Err("empty image path".into());
    }
    Ok(parts.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised() {
        assert!(is_http_url("https://example.com/a.jpg"));
        assert!(is_http_url("HTTP://example.com"));
        assert!(!is_http_url("https:///a.jpg"));
        assert!(!is_http_url("ftp://example.com/a.jpg"));
        assert!(!is_http_url("https://exa mple.com"));
        assert!(!is_http_url("javascript:alert(1)"));
    }

    /// Issue 17: a link whose visible "host" is a user name.
    #[test]
    fn issue17_urls_with_credentials_are_refused() {
        assert!(!is_http_url("https://shop@evil.example"));
        assert!(!is_http_url("https://shop.example:pw@evil.example/p1"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://exa mple.com"));
        assert!(is_http_url("https://shop.example:8443/p?id=1#top"));
        assert!(is_http_url("http://[::1]/a.jpg"));
    }

    #[test]
    fn paths_that_leave_the_folder_are_refused() {
        for bad in [
            "/etc/passwd",
            "../../etc/passwd",
            "a/../../b.jpg",
            "C:\\x.jpg",
            "..\\x.jpg",
        ] {
            assert!(lexical_relative(bad).is_err(), "{bad}");
        }
        assert_eq!(lexical_relative("./a/../b/c.jpg").unwrap(), PathBuf::from("b/c.jpg"));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_folder_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        let feed = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.jpg"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.jpg"), feed.path().join("link.jpg")).unwrap();
        let dir = feed.path().canonicalize().unwrap();
        let err = check("link.jpg", Some(&dir), DecodeLimits::default()).unwrap_err();
        assert!(err.contains("outside"), "{err}");
        assert!(check("none.jpg", Some(&dir), DecodeLimits::default())
            .unwrap_err()
            .contains("not found"));
        std::fs::write(dir.join("text.jpg"), b"hello").unwrap();
        assert!(check("text.jpg", Some(&dir), DecodeLimits::default())
            .unwrap_err()
            .contains("decodable"));
        assert!(check("text.jpg", None, DecodeLimits::default())
            .unwrap_err()
            .contains("ZIP"));
    }
}
