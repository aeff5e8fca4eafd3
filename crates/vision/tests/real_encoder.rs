//! EfficientNet-Lite0 on real images: scikit-image's coffee.png is ImageNet class 967
//! "espresso", and crops and resizes of an image stay closer to it than other images are.

mod common;

use glint_media::RgbImage;
use glint_types::dot;
use image::imageops::{self, FilterType};

use common::{image, models, models_dir};

const ESPRESSO: usize = 967;

fn sample(name: &str) -> RgbImage {
    image(&models_dir().join("samples").join(name))
}

#[test]
fn issue2_coffee_is_espresso() {
    let encoded = models()
        .image_encoder
        .encode(&[&sample("coffee.png")])
        .unwrap()
        .remove(0);
    let logits = encoded.logits.expect("EfficientNet has a classifier head");
    let top = logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    assert_eq!(top, ESPRESSO);
    assert_eq!(encoded.embedding.len(), 1280);
    let map = encoded.feature_map.expect("feature map");
    assert_eq!((map.channels, map.height, map.width), (1280, 7, 7));
}

#[test]
fn issue2_crops_and_resizes_stay_closest_to_their_source() {
    let encoder = &models().image_encoder;
    let names = ["coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg"];
    let originals: Vec<RgbImage> = names.iter().map(|n| sample(n)).collect();
    let refs: Vec<&RgbImage> = originals.iter().collect();
    let base: Vec<Vec<f32>> = encoder
        .encode(&refs)
        .unwrap()
        .into_iter()
        .map(|e| e.embedding)
        .collect();
    for (i, img) in originals.iter().enumerate() {
        let (w, h) = img.dimensions();
        let variants = [
            imageops::crop_imm(img, w / 10, h / 10, w * 8 / 10, h * 8 / 10).to_image(),
            imageops::resize(img, w / 3, h / 3, FilterType::Triangle),
            imageops::resize(img, w * 3 / 2, h / 2, FilterType::Triangle),
        ];
        for (k, v) in variants.iter().enumerate() {
            let e = encoder.encode(&[v]).unwrap().remove(0).embedding;
            let sims: Vec<f32> = base.iter().map(|b| dot(&e, b)).collect();
            let best = sims.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
            assert_eq!(best, i, "variant {k} of {}: similarities {sims:?}", names[i]);
        }
    }
}

/// Issue 17: a model holds a pool of sessions, so two threads (a search beside an ingest) run
/// it at once, and each gets the answer it would get alone.
#[test]
fn issue17_two_threads_run_one_model_at_once() {
    let encoder = &models().image_encoder;
    let coffee = sample("coffee.png");
    let alone = encoder.encode(&[&coffee]).unwrap().remove(0).embedding;
    let together: Vec<Vec<f32>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    (0..3)
                        .map(|_| encoder.encode(&[&coffee]).unwrap().remove(0).embedding)
                        .next_back()
                        .unwrap()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for e in together {
        assert!(dot(&e, &alone) > 0.9999, "a concurrent run differs");
    }
}
