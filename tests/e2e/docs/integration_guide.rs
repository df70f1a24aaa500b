//! docs/integration.md shows code that the suite runs: each block marked
//! `<!-- snippet: FILE#NAME -->` must be exactly the region `--- snippet: NAME ---` …
//! `--- end snippet ---` of FILE (which tests/interop.rs and tests/e2e/api/host_app.rs execute).

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The lines between the snippet's markers (comment lines in any language).
fn region(file: &str, name: &str) -> String {
    let text = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let start = format!("--- snippet: {name} ---");
    let mut lines = text.lines().skip_while(|l| !l.contains(&start));
    assert!(lines.next().is_some(), "{file} has no snippet {name}");
    let body: Vec<&str> = lines
        .take_while(|l| !l.contains("--- end snippet ---"))
        .collect();
    body.join("\n").trim().to_owned()
}

#[test]
fn every_snippet_of_the_guide_is_the_code_the_tests_run() {
    let guide = std::fs::read_to_string(root().join("docs/integration.md")).expect("guide");
    let mut checked = Vec::new();
    let mut rest = guide.as_str();
    while let Some(at) = rest.find("<!-- snippet: ") {
        rest = &rest[at + "<!-- snippet: ".len()..];
        let (reference, after) = rest.split_once(" -->").expect("a closed marker");
        let (file, name) = reference.split_once('#').expect("FILE#NAME");
        let fence = after.trim_start();
        assert!(
            fence.starts_with("```"),
            "{reference}: a code block follows"
        );
        let code_start = fence.find('\n').expect("fence line") + 1;
        let code_end = fence[code_start..].find("\n```").expect("closing fence");
        let shown = fence[code_start..code_start + code_end].trim();
        let tested = region(file, name);
        assert_eq!(
            shown, tested,
            "docs/integration.md's {reference} differs from {file}"
        );
        checked.push(reference.to_owned());
        rest = &fence[code_start + code_end..];
    }
    for expected in [
        "python-verify-token",
        "node-verify-token",
        "rust-verify-token",
        "python-receive-webhook",
        "node-receive-webhook",
        "browser-client",
        "nginx-proxy",
    ] {
        assert!(
            checked.iter().any(|c| c.ends_with(&format!("#{expected}"))),
            "{expected} not in the guide: {checked:?}"
        );
    }
}
