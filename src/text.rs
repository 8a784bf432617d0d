//! Tables for a person at a terminal (`--listeners`, `--resets`): columns
//! padded to their widest cell, two spaces apart.

/// `rows` as lines of aligned columns: a column is padded on the right
/// where `left` says so (text), on the left otherwise (numbers).
pub fn aligned<const N: usize>(rows: &[[String; N]], left: [bool; N]) -> String {
    let mut width = [0usize; N];
    for row in rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut o = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = " ".repeat(width[i] - c.chars().count());
            if left[i] {
                line.push_str(c);
                line.push_str(&pad);
            } else {
                line.push_str(&pad);
                line.push_str(c);
            }
            line.push_str("  ");
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_pads_right_numbers_pad_left_and_lines_end_without_spaces() {
        let rows = [
            [
                "Port".to_string(),
                "Drops".to_string(),
                "Process".to_string(),
            ],
            ["80".to_string(), "7".to_string(), "nginx".to_string()],
            ["443".to_string(), "1234".to_string(), "".to_string()],
        ];
        assert_eq!(
            aligned(&rows, [true, false, true]),
            "Port  Drops  Process\n80        7  nginx\n443    1234\n"
        );
    }
}
