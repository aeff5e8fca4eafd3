use ffmpeg_next as ff;
use std::time::Instant;
fn main() {
    ff::init().unwrap();
    let p = std::env::args().nth(1).unwrap();
    for (name, opts) in [
        ("default", vec![]),
        ("small", vec![("probesize", "32768"), ("analyzeduration", "0")]),
        ("fpsprobe0", vec![("fpsprobesize", "0")]),
    ] {
        for _ in 0..3 {
            let mut d = ff::Dictionary::new();
            for (k, v) in &opts {
                d.set(k, v);
            }
            let t = Instant::now();
            let input = ff::format::input_with_dictionary(&p, d).unwrap();
            let open = t.elapsed().as_secs_f64() * 1e3;
            let st = input.streams().best(ff::media::Type::Video).unwrap();
            let ctx = ff::codec::context::Context::from_parameters(st.parameters()).unwrap();
            let _dec = ctx.decoder().video().unwrap();
            println!(
                "{name}: open {open:.1} ms, +decoder {:.1} ms",
                t.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
