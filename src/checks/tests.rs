//! The checks on answers, as tables of pieces, answers and what they must give.

use super::*;
use proptest::prelude::*;

proptest! {
    /// A provider may send anything: no answer text makes a check panic.
    #[test]
    fn any_answer_is_read_without_panic(answer in "(\\PC|<<<|<<<[0-9]>>>|<<< 1 >>>|<<<end>>>|>>>|\\n|\\r\\n|```|<think>|</think>|Sure:|[0-9]{1,4})*") {
        let en = LangTag::parse("en").unwrap();
        let pt = LangTag::parse("pt").unwrap();
        let _ = translation(&["One 1.", "Two 2."], &Answer::Marked(answer.clone()), &en, &pt);
        let _ = translation(&["One."], &Answer::Pieces(vec![answer.clone()]), &en, &pt);
        let _ = summary(&answer, "Rain closed 12 roads.", &pt);
        let _ = repair::marked(&answer);
        let _ = repair::plain(&answer);
        let _ = repair::marked(&format!("<think>{answer}"));
    }
}

/// `Ok(findings)` or the structural error.
fn check(pieces: &[&str], answer: &str, expect: Result<Vec<Finding>, Finding>) {
    let en = LangTag::parse("en").unwrap();
    let pt = LangTag::parse("pt-BR").unwrap();
    let answer = Answer::Marked(answer.to_string());
    let got = translation(pieces, &answer, &en, &pt).map(|(_, findings)| findings);
    assert_eq!(got, expect, "{answer:?}");
}

const SRC: [&str; 2] = [
    "Prices rose 2.5% to 1,200 dollars in 2024.",
    "The council met on Tuesday evening.",
];
const GOOD: &str = "<<<1>>>\nOs preços subiram 2,5% para 1.200 dólares em 2024.\n<<<2>>>\nA câmara reuniu-se na terça-feira à noite.\n<<<end>>>";

#[test]
fn structural_faults_make_an_answer_unusable() {
    check(&SRC, GOOD, Ok(vec![]));
    let merged = "<<<1>>>\nOs preços subiram 2,5% para 1.200 dólares em 2024. A câmara reuniu-se.\n<<<end>>>";
    check(
        &SRC,
        merged,
        Err(Finding::BlockCount {
            expected: 2,
            got: 1,
        }),
    );
    check(
        &SRC,
        &GOOD.replace("A câmara reuniu-se na terça-feira à noite.", " "),
        Err(Finding::EmptyBlock(2)),
    );
    check(
        &SRC,
        &GOOD.replace("A câmara reuniu-se na terça-feira à noite.", SRC[1]),
        Err(Finding::Echo(2)),
    );
    check(
        &SRC,
        &format!("Claro! {GOOD}"),
        Err(Finding::Markers(MarkerError::Preamble)),
    );
}

#[test]
fn content_findings_are_listed() {
    check(
        &SRC,
        &GOOD.replace("2024", "2023"),
        Ok(vec![Finding::MissingNumber {
            block: 1,
            number: "2024".into(),
        }]),
    );
    let russian = "<<<1>>>\nЦены выросли на 2,5% до 1.200 долларов в 2024 году.\n<<<2>>>\nСовет собрался во вторник вечером.\n<<<end>>>";
    check(
        &SRC,
        russian,
        Ok(vec![Finding::WrongLanguage {
            expected: "pt-BR".into(),
            found: "ru".into(),
        }]),
    );
    let long = "The council met on Tuesday evening to discuss the budget for the next five years.";
    let answer = "<<<1>>>\nA câmara reuniu-se.\n<<<end>>>";
    let en = LangTag::parse("en").unwrap();
    let pt = LangTag::parse("pt").unwrap();
    let (_, findings) = translation(&[long], &Answer::Marked(answer.into()), &en, &pt).unwrap();
    assert!(
        matches!(findings[..], [Finding::LengthRatio { block: 1, ratio }] if ratio < 0.34),
        "{findings:?}"
    );
}

#[test]
fn policy_picks_the_strongest_action() {
    let policy = Policy {
        numbers: Action::Warn,
        language: Action::Next,
        ..Policy::default()
    };
    let number = Finding::MissingNumber {
        block: 1,
        number: "7".into(),
    };
    let lang = Finding::WrongLanguage {
        expected: "pt".into(),
        found: "en".into(),
    };
    assert_eq!(
        policy.verdict(std::slice::from_ref(&number)),
        Some((Action::Warn, &number))
    );
    assert_eq!(
        policy.verdict(&[number.clone(), lang.clone()]),
        Some((Action::Next, &lang))
    );
    assert_eq!(policy.verdict(&[]), None);
    assert_eq!(policy.action(&Finding::EmptyBlock(1)), Action::Retry);
}

#[test]
fn summaries_are_grounded_and_in_language() {
    let pt = LangTag::parse("pt").unwrap();
    let source = "Rain closed 12 roads and 3 schools on Monday in the north of the country.";
    let good = "A chuva fechou 12 estradas e 3 escolas na segunda-feira no norte do país.";
    assert_eq!(
        summary(&format!(" {good}\n"), source, &pt),
        Ok((good.to_string(), vec![]))
    );
    assert_eq!(summary("  ", source, &pt), Err(Finding::EmptySummary));
    assert_eq!(
        summary(&format!("<<<1>>>\n{good}"), source, &pt),
        Err(Finding::MarkersInSummary)
    );
    let (_, findings) = summary(&good.replace("12", "15"), source, &pt).unwrap();
    assert_eq!(findings, vec![Finding::Ungrounded("15".into())]);
    for talk in [
        "Aqui está o resumo:\nA chuva fechou 12 estradas.",
        "Sure, here it is. A chuva fechou 12 estradas.",
    ] {
        assert!(
            matches!(summary(talk, source, &pt), Err(Finding::SummaryPreamble(_))),
            "{talk}"
        );
    }
    let noted = format!("{good}\n(Word count: 14)");
    assert!(matches!(
        summary(&noted, source, &pt),
        Err(Finding::SummaryCommentary(_))
    ));
    let (_, findings) = summary(source, source, &pt).unwrap();
    assert!(matches!(findings[..], [Finding::WrongLanguage { .. }]));
}

/// Short texts pass the language check however the answer comes back (one text per
/// piece, as DeepL answers, or marked blocks, as an LLM answers); a paragraph in the
/// wrong language is still caught both ways.
#[test]
fn short_texts_pass_and_wrong_paragraphs_do_not() {
    let tag = |t: &str| LangTag::parse(t).unwrap();
    let en = tag("en");
    let languages = |pieces: &[&str], answer: &[&str], target: &str| {
        let shapes = [
            Answer::Pieces(answer.iter().map(|a| a.to_string()).collect()),
            Answer::Marked(crate::marker::encode(answer.iter().copied())),
        ];
        shapes.map(|a| {
            let (_, findings) = translation(pieces, &a, &en, &tag(target)).unwrap();
            findings
                .into_iter()
                .filter(|f| matches!(f, Finding::WrongLanguage { .. }))
                .count()
        })
    };
    assert_eq!(
        languages(&["Water restrictions"], &["Waterbeperkings"], "af"),
        [0, 0]
    );
    assert_eq!(
        languages(&["Drought deepens"], &["Засуха усиливается"], "ru"),
        [0, 0]
    );
    assert_eq!(
        languages(&["Miriam Okafor"], &["Miriam Okafor"], "pt-BR"),
        [0, 0]
    );
    let paragraph = "The city council met on Tuesday evening to discuss the water budget.";
    assert_eq!(
        languages(
            &[paragraph],
            &[paragraph.replace("Tuesday", "Monday").as_str()],
            "pt-BR"
        ),
        [1, 1]
    );
}
