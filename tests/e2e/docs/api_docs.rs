//! docs/api.md cannot go stale: its endpoint tables and body reference are rendered from the
//! served OpenAPI document, and this test fails when the file differs from the rendering.
//! `LATCHKEY_BLESS=1 cargo test --test e2e api_docs` writes the new rendering into the file.

use std::{collections::BTreeSet, fmt::Write as _, path::Path};

use crate::support::TestApp;
use serde_json::Value;

const BEGIN: &str =
    "<!-- BEGIN GENERATED from /api/v1/openapi.json by tests/e2e/docs/api_docs.rs -->";
const END: &str = "<!-- END GENERATED -->";

#[tokio::test]
async fn the_generated_part_of_docs_api_md_matches_the_served_document() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("the document");
    app.stop().await;
    let rendered = render(&doc);

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md");
    let text = std::fs::read_to_string(&path).expect("docs/api.md");
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        panic!("docs/api.md has no generated section between {BEGIN} and {END}");
    };
    let current = &text[start + BEGIN.len()..end];
    if current == rendered {
        return;
    }
    if std::env::var_os("LATCHKEY_BLESS").is_some() {
        let updated = format!("{}{BEGIN}{rendered}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).expect("write docs/api.md");
        return;
    }
    let first_difference = current
        .lines()
        .zip(rendered.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("docs/api.md: {a}\ndocument:    {b}"))
        .unwrap_or_else(|| "one is a prefix of the other".into());
    panic!(
        "docs/api.md's generated part differs from the served OpenAPI document \
         (LATCHKEY_BLESS=1 cargo test --test e2e api_docs rewrites it):\n{first_difference}"
    );
}

/// The endpoint tables (one per tag) and the reference of every body.
fn render(doc: &Value) -> String {
    let mut out = String::from("\n");
    let tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_owned(),
                t["description"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut referenced = BTreeSet::new();
    for (tag, description) in &tags {
        let _ = writeln!(out, "### {}\n\n{description}.\n", title(tag));
        out.push_str(
            "| method | path | auth | request body | success | errors (status: `code`) |\n",
        );
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                if !op["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x == tag.as_str()))
                {
                    continue;
                }
                let auth = if op["security"].is_array() {
                    "bearer"
                } else {
                    "—"
                };
                let body = op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map(|m| type_of(&m["schema"], &mut referenced))
                    .unwrap_or_else(|| "—".into());
                let mut success = Vec::new();
                let mut errors = Vec::new();
                for (status, response) in op["responses"].as_object().into_iter().flatten() {
                    let codes = codes_in(response["description"].as_str().unwrap_or_default());
                    let media = response["content"]
                        .as_object()
                        .and_then(|c| c.iter().next());
                    if status.starts_with('2') {
                        let shown = match media {
                            Some((ct, m)) if m.get("schema").is_some() => {
                                let t = type_of(&m["schema"], &mut referenced);
                                if ct.as_str() == "application/json" {
                                    t
                                } else {
                                    format!("{t} ({ct})")
                                }
                            }
                            Some((ct, _)) => ct.clone(),
                            None => "no body".into(),
                        };
                        success.push(format!("{status} {shown}"));
                    } else if let Some((_, m)) = media {
                        // The problem body: named in the reference, not in every cell.
                        let _ = type_of(&m["schema"], &mut referenced);
                        if codes.is_empty() {
                            errors.push(status.clone());
                        } else {
                            errors.push(format!("{status}: {}", codes.join(", ")));
                        }
                    } else if codes.is_empty() {
                        errors.push(status.clone());
                    } else {
                        errors.push(format!("{status}: {}", codes.join(", ")));
                    }
                }
                let _ = writeln!(
                    out,
                    "| {} | `{path}` | {auth} | {body} | {} | {} |",
                    method.to_uppercase(),
                    success.join("; "),
                    errors.join("; "),
                );
            }
        }
        out.push('\n');
    }

    out.push_str("### Bodies\n\n");
    out.push_str(
        "Every field listed is always present unless marked optional; `or null` says when it \
         may be null.\n\n",
    );
    // Schemas reached from the ones the tables name, so that every type used is explained.
    let schemas = &doc["components"]["schemas"];
    let mut done = BTreeSet::new();
    let mut queue: Vec<String> = referenced.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        let mut more = BTreeSet::new();
        let _ = type_of(&schemas[&name], &mut more);
        for p in schemas[&name]["properties"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let _ = type_of(p.1, &mut more);
        }
        for v in schemas[&name]["oneOf"].as_array().into_iter().flatten() {
            for p in v["properties"].as_object().into_iter().flatten() {
                let _ = type_of(p.1, &mut more);
            }
        }
        queue.extend(more.into_iter().filter(|m| !done.contains(m)));
    }
    for name in &done {
        let schema = &schemas[name];
        let _ = writeln!(out, "#### {name}\n");
        if let Some(d) = schema["description"].as_str() {
            let _ = writeln!(out, "{}\n", one_line(d));
        }
        let mut ignored = BTreeSet::new();
        if let Some(variants) = schema["oneOf"].as_array() {
            out.push_str("One of:\n\n");
            for v in variants {
                let _ = writeln!(out, "- {}", fields_inline(v, &mut ignored));
            }
            out.push('\n');
        } else if schema["properties"].is_object() {
            out.push_str("| field | type | |\n| --- | --- | --- |\n");
            let required = required_of(schema);
            for (field, p) in schema["properties"].as_object().into_iter().flatten() {
                let optional = if required.contains(field) {
                    ""
                } else {
                    "optional"
                };
                let what = p["description"]
                    .as_str()
                    .or_else(|| p["oneOf"][0]["description"].as_str())
                    .map(one_line)
                    .unwrap_or_default();
                let sep = if optional.is_empty() || what.is_empty() {
                    ""
                } else {
                    "; "
                };
                let _ = writeln!(
                    out,
                    "| `{field}` | {} | {optional}{sep}{what} |",
                    type_of(p, &mut ignored)
                );
            }
            out.push('\n');
        } else {
            let _ = writeln!(out, "{}\n", type_of_inline(schema, &mut ignored));
        }
    }
    out
}

fn title(tag: &str) -> String {
    let mut c = tag.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn required_of(schema: &Value) -> BTreeSet<String> {
    schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The error codes a response's description names: its words in backticks that look like
/// codes (lower case and underscores).
fn codes_in(description: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for (i, part) in description.split('`').enumerate() {
        let is_code = i % 2 == 1
            && !part.is_empty()
            && part.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if is_code && !codes.iter().any(|c| c == &format!("`{part}`")) {
            codes.push(format!("`{part}`"));
        }
    }
    codes
}

/// A schema as a short type, collecting the component names it refers to.
fn type_of(schema: &Value, refs: &mut BTreeSet<String>) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r).to_owned();
        refs.insert(name.clone());
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let nullable = options.iter().any(|o| o["type"] == "null");
        let types: Vec<String> = options
            .iter()
            .filter(|o| o["type"] != "null")
            .map(|o| type_of(o, refs))
            .collect();
        let joined = types.join(" or ");
        return if nullable {
            format!("{joined} or null")
        } else {
            joined
        };
    }
    type_of_inline(schema, refs)
}

fn type_of_inline(schema: &Value, refs: &mut BTreeSet<String>) -> String {
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" or ");
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    };
    let nullable = types.iter().any(|t| t == "null");
    let base = types
        .iter()
        .find(|t| *t != "null")
        .cloned()
        .unwrap_or_else(|| "any".into());
    let mut shown = match base.as_str() {
        "array" => format!("array of {}", type_of(&schema["items"], refs)),
        "string" => match (schema["format"].as_str(), schema["pattern"].as_str()) {
            (Some(f), _) => format!("string ({f})"),
            (None, Some(p)) => format!("string matching `{}`", p.replace('|', "\\|")),
            (None, None) => "string".into(),
        },
        "integer" => "integer".into(),
        other => other.to_owned(),
    };
    if nullable {
        shown.push_str(" or null");
    }
    shown
}

/// A variant of a `oneOf` body as `{field: type, …}`.
fn fields_inline(schema: &Value, refs: &mut BTreeSet<String>) -> String {
    if schema["$ref"].is_string() || !schema["properties"].is_object() {
        return type_of(schema, refs);
    }
    let required = required_of(schema);
    let fields: Vec<String> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let q = if required.contains(k) { "" } else { "?" };
            format!("`{k}`{q}: {}", type_of(v, refs))
        })
        .collect();
    format!("{{{}}}", fields.join(", "))
}
