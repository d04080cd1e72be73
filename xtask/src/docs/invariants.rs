//! `docs/invariants.md`, read: its `### <ID>` entries and their fields, and
//! the index generated from them.
//!
//! An entry has fields `- **Summary**:` (its line in the index),
//! `- **Scenarios**:`, `- **SPIN**:`, `- **Tests**:`, `- **Mutations**:`,
//! `- **Status**:` (and optionally `- **Known bugs**:`, `- **Enforced
//! by**:`); a field may go on over indented lines. The `## ` section an
//! entry sits in names its protocol in the index.
use std::collections::BTreeMap;

/// One `### <ID>` entry: its section and its fields, each a single line of
/// text.
#[derive(Debug)]
pub struct Entry {
    pub id: String,
    /// The heading of the `## ` section the entry sits in.
    pub section: String,
    pub fields: BTreeMap<String, String>,
}

impl Entry {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// The proof ids the entry cites (SPIN and Known bugs).
    pub fn proofs(&self) -> Vec<&str> {
        ["SPIN", "Known bugs"].iter().flat_map(|f| ticked(self.field(f))).filter(|t| is_proof_like(t)).collect()
    }

    /// The mutation ids the entry cites.
    pub fn mutations(&self) -> Vec<&str> {
        ticked(self.field("Mutations")).into_iter().filter(|t| is_mutation_like(t)).collect()
    }

    /// The protocol column of the index: the section heading up to its
    /// subtitle (`Lifecycle: guards, …` is `Lifecycle`).
    fn protocol(&self) -> &str {
        let end = self.section.find([':', '(']).unwrap_or(self.section.len());
        self.section[..end].trim()
    }
}

pub fn is_id(text: &str) -> bool {
    text.split_once('-').is_some_and(|(group, n)| {
        !group.is_empty()
            && group.chars().all(|c| c.is_ascii_uppercase())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
    })
}

pub fn entries(doc: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut section = String::new();
    let mut open = false;
    let mut field: Option<String> = None;
    for line in doc.lines() {
        if line.starts_with('#') {
            field = None;
            open = false;
            if let Some(heading) = line.strip_prefix("## ") {
                section = heading.trim().to_owned();
            } else if let Some(id) = line.strip_prefix("### ").map(str::trim).filter(|t| is_id(t)) {
                entries.push(Entry { id: id.to_owned(), section: section.clone(), fields: BTreeMap::new() });
                open = true;
            }
            continue;
        }
        if !open {
            continue;
        }
        let entry = entries.last_mut().expect("an open entry");
        if let Some(rest) = line.strip_prefix("- **") {
            let (name, text) =
                rest.split_once("**:").unwrap_or_else(|| panic!("{}: a field without `**:`: {line}", entry.id));
            entry.fields.insert(name.to_owned(), text.trim().to_owned());
            field = Some(name.to_owned());
        } else if let (Some(name), Some(more)) = (&field, line.strip_prefix("  ")) {
            let text = entry.fields.get_mut(name).expect("the field being read");
            text.push(' ');
            text.push_str(more.trim());
        } else {
            field = None;
        }
    }
    entries
}

/// The backticked spans of `text`.
pub fn ticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

pub fn is_proof_like(token: &str) -> bool {
    let Some((stem, property)) = token.split_once('.') else { return false };
    !["pml", "rs", "md"].contains(&property)
        && !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !property.is_empty()
        && property.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

pub fn is_mutation_like(token: &str) -> bool {
    token.contains('-')
        && token
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

fn mark(yes: bool) -> &'static str {
    if yes {
        "✓"
    } else {
        "—"
    }
}

/// The index: one row per entry, in page order, with its SPIN and mutation
/// marks.
pub fn index(doc: &str) -> Result<String, String> {
    let entries = entries(doc);
    let mut out = String::from("| id | protocol | invariant | SPIN | mutation |\n|---|---|---|:-:|:-:|\n");
    for entry in &entries {
        let summary = entry.fields.get("Summary").ok_or(format!("{}: no `Summary` field", entry.id))?;
        out.push_str(&format!(
            "| [{id}](#{anchor}) | {protocol} | {summary} | {spin} | {mutation} |\n",
            id = entry.id,
            anchor = entry.id.to_lowercase(),
            protocol = entry.protocol(),
            spin = mark(!entry.proofs().is_empty()),
            mutation = mark(!entry.mutations().is_empty()),
        ));
    }
    Ok(out)
}

/// The ids without a SPIN proof and those without a mutation.
pub fn gaps(doc: &str) -> Result<String, String> {
    let entries = entries(doc);
    let list = |pick: fn(&Entry) -> bool| {
        let ids: Vec<&str> = entries.iter().filter(|e| pick(e)).map(|e| e.id.as_str()).collect();
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
    Ok(format!(
        "Without a SPIN proof: {}.\n\nWithout a mutation: {}.\n",
        list(|e| e.proofs().is_empty()),
        list(|e| e.mutations().is_empty())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_reads_sections_fields_and_names() {
        let doc = "## G: sub\n\n### AB-1\n\n**Statement.**\n\n- **Summary**: a thing\n- **Scenarios**: `xi::a`,\n  `lifecycle::b::c` and `Core::with_state`\n- **SPIN**: `x_y.safety`, `x.pml`\n\n## Next\n- **Tests**: `t`\n";
        let entries = entries(doc);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].protocol(), "G");
        assert_eq!(ticked(&entries[0].fields["Scenarios"]), ["xi::a", "lifecycle::b::c", "Core::with_state"]);
        assert_eq!(entries[0].proofs(), ["x_y.safety"]);
        assert!(!entries[0].fields.contains_key("Tests"), "a field after the entry's end is not its own");
        assert_eq!(
            index(doc).unwrap(),
            "| id | protocol | invariant | SPIN | mutation |\n|---|---|---|:-:|:-:|\n| [AB-1](#ab-1) | G | a thing | ✓ | — |\n"
        );
        assert_eq!(gaps(doc).unwrap(), "Without a SPIN proof: none.\n\nWithout a mutation: AB-1.\n");
        assert!(is_mutation_like("drain-admits") && !is_mutation_like("--features trace"));
        assert!(is_id("LC-1") && is_id("GIL-12") && !is_id("Lifecycle") && !is_id("LC-"));
    }

    #[test]
    fn an_entry_without_a_summary_cannot_be_indexed() {
        assert!(index("## G\n\n### AB-1\n\n- **Status**: holds\n").is_err());
    }
}
