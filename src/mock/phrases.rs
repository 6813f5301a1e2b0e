//! Deterministic "translations" for the mock: sentences from a per-language phrase bank,
//! chosen by a hash of the source text, long enough to be plausible for the target
//! language, and carrying every number of the source so that number checks can pass.
//! Summaries carry only numbers of the source, and keep to the length asked for.

use crate::lang::LangTag;
use crate::length::Contract;
use crate::protect;

struct Bank {
    code: &'static str,
    joiner: &'static str,
    plain: &'static [&'static str],
    /// Sentences with a `{n}` slot for a number.
    numbered: &'static [&'static str],
}

static BANKS: &[Bank] = &[
    Bank {
        code: "en",
        joiner: " ",
        plain: &[
            "The city council met on Tuesday to discuss the new budget.",
            "Officials said the work would continue through the coming weeks.",
            "Residents told reporters they were worried about rising prices.",
            "The ministry has not yet responded to a request for comment.",
            "Analysts expect the decision to shape the debate for months.",
            "Emergency services remained on alert throughout the night.",
            "The opposition called for an independent review of the plan.",
            "Local businesses say the changes will affect their customers.",
        ],
        numbered: &[
            "The report counts {n} cases in the region.",
            "According to the agency, the figure reached {n} last year.",
            "The committee approved the measure with {n} votes.",
            "Prices rose by {n} percent over the period.",
        ],
    },
    Bank {
        code: "pt",
        joiner: " ",
        plain: &[
            "A câmara municipal reuniu-se na terça-feira para discutir o novo orçamento.",
            "As autoridades disseram que os trabalhos vão continuar nas próximas semanas.",
            "Os moradores disseram aos jornalistas que estão preocupados com a alta dos preços.",
            "O ministério ainda não respondeu ao pedido de comentário.",
            "Os analistas esperam que a decisão marque o debate durante meses.",
            "Os serviços de emergência permaneceram em alerta durante toda a noite.",
            "A oposição pediu uma avaliação independente do plano.",
            "Os comerciantes locais dizem que as mudanças vão afetar os seus clientes.",
        ],
        numbered: &[
            "O relatório contabiliza {n} casos na região.",
            "Segundo a agência, o número chegou a {n} no ano passado.",
            "A comissão aprovou a medida com {n} votos.",
            "Os preços subiram {n} por cento no período.",
        ],
    },
    Bank {
        code: "ru",
        joiner: " ",
        plain: &[
            "Городской совет собрался во вторник, чтобы обсудить новый бюджет.",
            "Чиновники заявили, что работы продолжатся в ближайшие недели.",
            "Жители рассказали журналистам, что обеспокоены ростом цен.",
            "Министерство пока не ответило на запрос о комментарии.",
            "Аналитики ожидают, что это решение будет определять дискуссию ещё несколько месяцев.",
            "Экстренные службы всю ночь оставались в режиме повышенной готовности.",
            "Оппозиция потребовала независимой проверки плана.",
            "Местные предприниматели говорят, что изменения затронут их клиентов.",
        ],
        numbered: &[
            "В докладе насчитывается {n} случаев в регионе.",
            "По данным агентства, в прошлом году этот показатель достиг {n}.",
            "Комиссия одобрила меру: за неё проголосовали {n} человек.",
            "За этот период цены выросли на {n} процента.",
        ],
    },
    Bank {
        code: "hi",
        joiner: " ",
        plain: &[
            "नगर परिषद ने नए बजट पर चर्चा के लिए मंगलवार को बैठक की।",
            "अधिकारियों ने कहा कि काम आने वाले हफ्तों में भी जारी रहेगा।",
            "निवासियों ने पत्रकारों को बताया कि वे बढ़ती कीमतों से चिंतित हैं।",
            "मंत्रालय ने अभी तक टिप्पणी के अनुरोध का जवाब नहीं दिया है।",
            "विश्लेषकों का मानना है कि यह फैसला महीनों तक बहस को प्रभावित करेगा।",
            "आपातकालीन सेवाएं पूरी रात सतर्क रहीं।",
            "विपक्ष ने योजना की स्वतंत्र समीक्षा की मांग की।",
            "स्थानीय व्यापारियों का कहना है कि बदलावों का असर उनके ग्राहकों पर पड़ेगा।",
        ],
        numbered: &[
            "रिपोर्ट में क्षेत्र के {n} मामलों का उल्लेख है।",
            "एजेंसी के अनुसार पिछले साल यह आंकड़ा {n} तक पहुंच गया।",
            "समिति ने {n} मतों से इस प्रस्ताव को मंजूरी दी।",
            "इस अवधि में कीमतें {n} प्रतिशत बढ़ीं।",
        ],
    },
    Bank {
        code: "zh",
        joiner: "",
        plain: &[
            "市议会周二召开会议，讨论新的预算方案。",
            "官员表示，相关工作将在未来几周内继续进行。",
            "居民告诉记者，他们担心物价持续上涨。",
            "该部门尚未回应置评请求。",
            "分析人士预计，这一决定将在数月内影响讨论。",
            "应急部门整夜保持戒备状态。",
            "反对派要求对该计划进行独立审查。",
            "当地商家表示，这些变化将影响他们的顾客。",
        ],
        numbered: &[
            "报告显示，该地区共有{n}起案例。",
            "据该机构统计，去年这一数字达到{n}。",
            "委员会以{n}票通过了这项措施。",
            "在此期间，价格上涨了{n}个百分点。",
        ],
    },
    Bank {
        code: "af",
        joiner: " ",
        plain: &[
            "Die stadsraad het Dinsdag vergader om die nuwe begroting te bespreek.",
            "Amptenare het gesê die werk sal die komende weke voortgaan.",
            "Inwoners het aan verslaggewers gesê hulle is bekommerd oor stygende pryse.",
            "Die ministerie het nog nie op 'n versoek om kommentaar gereageer nie.",
            "Ontleders verwag dat die besluit die debat vir maande sal beïnvloed.",
            "Nooddienste was die hele nag op bystand.",
            "Die opposisie het 'n onafhanklike ondersoek na die plan gevra.",
            "Plaaslike sakelui sê die veranderinge sal hul kliënte raak.",
        ],
        numbered: &[
            "Die verslag tel {n} gevalle in die streek.",
            "Volgens die agentskap het die syfer verlede jaar {n} bereik.",
            "Die komitee het die maatreël met {n} stemme goedgekeur.",
            "Pryse het oor die tydperk met {n} persent gestyg.",
        ],
    },
    Bank {
        code: "zu",
        joiner: " ",
        plain: &[
            "Umkhandlu wedolobha uhlangane ngoLwesibili ukuxoxa ngesabelomali esisha.",
            "Izikhulu zithe umsebenzi uzoqhubeka emasontweni azayo.",
            "Izakhamuzi zitshele izintatheli ukuthi zikhathazekile ngokukhuphuka kwamanani.",
            "UMnyango awukakuphenduli ukucela ukuphawula.",
            "Abahlaziyi balindele ukuthi lesi sinqumo sizothinta inkulumompikiswano izinyanga eziningi.",
            "Izinsizakalo eziphuthumayo zihlale ziqaphile ubusuku bonke.",
            "Iqembu eliphikisayo licele ukuthi lolu hlelo luhlolwe ngokuzimela.",
            "Osomabhizinisi bendawo bathi lezi zinguquko zizothinta amakhasimende abo.",
        ],
        numbered: &[
            "Umbiko ubala amacala angu-{n} esifundeni.",
            "Ngokusho kwe-ejensi, lesi sibalo safinyelela ku-{n} ngonyaka odlule.",
            "Ikomidi livumele lesi siphakamiso ngamavoti angu-{n}.",
            "Amanani akhuphuke ngamaphesenti angu-{n} kule nkathi.",
        ],
    },
    Bank {
        code: "es",
        joiner: " ",
        plain: &[
            "El ayuntamiento se reunió el martes para debatir el nuevo presupuesto.",
            "Las autoridades dijeron que los trabajos continuarán en las próximas semanas.",
            "Los vecinos dijeron a los periodistas que les preocupa la subida de los precios.",
            "El ministerio todavía no ha respondido a la solicitud de comentarios.",
            "Los analistas esperan que la decisión marque el debate durante meses.",
            "Los servicios de emergencia permanecieron en alerta toda la noche.",
            "La oposición pidió una revisión independiente del plan.",
            "Los comerciantes locales dicen que los cambios afectarán a sus clientes.",
        ],
        numbered: &[
            "El informe contabiliza {n} casos en la región.",
            "Según la agencia, la cifra alcanzó {n} el año pasado.",
            "La comisión aprobó la medida con {n} votos.",
            "Los precios subieron un {n} por ciento en el periodo.",
        ],
    },
    Bank {
        code: "fr",
        joiner: " ",
        plain: &[
            "Le conseil municipal s'est réuni mardi pour discuter du nouveau budget.",
            "Les responsables ont indiqué que les travaux se poursuivraient dans les prochaines semaines.",
            "Des habitants ont confié aux journalistes leur inquiétude face à la hausse des prix.",
            "Le ministère n'a pas encore répondu à une demande de commentaire.",
            "Les analystes s'attendent à ce que cette décision pèse sur le débat pendant des mois.",
            "Les services d'urgence sont restés en alerte toute la nuit.",
            "L'opposition a réclamé un examen indépendant du projet.",
            "Les commerçants locaux estiment que ces changements toucheront leurs clients.",
        ],
        numbered: &[
            "Le rapport recense {n} cas dans la région.",
            "Selon l'agence, ce chiffre a atteint {n} l'an dernier.",
            "La commission a adopté la mesure par {n} voix.",
            "Les prix ont augmenté de {n} pour cent sur la période.",
        ],
    },
    Bank {
        code: "de",
        joiner: " ",
        plain: &[
            "Der Stadtrat kam am Dienstag zusammen, um über den neuen Haushalt zu beraten.",
            "Die Behörden erklärten, die Arbeiten würden in den kommenden Wochen fortgesetzt.",
            "Anwohner sagten Reportern, sie seien über die steigenden Preise besorgt.",
            "Das Ministerium hat auf eine Anfrage um Stellungnahme noch nicht reagiert.",
            "Analysten erwarten, dass die Entscheidung die Debatte noch monatelang prägen wird.",
            "Die Rettungsdienste blieben die ganze Nacht in Alarmbereitschaft.",
            "Die Opposition forderte eine unabhängige Überprüfung des Plans.",
            "Örtliche Händler sagen, die Änderungen würden ihre Kunden treffen.",
        ],
        numbered: &[
            "Der Bericht zählt {n} Fälle in der Region.",
            "Nach Angaben der Behörde erreichte die Zahl im vergangenen Jahr {n}.",
            "Der Ausschuss billigte die Maßnahme mit {n} Stimmen.",
            "Die Preise stiegen im Zeitraum um {n} Prozent.",
        ],
    },
    Bank {
        code: "ar",
        joiner: " ",
        plain: &[
            "اجتمع مجلس المدينة يوم الثلاثاء لمناقشة الميزانية الجديدة.",
            "قال المسؤولون إن العمل سيستمر خلال الأسابيع المقبلة.",
            "قال السكان للصحفيين إنهم قلقون من ارتفاع الأسعار.",
            "لم ترد الوزارة بعد على طلب للتعليق.",
            "يتوقع المحللون أن يؤثر القرار في النقاش لأشهر.",
            "ظلت خدمات الطوارئ في حالة تأهب طوال الليل.",
            "طالبت المعارضة بمراجعة مستقلة للخطة.",
            "يقول التجار المحليون إن التغييرات ستؤثر على زبائنهم.",
        ],
        numbered: &[
            "يحصي التقرير {n} حالة في المنطقة.",
            "وبحسب الوكالة، بلغ الرقم {n} في العام الماضي.",
            "وافقت اللجنة على الإجراء بأغلبية {n} صوتا.",
            "ارتفعت الأسعار بنسبة {n} في المئة خلال الفترة.",
        ],
    },
    Bank {
        code: "ja",
        joiner: "",
        plain: &[
            "市議会は火曜日に会合を開き、新しい予算について話し合った。",
            "当局者は、作業が今後数週間続くと述べた。",
            "住民は記者に対し、物価の上昇を心配していると語った。",
            "同省はコメントの要請にまだ応じていない。",
            "アナリストは、この決定が数か月にわたり議論に影響すると見ている。",
            "救急隊は一晩中警戒を続けた。",
            "野党は計画の独立した検証を求めた。",
            "地元の商店主は、今回の変更が客に影響すると話している。",
        ],
        numbered: &[
            "報告書によると、地域内の件数は{n}件に上る。",
            "同機関によると、昨年この数字は{n}に達した。",
            "委員会は{n}票の賛成でこの措置を承認した。",
            "期間中に価格は{n}パーセント上昇した。",
        ],
    },
];

/// Language codes the mock can write in.
pub fn languages() -> Vec<&'static str> {
    BANKS.iter().map(|b| b.code).collect()
}

fn bank(code: &str) -> Option<&'static Bank> {
    BANKS.iter().find(|b| b.code == code)
}

/// FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Numbers of `text` as written: digit runs with inner `.` `,` `:` separators.
pub fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || (matches!(chars[i], '.' | ',' | ':')
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

/// Writes `source` (in language `from`) "in" language `to`: `None` when `to` has no bank.
/// Its placeholders and numbers, and the `keep` terms (a glossary's), each get a
/// sentence of their own, so that they come back as a real engine would keep them.
pub fn render(source: &str, from: &str, to: &str, keep: &[&str]) -> Option<String> {
    let target = bank(to)?;
    let expansion = |code: &str| LangTag::parse(code).map_or(1.0, |t| t.language().expansion());
    let wanted = (source.chars().count() as f64 * expansion(to) / expansion(from)) as usize;
    let seed = fnv1a(&[source, to]) as usize;
    let mut sentences: Vec<String> = Vec::new();
    let mut length = 0;
    let placeholders = protect::find(source)
        .into_iter()
        .map(|(start, end, _)| source[start..end].to_string());
    let kept = placeholders
        .chain(numbers(&protect::without_placeholders(source)))
        .chain(keep.iter().map(|k| k.to_string()));
    for (k, n) in kept.enumerate() {
        let template = target.numbered[(seed + k) % target.numbered.len()];
        let s = template.replace("{n}", &n);
        length += s.chars().count();
        sentences.push(s);
    }
    let mut k = 0;
    while sentences.is_empty() || length < wanted {
        let s = target.plain[(seed / 7 + k) % target.plain.len()];
        length += s.chars().count();
        sentences.push(s.to_string());
        k += 1;
    }
    // Spread numbered sentences among the plain ones, deterministically.
    let count = sentences.len();
    sentences.rotate_left(seed % count);
    Some(sentences.join(target.joiner))
}

/// A "summary" of `sources` in language `to`: up to two of their numbers, then plain
/// sentences, to about four fifths of `length`, or past it when `overlong` (a fault).
pub fn summary(sources: &[&str], to: &str, length: Contract, overlong: bool) -> Option<String> {
    let target = bank(to)?;
    let seed = fnv1a(sources) as usize;
    // The limit comes from a request header: any number a client sends.
    let wanted = if overlong {
        length.limit.saturating_mul(3) / 2 + 1
    } else {
        length.limit.saturating_mul(4) / 5
    };
    let mut sentences: Vec<String> = sources
        .iter()
        .flat_map(|s| numbers(s))
        .take(2)
        .enumerate()
        .map(|(k, n)| target.numbered[(seed + k) % target.numbered.len()].replace("{n}", &n))
        .collect();
    for k in 0..target.plain.len() * 4 {
        let next = target.plain[(seed / 7 + k) % target.plain.len()];
        let mut longer = sentences.clone();
        longer.push(next.to_string());
        if !sentences.is_empty() && length.unit.count(&longer.join(target.joiner)) > wanted {
            break;
        }
        sentences = longer;
    }
    Some(sentences.join(target.joiner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_numbers_and_is_deterministic() {
        let src = "Inflation fell to 2.5% in 2024, and 1,200 jobs were cut at 10:30.";
        let out = render(src, "en", "pt", &[]).unwrap();
        for n in ["2.5", "2024", "1,200", "10:30"] {
            assert!(out.contains(n), "{n} missing from {out}");
        }
        assert_eq!(out, render(src, "en", "pt", &[]).unwrap());
        assert_ne!(out, render(src, "en", "ru", &[]).unwrap());
        assert!(render(src, "en", "it", &[]).is_none());
    }

    #[test]
    fn summaries_keep_their_length_and_only_source_numbers() {
        use crate::length::Unit;
        let sources = [
            "Rain closed 12 roads and 3 schools.",
            "Crews worked for 48 hours.",
        ];
        let words = Contract {
            unit: Unit::Words,
            limit: 60,
        };
        let pt = summary(&sources, "pt", words, false).unwrap();
        assert!(words.holds(&pt) && Unit::Words.count(&pt) > 30, "{pt}");
        assert!(
            pt.contains("12") && pt.contains('3') && !pt.contains("48"),
            "{pt}"
        );
        assert!(!words.holds(&summary(&sources, "pt", words, true).unwrap()));
        let chars = Contract {
            unit: Unit::Chars,
            limit: 120,
        };
        assert!(chars.holds(&summary(&sources, "zh", chars, false).unwrap()));
    }

    #[test]
    fn length_is_plausible() {
        let src = "The storm closed roads across the province on Monday morning, officials said."
            .repeat(5);
        let zh = render(&src, "en", "zh", &[]).unwrap();
        let de = render(&src, "en", "de", &[]).unwrap();
        assert!(zh.chars().count() < de.chars().count());
        assert!(de.chars().count() >= src.chars().count());
    }
}
