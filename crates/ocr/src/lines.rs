//! Tesseract's words become lines: TSV rows of level 5 (words) grouped by the line they belong
//! to, junk dropped.

use glint_types::BBox;

use crate::{ReadOptions, TextLine};

/// A kept line needs a word of at least this many letters: what Tesseract reads in the texture
/// of a photo is short ("eS", "td", "«", "x"), and a word too short to search for is no loss.
pub const MIN_LETTERS: usize = 3;

/// page, block, paragraph, line: which line of the page a word belongs to.
type LineKey = (u32, u32, u32, u32);

/// One word row of the TSV.
struct Word<'a> {
    line: LineKey,
    bbox: BBox,
    confidence: f32,
    text: &'a str,
}

fn parse_word(row: &str) -> Option<Word<'_>> {
    let cols: Vec<&str> = row.split('\t').collect();
    if cols.len() < 12 || cols[0] != "5" {
        return None;
    }
    let int = |i: usize| cols[i].trim().parse::<u32>().ok();
    let float = |i: usize| cols[i].trim().parse::<f32>().ok();
    Some(Word {
        line: (int(1)?, int(2)?, int(3)?, int(4)?),
        bbox: BBox::new(float(6)?, float(7)?, float(8)?, float(9)?),
        confidence: float(10)? / 100.0,
        text: cols[11].trim(),
    })
}

/// Letters in a word ("Juice!" has 5).
fn letters(word: &str) -> usize {
    word.chars().filter(|c| c.is_alphabetic()).count()
}

/// The lines worth keeping in Tesseract's TSV (`GetTSVText`), in reading order: words under
/// `min_word_confidence` or without a letter or digit are dropped, the rest joined by line;
/// a line is kept when it has a word of [`MIN_LETTERS`] letters and its words' mean confidence
/// reaches `min_line_confidence` (`min_short_line_confidence` when no word is longer than
/// that).
pub fn lines_from_tsv(tsv: &str, options: &ReadOptions) -> Vec<TextLine> {
    let mut lines: Vec<(LineKey, Vec<Word<'_>>)> = Vec::new();
    for word in tsv.lines().filter_map(parse_word) {
        if word.confidence < options.min_word_confidence || !word.text.chars().any(char::is_alphanumeric) {
            continue;
        }
        match lines.last_mut() {
            Some((key, words)) if *key == word.line => words.push(word),
            _ => lines.push((word.line, vec![word])),
        }
    }
    lines
        .into_iter()
        .filter_map(|(_, words)| {
            let longest = words.iter().map(|w| letters(w.text)).max().unwrap_or(0);
            (longest >= MIN_LETTERS).then_some((longest, words))
        })
        .map(|(longest, words)| {
            let confidence = words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32;
            let (x1, y1, x2, y2) = words.iter().fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |acc, w| {
                (
                    acc.0.min(w.bbox.x),
                    acc.1.min(w.bbox.y),
                    acc.2.max(w.bbox.right()),
                    acc.3.max(w.bbox.bottom()),
                )
            });
            let line = TextLine {
                text: words.iter().map(|w| w.text).collect::<Vec<_>>().join(" "),
                confidence: confidence.clamp(0.0, 1.0),
                bbox: BBox::from_corners(x1, y1, x2, y2),
            };
            (longest, line)
        })
        .filter(|(longest, line)| {
            let minimum = match *longest > MIN_LETTERS {
                true => options.min_line_confidence,
                false => options.min_short_line_confidence,
            };
            line.confidence >= minimum
        })
        .map(|(_, line)| line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as Tesseract 5.3 wrote them for a 3x enlarged shop image of Tropicana apple juice.
    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t594\t594\t-1\t
4\t1\t1\t1\t1\t0\t196\t19\t171\t176\t-1\t
5\t1\t1\t1\t1\t1\t192\t14\t82\t244\t0.000000\tE
5\t1\t2\t1\t1\t1\t193\t374\t152\t51\t94.657532\tTropicana
5\t1\t3\t1\t1\t1\t220\t428\t94\t17\t23.512444\tMUR)
5\t1\t4\t1\t1\t1\t223\t453\t87\t26\t94.199799\tPRESSED
5\t1\t5\t1\t1\t1\t233\t508\t17\t28\t2.692459\tWe
5\t1\t5\t1\t1\t2\t258\t512\t64\t15\t63.814011\ttet
5\t1\t5\t1\t1\t3\t303\t508\t24\t28\t72.544563\tcoe
5\t1\t6\t1\t1\t1\t303\t508\t24\t28\t92.5\tNo
5\t1\t7\t1\t1\t1\t300\t600\t30\t20\t90\tApple
5\t1\t7\t1\t1\t2\t340\t600\t30\t22\t80\tjuice
";

    #[test]
    fn words_are_joined_by_line_and_junk_dropped() {
        let options = ReadOptions {
            min_word_confidence: 0.5,
            min_line_confidence: 0.6,
            min_short_line_confidence: 0.6,
            ..ReadOptions::default()
        };
        let lines = lines_from_tsv(TSV, &options);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Tropicana", "PRESSED", "tet coe", "Apple juice"], "{lines:?}");
        // Lines of short words only ("tet coe", 0.68) need more.
        let short = ReadOptions {
            min_short_line_confidence: 0.9,
            ..options
        };
        let texts: Vec<String> = lines_from_tsv(TSV, &short).into_iter().map(|l| l.text).collect();
        assert_eq!(texts, ["Tropicana", "PRESSED", "Apple juice"]);
        let apple = &lines[3];
        assert_eq!(apple.bbox, BBox::new(300.0, 600.0, 70.0, 22.0));
        assert!((apple.confidence - 0.85).abs() < 1e-6);
        let strict = ReadOptions {
            min_line_confidence: 0.9,
            ..short
        };
        let texts: Vec<String> = lines_from_tsv(TSV, &strict).into_iter().map(|l| l.text).collect();
        assert_eq!(texts, ["Tropicana", "PRESSED"]);
    }

    #[test]
    fn no_words_no_lines() {
        assert!(lines_from_tsv("", &ReadOptions::default()).is_empty());
        assert!(lines_from_tsv("garbage\tline\n", &ReadOptions::default()).is_empty());
    }
}
