//! Compiles the OpenCV shim (`cpp/sift.cpp`) and links Debian's OpenCV features2d.

use std::path::Path;

const INCLUDE: &str = "/usr/include/opencv4";

fn main() {
    println!("cargo:rerun-if-changed=cpp/sift.cpp");
    let include = std::env::var("GLINT_OPENCV_INCLUDE").unwrap_or_else(|_| INCLUDE.to_string());
    println!("cargo:rerun-if-env-changed=GLINT_OPENCV_INCLUDE");
    if !Path::new(&include).join("opencv2/features2d.hpp").is_file() {
        panic!(
            "OpenCV's features2d headers are missing under {include}: run `make setup` \
             (installs the Debian package libopencv-features2d-dev)"
        );
    }
    cc::Build::new()
        .cpp(true)
        .file("cpp/sift.cpp")
        .include(&include)
        .flag_if_supported("-std=c++17")
        .opt_level(3)
        .warnings(false)
        .compile("glint_sift");
    for lib in ["opencv_features2d", "opencv_imgproc", "opencv_core"] {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
}
