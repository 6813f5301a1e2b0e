//! Plain text: blocks are separated by blank lines. A first block that is one short line
//! without closing punctuation is the title; `- ` / `* ` lines are list items and `> ` lines
//! quotes, since reporters type them that way even outside Markdown.

use super::{Block, BlockKind, join_lines};

const MAX_TITLE_CHARS: usize = 200;

pub(super) fn parse(text: &str) -> (Option<String>, Vec<Block>) {
    let mut blocks: Vec<Block> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    // Whether the first block is a paragraph of a single line, the shape of a headline.
    let mut first_is_one_line = false;
    let mut flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if paragraph.is_empty() {
            return;
        }
        if blocks.is_empty() {
            first_is_one_line = paragraph.len() == 1;
        }
        blocks.push(Block::new(
            BlockKind::Paragraph,
            join_lines(paragraph.drain(..)),
        ));
    };
    for line in text.lines() {
        let trimmed = line.trim();
        let marked = [
            ("- ", BlockKind::ListItem),
            ("* ", BlockKind::ListItem),
            ("> ", BlockKind::Quote),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| trimmed.strip_prefix(prefix).map(|rest| (kind, rest.trim())));
        match marked {
            _ if trimmed.is_empty() => flush(&mut paragraph, &mut blocks),
            None => paragraph.push(trimmed),
            Some((_, "")) => flush(&mut paragraph, &mut blocks),
            Some((kind, rest)) => {
                let continues_quote = paragraph.is_empty()
                    && kind == BlockKind::Quote
                    && blocks.last().is_some_and(|b| b.kind == BlockKind::Quote);
                flush(&mut paragraph, &mut blocks);
                match blocks.last_mut() {
                    Some(last) if continues_quote => {
                        last.text = join_lines([last.text.as_str(), rest])
                    }
                    _ => blocks.push(Block::new(kind, rest.to_string())),
                }
            }
        }
    }
    flush(&mut paragraph, &mut blocks);
    let title = match blocks.first() {
        Some(b)
            if first_is_one_line && b.kind == BlockKind::Paragraph && looks_like_title(&b.text) =>
        {
            Some(blocks.remove(0).text)
        }
        _ => None,
    };
    (title, blocks)
}

fn looks_like_title(text: &str) -> bool {
    text.chars().count() <= MAX_TITLE_CHARS
        && !text.ends_with(['.', '!', '?', '。', '！', '？', '।', ':', ';'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_paragraphs_lists_quotes() {
        let (title, blocks) = parse(
            "Floods close the port\n\nHeavy rain fell\nall night.\n\n- first\n- second\n\n> A quote\n> goes on.\n\nEnd.",
        );
        assert_eq!(title.as_deref(), Some("Floods close the port"));
        let kinds: Vec<_> = blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (BlockKind::Paragraph, "Heavy rain fell all night."),
                (BlockKind::ListItem, "first"),
                (BlockKind::ListItem, "second"),
                (BlockKind::Quote, "A quote goes on."),
                (BlockKind::Paragraph, "End."),
            ]
        );
    }

    #[test]
    fn a_sentence_first_is_not_a_title() {
        let (title, blocks) = parse("It rained.\n\nThen it stopped.");
        assert_eq!(title, None);
        assert_eq!(blocks.len(), 2);
    }
}
