//! The searchable words ingest writes with a media (issue 16): the names of what the image
//! encoder was sure an item track shows (the track's sightings say where and when; the word
//! names the track by its position in the media's tracks), the lines of text OCR read in a photo
//! or on a shot's first frame (with their box, in source pixels), and a video's subtitle cues
//! (with their times).

use std::sync::OnceLock;

use glint_catalog::{NewWord, WordSource};
use glint_media::SubtitleCue;
use glint_ocr::{OcrError, TextLine, TextReader};
use glint_vision::ClassNames;

use crate::tracker::TrackOut;

/// One label word per item track that the encoder named, at the track's best probability, with
/// every name of its classes (and their synonyms) as its text.
pub(crate) fn label_words(names: Option<&ClassNames>, tracks: &[TrackOut]) -> Vec<NewWord> {
    let Some(names) = names else {
        return Vec::new();
    };
    tracks
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let best = t.classes.first()?.1;
            let text: Vec<String> = t.classes.iter().filter_map(|&(c, _)| names.words(c)).collect();
            (!text.is_empty()).then(|| NewWord {
                source: WordSource::Label,
                text: text.join("; "),
                score: best,
                start_s: None,
                end_s: None,
                bbox: None,
                track: Some(i),
            })
        })
        .collect()
}

/// The process's OCR reader (Tesseract), started on first use and shared by every ingest worker
/// (it keeps a pool of engines, one per image read at once).
pub fn text_reader() -> Result<&'static dyn TextReader, OcrError> {
    static READER: OnceLock<Result<glint_ocr::Tesseract, String>> = OnceLock::new();
    match READER.get_or_init(|| glint_ocr::Tesseract::new().map_err(|e| e.to_string())) {
        Ok(reader) => Ok(reader),
        // The first error again, for every caller (a missing install stays missing).
        Err(e) => Err(OcrError::Engine(e.clone())),
    }
}

/// One OCR word per line read in an image `to_source` times smaller than the source, its box
/// in source pixels (kept inside `source`), its span `span` (a video's shot; `None` for photos).
pub(crate) fn ocr_words(
    lines: &[TextLine],
    to_source: f32,
    source: (u32, u32),
    span: Option<(f64, f64)>,
) -> Vec<NewWord> {
    lines
        .iter()
        .filter_map(|line| {
            let bbox = line.bbox.scaled(to_source).clamp_to(source.0 as f32, source.1 as f32)?;
            Some(NewWord {
                source: WordSource::Ocr,
                text: line.text.clone(),
                score: line.confidence.clamp(0.0, 1.0),
                start_s: span.map(|s| s.0),
                end_s: span.map(|s| s.1),
                bbox: Some(bbox),
                track: None,
            })
        })
        .collect()
}

/// One subtitle word per cue, at its times.
pub(crate) fn subtitle_words(cues: &[SubtitleCue]) -> Vec<NewWord> {
    cues.iter()
        .map(|cue| NewWord {
            source: WordSource::Subtitle,
            text: cue.text.clone(),
            score: 1.0,
            start_s: Some(cue.start_s),
            end_s: Some(cue.end_s),
            bbox: None,
            track: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use glint_catalog::{NewTrack, TrackKind};
    use glint_types::BBox;
    use image::RgbImage;

    use super::*;

    fn track(classes: Vec<(usize, f32)>) -> TrackOut {
        TrackOut {
            track: NewTrack {
                kind: TrackKind::Item,
                shot_idx: 0,
                score: 1.0,
                label: None,
                sightings: Vec::new(),
                vectors: Vec::new(),
            },
            thumb: RgbImage::new(1, 1),
            classes,
        }
    }

    #[test]
    fn issue16_named_tracks_get_one_word_each() {
        let names = ClassNames::new(vec!["tench".into(), "purse".into(), "espresso".into()]);
        let tracks = vec![track(vec![]), track(vec![(1, 0.7), (2, 0.4)]), track(vec![(9, 0.9)])];
        let words = label_words(Some(&names), &tracks);
        assert_eq!(words.len(), 1, "{words:?}");
        assert_eq!(words[0].track, Some(1));
        assert_eq!(words[0].text, "purse, handbag bag; espresso, coffee cup drink");
        assert_eq!(words[0].score, 0.7);
        assert!(
            label_words(None, &tracks).is_empty(),
            "an encoder without names names nothing"
        );
    }

    #[test]
    fn issue16_ocr_lines_become_words_boxed_in_source_pixels() {
        let lines = vec![
            TextLine {
                text: "Tropicana".into(),
                confidence: 0.95,
                bbox: BBox::new(10.0, 20.0, 100.0, 30.0),
            },
            // Over the frame's edge: kept, cut at the edge.
            TextLine {
                text: "PRESSED".into(),
                confidence: 0.9,
                bbox: BBox::new(600.0, 300.0, 80.0, 20.0),
            },
        ];
        let words = ocr_words(&lines, 2.0, (1280, 720), Some((3.5, 9.0)));
        assert_eq!(words.len(), 2, "{words:?}");
        assert_eq!(words[0].source, WordSource::Ocr);
        assert_eq!(words[0].text, "Tropicana");
        assert_eq!(words[0].score, 0.95);
        assert_eq!(words[0].bbox, Some(BBox::new(20.0, 40.0, 200.0, 60.0)));
        assert_eq!((words[0].start_s, words[0].end_s), (Some(3.5), Some(9.0)));
        assert_eq!(words[1].bbox, Some(BBox::new(1200.0, 600.0, 80.0, 40.0)));
        let photo = ocr_words(&lines[..1], 1.0, (640, 480), None);
        assert_eq!((photo[0].start_s, photo[0].end_s, photo[0].track), (None, None, None));
    }

    #[test]
    fn issue16_each_subtitle_cue_is_a_word_at_its_time() {
        let cues = vec![SubtitleCue {
            start_s: 1.0,
            end_s: 2.5,
            text: "Fresh orange juice".into(),
        }];
        let words = subtitle_words(&cues);
        assert_eq!(
            words,
            vec![NewWord {
                source: WordSource::Subtitle,
                text: "Fresh orange juice".into(),
                score: 1.0,
                start_s: Some(1.0),
                end_s: Some(2.5),
                bbox: None,
                track: None,
            }]
        );
    }
}
