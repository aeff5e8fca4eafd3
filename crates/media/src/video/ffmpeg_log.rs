//! One-time FFmpeg set-up, and FFmpeg's own log messages routed into `tracing`.
//!
//! Why: FFmpeg writes its diagnostics ("error while decoding MB 12 7", "moov atom not found")
//! straight to stderr from deep inside the libraries. A service indexing thousands of videos
//! must not spray stderr, but those lines are exactly what explains a broken file, so they are
//! forwarded to `tracing` under the target `ffmpeg` instead: FFmpeg errors become `debug`
//! events (a damaged file can produce hundreds; the decoder counts them and warns once per
//! file), FFmpeg warnings become `trace`, fatal/panic messages become `error`.
//!
//! The last error message on each thread is also kept, so that a file FFmpeg refuses to open
//! can be reported with FFmpeg's own reason ("moov atom not found") instead of a bare
//! "Invalid data found when processing input".

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Once;

use ffmpeg_next::ffi;

static INIT: Once = Once::new();

thread_local! {
    /// The last error-level FFmpeg message logged on this thread, without its `[ctx @ 0x..]`
    /// prefix.
    static LAST_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Forgets this thread's last FFmpeg error message.
pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            *e = None;
        }
    });
}

/// This thread's last FFmpeg error message since [`clear_last_error`], if any.
pub(crate) fn take_last_error() -> Option<String> {
    LAST_ERROR.with(|e| e.try_borrow_mut().ok().and_then(|mut e| e.take()))
}

/// Initialises FFmpeg and installs the log bridge; cheap after the first call.
pub(crate) fn ensure_init() {
    INIT.call_once(|| {
        // `init` only registers devices/filters on old FFmpeg versions; it cannot fail on 5.x.
        if let Err(e) = ffmpeg_next::init() {
            tracing::warn!(target: "ffmpeg", "ffmpeg init: {e}");
        }
        install_log_bridge();
    });
}

/// The platform's C `va_list` as FFmpeg's log callback receives it. On x86-64 System V it is an
/// array type and arrives as a pointer to its first element; elsewhere bindgen names it directly.
#[cfg(all(target_arch = "x86_64", not(windows)))]
type VaListArg = *mut ffi::__va_list_tag;
#[cfg(not(all(target_arch = "x86_64", not(windows))))]
type VaListArg = ffi::va_list;

fn install_log_bridge() {
    // SAFETY: `log_callback` has exactly the signature FFmpeg expects and is thread-safe (it only
    // formats into a stack buffer and calls `tracing`), as FFmpeg requires of a log callback.
    unsafe { ffi::av_log_set_callback(Some(log_callback)) };
}

unsafe extern "C" fn log_callback(avcl: *mut c_void, level: c_int, fmt: *const c_char, args: VaListArg) {
    let tracing_level = if level <= ffi::AV_LOG_FATAL {
        tracing::Level::ERROR
    } else if level <= ffi::AV_LOG_ERROR {
        tracing::Level::DEBUG
    } else if level <= ffi::AV_LOG_WARNING {
        tracing::Level::TRACE
    } else {
        // Info and chattier: FFmpeg's own default would print info, but it is never useful here.
        return;
    };
    // Formatting costs a vsnprintf; skip it when nobody listens. Errors are always formatted,
    // to be kept for error reports (they are rare outside damaged files).
    let is_error = level <= ffi::AV_LOG_ERROR;
    let enabled = match tracing_level {
        tracing::Level::ERROR => tracing::enabled!(target: "ffmpeg", tracing::Level::ERROR),
        tracing::Level::DEBUG => tracing::enabled!(target: "ffmpeg", tracing::Level::DEBUG),
        _ => tracing::enabled!(target: "ffmpeg", tracing::Level::TRACE),
    };
    if !(enabled || is_error) || fmt.is_null() {
        return;
    }
    let mut line = [0 as c_char; 1024];
    let mut print_prefix: c_int = 1;
    // SAFETY: `avcl`, `fmt` and `args` come straight from FFmpeg's `av_vlog`, which is what
    // `av_log_format_line2` is designed to consume; `line` is a writable buffer of the size
    // passed, and FFmpeg always NUL-terminates it.
    let message = unsafe {
        ffi::av_log_format_line2(
            avcl,
            level,
            fmt,
            args,
            line.as_mut_ptr(),
            line.len() as c_int,
            &mut print_prefix,
        );
        CStr::from_ptr(line.as_ptr()).to_string_lossy()
    };
    let message = message.trim_end();
    if message.is_empty() {
        return;
    }
    if is_error {
        // "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d1c0a1b2c0] moov atom not found" -> the reason alone.
        let reason = match message.split_once("] ") {
            Some((prefix, rest)) if prefix.starts_with('[') => rest,
            _ => message,
        };
        LAST_ERROR.with(|e| {
            if let Ok(mut e) = e.try_borrow_mut() {
                *e = Some(reason.to_string());
            }
        });
    }
    if !enabled {
        return;
    }
    match tracing_level {
        tracing::Level::ERROR => tracing::error!(target: "ffmpeg", "{message}"),
        tracing::Level::DEBUG => tracing::debug!(target: "ffmpeg", "{message}"),
        _ => tracing::trace!(target: "ffmpeg", "{message}"),
    }
}
