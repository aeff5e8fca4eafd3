//! Shrinking 4:2:0 frames by a whole factor with the mean of each block: the cut detector's
//! 64-pixel thumbnail of every decoded frame (not only the sampled ones), at a fraction of
//! swscale's cost for the sizes most video has (720p, 1080p, 640x360). Other formats and
//! factors go through swscale as before.

use ffmpeg_next as ff;

/// Each of `size` (w x h) output values: the rounded mean of a `k` x `k` block of `src`
/// (`src_stride` and `dst_stride` bytes a row).
pub(super) fn block_mean(
    src: &[u8],
    src_stride: usize,
    dst: &mut [u8],
    dst_stride: usize,
    size: (usize, usize),
    k: usize,
) {
    // Column sums of a block row fit 16 bits while k * 255 does: twice the lanes of 32-bit
    // sums and half their memory (this ran at 0.34 ms a 720p frame, on every decoded frame).
    match k <= usize::from(u16::MAX / 255) {
        true => block_mean_with::<u16>(src, src_stride, dst, dst_stride, size, k),
        false => block_mean_with::<u32>(src, src_stride, dst, dst_stride, size, k),
    }
}

/// Columns summed together per step of [`block_mean_with`].
const COLUMN_CHUNK: usize = 64;

/// [`block_mean`] with column sums of type `S`, which must hold `k * 255`.
fn block_mean_with<S>(
    src: &[u8],
    src_stride: usize,
    dst: &mut [u8],
    dst_stride: usize,
    (w, h): (usize, usize),
    k: usize,
) where
    S: Copy + Default + From<u8> + Into<u32> + std::ops::AddAssign,
{
    let area = (k * k) as u32;
    let mut columns = vec![S::default(); w * k];
    for y in 0..h {
        columns.fill(S::default());
        for row in 0..k {
            let line = &src[(y * k + row) * src_stride..][..w * k];
            // Fixed-size chunks, so that the compiler keeps each chunk's sums in registers.
            let mut sums = columns.chunks_exact_mut(COLUMN_CHUNK);
            let mut values = line.chunks_exact(COLUMN_CHUNK);
            for (sums, values) in (&mut sums).zip(&mut values) {
                for (c, &v) in sums.iter_mut().zip(values) {
                    *c += S::from(v);
                }
            }
            for (c, &v) in sums.into_remainder().iter_mut().zip(values.remainder()) {
                *c += S::from(v);
            }
        }
        for (o, block) in dst[y * dst_stride..][..w].iter_mut().zip(columns.chunks_exact(k)) {
            let sum: u32 = block.iter().map(|&c| c.into()).sum();
            *o = ((sum + area / 2) / area) as u8;
        }
    }
}

/// The cut detector's thumbnail of a YUV420P `frame` at `w` x `h` (packed RGB, `3 * w` bytes a
/// row), when the frame is an even whole multiple of that size: each plane's blocks averaged,
/// then converted as swscale converts (BT.601, limited range). `None` for any other frame.
pub(super) fn thumbnail(frame: &ff::frame::Video, (w, h): (u32, u32)) -> Option<Vec<u8>> {
    // YUV420P, not YUVJ420P, whose full-range values the conversion below would misread; an
    // even factor, so that the chroma blocks are whole too.
    let k = frame.width() / w.max(1);
    let fits = frame.format() == ff::format::Pixel::YUV420P
        && k >= 2
        && k.is_multiple_of(2)
        && (frame.width(), frame.height()) == (k * w, k * h);
    if !fits {
        return None;
    }
    let k = k as usize;
    let (w, h) = (w as usize, h as usize);
    let mut planes = [vec![0u8; w * h], vec![0u8; w * h], vec![0u8; w * h]];
    for (plane, out) in planes.iter_mut().enumerate() {
        let factor = if plane == 0 { k } else { k / 2 };
        block_mean(frame.data(plane), frame.stride(plane), out, w, (w, h), factor);
    }
    let mut rgb = Vec::with_capacity(3 * w * h);
    for ((&y, &u), &v) in planes[0].iter().zip(&planes[1]).zip(&planes[2]) {
        let (y, u, v) = (
            1.164 * (f32::from(y) - 16.0),
            f32::from(u) - 128.0,
            f32::from(v) - 128.0,
        );
        for value in [y + 1.596 * v, y - 0.392 * u - 0.813 * v, y + 2.017 * u] {
            rgb.push(value.round().clamp(0.0, 255.0) as u8);
        }
    }
    Some(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rounded mean of each `k` x `k` block, value by value.
    fn naive(src: &[u8], stride: usize, (w, h): (usize, usize), k: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0u32;
                for dy in 0..k {
                    for dx in 0..k {
                        sum += u32::from(src[(y * k + dy) * stride + x * k + dx]);
                    }
                }
                let area = (k * k) as u32;
                out.push(((sum + area / 2) / area) as u8);
            }
        }
        out
    }

    #[test]
    fn issue14_shrunk_planes_are_the_rounded_means_of_source_blocks() {
        // Rows padded past the picture, as FFmpeg's planes are.
        let (stride, rows) = (40, 18);
        let src: Vec<u8> = (0..stride * rows).map(|i| (i * 37 % 256) as u8).collect();
        for (k, size) in [(2, (16, 9)), (3, (10, 6)), (1, (33, 18))] {
            let (w, h) = size;
            let dst_stride = w + 5;
            let mut dst = vec![0u8; dst_stride * h];
            block_mean(&src, stride, &mut dst, dst_stride, size, k);
            let got: Vec<u8> = dst.chunks(dst_stride).flat_map(|row| row[..w].to_vec()).collect();
            assert_eq!(got, naive(&src, stride, size, k), "k = {k}");
        }
    }

    #[test]
    fn issue14_sixteen_bit_block_sums_are_the_wide_sums() {
        // Rows longer than one chunk with a remainder, white blocks (the largest sums), and
        // blocks too tall for 16-bit sums (k = 260), which `block_mean` sums in 32 bits.
        for (k, (w, h), fill) in [
            (20, (7, 2), 255u8),
            (20, (7, 3), 0),
            (257, (1, 1), 255),
            (260, (1, 1), 255),
        ] {
            let stride = w * k + 3;
            let mut src: Vec<u8> = (0..stride * h * k).map(|i| (i * 131 % 256) as u8).collect();
            if fill == 255 {
                src.iter_mut().for_each(|v| *v = 255);
            }
            let mut dst = vec![0u8; w * h];
            block_mean(&src, stride, &mut dst, w, (w, h), k);
            let mut wide = vec![0u8; w * h];
            block_mean_with::<u32>(&src, stride, &mut wide, w, (w, h), k);
            assert_eq!(dst, naive(&src, stride, (w, h), k), "k = {k}");
            assert_eq!(dst, wide, "k = {k}");
        }
    }

    #[test]
    fn issue14_block_thumbnails_are_what_swscale_gives() {
        let (w, h) = (640, 360);
        let mut frame = ff::frame::Video::new(ff::format::Pixel::YUV420P, w, h);
        for plane in 0..3 {
            let stride = frame.stride(plane);
            let (pw, ph) = if plane == 0 { (w, h) } else { (w / 2, h / 2) };
            let data = frame.data_mut(plane);
            for y in 0..ph as usize {
                for x in 0..pw as usize {
                    // Smooth gradients with a hard edge, in every plane.
                    let edge = if x > pw as usize / 3 { 40 } else { 0 };
                    let value = match plane {
                        0 => 16 + x / 4 + y / 3 + edge,
                        _ => 90 + (x + y * plane) / 6 + edge / 2,
                    };
                    data[y * stride + x] = value as u8;
                }
            }
        }
        let ours = thumbnail(&frame, (64, 36)).expect("an even whole factor");
        let mut scaler = ff::software::scaling::Context::get(
            ff::format::Pixel::YUV420P,
            w,
            h,
            ff::format::Pixel::RGB24,
            64,
            36,
            ff::software::scaling::Flags::AREA,
        )
        .unwrap();
        let mut theirs = ff::frame::Video::empty();
        scaler.run(&frame, &mut theirs).unwrap();
        let stride = theirs.stride(0);
        let (mut worst, mut total) = (0, 0u32);
        for y in 0..36 {
            for x in 0..64 * 3 {
                let d = (i16::from(ours[y * 64 * 3 + x]) - i16::from(theirs.data(0)[y * stride + x])).abs();
                worst = worst.max(d);
                total += d as u32;
            }
        }
        // swscale's area filter reaches a little past each block, so it blurs edges a little
        // more; on average the two agree within one or two grey levels.
        let mean = total as f64 / (36 * 64 * 3) as f64;
        assert!(
            mean <= 1.5 && worst <= 20,
            "differs from swscale by {mean:.2} on average, up to {worst}"
        );
        // Odd factors, other formats: swscale's job.
        assert!(thumbnail(&frame, (640 / 5, 360 / 5)).is_none());
        assert!(thumbnail(&ff::frame::Video::new(ff::format::Pixel::YUVJ420P, w, h), (64, 36)).is_none());
    }
}
