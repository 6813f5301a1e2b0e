//! BCP 47 tags as DeepL's language codes: targets with the variants DeepL has
//! (EN-GB/EN-US, PT-BR/PT-PT, ZH-HANS/ZH-HANT), sources as bare languages.

use crate::lang::LangTag;

/// DeepL's target codes for `tag`, most specific first: variants where DeepL has them
/// (EN-GB, EN-US, PT-BR, PT-PT, ZH-HANS, ZH-HANT), then the bare language.
pub(super) fn target_candidates(tag: &LangTag) -> Vec<String> {
    let primary = tag.primary().to_ascii_uppercase();
    let region = tag.region().map(str::to_ascii_uppercase);
    let mut out = Vec::new();
    match (tag.primary(), region.as_deref()) {
        ("en", Some("GB" | "IE" | "AU" | "NZ" | "ZA" | "IN")) => out.push("EN-GB".to_string()),
        ("en", _) => out.push("EN-US".to_string()),
        ("pt", Some("BR")) => out.push("PT-BR".to_string()),
        ("pt", _) => out.push("PT-PT".to_string()),
        ("zh", region) => {
            let traditional =
                tag.script() == Some("Hant") || matches!(region, Some("TW" | "HK" | "MO"));
            out.push(if traditional { "ZH-HANT" } else { "ZH-HANS" }.to_string());
        }
        (_, Some(region)) => out.push(format!("{primary}-{region}")),
        _ => {}
    }
    out.push(primary);
    out
}

/// Source languages carry no variant at DeepL.
pub(super) fn source_code(tag: &LangTag) -> String {
    tag.primary().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(tag: &str) -> Vec<String> {
        target_candidates(&LangTag::parse(tag).unwrap())
    }

    #[test]
    fn bcp47_to_deepl_codes() {
        assert_eq!(codes("pt-BR"), ["PT-BR", "PT"]);
        assert_eq!(codes("pt"), ["PT-PT", "PT"]);
        assert_eq!(codes("en"), ["EN-US", "EN"]);
        assert_eq!(codes("en-GB"), ["EN-GB", "EN"]);
        assert_eq!(codes("zh"), ["ZH-HANS", "ZH"]);
        assert_eq!(codes("zh-TW"), ["ZH-HANT", "ZH"]);
        assert_eq!(codes("zh-Hant"), ["ZH-HANT", "ZH"]);
        assert_eq!(codes("ru"), ["RU"]);
        assert_eq!(source_code(&LangTag::parse("pt-BR").unwrap()), "PT");
    }
}
