//! The searchable words ingest writes with a media (issue 16): here, the names of what the image
//! encoder was sure an item track shows. The track's sightings say where and when; the word
//! names the track by its position in the media's tracks.

use glint_catalog::{NewWord, WordSource};
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

#[cfg(test)]
mod tests {
    use glint_catalog::{NewTrack, TrackKind};
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
}
