//! docs/architecture.md's layers hold in src/: every top-level module imports only from the
//! modules listed above it in the folder picture, and inside every module no files import each
//! other in a circle (`forms` uses `render`, so `render` may not use `forms`). Read from the
//! source text: every `crate::`, `super::` and `self::` path, in `use` or in code, and paths
//! into a module's own children; `pub use` re-exports are followed to the file that defines
//! the name. A file's importing its own parent or children is not a circle (a `mod.rs` is the
//! module's front door).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// A module by its path from the crate root: `["http", "pages", "forms"]`; `[]` is `lib.rs`.
type Module = Vec<String>;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The top-level modules in the order docs/architecture.md lists them under "Layers and
/// folders": the indented `name.rs` and `name/` lines of its first code block.
fn documented_layers(architecture: &str) -> Vec<String> {
    let section = architecture
        .split_once("## Layers and folders")
        .map(|(_, rest)| rest)
        .expect("docs/architecture.md has a \"Layers and folders\" section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the section opens with a code block of src/");
    block
        .lines()
        .filter_map(|line| line.strip_prefix("  "))
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|name| name.strip_suffix(".rs").or(name.strip_suffix('/')))
        .map(str::to_owned)
        .collect()
}

/// Every source file of the library, by module (main.rs is a crate of its own).
fn library_sources() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src/ is readable")
            .map(|e| e.expect("a src/ entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file names")
                .to_owned();
            let mut module = prefix.to_vec();
            if path.is_dir() {
                module.push(name);
                walk(&path, &module, out);
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            match (prefix.is_empty(), stem) {
                (true, "main") => continue,
                (true, "lib") | (false, "mod") => {}
                _ => module.push(stem.to_owned()),
            }
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            out.insert(module, text);
        }
    }
    let mut out = BTreeMap::new();
    walk(&root().join("src"), &[], &mut out);
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

/// Identifiers, `::` and punctuation; comments, strings, characters, lifetimes and numbers
/// are dropped, so a path in a doc comment or a URL in a string is never read as an import.
fn tokens(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let ident_start = |ch: char| ch.is_ascii_alphabetic() || ch == '_';
    let ident_char = |ch: char| ch.is_ascii_alphanumeric() || ch == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (ch == 'r' || (ch == 'b' && at(i + 1) == 'r'))
            && matches!(at(i + 1 + usize::from(ch == 'b')), '"' | '#')
            && !(at(i + 1) == '#' && ident_start(at(i + 2)))
        {
            // A raw string: r"..", r#".."#, br"..".
            i += 1 + usize::from(ch == 'b');
            let mut hashes = 0;
            while at(i) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < c.len() && !(c[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#')) {
                i += 1;
            }
            i += 1 + hashes;
        } else if ch == '"' || (matches!(ch, 'b' | 'c') && at(i + 1) == '"') {
            i += if ch == '"' { 1 } else { 2 };
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if ch == '\'' {
            if at(i + 1) == '\\' {
                // '\n', '\'', '\u{..}': past the escaped character, then to the quote.
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // A lifetime or a label.
                i += 1;
                while ident_char(at(i)) {
                    i += 1;
                }
            }
        } else if ident_start(ch) || (ch == 'r' && at(i + 1) == '#') {
            if ch == 'r' && at(i + 1) == '#' {
                i += 2;
            }
            let start = i;
            while ident_char(at(i)) {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
        } else if ch.is_ascii_digit() {
            while ident_char(at(i)) {
                i += 1;
            }
        } else if ch == ':' && at(i + 1) == ':' {
            out.push(Tok::Sep);
            i += 2;
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

/// The leaves of a `use` tree starting at `toks[*i]`, up to its `;`: each a path and the name
/// it is known by (`None` for a glob).
fn use_tree(
    toks: &[Tok],
    i: &mut usize,
    prefix: &[String],
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix.to_vec();
    while let Some(tok) = toks.get(*i) {
        match tok {
            Tok::Ident(name) if name == "as" => {
                *i += 1;
                if let Some(Tok::Ident(alias)) = toks.get(*i) {
                    *i += 1;
                    out.push((path.clone(), Some(alias.clone())));
                }
                return;
            }
            Tok::Ident(name) => {
                path.push(name.clone());
                *i += 1;
            }
            Tok::Sep => *i += 1,
            Tok::Punct('*') => {
                *i += 1;
                out.push((path.clone(), None));
                return;
            }
            Tok::Punct('{') => {
                *i += 1;
                loop {
                    match toks.get(*i) {
                        None => return,
                        Some(Tok::Punct('}')) => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Punct(',')) => *i += 1,
                        Some(_) => use_tree(toks, i, &path, out),
                    }
                }
            }
            _ => break,
        }
    }
    let name = path.last().cloned();
    out.push((path, name));
}

/// One path written in a file, with the module it was written in (a file, or an inline
/// `mod tests` inside one).
struct Written {
    scope: Module,
    path: Vec<String>,
}

/// Every path a file writes that can name a module of this crate, and its `pub use`
/// re-exports (name, path).
fn paths(module: &Module, text: &str) -> (Vec<Written>, Vec<(String, Written)>) {
    let toks = tokens(text);
    let mut written = Vec::new();
    let mut exports = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    let scope_of = |inline: &[(String, usize)]| -> Module {
        module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect()
    };
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
            Tok::Ident(kw) if kw == "use" => {
                // `pub use`, `pub(crate) use`, ...: a re-export.
                let mut k = i;
                while k > 0
                    && match &toks[k - 1] {
                        Tok::Punct('(' | ')') => true,
                        Tok::Ident(w) => matches!(w.as_str(), "crate" | "super" | "in" | "self"),
                        _ => false,
                    }
                {
                    k -= 1;
                }
                let public = k > 0 && toks[k - 1] == Tok::Ident("pub".into());
                i += 1;
                let mut leaves = Vec::new();
                use_tree(&toks, &mut i, &[], &mut leaves);
                let scope = scope_of(&inline);
                for (path, name) in leaves {
                    if public && let Some(name) = name {
                        exports.push((
                            name,
                            Written {
                                scope: scope.clone(),
                                path: path.clone(),
                            },
                        ));
                    }
                    written.push(Written {
                        scope: scope.clone(),
                        path,
                    });
                }
                continue;
            }
            Tok::Ident(first) if i == 0 || toks[i - 1] != Tok::Sep => {
                let mut path = vec![first.clone()];
                let mut k = i + 1;
                while let (Some(Tok::Sep), Some(Tok::Ident(next))) = (toks.get(k), toks.get(k + 1))
                {
                    path.push(next.clone());
                    k += 2;
                }
                if path.len() > 1 {
                    written.push(Written {
                        scope: scope_of(&inline),
                        path,
                    });
                }
                i = k;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (written, exports)
}

/// The crate's files, what each imports, and the re-exports that lead a name to its file.
struct Crate {
    files: BTreeSet<Module>,
    written: BTreeMap<Module, Vec<Written>>,
    exports: BTreeMap<(Module, String), Written>,
}

impl Crate {
    fn new(sources: &BTreeMap<Module, String>) -> Self {
        let mut written = BTreeMap::new();
        let mut exports = BTreeMap::new();
        for (module, text) in sources {
            let (paths, reexports) = paths(module, text);
            written.insert(module.clone(), paths);
            for (name, path) in reexports {
                exports.insert((module.clone(), name), path);
            }
        }
        Self {
            files: sources.keys().cloned().collect(),
            written,
            exports,
        }
    }

    /// The file a path written in `scope` leads to, if it is one of this crate's.
    fn resolve(&self, scope: &[String], path: &[String], hops: usize) -> Option<Module> {
        let (mut full, rest): (Module, &[String]) = match path.first().map(String::as_str) {
            Some("crate") => (Vec::new(), &path[1..]),
            Some("super" | "self") => {
                let mut base = scope.to_vec();
                let mut rest = path;
                while let Some(first) = rest.first() {
                    match first.as_str() {
                        "super" => {
                            base.pop()?;
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
                (base, rest)
            }
            Some(child) => {
                let mut child_path = scope.to_vec();
                child_path.push(child.to_owned());
                if !self.files.contains(&child_path) {
                    return None;
                }
                (scope.to_vec(), path)
            }
            None => return None,
        };
        full.extend(rest.iter().cloned());
        let file = (0..=full.len())
            .rev()
            .map(|n| full[..n].to_vec())
            .find(|m| self.files.contains(m))?;
        // A name the file re-exports leads on to where it comes from.
        if let Some(next) = full.get(file.len())
            && hops < 8
            && let Some(export) = self.exports.get(&(file.clone(), next.clone()))
        {
            let mut onward = export.path.clone();
            onward.extend(full[file.len() + 1..].iter().cloned());
            if let Some(there) = self.resolve(&export.scope, &onward, hops + 1) {
                return Some(there);
            }
        }
        Some(file)
    }

    /// Every import from one file to another: (importer, imported).
    fn imports(&self) -> BTreeSet<(Module, Module)> {
        let mut edges = BTreeSet::new();
        for (file, written) in &self.written {
            for w in written {
                if let Some(to) = self.resolve(&w.scope, &w.path, 0)
                    && &to != file
                {
                    edges.insert((file.clone(), to));
                }
            }
        }
        edges
    }
}

fn show(m: &[String]) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// Imports among the children of one module: from a child, to a child, by the files that
/// make the first such import.
type Graph = BTreeMap<String, BTreeMap<String, (Module, Module)>>;

/// What breaks the layers: imports of a top-level module from one listed below it (or not
/// listed), and circles among the files and folders of any one module.
fn broken(sources: &BTreeMap<Module, String>, layers: &[String]) -> Vec<String> {
    let krate = Crate::new(sources);
    let edges = krate.imports();
    let mut problems = Vec::new();
    let rank = |top: &str| layers.iter().position(|l| l == top);
    for top in sources
        .keys()
        .filter_map(|m| m.first())
        .collect::<BTreeSet<_>>()
    {
        if rank(top).is_none() {
            problems.push(format!(
                "{top} is not in docs/architecture.md's picture of the layers"
            ));
        }
    }
    // Sibling imports, by the module they meet in: (a, b) where a and b are children of it.
    let mut siblings: BTreeMap<Module, Graph> = BTreeMap::new();
    for (from, to) in &edges {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue; // a parent and its child
        }
        let (a, b) = (&from[common], &to[common]);
        if common == 0
            && let (Some(ra), Some(rb)) = (rank(a), rank(b))
            && ra < rb
        {
            problems.push(format!(
                "{} imports {}: {a} is listed above {b} in docs/architecture.md, so it may not \
                 import it",
                show(from),
                show(to)
            ));
        }
        siblings
            .entry(from[..common].to_vec())
            .or_default()
            .entry(a.clone())
            .or_default()
            .entry(b.clone())
            .or_insert_with(|| (from.clone(), to.clone()));
    }
    for (parent, graph) in &siblings {
        if let Some(circle) = find_circle(graph) {
            let steps: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    let (from, to) = &graph[&w[0]][&w[1]];
                    format!("{} uses {}", show(from), show(to))
                })
                .collect();
            problems.push(format!(
                "a circle inside {}: {}",
                show(parent),
                steps.join(", ")
            ));
        }
    }
    problems
}

/// A circle of the graph, as the nodes on it with the first repeated at the end.
fn find_circle<V>(graph: &BTreeMap<String, BTreeMap<String, V>>) -> Option<Vec<String>> {
    fn visit<V>(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, V>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(circle) = visit(next, graph, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn every_import_points_down_and_no_files_import_each_other_in_a_circle() {
    let architecture =
        std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    let layers = documented_layers(&architecture);
    let sources = library_sources();
    let problems = broken(&sources, &layers);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The reading sees the imports that are there: a check that read nothing would pass too.
    let edges = Crate::new(&sources).imports();
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Module>();
    for (from, to) in [
        ("flows::signup", "storage"),
        ("error", "domain::invalid"),
        ("http::pages::explain", "http::pages::render"),
        ("http::pages::explain", "http::rejection"),
        ("cli::operator", "error"),
    ] {
        assert!(edges.contains(&(m(from), m(to))), "{from} → {to} not seen");
    }
}

#[test]
fn an_upward_import_and_a_circle_of_files_are_found() {
    let source = |m: &str, text: &str| {
        let module: Module = m
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        (module, text.to_owned())
    };
    let layers = ["domain".to_owned(), "flows".to_owned()];
    // `crate::Error`, re-exported by lib.rs, is flows' error: the domain may not name it.
    let upward = BTreeMap::from([
        source("", "pub use flows::Error;\nmod domain;\nmod flows;"),
        source("domain", "fn f() -> Result<(), crate::Error> { Ok(()) }"),
        source("flows", "pub struct Error; use crate::domain;"),
    ]);
    let problems = broken(&upward, &layers);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("domain imports flows")),
        "{problems:?}"
    );
    let circle = BTreeMap::from([
        source("", "mod domain;"),
        source("domain", "mod a; mod b; mod c;"),
        source("domain::a", "use super::b::B; pub struct A;"),
        source("domain::b", "pub struct B(super::c::C);"),
        // A string, a comment and a test module of its own are not imports; the last line is.
        source(
            "domain::c",
            "// super::b\nconst S: &str = \"super::b::B\";\nmod tests { use super::*; }\n\
             pub struct C(Box<crate::domain::a::A>);",
        ),
    ]);
    assert_eq!(
        broken(&circle, &layers),
        [
            "a circle inside domain: domain::a uses domain::b, domain::b uses domain::c, \
             domain::c uses domain::a"
        ]
    );
    let unlisted = BTreeMap::from([source("", "mod views;"), source("views", "")]);
    assert_eq!(
        broken(&unlisted, &layers),
        ["views is not in docs/architecture.md's picture of the layers"]
    );
}
