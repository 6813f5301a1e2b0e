//! Markdown via pulldown-cmark: headings, paragraphs, block quotes and list items become
//! blocks; inline markup (emphasis, links, code) is kept as Markdown inside the block text
//! so that a translation can carry it through. A leading level-1 heading is the title.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use super::{Block, BlockKind, join_lines};

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Quote,
    Item,
}

#[derive(Default)]
struct Builder {
    title: Option<String>,
    blocks: Vec<Block>,
    containers: Vec<Container>,
    text: String,
    links: Vec<String>,
}

impl Builder {
    fn flush(&mut self, heading: Option<HeadingLevel>) {
        let text = join_lines(self.text.lines());
        self.text.clear();
        if text.is_empty() {
            return;
        }
        if heading == Some(HeadingLevel::H1) && self.title.is_none() && self.blocks.is_empty() {
            self.title = Some(text);
            return;
        }
        let kind = match (heading, self.containers.last()) {
            (Some(_), _) => BlockKind::Heading,
            (None, Some(Container::Item)) => BlockKind::ListItem,
            (None, Some(Container::Quote)) => BlockKind::Quote,
            (None, None) => BlockKind::Paragraph,
        };
        self.blocks.push(Block::new(kind, text));
    }
}

pub(super) fn parse(text: &str) -> (Option<String>, Vec<Block>) {
    let mut b = Builder::default();
    let mut heading = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some(level),
            Event::End(TagEnd::Heading(_)) => b.flush(heading.take()),
            Event::End(TagEnd::Paragraph | TagEnd::CodeBlock) => b.flush(None),
            Event::Start(Tag::BlockQuote(_)) => b.containers.push(Container::Quote),
            Event::Start(Tag::Item) => b.containers.push(Container::Item),
            Event::End(TagEnd::BlockQuote(_)) => {
                b.flush(None);
                b.containers.pop();
            }
            Event::End(TagEnd::Item) => {
                b.flush(None);
                b.containers.pop();
            }
            // A nested list ends the text of the item it sits in.
            Event::Start(Tag::List(_)) => b.flush(None),
            Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => b.text.push('*'),
            Event::Start(Tag::Strong) | Event::End(TagEnd::Strong) => b.text.push_str("**"),
            Event::Start(Tag::Link { dest_url, .. }) => {
                b.text.push('[');
                b.links.push(dest_url.to_string());
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                b.text.push_str("![");
                b.links.push(dest_url.to_string());
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                let url = b.links.pop().unwrap_or_default();
                b.text.push_str(&format!("]({url})"));
            }
            Event::Code(code) => b.text.push_str(&format!("`{code}`")),
            Event::Text(t) | Event::InlineHtml(t) | Event::Html(t) => b.text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => b.text.push('\n'),
            _ => {}
        }
    }
    b.flush(None);
    (b.title, b.blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_every_kind() {
        let (title, blocks) = parse(
            "# Port closed\n\nRain *fell* for [two days](https://x.test/a).\n\n## Damage\n\n- roads\n- `bridges`\n  - nested\n\n> Water rose\n> fast.\n",
        );
        assert_eq!(title.as_deref(), Some("Port closed"));
        let got: Vec<_> = blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    BlockKind::Paragraph,
                    "Rain *fell* for [two days](https://x.test/a)."
                ),
                (BlockKind::Heading, "Damage"),
                (BlockKind::ListItem, "roads"),
                (BlockKind::ListItem, "`bridges`"),
                (BlockKind::ListItem, "nested"),
                (BlockKind::Quote, "Water rose fast."),
            ]
        );
    }
}
