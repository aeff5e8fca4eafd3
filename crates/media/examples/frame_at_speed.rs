//! Time `frame_at` on a video, directly and through a seek proxy written on the spot:
//! `cargo run --release -p glint-media --example frame_at_speed -- VIDEO T...`.

use std::time::Instant;

use glint_media::{frame_at, frame_at_via_proxy, SampleOptions, VideoFrames};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let video = std::path::Path::new(args.get(1).expect("usage: frame_at_speed VIDEO T..."));
    let dir = std::env::temp_dir().join(format!("glint-proxy-speed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let proxy = dir.join("proxy.mp4");
    let opts = SampleOptions {
        proxy: Some(proxy.clone()),
        ..SampleOptions::default()
    };
    let mut frames = VideoFrames::open(video, opts).unwrap();
    frames.by_ref().for_each(drop);
    println!("proxy kept: {}", frames.report().proxy_written);
    for _ in 0..3 {
        let start = Instant::now();
        glint_media::probe(&proxy).unwrap();
        println!(
            "probe (open + stream info) of the proxy: {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    for t in args[2..].iter().map(|t| t.parse::<f64>().unwrap()) {
        let start = Instant::now();
        let direct = frame_at(video, t, 0).unwrap();
        let direct_ms = start.elapsed().as_secs_f64() * 1e3;
        let start = Instant::now();
        let via = frame_at_via_proxy(video, &proxy, t, 0).unwrap();
        let via_ms = start.elapsed().as_secs_f64() * 1e3;
        println!(
            "t {t:>6.2}: direct frame {} in {direct_ms:.1} ms; via proxy frame {} in {via_ms:.1} ms",
            direct.index, via.index
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
