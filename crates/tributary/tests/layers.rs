//! The layers of DESIGN §4, checked on every `cargo test`: the server's modules form layers that
//! only point down (shell → web → stream → resources → auth → state → store → bus), no import
//! circle runs across top-level modules, and `store/` knows nothing of HTTP.
//!
//! The module graph is read from the sources as `layers.py` (the checker DESIGN §4 names)
//! reads it: every `use crate::…`/`use super::…` and every `crate::…`/`super::…` path in a
//! file, comments included, outside its `#[cfg(test)] mod tests`, resolved to the file that
//! defines it; grouped imports (`use crate::{a, b}`) count too. A file's module is its
//! top-level directory or file under `src/`. The tables below are `layers.py`'s.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

#[path = "layers/paths.rs"]
mod paths;

use paths::{expand, inline_paths, use_paths, without_tests, Root};

/// Files by their path under `src/`, e.g. `auth/session.rs`.
type Graph = BTreeMap<String, BTreeSet<String>>;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The resources (DESIGN §4): they may use each other, as long as no circle forms.
const DOMAIN: &[&str] = &[
    "messages",
    "threads",
    "sources",
    "flows",
    "apps",
    "actions",
    "files",
    "users",
    "organizations",
    "private",
    "invitations",
    "audit",
    "limits",
];

/// Every other module with a layer; the rest are leaf helpers, usable from anywhere.
const LAYER: &[(&str, &str)] = &[
    ("store", "Store"),
    ("bus", "Bus"),
    ("auth", "Auth"),
    ("oauth", "Auth"),
    ("web", "Web"),
    ("stream", "Stream"),
    ("state", "State"),
    ("server", "Shell"),
    ("cli", "Shell"),
    ("main", "Shell"),
    ("lib", "Shell"),
    ("config", "Shell"),
];

/// The directions an import must never take.
const NEVER: &[(&str, &str)] = &[
    ("Store", "Domain"),
    ("Store", "Web"),
    ("Store", "Auth"),
    ("Store", "Stream"),
    ("Store", "Shell"),
    ("Auth", "Web"),
    ("Auth", "Domain"),
    ("Auth", "Stream"),
    ("Domain", "Web"),
    ("Domain", "Shell"),
    ("Bus", "Store"),
    ("State", "Domain"),
    ("State", "Web"),
    ("State", "Stream"),
    ("Stream", "Web"),
];

#[test]
fn no_import_circle_runs_across_modules() {
    let graph = graph();
    let crossing: Vec<_> = circles(&graph)
        .into_iter()
        .filter(|c| c.iter().map(|f| top(f)).collect::<BTreeSet<_>>().len() > 1)
        .collect();
    assert!(
        crossing.is_empty(),
        "import circles across modules: {crossing:#?}"
    );
}

#[test]
fn modules_use_each_other_as_a_dag() {
    let mut modules = Graph::new();
    for (from, tos) in graph() {
        let uses = modules.entry(top(&from)).or_default();
        uses.extend(tos.iter().map(|t| top(t)).filter(|t| *t != top(&from)));
    }
    let circles = circles(&modules);
    assert!(circles.is_empty(), "modules in a circle: {circles:?}");
}

#[test]
fn imports_only_point_down() {
    let mut up = Vec::new();
    for (from, tos) in graph() {
        for to in tos {
            let edge = (layer(&top(&from)), layer(&top(&to)));
            if NEVER.contains(&(edge.0.as_str(), edge.1.as_str())) {
                up.push(format!("{} -> {}: {from} -> {to}", edge.0, edge.1));
            }
        }
    }
    assert!(up.is_empty(), "imports pointing up: {up:#?}");
}

#[test]
fn the_store_knows_no_http() {
    let http: Vec<_> = rust_files(&Path::new(SRC).join("store"))
        .into_iter()
        .filter(|f| without_tests(&read(f)).contains("axum::"))
        .collect();
    assert!(http.is_empty(), "store files using axum: {http:?}");
}

/// Which files each file uses.
fn graph() -> Graph {
    let src = Path::new(SRC);
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let rel = relative(src, &file);
        let module = module_of(&rel);
        let text = read(&file);
        let text = without_tests(&text);
        let mut paths = use_paths(text);
        paths.extend(inline_paths(text));
        let uses = graph.entry(rel.clone()).or_default();
        for (root, path) in paths {
            let mut segments: Vec<&str> = match root {
                Root::Crate => Vec::new(),
                Root::Super => module[..module.len().saturating_sub(1)].to_vec(),
            };
            segments.extend(path.split("::").filter(|s| !s.is_empty()));
            if let Some(target) = resolve(src, &segments) {
                if target != rel {
                    uses.insert(target);
                }
            }
        }
    }
    graph
}

/// `a/b/mod.rs` and `a/b.rs` are module `a::b`; `lib.rs` is the crate root.
fn module_of(rel: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
    if matches!(parts.last(), Some(&("mod" | "lib" | "main"))) {
        parts.pop();
    }
    parts
}

/// The file defining the longest prefix of `segments` that is a module.
fn resolve(src: &Path, segments: &[&str]) -> Option<String> {
    let segments: Vec<&str> = segments
        .iter()
        .copied()
        .filter(|s| *s != "self" && *s != "*")
        .collect();
    (1..=segments.len()).rev().find_map(|n| {
        let base = segments[..n].join("/");
        [format!("{base}.rs"), format!("{base}/mod.rs")]
            .into_iter()
            .find(|candidate| src.join(candidate).is_file())
    })
}

/// Circles of more than one node (Tarjan's strongly connected components).
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        out: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w.as_str()]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w.as_str()) {
                    let low = self.low[v].min(self.index[w.as_str()]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().rposition(|x| *x == v).unwrap_or(0);
                let component: Vec<String> = self.stack.drain(at..).map(str::to_owned).collect();
                if component.len() > 1 {
                    self.out.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

/// The top-level module of a file: `auth/session.rs` → `auth`, `state.rs` → `state`.
fn top(rel: &str) -> String {
    let head = rel.split('/').next().unwrap_or(rel);
    head.trim_end_matches(".rs").to_owned()
}

fn layer(top: &str) -> String {
    if DOMAIN.contains(&top) {
        return "Domain".into();
    }
    LAYER
        .iter()
        .find(|(module, _)| *module == top)
        .map(|(_, layer)| (*layer).to_owned())
        .unwrap_or_else(|| format!("Leaf:{top}"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in fs::read_dir(&d).expect("src/ is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src/");
    rel.to_string_lossy().replace('\\', "/")
}

fn read(file: &Path) -> String {
    fs::read_to_string(file).expect("a source file is readable")
}

#[test]
fn the_reader_sees_what_layers_py_sees() {
    assert_eq!(
        expand("a::{b::{c,d},e as f,self}"),
        ["a::b::c", "a::b::d", "a::e", "a::self"]
    );
    let text = "use crate::x::{y, z::W};\n// see crate::docs::Thing and super::sib.\n\
                #[cfg(test)]\nmod tests { use crate::tests_only; }";
    let text = without_tests(text);
    assert_eq!(use_paths(text).len(), 2);
    let inline: Vec<String> = inline_paths(text).into_iter().map(|(_, p)| p).collect();
    assert_eq!(inline, ["x", "docs", "sib"]);
    assert_eq!(module_of("auth/mod.rs"), ["auth"]);
    assert_eq!(module_of("web/error.rs"), ["web", "error"]);
    assert_eq!(top("state/revocation/grant.rs"), "state");
    assert_eq!(layer("oauth"), "Auth");
    assert_eq!(layer("error"), "Leaf:error");
}
