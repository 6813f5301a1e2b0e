//! HTML pages: the main content (readability's heuristics, through dom_smoothie) comes
//! out as Markdown and is read as Markdown. Navigation, sidebars and footers stay out;
//! the page title becomes the article's title.

use dom_smoothie::{Config, Readability, TextMode};

use super::{ArticleError, Block, BlockKind, markdown};

pub(super) fn parse(html: &str) -> Result<(Option<String>, Vec<Block>), ArticleError> {
    let config = Config {
        text_mode: TextMode::Markdown,
        // News briefs are short: take the best candidate however few characters it has.
        char_threshold: 0,
        ..Config::default()
    };
    let mut page = Readability::new(html, None, Some(config))
        .map_err(|e| ArticleError::Html(e.to_string()))?;
    let found = page
        .parse()
        .map_err(|e| ArticleError::Html(e.to_string()))?;
    let (heading, mut blocks) = markdown::parse(&found.text_content);
    let title = Some(found.title.trim().to_string())
        .filter(|t| !t.is_empty())
        .or(heading);
    // The page title often repeats as the first heading of the content.
    if let (Some(t), Some(first)) = (&title, blocks.first())
        && first.kind == BlockKind::Heading
        && first.text.trim() == t.trim()
    {
        blocks.remove(0);
    }
    Ok((title, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_story_and_leaves_the_page_furniture() {
        let html = r#"<html><head><title>Dams run low</title></head><body>
            <nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav>
            <article><h1>Dams run low</h1>
            <p>The water board of Port Leandro voted 7 to 2 on Thursday to ration water, the first such order since 1985.</p>
            <h2>What changes</h2>
            <p>Households may use 150 litres a day from Monday, and the measure lasts at least 90 days, officials said.</p>
            <ul><li>Gardens may be watered twice a week.</li><li>Car washes close.</li></ul>
            </article>
            <footer>© 2026 Port Leandro Herald. All rights reserved.</footer></body></html>"#;
        let (title, blocks) = parse(html).unwrap();
        assert_eq!(title.as_deref(), Some("Dams run low"));
        let kinds: Vec<BlockKind> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Paragraph,
                BlockKind::Heading,
                BlockKind::Paragraph,
                BlockKind::ListItem,
                BlockKind::ListItem
            ],
            "{blocks:?}"
        );
        let text: String = blocks.iter().map(|b| b.text.as_str()).collect();
        assert!(
            text.contains("150 litres")
                && !text.contains("Sport")
                && !text.contains("rights reserved")
        );
    }
}
