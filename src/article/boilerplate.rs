//! Which blocks are page furniture rather than the story: copyright and licence notices,
//! company registration lines, share/print link rows, navigation crumbs, newsletter
//! prompts. Summaries never draw from them; translations leave them out unless asked.
//!
//! Judged by marker phrases in the languages lingo serves, and only on short blocks: a
//! paragraph of the story that mentions copyright is still the story.

/// Longer than this, a block is prose even if it holds a marker phrase.
const MAX_NOTICE_CHARS: usize = 300;
const MAX_CRUMB_CHARS: usize = 120;

const NOTICES: &[&str] = &[
    "©",
    "(c) 19",
    "(c) 20",
    "copyright",
    "all rights reserved",
    "todos os direitos reservados",
    "todos los derechos reservados",
    "tous droits réservés",
    "alle rechte vorbehalten",
    "alle regte voorbehou",
    "все права защищены",
    "版权所有",
    "保留所有权利",
    "सर्वाधिकार सुरक्षित",
    "licensed under",
    "creative commons",
    "registered in england",
    "registered office",
    "company no",
    "company number",
    "registration no",
    "reg. no",
    "cnpj",
    "issn",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "assine a newsletter",
    "read more:",
    "leia mais:",
];

/// Words of share and print rows.
const SHARE_WORDS: &[&str] = &[
    "share",
    "print",
    "tweet",
    "email",
    "e-mail",
    "facebook",
    "twitter",
    "whatsapp",
    "linkedin",
    "telegram",
    "compartilhe",
    "compartilhar",
    "imprimir",
    "partager",
    "imprimer",
    "teilen",
    "drucken",
    "deel",
    "druk",
    "поделиться",
    "печать",
    "分享",
    "打印",
];

pub(super) fn is_boilerplate(text: &str) -> bool {
    let lower = text.to_lowercase();
    let chars = lower.chars().count();
    if chars <= MAX_NOTICE_CHARS && NOTICES.iter().any(|n| lower.contains(n)) {
        return true;
    }
    is_share_row(&lower) || (chars <= MAX_CRUMB_CHARS && is_crumb(&lower))
}

/// Mostly share/print words: "Share | Print | Email".
fn is_share_row(lower: &str) -> bool {
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    let shares = words.iter().filter(|w| SHARE_WORDS.contains(w)).count();
    shares >= 2 && shares * 2 >= words.len()
}

/// "Home > News > World": several separators and no sentence.
fn is_crumb(lower: &str) -> bool {
    let separators = [" > ", " › ", " » ", " / ", " | "];
    let count: usize = separators.iter().map(|s| lower.matches(s).count()).sum();
    count >= 2 && !lower.trim_end().ends_with(['.', '!', '?', '。', '।'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: bool) {
        assert_eq!(is_boilerplate(text), expect, "{text:?}");
    }

    #[test]
    fn notices_rows_and_crumbs_but_not_prose() {
        check("© 2026 Northgate Herald Ltd. All rights reserved.", true);
        check(
            "Copyright 2026 Jornal da Serra. Todos os direitos reservados.",
            true,
        );
        check(
            "Registered in England and Wales, company no. 01234567.",
            true,
        );
        check("Share | Print | Email", true);
        check("Compartilhe: Facebook · WhatsApp · Imprimir", true);
        check("Home > News > Local", true);
        check("Все права защищены © 2026", true);
        check("本网站版权所有", true);
        check(
            "The council met on Tuesday to share the new budget with residents.",
            false,
        );
        check(
            "Rain fell for two days in a row and closed 12 roads in the north.",
            false,
        );
        let long_prose = format!(
            "{} The paper's copyright lawyers were consulted.",
            "The case went to court. ".repeat(15)
        );
        check(&long_prose, false);
    }
}
