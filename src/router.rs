//! Which backends serve a (task, target language), in fallback order: the first
//! `[[routes]]` table, in file order, whose task matches and whose `langs` cover the target.

use crate::config::Route;
use crate::lang::LangTag;
use crate::protocol::Task;

pub(crate) fn route<'r>(routes: &'r [Route], task: Task, target: &LangTag) -> Option<&'r Route> {
    routes.iter().find(|r| {
        r.task == task
            && r.langs
                .as_ref()
                .is_none_or(|langs| langs.iter().any(|l| l.covers(target)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(langs: Option<&[&str]>, backend: &str) -> Route {
        Route {
            task: Task::Translate,
            langs: langs.map(|ls| ls.iter().map(|l| LangTag::parse(l).unwrap()).collect()),
            backends: vec![backend.to_string()],
            strategy: None,
        }
    }

    #[test]
    fn first_matching_route_wins() {
        let routes = [r(Some(&["pt", "zh-Hans"]), "a"), r(None, "b")];
        let pick = |t: &str| {
            route(&routes, Task::Translate, &LangTag::parse(t).unwrap())
                .map(|r| r.backends[0].as_str())
        };
        assert_eq!(pick("pt-BR"), Some("a"));
        assert_eq!(pick("zh-Hans"), Some("a"));
        assert_eq!(pick("zh"), Some("b"));
        assert_eq!(pick("ru"), Some("b"));
        assert!(
            route(
                &routes[..1],
                Task::Translate,
                &LangTag::parse("ru").unwrap()
            )
            .is_none()
        );
    }
}
