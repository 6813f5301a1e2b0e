//! Each output check caught, and acted on as configured, with the mock's faults: wrong
//! language, dropped number, merged blocks, truncation.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use common::*;
use lingo::mock::MockOptions;

struct Case {
    faults: MockOptions,
    validation: &'static str,
    /// Requests the faulty first backend gets for the one chunk.
    first_calls: u64,
    /// Requests the clean fallback gets.
    second_calls: u64,
    warning: &'static str,
}

async fn check(case: Case) {
    let faulty = mock(case.faults).await;
    let clean = mock(MockOptions::default()).await;
    let text = format!(
        "{}{}{}\n[validation]\n{}\n",
        backend("faulty", &faulty.openai_url(), ""),
        backend("clean", &clean.openai_url(), ""),
        route(&["faulty", "clean"]),
        case.validation
    );
    let cfg = write("validation.toml", text);
    let doc = json(&translate("pt-feira-livros.txt", "en", &cfg, &[]).await);
    let (first, second) = (faulty.stats().requests, clean.stats().requests);
    assert_eq!(
        (first, second),
        (case.first_calls, case.second_calls),
        "{}",
        case.validation
    );
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains(case.warning)),
        "{:?} not in {warnings:?}",
        case.warning
    );
    if case.second_calls > 0 {
        assert_faithful(&doc, &["en"]);
    }
}

#[tokio::test]
async fn wrong_language_is_retried_then_moved_on() {
    let faults = MockOptions {
        wrong_lang_rate: 1.0,
        ..MockOptions::default()
    };
    check(Case {
        faults,
        validation: "",
        first_calls: 3,
        second_calls: 1,
        warning: "the answer is in de, not en",
    })
    .await;
}

#[tokio::test]
async fn wrong_language_can_move_on_at_once_or_be_kept() {
    let faults = MockOptions {
        wrong_lang_rate: 1.0,
        ..MockOptions::default()
    };
    check(Case {
        faults: faults.clone(),
        validation: "language = \"next\"",
        first_calls: 1,
        second_calls: 1,
        warning: "moving on",
    })
    .await;
    check(Case {
        faults,
        validation: "language = \"warn\"",
        first_calls: 1,
        second_calls: 0,
        warning: "kept despite: the answer is in de",
    })
    .await;
}

#[tokio::test]
async fn dropped_numbers_are_caught_or_kept_as_configured() {
    let faults = MockOptions {
        drop_number_rate: 1.0,
        ..MockOptions::default()
    };
    check(Case {
        faults: faults.clone(),
        validation: "",
        first_calls: 3,
        second_calls: 1,
        warning: "lacks the number",
    })
    .await;
    check(Case {
        faults: faults.clone(),
        validation: "numbers = \"next\"",
        first_calls: 1,
        second_calls: 1,
        warning: "moving on",
    })
    .await;
    check(Case {
        faults,
        validation: "numbers = \"warn\"",
        first_calls: 1,
        second_calls: 0,
        warning: "kept despite: block 1 of the answer lacks the number 85",
    })
    .await;
}

#[tokio::test]
async fn truncated_and_merged_answers_are_never_used() {
    let truncating = MockOptions {
        truncate_rate: 1.0,
        ..MockOptions::default()
    };
    check(Case {
        faults: truncating,
        validation: "",
        first_calls: 3,
        second_calls: 1,
        warning: "cut short",
    })
    .await;
    let merging = MockOptions {
        merge_rate: 1.0,
        ..MockOptions::default()
    };
    check(Case {
        faults: merging,
        validation: "numbers = \"warn\"",
        first_calls: 3,
        second_calls: 1,
        warning: "blocks merged or split",
    })
    .await;
}

#[tokio::test]
async fn unknown_validation_keys_and_actions_are_config_errors() {
    for (validation, expect) in [
        ("colour = \"retry\"", "validation.colour: unknown field"),
        (
            "numbers = \"ignore\"",
            "validation.numbers: unknown variant `ignore`",
        ),
    ] {
        let cfg = write(
            "bad-validation.toml",
            format!(
                "{}{}\n[validation]\n{validation}\n",
                backend("a", "http://127.0.0.1:9/v1", ""),
                route(&["a"])
            ),
        );
        let out = lingo(&["check-config", cfg.to_str().unwrap()], &[]).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(expect), "{}", stderr(&out));
    }
}

/// A problem kept by a `warn` action names the source block it concerns.
#[tokio::test]
async fn kept_problems_name_their_block() {
    let faulty = mock(MockOptions {
        drop_number_rate: 1.0,
        ..MockOptions::default()
    })
    .await;
    let text = format!(
        "{}{}\n[validation]\nnumbers = \"warn\"\n",
        backend("faulty", &faulty.openai_url(), ""),
        route(&["faulty"])
    );
    let cfg = write("block.toml", text);
    let article = write(
        "numbers.txt",
        "Festival closes its doors\n\nThe organisers thanked the volunteers and the city.\n\nThe festival sold 4200 tickets in three days.\n",
    );
    let out = lingo(
        &[
            "translate",
            article.to_str().unwrap(),
            "--to",
            "pt",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let doc = json(&out);
    let warning = &doc["warnings"][0];
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("lacks the number 4200"),
        "{warning}"
    );
    assert_eq!(
        warning["block"], 1,
        "source.blocks[1] holds the number: {warning}"
    );
    assert_eq!(warning["chunk"], 0);
}
