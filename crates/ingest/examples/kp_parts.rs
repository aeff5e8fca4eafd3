use std::time::Instant;
fn main() {
    let img = image::open(std::env::args().nth(1).unwrap()).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let n = 50;
    let t = Instant::now();
    for _ in 0..n {
        let _ = image::imageops::resize(&img, w / 2, h / 2, image::imageops::FilterType::Triangle);
    }
    println!("rgb resize {:.2} ms", t.elapsed().as_secs_f64() * 1e3 / n as f64);
    let half = image::imageops::resize(&img, w / 2, h / 2, image::imageops::FilterType::Triangle);
    let t = Instant::now();
    for _ in 0..n {
        let _ = image::imageops::grayscale(&half);
    }
    println!("gray of half {:.2} ms", t.elapsed().as_secs_f64() * 1e3 / n as f64);
    let t = Instant::now();
    for _ in 0..n {
        let g = image::imageops::grayscale(&img);
        let _ = image::imageops::resize(&g, w / 2, h / 2, image::imageops::FilterType::Triangle);
    }
    println!("gray then resize {:.2} ms", t.elapsed().as_secs_f64() * 1e3 / n as f64);
    let g = image::imageops::grayscale(&half);
    let t = Instant::now();
    for _ in 0..n {
        let _ = glint_keypoints::extract(g.as_raw(), g.width(), g.height(), 300).unwrap();
    }
    println!("sift {:.2} ms", t.elapsed().as_secs_f64() * 1e3 / n as f64);
    let g2 = image::imageops::resize(
        &image::imageops::grayscale(&img),
        w / 2,
        h / 2,
        image::imageops::FilterType::Triangle,
    );
    let diff: u64 = g
        .as_raw()
        .iter()
        .zip(g2.as_raw())
        .map(|(a, b)| (*a as i32 - *b as i32).unsigned_abs() as u64)
        .sum();
    let maxd = g
        .as_raw()
        .iter()
        .zip(g2.as_raw())
        .map(|(a, b)| (*a as i32 - *b as i32).abs())
        .max()
        .unwrap();
    println!(
        "gray diff mean {:.3} max {}",
        diff as f64 / g.as_raw().len() as f64,
        maxd
    );
}
