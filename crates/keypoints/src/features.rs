//! Keypoint extraction (through the OpenCV shim) and the compact stored form.

use std::ffi::{c_char, c_int, CStr};

/// Bytes per descriptor: RootSIFT's 128 dimensions, quantised to one byte each.
pub const DESCRIPTOR_LEN: usize = 128;
/// Images are detected at a working size: small product shots are enlarged (SIFT finds too
/// few keypoints on a 200 px carton), large photos shrunk (detail beyond this only costs time).
const MIN_WORKING_SIDE: f32 = 300.0;
pub const MAX_WORKING_SIDE: f32 = 640.0;
/// RootSIFT components are at most ~0.35; this spreads them over the byte's range.
const QUANTISE: f32 = 512.0;
const STORED_MAGIC: &[u8; 4] = b"GLK1";

#[derive(Debug, thiserror::Error)]
pub enum KeypointError {
    #[error("image of {width}x{height} with {len} bytes is not a {width}x{height} grayscale image")]
    BadImage { width: u32, height: u32, len: usize },
    #[error("keypoint extraction failed in OpenCV: {0}")]
    OpenCv(String),
    #[error("stored local features are corrupt: {0}")]
    Corrupt(&'static str),
}

/// Keypoints (x, y in the image's pixels) with their quantised RootSIFT descriptors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalFeatures {
    pub points: Vec<[f32; 2]>,
    /// `points.len() * DESCRIPTOR_LEN` bytes, row-major.
    pub descriptors: Vec<u8>,
}

extern "C" {
    fn glint_sift_extract(
        gray: *const u8,
        width: c_int,
        height: c_int,
        scale: f32,
        max_features: c_int,
        points: *mut f32,
        descriptors: *mut f32,
        err: *mut c_char,
        err_len: c_int,
    ) -> c_int;
}

/// The factor an image of `width` x `height` is resized by before detection.
pub fn working_scale(width: u32, height: u32) -> f32 {
    working_scale_within(width, height, MAX_WORKING_SIDE)
}

/// [`working_scale`] with a longer side of at most `max_side` (at least the smallest working
/// side) instead of the default.
pub fn working_scale_within(width: u32, height: u32, max_side: f32) -> f32 {
    let max_side = max_side.max(MIN_WORKING_SIDE);
    let side = width.max(height) as f32;
    if side < MIN_WORKING_SIDE {
        MIN_WORKING_SIDE / side
    } else if side > max_side {
        max_side / side
    } else {
        1.0
    }
}

/// Up to `max_features` SIFT keypoints of a grayscale image (`width * height` bytes), strongest
/// first.
pub fn extract(gray: &[u8], width: u32, height: u32, max_features: usize) -> Result<LocalFeatures, KeypointError> {
    extract_within(gray, width, height, max_features, MAX_WORKING_SIDE)
}

/// [`extract`], detecting on an image of at most `max_side` pixels a side
/// ([`working_scale_within`]). SIFT's cost grows with the pixels it sees (OpenCV doubles the
/// image first), so a caller in a hurry can trade the finest detail of a large image for time.
pub fn extract_within(
    gray: &[u8],
    width: u32,
    height: u32,
    max_features: usize,
    max_side: f32,
) -> Result<LocalFeatures, KeypointError> {
    if width == 0
        || height == 0
        || gray.len() != width as usize * height as usize
        || width > 1 << 15
        || height > 1 << 15
    {
        return Err(KeypointError::BadImage {
            width,
            height,
            len: gray.len(),
        });
    }
    let max = max_features.min(1 << 16);
    let mut points = vec![0f32; 2 * max];
    let mut desc = vec![0f32; DESCRIPTOR_LEN * max];
    let mut err = [0 as c_char; 256];
    // SAFETY: `gray` holds width*height bytes (checked above) and is only read; `points` and
    // `desc` have room for `max` keypoints, which the shim never exceeds; `err` is 256 bytes
    // and the shim NUL-terminates within `err_len`.
    let n = unsafe {
        glint_sift_extract(
            gray.as_ptr(),
            width as c_int,
            height as c_int,
            working_scale_within(width, height, max_side),
            max as c_int,
            points.as_mut_ptr(),
            desc.as_mut_ptr(),
            err.as_mut_ptr(),
            err.len() as c_int,
        )
    };
    if n < 0 {
        // SAFETY: the shim wrote a NUL-terminated message into `err`.
        let msg = unsafe { CStr::from_ptr(err.as_ptr()) };
        return Err(KeypointError::OpenCv(msg.to_string_lossy().into_owned()));
    }
    let n = n as usize;
    Ok(LocalFeatures {
        points: points[..2 * n].chunks_exact(2).map(|p| [p[0], p[1]]).collect(),
        descriptors: desc[..DESCRIPTOR_LEN * n]
            .iter()
            .map(|v| (v * QUANTISE).round().clamp(0.0, 255.0) as u8)
            .collect(),
    })
}

impl LocalFeatures {
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn descriptor(&self, i: usize) -> &[u8] {
        &self.descriptors[i * DESCRIPTOR_LEN..(i + 1) * DESCRIPTOR_LEN]
    }

    /// Scales every point (e.g. from analysed pixels to source pixels).
    pub fn scaled(mut self, factor: f32) -> Self {
        for p in &mut self.points {
            p[0] *= factor;
            p[1] *= factor;
        }
        self
    }

    /// The keypoints inside `[x, y, w, h]`.
    pub fn within(&self, rect: [f32; 4]) -> LocalFeatures {
        let [x, y, w, h] = rect;
        let mut out = LocalFeatures::default();
        for (i, p) in self.points.iter().enumerate() {
            if p[0] >= x && p[0] <= x + w && p[1] >= y && p[1] <= y + h {
                out.points.push(*p);
                out.descriptors.extend_from_slice(self.descriptor(i));
            }
        }
        out
    }

    /// `GLK1`, count (u32 LE), points (2 x f32 LE each), descriptors.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.len() * (8 + DESCRIPTOR_LEN));
        out.extend_from_slice(STORED_MAGIC);
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for p in &self.points {
            out.extend_from_slice(&p[0].to_le_bytes());
            out.extend_from_slice(&p[1].to_le_bytes());
        }
        out.extend_from_slice(&self.descriptors);
        out
    }

    /// Reads what [`encode`](Self::encode) wrote; returns the features and the bytes used.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), KeypointError> {
        if bytes.len() < 8 || &bytes[..4] != STORED_MAGIC {
            return Err(KeypointError::Corrupt("bad header"));
        }
        let n = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
        let end = n
            .checked_mul(8 + DESCRIPTOR_LEN)
            .and_then(|b| b.checked_add(8))
            .ok_or(KeypointError::Corrupt("count overflows"))?;
        if bytes.len() < end {
            return Err(KeypointError::Corrupt("truncated"));
        }
        let f = |o: usize| f32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let points = (0..n).map(|i| [f(8 + 8 * i), f(12 + 8 * i)]).collect();
        let descriptors = bytes[8 + 8 * n..end].to_vec();
        Ok((LocalFeatures { points, descriptors }, end))
    }
}
