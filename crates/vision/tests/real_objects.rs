//! Issue 18: the CenterNet object detector on real pictures finds what a person sees there, boxed
//! where it is, and nothing on a blank frame.

mod common;

use glint_media::RgbImage;
use glint_types::BBox;

use common::{image, models, models_dir};

fn sample(name: &str) -> RgbImage {
    image(&models_dir().join("samples").join(name))
}

#[test]
fn issue18_the_coffee_cup_is_a_cup_where_it_stands() {
    let detector = models()
        .object_detector
        .clone()
        .expect("the manifest names an object detector");
    let objects = detector.detect(&sample("coffee.png")).unwrap();
    let cup = objects
        .iter()
        .find(|o| o.label == "cup")
        .unwrap_or_else(|| panic!("{objects:?}"));
    // The cup and its handle, boxed by eye on the 600x400 photo.
    let by_eye = BBox::new(165.0, 20.0, 245.0, 240.0);
    assert!(cup.bbox.iou(&by_eye) > 0.7, "{cup:?}");
    assert!(cup.score >= detector.threshold());
}

#[test]
fn issue18_the_astronaut_is_one_person() {
    let detector = models().object_detector.clone().unwrap();
    let objects = detector.detect(&sample("astronaut.png")).unwrap();
    let people: Vec<_> = objects.iter().filter(|o| o.label == "person").collect();
    assert_eq!(people.len(), 1, "{objects:?}");
    // She fills the left two thirds of the 512x512 picture, top to bottom.
    assert!(
        people[0].bbox.iou(&BBox::new(0.0, 0.0, 370.0, 512.0)) > 0.7,
        "{objects:?}"
    );
}

#[test]
fn issue18_a_blank_frame_has_no_objects_and_tiny_images_are_fine() {
    let detector = models().object_detector.clone().unwrap();
    let grey = RgbImage::from_pixel(640, 360, image::Rgb([128, 128, 128]));
    assert_eq!(detector.detect(&grey).unwrap(), vec![]);
    // A 1x1 image is stretched like any other: an answer, not a panic.
    detector.detect(&RgbImage::new(1, 1)).unwrap();
    assert!(detector.detect(&RgbImage::new(0, 0)).is_err());
}
