//! Issue 16: without Tesseract's language data the reader says what to install, instead of
//! failing on the first image. (Its own test binary: it changes the process's environment.)

use glint_ocr::{OcrError, Tesseract};

#[test]
fn issue16_missing_language_data_names_the_packages_and_make_setup() {
    let empty = tempfile::tempdir().unwrap();
    // Where Tesseract looks for eng.traineddata when no path is given.
    std::env::set_var("TESSDATA_PREFIX", empty.path());
    let err = Tesseract::new().err().expect("no language data, no reader");
    assert!(matches!(err, OcrError::NotInstalled { .. }), "{err:?}");
    let message = err.to_string();
    for needed in ["tesseract-ocr-eng", "make setup", "TESSDATA_PREFIX"] {
        assert!(message.contains(needed), "{message}");
    }
}
