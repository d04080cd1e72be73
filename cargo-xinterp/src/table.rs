//! Tables of verdicts, as a terminal shows them (aligned, numbers to the
//! right) and as markdown reports hold them: one layout for the scenario
//! table and for xtask's proof table.

/// The columns of a table: their headers, and which hold numbers.
#[derive(Clone, Copy, Debug)]
pub struct Columns<'a> {
    /// One header per column.
    pub headers: &'a [&'a str],
    /// Whether each column holds numbers (right-aligned, `---:`).
    pub numeric: &'a [bool],
}

impl Columns<'_> {
    /// The rows aligned under the headers, a line each, with a rule below
    /// the headers.
    pub fn text<R: AsRef<[String]>>(&self, rows: &[R]) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (width, cell) in widths.iter_mut().zip(row.as_ref()) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let padded: Vec<String> = cells
                .zip(&widths)
                .zip(self.numeric)
                .map(
                    |((cell, &width), &numeric)| {
                        if numeric {
                            format!("{cell:>width$}")
                        } else {
                            format!("{cell:<width$}")
                        }
                    },
                )
                .collect();
            padded.join(" | ").trim_end().to_owned() + "\n"
        };
        let mut out = line(&mut self.headers.iter().copied());
        out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
        out.push('\n');
        for row in rows {
            out.push_str(&line(&mut row.as_ref().iter().map(String::as_str)));
        }
        out
    }

    /// The rows as a markdown table; a `|` or a line break inside a cell
    /// cannot break the row.
    pub fn markdown<R: AsRef<[String]>>(&self, rows: &[R]) -> String {
        let mut out = format!("| {} |\n", self.headers.join(" | "));
        let align: Vec<&str> = self.numeric.iter().map(|n| if *n { "---:" } else { "---" }).collect();
        out.push_str(&format!("|{}|\n", align.join("|")));
        for row in rows {
            let cells: Vec<String> = row.as_ref().iter().map(|c| c.replace('|', "\\|").replace('\n', " ")).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: Columns<'static> = Columns { headers: &["name", "count"], numeric: &[false, true] };

    #[test]
    fn text_aligns_words_left_and_numbers_right() {
        let rows = [["a".to_owned(), "7".to_owned()], ["longer".to_owned(), "1234".to_owned()]];
        assert_eq!(COLUMNS.text(&rows), "name   | count\n-------+------\na      |     7\nlonger |  1234\n");
    }

    #[test]
    fn markdown_keeps_a_cell_inside_its_row() {
        let rows = [["a|b\nc".to_owned(), "7".to_owned()]];
        assert_eq!(COLUMNS.markdown(&rows), "| name | count |\n|---|---:|\n| a\\|b c | 7 |\n");
    }
}
