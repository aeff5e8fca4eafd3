//! The Content-Type of a media file, from its first bytes: names of uploads and indexed files
//! say nothing reliable about what they hold.

/// How many leading bytes [`content_type`] looks at.
pub const HEAD_LEN: usize = 512;

pub fn content_type(head: &[u8]) -> &'static str {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "image/gif"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if at(0, b"RIFF") && at(8, b"AVI ") {
        "video/x-msvideo"
    } else if at(4, b"ftyp") {
        // ISO base media: the major brand tells QuickTime and 3GPP apart from MP4.
        match head.get(8..12) {
            Some(b"qt  ") => "video/quicktime",
            Some(brand) if brand.starts_with(b"3g") => "video/3gpp",
            _ => "video/mp4",
        }
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        // EBML: WebM declares its doctype near the start; anything else is Matroska.
        if head[..head.len().min(64)].windows(4).any(|w| w == b"webm") {
            "video/webm"
        } else {
            "video/x-matroska"
        }
    } else if at(0, b"OggS") {
        "video/ogg"
    } else if at(0, b"FLV") {
        "video/x-flv"
    } else if at(0, &[0x30, 0x26, 0xB2, 0x75]) {
        "video/x-ms-wmv"
    } else if at(0, &[0x00, 0x00, 0x01, 0xBA]) || at(0, &[0x00, 0x00, 0x01, 0xB3]) {
        "video/mpeg"
    } else if at(0, &[0x47]) && head.get(188) == Some(&0x47) {
        "video/mp2t"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn common_formats_are_recognised_from_their_magic() {
        assert_eq!(content_type(&[0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg");
        assert_eq!(content_type(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(content_type(b"\0\0\0\x20ftypisom\0\0\x02\0"), "video/mp4");
        assert_eq!(content_type(b"\0\0\0\x14ftypqt  \0\0\0\0"), "video/quicktime");
        assert_eq!(content_type(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm"), "video/webm");
        assert_eq!(content_type(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(content_type(b"hello"), "application/octet-stream");
        assert_eq!(content_type(b""), "application/octet-stream");
    }
}
