//! The module layers of ARCHITECTURE.md, kept true: a module of `src/` may name
//! (`crate::…`) only modules of lower layers, so the imports form no circle and nothing
//! reaches back up the data flow. A new module fails this test until it is given a layer.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

use std::collections::BTreeSet;
use std::path::Path;

/// Bottom first; modules in one layer do not import each other.
const LAYERS: &[&[&str]] = &[
    &[
        "protocol",
        "lang",
        "hash",
        "secret",
        "sentences",
        "marker",
        "chunk",
        "store",
    ],
    &["detect", "length", "protect"],
    &["article", "extractive", "glossary", "checks"],
    &["prompts", "mock"],
    &["config"],
    &["backend"],
    &["dispatch", "router"],
    &["gateway"],
    &["pipeline"],
    &["output"],
    &["server"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level module a file of `src/` belongs to (`src/server/jobs.rs` → `server`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// Every `crate::name` a file mentions.
fn named(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .filter(|(i, _)| {
            // `crate::` on its own, not the tail of a longer path such as `mycrate::`.
            !text[..*i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (end > 0).then(|| rest[..end].to_string())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(own) = layer(&module) else {
            wrong.push(format!(
                "{}: module '{module}' has no layer",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source is UTF-8");
        for used in named(&text).into_iter().filter(|u| *u != module) {
            match layer(&used) {
                Some(l) if l < own => {}
                Some(l) => wrong.push(format!(
                    "{}: {module} (layer {own}) names crate::{used} (layer {l})",
                    file.display()
                )),
                None => wrong.push(format!("{}: crate::{used} has no layer", file.display())),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_reads_paths_as_meant() {
    let text = "use crate::lang::LangTag;\nlet x = crate::output::document(&o);\nmycrate::x";
    assert_eq!(
        named(text).into_iter().collect::<Vec<_>>(),
        ["lang", "output"]
    );
    assert_eq!(layer("server"), Some(LAYERS.len() - 1));
}
