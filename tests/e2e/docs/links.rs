//! Every relative link and image of the README and of docs/*.md leads somewhere: the file
//! exists, and a `#fragment` names a heading of the linked page (GitHub's anchors). Files
//! move; a link that silently goes nowhere is how a newcomer finds out.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).expect("docs/") {
        let path = entry.expect("docs/ entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    docs.sort();
    docs
}

/// The lines outside fenced code blocks, with inline code spans blanked out.
fn prose(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut out = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
            } else if !in_code {
                out.push(c);
            }
        }
        lines.push(out);
    }
    lines
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; a
/// repeated heading gets `-1`, `-2`, ...
fn anchors(text: &str) -> HashSet<String> {
    let mut fenced = false;
    let mut seen = HashSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        if fenced {
            continue;
        }
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// The targets of `[text](target)` and `src="target"` on a line.
fn targets(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (start, marker, end) in [("](", 2, ')'), ("src=\"", 5, '"')] {
        let mut rest = line;
        while let Some(at) = rest.find(start) {
            let after = &rest[at + marker..];
            let Some(len) = after.find(end) else { break };
            found.push(after[..len].trim());
            rest = &after[len..];
        }
    }
    found
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read a document");
        let name = doc.strip_prefix(root()).expect("under the root").display();
        for line in prose(&text) {
            for target in targets(&line) {
                if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
                    continue;
                }
                checked += 1;
                let (path, fragment) = match target.split_once('#') {
                    Some((p, f)) => (p, Some(f)),
                    None => (target, None),
                };
                let file = if path.is_empty() {
                    doc.clone()
                } else {
                    doc.parent().expect("a folder").join(path)
                };
                if !file.exists() {
                    broken.push(format!("{name}: {target}: no such file"));
                    continue;
                }
                if let Some(fragment) = fragment
                    && file.extension().is_some_and(|e| e == "md")
                {
                    let linked = std::fs::read_to_string(&file).expect("read the linked page");
                    if !anchors(&linked).contains(fragment) {
                        broken.push(format!("{name}: {target}: no such heading"));
                    }
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} links found: is the parser right?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn anchors_follow_github() {
    let page = "# Run it\n## The mail cooldown\n```\n# not a heading\n```\n\
                ## Signed access tokens (ES256 / EdDSA), November 2026\n## Run it\n";
    let found = anchors(page);
    for anchor in [
        "run-it",
        "the-mail-cooldown",
        "signed-access-tokens-es256--eddsa-november-2026",
        "run-it-1",
    ] {
        assert!(found.contains(anchor), "{anchor} in {found:?}");
    }
    assert!(!found.contains("not-a-heading"));
    assert_eq!(
        targets(r#"see [a](a.md#x) and <img src="b.png" width="1"> and [c](https://e)"#),
        ["a.md#x", "https://e", "b.png"]
    );
}
