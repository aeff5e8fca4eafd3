//! Text seen in pictures (issue 16, "words on what was seen"): the lines of text an OCR engine
//! reads in a photo or a video frame, with where each line is and how sure the engine is.
//!
//! Ingest (crate `glint-ingest`) reads photos and the first sampled frame of each video shot
//! when OCR is switched on (`glint ingest --ocr`), and stores every [`TextLine`] as a searchable
//! word of the media (`glint_catalog::NewWord` with source `Ocr`, its confidence as score and
//! its box in source pixels), so `glint search --text` finds the photo of a juice pack by the
//! brand printed on it. Ingest only sees the [`TextReader`] trait; [`Tesseract`] implements it
//! with Debian's Tesseract 5 (the library, through the `tesseract` crate: the pixels are handed
//! over in memory, nothing is written to disk), whose English data `make setup` installs.
//!
//! Tesseract is made for scanned pages; photos of products read poorly, and mostly as junk
//! ("eS", "«", "tet"). What [`ReadOptions::default`] does was chosen by measurement on the
//! grocery-store photos and shop images (docs/benchmarks.md, "Words on what was seen"): sparse
//! text segmentation (page layout analysis finds no text blocks in a photo), small images
//! enlarged, and words and lines under a confidence minimum or without a word of three letters
//! dropped (a line of only short words needs more confidence: that is what junk looks like).

mod lines;

use std::sync::Mutex;

pub use glint_types::BBox;
pub use image::RgbImage;
pub use lines::{lines_from_tsv, MIN_LETTERS};

/// A line of text read in an image.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    /// The line's words, separated by single spaces.
    pub text: String,
    /// How sure the engine is of the line's words (their mean), 0..1.
    pub confidence: f32,
    /// Where the line is, in pixels of the image that was read.
    pub bbox: BBox,
}

/// Reads the text in an image.
pub trait TextReader: Send + Sync {
    /// The lines of text worth keeping, junk filtered out; an image without text gives none.
    fn read(&self, image: &RgbImage) -> Result<Vec<TextLine>, OcrError>;
}

/// Why text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error(
        "Tesseract could not start with its {language} data ({reason}): install the Debian packages \
         tesseract-ocr and tesseract-ocr-{language} (`make setup` does), or set TESSDATA_PREFIX to \
         the folder holding {language}.traineddata"
    )]
    NotInstalled { language: String, reason: String },
    #[error("image of {width}x{height} pixels is too large for the OCR engine")]
    TooLarge { width: u32, height: u32 },
    #[error("OCR failed: {0}")]
    Engine(String),
}

/// How Tesseract looks for text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// "Find as much text as possible in no particular order" (Tesseract's page segmentation
    /// mode 11): text scattered over a photo.
    Sparse,
    /// Full page layout analysis (mode 3): columns and paragraphs of a document.
    Page,
}

/// How an image is read; the defaults are the measured ones (docs/benchmarks.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadOptions {
    pub layout: Layout,
    /// An image is enlarged by the whole factor (at most 4) that brings its longer side nearest
    /// to this many pixels: Tesseract reads letters best at 20-40 px high, and the text of a
    /// 198 px shop image (enlarged 4x), a 348 px store photo (4x) or a 640 px video frame (2x)
    /// is smaller. 0: never enlarged.
    pub upscale_to: u32,
    /// Words the engine is less sure of (0..1) are dropped before lines are assembled.
    pub min_word_confidence: f32,
    /// Lines whose kept words are on average less sure than this are dropped.
    pub min_line_confidence: f32,
    /// Lines whose longest word has only [`MIN_LETTERS`] letters need this much: the junk read
    /// in textures ("tre" in a cat's fur at 0.86) is short, and 3-letter junk reached 0.86 on
    /// photos without text while 4-letter junk stayed under 0.33.
    pub min_short_line_confidence: f32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            layout: Layout::Sparse,
            upscale_to: 1400,
            min_word_confidence: 0.5,
            min_line_confidence: 0.6,
            min_short_line_confidence: 0.9,
        }
    }
}

/// Largest factor a small image is enlarged by.
const MAX_UPSCALE: u32 = 4;
/// Larger images are refused: Tesseract's time grows with the pixels, and callers read
/// analysis-size images (at most 1600 px a side in ingest).
const MAX_PIXELS: u64 = 40_000_000;

/// [`TextReader`] on Debian's Tesseract 5, English.
///
/// A Tesseract engine reads one image at a time and takes ~0.1 s to start, so engines are kept
/// in a pool: each read takes an idle one (or starts one) and puts it back, and as many images
/// are read at once as there are callers.
pub struct Tesseract {
    options: ReadOptions,
    language: String,
    idle: Mutex<Vec<tesseract::Tesseract>>,
}

impl Tesseract {
    /// An English reader with the measured defaults; fails with [`OcrError::NotInstalled`]
    /// when Tesseract's English data is missing.
    pub fn new() -> Result<Self, OcrError> {
        Self::with_options(ReadOptions::default())
    }

    pub fn with_options(options: ReadOptions) -> Result<Self, OcrError> {
        let reader = Self {
            options,
            language: "eng".to_string(),
            idle: Mutex::new(Vec::new()),
        };
        // Start one engine now, so that a missing install is reported before any work.
        let engine = reader.start()?;
        reader.put_back(engine);
        Ok(reader)
    }

    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    fn start(&self) -> Result<tesseract::Tesseract, OcrError> {
        let engine = tesseract::Tesseract::new_with_oem(None, Some(&self.language), tesseract::OcrEngineMode::LstmOnly)
            .map_err(|e| OcrError::NotInstalled {
                language: self.language.clone(),
                reason: e.to_string(),
            })?;
        // Tesseract's diagnostics ("Detected 9 diacritics", "Empty page!!") would go to stderr.
        let mut engine = engine
            .set_variable("debug_file", "/dev/null")
            .map_err(|e| OcrError::Engine(e.to_string()))?;
        engine.set_page_seg_mode(match self.options.layout {
            Layout::Sparse => tesseract::PageSegMode::PsmSparseText,
            Layout::Page => tesseract::PageSegMode::PsmAuto,
        });
        Ok(engine)
    }

    fn take(&self) -> Result<tesseract::Tesseract, OcrError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(engine) => Ok(engine),
            None => self.start(),
        }
    }

    fn put_back(&self, engine: tesseract::Tesseract) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(engine);
    }

    /// Tesseract's TSV of `image` (levels 1-5: page, block, paragraph, line, word).
    fn tsv(&self, image: &RgbImage) -> Result<String, OcrError> {
        let (width, height) = image.dimensions();
        let engine = self.take()?;
        let stride = 3 * width as i32;
        let engine = engine
            .set_frame(image.as_raw(), width as i32, height as i32, 3, stride)
            .map_err(|e| OcrError::Engine(e.to_string()))?
            .set_source_resolution(SOURCE_PPI);
        one_openmp_thread();
        let mut engine = engine.recognize().map_err(|e| OcrError::Engine(e.to_string()))?;
        let tsv = engine.get_tsv_text(0).map_err(|e| OcrError::Engine(e.to_string()))?;
        self.put_back(engine);
        Ok(tsv)
    }
}

// Debian builds Tesseract with OpenMP, whose recognizer asks for 4 threads per line and spins
// while it waits for them. Beside other busy threads on 2 cores that tripled the time of a read
// (120 → 356 ms per shop image, docs/benchmarks.md). `OMP_THREAD_LIMIT=1` is read once when
// the library loads, too early for a program to set; these per-thread settings have the same
// effect: with dynamic threads on, a parallel region gets at most `omp_set_num_threads` threads.
#[link(name = "gomp")]
extern "C" {
    fn omp_set_dynamic(dynamic: std::ffi::c_int);
    fn omp_set_num_threads(threads: std::ffi::c_int);
}

/// Tesseract's parallel regions run on the calling thread alone (per thread: call before each
/// read, the caller's thread may be new).
fn one_openmp_thread() {
    // SAFETY: both only set the calling thread's OpenMP settings; no pointers are involved.
    unsafe {
        omp_set_dynamic(1);
        omp_set_num_threads(1);
    }
}

/// The resolution Tesseract is told the pixels have: photos carry none, and saying none makes
/// it warn on stderr. At 70 (its lowest credible value) it still estimates the resolution from
/// the letters' size, which read as well as telling it 150 or 300 on the shop images.
const SOURCE_PPI: i32 = 70;

impl TextReader for Tesseract {
    fn read(&self, image: &RgbImage) -> Result<Vec<TextLine>, OcrError> {
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return Ok(Vec::new());
        }
        let longer = width.max(height);
        let factor = match self.options.upscale_to {
            0 => 1,
            target => ((target as f32 / longer as f32).round() as u32).clamp(1, MAX_UPSCALE),
        };
        let (w, h) = (
            u64::from(width) * u64::from(factor),
            u64::from(height) * u64::from(factor),
        );
        if w * h > MAX_PIXELS || w > u64::from(i32::MAX as u32 / 3) {
            return Err(OcrError::TooLarge { width, height });
        }
        let tsv = if factor > 1 {
            let big = image::imageops::resize(
                image,
                width * factor,
                height * factor,
                image::imageops::FilterType::CatmullRom,
            );
            self.tsv(&big)?
        } else {
            self.tsv(image)?
        };
        let mut lines = lines_from_tsv(&tsv, &self.options);
        if factor > 1 {
            let back = 1.0 / factor as f32;
            for line in &mut lines {
                line.bbox = line.bbox.scaled(back);
            }
        }
        Ok(lines)
    }
}
