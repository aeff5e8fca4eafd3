//! Copying a library between backends without re-ingesting (`glint migrate`).
//!
//! Every media is rebuilt from what the source catalog holds (shots, tracks, sightings and each
//! track's vectors in every space) and committed to the target with [`Store::add_media`], so the
//! target indexes exactly the vectors the source searched. Media the target already holds (same
//! content hash) are left alone, which makes an interrupted copy resumable. The files
//! (thumbnails, proxies, keypoints) are copied when the two libraries use different folders.
//! At the end every source media is checked on the target: same tracks, same vectors.
//!
//! Then what is not media, so that nothing a library promised is lost on the way:
//! - **API tokens**, as their SHA-256 hashes with name, scopes and times, so the secrets handed
//!   out keep working (and revoked ones stay revoked); a token whose hash the target holds is
//!   skipped;
//! - **face-search opt-outs** with their face vectors, time and note. One the target holds
//!   already (same time, note and faces) is skipped, any other is added: an opt-out lost on the
//!   way would make an opted-out person searchable again;
//! - the **face-search audit log**, every entry with its time, oldest first, when the target's
//!   log is empty or the start of the source's (an interrupted copy); a target with a log of its
//!   own keeps it as it is;
//! - the **merchant catalog** (stores, products, their images and offers with their times), in
//!   one transaction, when the target has no stores and no products.
//!
//! Each kind is then checked on the target: every source token's hash and every source opt-out
//! must be there, and at least as many log entries, stores and products as the source has.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use glint_catalog::{Catalog, NewMedia, NewTrack};

use crate::{Store, StoreError};

/// How many items of one kind a copy wrote, and how many it left alone because the target held
/// them (or, for the kinds copied as a whole, held some of its own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    pub copied: usize,
    pub present: usize,
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Media written to the target.
    pub copied: usize,
    /// Media the target held already.
    pub present: usize,
    /// Tracks and vectors of every source media, as found on the target after the copy.
    pub tracks: u64,
    pub vectors: u64,
    /// API tokens (revoked ones included).
    pub tokens: Copied,
    /// Face-search opt-outs.
    pub opt_outs: Copied,
    /// Entries of the face-search audit log.
    pub log_entries: Copied,
    /// Merchant stores and products.
    pub stores: Copied,
    pub products: Copied,
}

/// A media whose copy does not match its source.
#[derive(Debug, thiserror::Error)]
#[error("media {uid}: the source has {want_tracks} tracks and {want_vectors} vectors, the target {got_tracks} and {got_vectors}")]
pub struct CopyMismatch {
    pub uid: String,
    pub want_tracks: u64,
    pub want_vectors: u64,
    pub got_tracks: u64,
    pub got_vectors: u64,
}

/// A kind of rows (tokens, opt-outs, ...) of which the target lacks some of the source's after
/// the copy, e.g. because it held a log or a merchant catalog of its own, which are not merged.
#[derive(Debug, thiserror::Error)]
#[error("{what}: the source has {want}, the target holds only {got} of them after the copy")]
pub struct CopyShortfall {
    pub what: &'static str,
    pub want: usize,
    pub got: usize,
}

/// Copies a whole library from `from` into `to`: every media (`progress(done, total)` after
/// each), then the tokens, opt-outs, audit log and merchant catalog, and checks what arrived.
pub fn copy_media(from: &Store, to: &Store, progress: &mut dyn FnMut(usize, usize)) -> Result<CopyReport, StoreError> {
    let spaces: Vec<String> = from.catalog.vector_counts()?.into_iter().map(|(s, _)| s).collect();
    let media = from.catalog.list_media()?;
    let mut report = CopyReport::default();
    for (done, m) in media.iter().enumerate() {
        if to.catalog.media_by_sha256(&m.sha256)?.is_some() {
            report.present += 1;
        } else {
            let mut tracks = Vec::new();
            for t in from.catalog.tracks(&m.id)? {
                let mut vectors = Vec::new();
                for space in &spaces {
                    for v in from.catalog.track_vectors(t.id, space)? {
                        vectors.push((space.clone(), v));
                    }
                }
                tracks.push(NewTrack {
                    kind: t.kind,
                    shot_idx: t.shot_idx,
                    score: t.score,
                    label: t.label,
                    sightings: t.sightings,
                    vectors,
                });
            }
            let new = NewMedia {
                sha256: m.sha256.clone(),
                path: m.path.clone(),
                kind: m.kind,
                width: m.width,
                height: m.height,
                duration_s: m.duration_s,
                fps: m.fps,
                frames_sampled: m.frames_sampled,
                decode_errors: m.decode_errors,
                shots: from.catalog.shots(&m.id)?,
                tracks,
                words: from.catalog.media_words(&m.id)?,
            };
            to.add_media(&new)?;
            copy_files(&from.thumbs_dir(&m.id), &to.thumbs_dir(&m.id))?;
            report.copied += 1;
        }
        progress(done + 1, media.len());
    }
    to.index.flush()?;
    for m in &media {
        let got = to.catalog.media(&m.id)?;
        let (got_tracks, got_vectors) = got.map_or((0, 0), |g| (g.tracks, g.vectors));
        if (got_tracks, got_vectors) != (m.tracks, m.vectors) {
            return Err(StoreError::Copy(CopyMismatch {
                uid: m.id.clone(),
                want_tracks: m.tracks,
                want_vectors: m.vectors,
                got_tracks,
                got_vectors,
            }));
        }
        report.tracks += got_tracks;
        report.vectors += got_vectors;
    }
    let (from, to) = (from.catalog.as_ref(), to.catalog.as_ref());
    report.tokens = copy_tokens(from, to)?;
    report.opt_outs = copy_opt_outs(from, to)?;
    report.log_entries = copy_log(from, to)?;
    (report.stores, report.products) = copy_shop(from, to)?;
    check_rest(from, to)?;
    Ok(report)
}

/// Tokens by hash: one the target holds is skipped.
fn copy_tokens(from: &dyn Catalog, to: &dyn Catalog) -> Result<Copied, StoreError> {
    let mut done = Copied::default();
    for (token, hash) in from.export_tokens()? {
        if to.import_token(&token, &hash)? {
            done.copied += 1;
        } else {
            done.present += 1;
        }
    }
    Ok(done)
}

/// What identifies an opt-out across catalogs: its time, note and faces (bit for bit).
type OptOutKey = (i64, Option<String>, Vec<Vec<u32>>);

fn opt_out_key(created_at: i64, note: Option<&str>, faces: &[Vec<f32>]) -> OptOutKey {
    let faces = faces.iter().map(|f| f.iter().map(|x| x.to_bits()).collect()).collect();
    (created_at, note.map(str::to_string), faces)
}

/// The target's opt-outs, counted by key (two identical ones are two).
fn opt_out_keys(c: &dyn Catalog) -> Result<HashMap<OptOutKey, usize>, StoreError> {
    let mut keys = HashMap::new();
    for (o, faces) in c.export_opt_outs()? {
        *keys
            .entry(opt_out_key(o.created_at, o.note.as_deref(), &faces))
            .or_default() += 1;
    }
    Ok(keys)
}

/// Opt-outs one by one: one the target holds already is skipped, so an interrupted copy resumes
/// and none is ever lost or doubled.
fn copy_opt_outs(from: &dyn Catalog, to: &dyn Catalog) -> Result<Copied, StoreError> {
    let mut there = opt_out_keys(to)?;
    let mut done = Copied::default();
    for (o, faces) in from.export_opt_outs()? {
        match there.get_mut(&opt_out_key(o.created_at, o.note.as_deref(), &faces)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                done.present += 1;
            }
            _ => {
                to.import_opt_out(o.created_at, o.note.as_deref(), &faces)?;
                done.copied += 1;
            }
        }
    }
    Ok(done)
}

/// The audit log, oldest first, into a target whose log is empty or the start of the source's
/// (what an interrupted copy leaves); a target with a log of its own keeps it untouched.
fn copy_log(from: &dyn Catalog, to: &dyn Catalog) -> Result<Copied, StoreError> {
    let mut source = from.face_search_log(usize::MAX)?;
    source.reverse();
    let mut target = to.face_search_log(usize::MAX)?;
    target.reverse();
    if !source.starts_with(&target) {
        return Ok(Copied {
            copied: 0,
            present: source.len(),
        });
    }
    for entry in &source[target.len()..] {
        to.import_face_search(entry)?;
    }
    Ok(Copied {
        copied: source.len() - target.len(),
        present: target.len(),
    })
}

/// The merchant catalog in one transaction, into a target without stores or products.
fn copy_shop(from: &dyn Catalog, to: &dyn Catalog) -> Result<(Copied, Copied), StoreError> {
    let feed = from.export_feed()?;
    let (stores, products) = (feed.stores.len(), feed.products.len());
    if !to.list_stores()?.is_empty() || !to.list_products(None)?.is_empty() {
        let present = |n| Copied { copied: 0, present: n };
        return Ok((present(stores), present(products)));
    }
    if stores == 0 && products == 0 {
        return Ok(Default::default());
    }
    let counts = to.apply_feed(&feed, false)?;
    let copied = |n: u32| Copied {
        copied: n as usize,
        present: 0,
    };
    Ok((copied(counts.stores_created), copied(counts.created)))
}

/// Checks that the target holds what the source has: every token (by hash) and opt-out (by
/// time, note and faces), every store and product (by id), and as many log entries.
fn check_rest(from: &dyn Catalog, to: &dyn Catalog) -> Result<(), StoreError> {
    let short = |what, want: usize, got: usize| -> Result<(), StoreError> {
        if got < want {
            return Err(StoreError::CopyShort(CopyShortfall { what, want, got }));
        }
        Ok(())
    };
    let hashes: HashSet<Vec<u8>> = to.export_tokens()?.into_iter().map(|(_, h)| h).collect();
    let tokens = from.export_tokens()?;
    short(
        "API tokens",
        tokens.len(),
        tokens.iter().filter(|(_, h)| hashes.contains(h)).count(),
    )?;

    let mut there = opt_out_keys(to)?;
    let opt_outs = from.export_opt_outs()?;
    let found = opt_outs
        .iter()
        .filter(
            |(o, faces)| match there.get_mut(&opt_out_key(o.created_at, o.note.as_deref(), faces)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            },
        )
        .count();
    short("face-search opt-outs", opt_outs.len(), found)?;

    short(
        "face-search audit log entries",
        from.face_search_log(usize::MAX)?.len(),
        to.face_search_log(usize::MAX)?.len(),
    )?;

    let stores: HashSet<String> = to.list_stores()?.into_iter().map(|s| s.store_id).collect();
    let want = from.list_stores()?;
    short(
        "merchant stores",
        want.len(),
        want.iter().filter(|s| stores.contains(&s.store_id)).count(),
    )?;
    let products: HashSet<(String, String)> = to
        .list_products(None)?
        .into_iter()
        .map(|p| (p.store_id, p.product_id))
        .collect();
    let want = from.list_products(None)?;
    short(
        "merchant products",
        want.len(),
        want.iter()
            .filter(|p| products.contains(&(p.store_id.clone(), p.product_id.clone())))
            .count(),
    )?;
    Ok(())
}

/// Copies a media's folder of files unless both libraries use the same one.
fn copy_files(from: &Path, to: &Path) -> Result<(), StoreError> {
    if !from.is_dir() || same_place(from, to) {
        return Ok(());
    }
    let io = |path: &Path, source: std::io::Error| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        if entry.file_type().map_err(|e| io(&entry.path(), e))?.is_file() {
            let target = to.join(entry.file_name());
            std::fs::copy(entry.path(), &target).map_err(|e| io(&target, e))?;
        }
    }
    Ok(())
}

fn same_place(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use glint_catalog::contract::feed;
    use glint_catalog::{FaceSearchLogEntry, Scope};

    use super::*;

    fn library() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    fn entry(at: i64) -> FaceSearchLogEntry {
        FaceSearchLogEntry {
            at,
            route: "person".into(),
            query_kind: "image".into(),
            results: 1,
        }
    }

    #[test]
    fn everything_but_media_is_copied_once() {
        let ((_a, from), (_b, to)) = (library(), library());
        let (_, secret) = from.catalog.create_token("ci", &[Scope::Write]).unwrap();
        let (old, old_secret) = from.catalog.create_token("old", &[Scope::Read]).unwrap();
        from.catalog.revoke_token(old.id).unwrap();
        from.catalog.add_opt_out(&[vec![1.0, 0.0]], Some("n")).unwrap();
        from.catalog
            .add_opt_out(&[vec![0.0, 1.0], vec![0.5, 0.5]], None)
            .unwrap();
        for at in [10, 20, 30] {
            from.catalog.import_face_search(&entry(at)).unwrap();
        }
        from.catalog.apply_feed(&feed(), false).unwrap();

        let report = copy_media(&from, &to, &mut |_, _| {}).unwrap();
        let copied = |n| Copied { copied: n, present: 0 };
        assert_eq!(
            (
                report.tokens,
                report.opt_outs,
                report.log_entries,
                report.stores,
                report.products
            ),
            (copied(2), copied(2), copied(3), copied(2), copied(3))
        );
        assert!(to.catalog.verify_token(&secret).unwrap().is_some());
        assert!(to.catalog.verify_token(&old_secret).unwrap().is_none());
        assert_eq!(
            to.catalog.opt_out_faces().unwrap(),
            from.catalog.opt_out_faces().unwrap()
        );
        assert_eq!(to.catalog.export_feed().unwrap(), from.catalog.export_feed().unwrap());

        let again = copy_media(&from, &to, &mut |_, _| {}).unwrap();
        let present = |n| Copied { copied: 0, present: n };
        assert_eq!(
            (
                again.tokens,
                again.opt_outs,
                again.log_entries,
                again.stores,
                again.products
            ),
            (present(2), present(2), present(3), present(2), present(3))
        );
        assert_eq!(to.catalog.list_tokens().unwrap().len(), 2);
        assert_eq!(to.catalog.list_opt_outs().unwrap().len(), 2);
        assert_eq!(to.catalog.face_search_log(usize::MAX).unwrap().len(), 3);
    }

    #[test]
    fn an_interrupted_copy_resumes_and_nothing_is_doubled() {
        let ((_a, from), (_b, to)) = (library(), library());
        from.catalog.import_opt_out(1, None, &[vec![1.0]]).unwrap();
        from.catalog.import_opt_out(2, None, &[vec![2.0]]).unwrap();
        for at in [10, 20, 30] {
            from.catalog.import_face_search(&entry(at)).unwrap();
        }
        // What a copy stopped half-way leaves: the first opt-out and the oldest log entry.
        to.catalog.import_opt_out(1, None, &[vec![1.0]]).unwrap();
        to.catalog.import_face_search(&entry(10)).unwrap();
        let report = copy_media(&from, &to, &mut |_, _| {}).unwrap();
        assert_eq!(report.opt_outs, Copied { copied: 1, present: 1 });
        assert_eq!(report.log_entries, Copied { copied: 2, present: 1 });
        assert_eq!(
            to.catalog.face_search_log(usize::MAX).unwrap(),
            from.catalog.face_search_log(usize::MAX).unwrap()
        );
        // An opt-out of the target's own stays, and the source's are added beside it.
        let (_c, other) = library();
        other.catalog.import_opt_out(9, Some("own"), &[vec![9.0]]).unwrap();
        let report = copy_media(&from, &other, &mut |_, _| {}).unwrap();
        assert_eq!(report.opt_outs, Copied { copied: 2, present: 0 });
        assert_eq!(other.catalog.list_opt_outs().unwrap().len(), 3);
    }

    #[test]
    fn a_target_with_a_catalog_of_its_own_is_not_merged_and_says_so() {
        let ((_a, from), (_b, to)) = (library(), library());
        from.catalog.apply_feed(&feed(), false).unwrap();
        let mut own = feed();
        own.stores.truncate(1);
        own.products.retain(|p| p.store_id == "a");
        to.catalog.apply_feed(&own, false).unwrap();
        let err = copy_media(&from, &to, &mut |_, _| {}).unwrap_err();
        assert!(
            matches!(&err, StoreError::CopyShort(s) if s.what == "merchant stores" && (s.want, s.got) == (2, 1)),
            "{err}"
        );
        assert_eq!(to.catalog.list_products(None).unwrap().len(), 2, "left as it was");
    }
}
