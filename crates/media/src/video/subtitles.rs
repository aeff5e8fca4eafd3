//! The subtitle cues of a video file: what is said (or written) on screen, and when.
//!
//! Why: a video's subtitles are words on what was seen that cost nothing to read (issue 16):
//! ingest stores every cue as a searchable word at its time, so a text search finds the moment
//! a line is said. Text subtitle streams (SubRip, ASS/SSA, mov_text, WebVTT, ...) are decoded
//! with FFmpeg's own decoders, which hand every cue over as an ASS event; its override tags
//! (`{\i1}`, `{\pos(10,20)}`), vector drawings and line breaks are stripped to plain text here.
//! Bitmap subtitles (DVD, PGS, DVB) are pictures of text and are skipped.
//!
//! Times are in seconds from the start of the video stream, as [`crate::SampledFrame::t`] is,
//! so a cue and the frames it was shown over line up.

use std::collections::HashMap;
use std::ffi::CStr;
use std::path::Path;

use ff::codec::subtitle::Rect;
use ff::{ffi, media};
use ffmpeg_next as ff;

use super::probe::{find_stream_info, header_lists_every_stream, open_header, rational};
use crate::MediaError;

/// One subtitle cue: plain text shown from `start_s` to `end_s`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubtitleCue {
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
}

/// How long a cue whose end is not recorded is taken to last.
const UNKNOWN_CUE_S: f64 = 3.0;

/// The cues of every text subtitle stream of `path`, in time order; empty when the file has
/// none. A stream that cannot be decoded at all is an error ([`MediaError::CorruptVideo`],
/// naming the stream); single cues that fail to decode are skipped and logged.
pub fn read_subtitles(path: &Path) -> Result<Vec<SubtitleCue>, MediaError> {
    // Most videos have no subtitle stream: where the header lists every stream, that is known
    // without the stream probe, which decodes video frames (ingest reads subtitles beside
    // decoding, so the probe's ~10 ms of a 720p clip were a second decoder's work).
    let mut input = open_header(path)?;
    let has_text_stream = input.streams().any(|s| {
        let params = s.parameters();
        params.medium() == media::Type::Subtitle && is_text_subtitle(params.id())
    });
    if header_lists_every_stream(&input) && !has_text_stream {
        return Ok(Vec::new());
    }
    find_stream_info(&mut input, path)?;
    let corrupt = |reason: String| MediaError::CorruptVideo {
        path: path.to_path_buf(),
        reason,
    };
    // Times are relative to the video stream's start, like the sampled frames'.
    let origin_s = input
        .streams()
        .best(media::Type::Video)
        .filter(|s| s.start_time() != ffi::AV_NOPTS_VALUE)
        .map_or(0.0, |s| s.start_time() as f64 * rational(s.time_base()));
    struct Stream {
        decoder: ff::decoder::Subtitle,
        time_base: f64,
        codec: String,
        decoded: usize,
        failed: usize,
        last_error: Option<ff::Error>,
    }
    let mut streams: HashMap<usize, Stream> = HashMap::new();
    for stream in input.streams() {
        let params = stream.parameters();
        if params.medium() != media::Type::Subtitle {
            continue;
        }
        let codec = params.id();
        let name = codec.name().to_string();
        if !is_text_subtitle(codec) {
            tracing::debug!(path = %path.display(), stream = stream.index(), codec = %name, "bitmap subtitles skipped");
            continue;
        }
        let context = ff::codec::context::Context::from_parameters(params)
            .map_err(|e| corrupt(format!("subtitle stream {} ({name}): {e}", stream.index())))?;
        let decoder = context.decoder().subtitle().map_err(|e| {
            corrupt(format!(
                "subtitle stream {} ({name}) cannot be decoded: {e}",
                stream.index()
            ))
        })?;
        streams.insert(
            stream.index(),
            Stream {
                decoder,
                time_base: rational(stream.time_base()),
                codec: name,
                decoded: 0,
                failed: 0,
                last_error: None,
            },
        );
    }
    if streams.is_empty() {
        return Ok(Vec::new());
    }
    let mut cues = Vec::new();
    for (stream, packet) in input.packets() {
        let Some(s) = streams.get_mut(&stream.index()) else {
            continue;
        };
        let mut subtitle = ff::Subtitle::new();
        match s.decoder.decode(&packet, &mut subtitle) {
            Ok(true) => s.decoded += 1,
            Ok(false) => continue,
            Err(e) => {
                s.failed += 1;
                s.last_error = Some(e);
                continue;
            }
        }
        let text = cue_text(&subtitle);
        if text.is_empty() {
            continue;
        }
        // The decoder gives the cue's time in microseconds (`pts`) and its display span in
        // milliseconds after it; the packet's own time and duration where it does not.
        let at = match subtitle.pts() {
            Some(pts) => pts as f64 / f64::from(ffi::AV_TIME_BASE),
            None => packet.pts().map_or(0.0, |p| p as f64 * s.time_base),
        } - origin_s;
        let start_s = (at + f64::from(subtitle.start()) / 1000.0).max(0.0);
        let end_s = match subtitle.end() {
            end if end > subtitle.start() && end != u32::MAX => at + f64::from(end) / 1000.0,
            _ if packet.duration() > 0 => at + packet.duration() as f64 * s.time_base,
            _ => start_s + UNKNOWN_CUE_S,
        };
        cues.push(SubtitleCue {
            start_s,
            end_s: end_s.max(start_s),
            text,
        });
    }
    for (index, s) in &streams {
        let Some(e) = &s.last_error else {
            continue;
        };
        if s.decoded == 0 {
            return Err(corrupt(format!(
                "subtitle stream {index} ({}): none of its {} cues could be decoded ({e})",
                s.codec, s.failed
            )));
        }
        tracing::warn!(
            path = %path.display(),
            stream = index,
            codec = %s.codec,
            failed = s.failed,
            decoded = s.decoded,
            "some subtitle cues could not be decoded ({e}); they are skipped"
        );
    }
    cues.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    Ok(cues)
}

/// Whether FFmpeg describes `codec` as a text subtitle format (not a bitmap one).
fn is_text_subtitle(codec: ff::codec::Id) -> bool {
    // SAFETY: `avcodec_descriptor_get` returns null or a pointer to a static descriptor.
    let descriptor = unsafe { ffi::avcodec_descriptor_get(codec.into()) };
    if descriptor.is_null() {
        return false;
    }
    // SAFETY: checked non-null above; the descriptor is static and never freed.
    let props = i64::from(unsafe { (*descriptor).props });
    props & i64::from(ffi::AV_CODEC_PROP_TEXT_SUB) != 0
}

/// The plain text of a decoded cue: its text and ASS rectangles, markup stripped, joined by
/// spaces.
fn cue_text(subtitle: &ff::Subtitle) -> String {
    let mut parts = Vec::new();
    for rect in subtitle.rects() {
        // Read through the pointers (not `Text::get`/`Ass::get`, which assume UTF-8) and
        // replace invalid bytes rather than trust them.
        // SAFETY: `rects()` yields valid rectangles of the decoded subtitle, alive while
        // `subtitle` is; their strings are NUL-terminated or null.
        let text = unsafe {
            match &rect {
                Rect::Text(t) => c_string((*t.as_ptr()).text).map(|s| plain(&s)),
                Rect::Ass(a) => c_string((*a.as_ptr()).ass).map(|s| plain(ass_event_text(&s))),
                Rect::Bitmap(_) | Rect::None(_) => None,
            }
        };
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            parts.push(text);
        }
    }
    parts.join(" ")
}

/// # Safety
/// `ptr` is null or points to a NUL-terminated string that outlives the call.
unsafe fn c_string(ptr: *const std::ffi::c_char) -> Option<String> {
    // SAFETY: as the caller promises.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

/// The text field of an ASS event as FFmpeg's decoders write it
/// (`ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text`), or of a full
/// `Dialogue: Layer,Start,End,Style,Name,MarginL,MarginR,MarginV,Effect,Text` line.
fn ass_event_text(event: &str) -> &str {
    let (fields, event) = match event.strip_prefix("Dialogue:") {
        Some(rest) => (10, rest),
        None => (9, event),
    };
    event.splitn(fields, ',').nth(fields - 1).unwrap_or("")
}

/// Cue text without markup: ASS override blocks (`{\b1}`) and the vector drawings they switch
/// on (`{\p1}m 0 0 l 10 0{\p0}`), HTML-like tags (`<i>`), ASS line breaks (`\N`, `\n`) and hard
/// spaces (`\h`) made spaces, whitespace collapsed.
pub(crate) fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut drawing = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            let end = rest.find('}').map_or(rest.len(), |i| i + 1);
            let block = &rest[..end];
            if let Some(i) = block.find("\\p") {
                let scale = block[i + 2..].trim_start_matches(|c: char| c.is_ascii_digit());
                let digits = &block[i + 2..block.len() - scale.len()];
                if !digits.is_empty() {
                    drawing = digits.parse::<u32>().unwrap_or(0) > 0;
                }
            }
            rest = &rest[end..];
            continue;
        }
        if c == '<' {
            if let Some(end) = html_tag_len(rest) {
                rest = &rest[end..];
                continue;
            }
        }
        if c == '\\' {
            let escaped = rest[1..].chars().next();
            if matches!(escaped, Some('N' | 'n' | 'h')) {
                if !drawing {
                    out.push(' ');
                }
                rest = &rest[2..];
                continue;
            }
        }
        if !drawing {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The length of an HTML-like tag at the start of `s` (`<i>`, `</font>`, `<font color="x">`).
fn html_tag_len(s: &str) -> Option<usize> {
    let inner = s.strip_prefix('<')?;
    let name = inner.strip_prefix('/').unwrap_or(inner);
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = inner.find(['>', '<'])?;
    (inner.as_bytes()[end] == b'>').then_some(end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_stripped() {
        assert_eq!(plain(r"{\i1}Hello{\i0}\Nworld"), "Hello world");
        assert_eq!(plain(r"{\an8\pos(10,20)}Top\hline"), "Top line");
        assert_eq!(
            plain("<i>Orange</i> <font color=\"#ff0000\">juice</font>"),
            "Orange juice"
        );
        assert_eq!(plain(r"{\p1}m 0 0 l 100 0 100 100{\p0}Sign: EXIT"), "Sign: EXIT");
        assert_eq!(plain("a < b and c > d"), "a < b and c > d");
        assert_eq!(plain(r"{unclosed"), "");
        assert_eq!(plain("  spaced\n\nout  "), "spaced out");
    }

    #[test]
    fn the_text_field_of_an_ass_event() {
        assert_eq!(ass_event_text("0,0,Default,,0,0,0,,Hello, world"), "Hello, world");
        assert_eq!(
            ass_event_text("Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Hi, there"),
            "Hi, there"
        );
        assert_eq!(ass_event_text("broken"), "");
    }
}
