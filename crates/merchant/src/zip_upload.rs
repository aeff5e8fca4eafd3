//! Unpacking a ZIP upload (a feed plus its images) without trusting it: bounded entry count,
//! bounded total and per-entry size counted on the bytes actually inflated (the sizes in the
//! archive's directory can lie), bounded compression ratio, and entry names that must stay
//! inside the destination (no absolute paths, no `..`, no links).

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::MerchantError;

/// What a ZIP upload may hold.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    pub max_entries: usize,
    /// Sum of the inflated sizes of all entries.
    pub max_total_bytes: u64,
    /// Largest inflated / compressed size of one entry (a real image barely compresses; a bomb
    /// compresses a thousandfold).
    pub max_ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        Self {
            max_entries: 20_000,
            max_total_bytes: 512 << 20,
            max_ratio: 100,
        }
    }
}

/// Feed names looked for at the top of the archive, in this order.
const FEED_NAMES: [&str; 2] = ["feed.csv", "feed.json"];

/// Extracts `archive` into `dest` (which must exist and be empty) and returns the path of the
/// feed at its top (`feed.csv` or `feed.json`).
pub fn unpack_zip(archive: &Path, dest: &Path, limits: ZipLimits) -> Result<PathBuf, MerchantError> {
    let bad = |m: String| MerchantError::BadArchive(m);
    let file = std::fs::File::open(archive).map_err(|e| MerchantError::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    if zip.len() > limits.max_entries {
        return Err(bad(format!(
            "{} entries; at most {} are accepted",
            zip.len(),
            limits.max_entries
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = entry.name().map_err(|e| bad(e.to_string()))?.to_string();
        let relative =
            safe_name(&name).ok_or_else(|| bad(format!("entry name {name:?} is absolute or leaves the archive")))?;
        if entry.is_symlink() {
            return Err(bad(format!("entry {name:?} is a symbolic link")));
        }
        let target = dest.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| MerchantError::io(&target, e))?;
            continue;
        }
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        if declared / compressed > limits.max_ratio || total.saturating_add(declared) > limits.max_total_bytes {
            return Err(bad(format!("entry {name:?} inflates too much (a ZIP bomb?)")));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| MerchantError::io(parent, e))?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => bad(format!("entry {name:?} appears twice")),
                _ => MerchantError::io(&target, e),
            })?;
        // Counted on what really comes out: the declared size is the archive's claim only.
        let budget = (limits.max_total_bytes - total).min(compressed.saturating_mul(limits.max_ratio));
        let mut buf = vec![0u8; 64 << 10];
        let mut written = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(|e| bad(format!("entry {name:?}: {e}")))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            if written > budget {
                return Err(bad(format!("entry {name:?} inflates past the limits (a ZIP bomb?)")));
            }
            out.write_all(&buf[..n]).map_err(|e| MerchantError::io(&target, e))?;
        }
        total += written;
    }
    FEED_NAMES
        .iter()
        .map(|n| dest.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| bad("no feed.csv or feed.json at the top of the archive".into()))
}

/// The entry's path relative to the destination, or `None` when it is absolute or climbs out.
fn safe_name(name: &str) -> Option<PathBuf> {
    if name.contains('\\') || name.contains('\0') {
        return None;
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    fn archive(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut w = zip::ZipWriter::new(file.reopen().unwrap());
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        file
    }

    #[test]
    fn a_plain_archive_is_unpacked() {
        let zip = archive(&[("feed.csv", b"store_id\n"), ("images/a.jpg", b"abc")]);
        let dest = tempfile::tempdir().unwrap();
        let feed = unpack_zip(zip.path(), dest.path(), ZipLimits::default()).unwrap();
        assert_eq!(feed, dest.path().join("feed.csv"));
        assert_eq!(std::fs::read(dest.path().join("images/a.jpg")).unwrap(), b"abc");
    }

    #[test]
    fn escaping_names_bombs_and_feedless_archives_are_refused() {
        for name in ["../evil.csv", "/etc/x", "a/../../b", "a\\..\\b"] {
            let dest = tempfile::tempdir().unwrap();
            let zip = archive(&[("feed.csv", b"x"), (name, b"x")]);
            let err = unpack_zip(zip.path(), dest.path(), ZipLimits::default()).unwrap_err();
            assert!(err.to_string().contains("leaves the archive"), "{name}: {err}");
        }
        let zeros = vec![0u8; 4 << 20];
        let zip = archive(&[("feed.csv", &zeros)]);
        let dest = tempfile::tempdir().unwrap();
        let err = unpack_zip(zip.path(), dest.path(), ZipLimits::default()).unwrap_err();
        assert!(err.to_string().contains("bomb"), "{err}");
        let zip = archive(&[("other.csv", b"x")]);
        let dest = tempfile::tempdir().unwrap();
        assert!(unpack_zip(zip.path(), dest.path(), ZipLimits::default()).is_err());
    }
}
