//! CPU seconds of decoding a video with and without writing its seek proxy:
//! `cargo run --release -p glint-ingest --example proxy_cost -- VIDEO [RUNS]`.

use std::path::Path;

use glint_media::{SampleOptions, VideoFrames};

/// User + system CPU seconds of this process so far (all threads), from /proc/self/stat.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime, in 1/100 s) are 11 and 12 after the ")".
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: proxy_cost VIDEO [RUNS]")?;
    let runs: usize = std::env::args().nth(2).map_or(Ok(5), |r| r.parse())?;
    let dir = std::env::temp_dir().join(format!("proxy_cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let threads: usize = std::env::var("DECODE_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    for proxy in [None, Some(dir.join("proxy.mp4"))] {
        let label = if proxy.is_some() { "with proxy" } else { "decode only" };
        let (cpu, wall) = (cpu_s(), std::time::Instant::now());
        for _ in 0..runs {
            let opts = SampleOptions {
                proxy: proxy.clone(),
                threads,
                ..SampleOptions::default()
            };
            VideoFrames::open(Path::new(&path), opts)?.for_each(drop);
        }
        println!(
            "{label:<12} {:.0} ms CPU, {:.0} ms wall per run",
            (cpu_s() - cpu) * 1e3 / runs as f64,
            wall.elapsed().as_secs_f64() * 1e3 / runs as f64
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
