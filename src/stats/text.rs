//! Texts for statistics, in both languages: the sentence offices paste upward, the detail per
//! unit, the ranking, and the scope questions. They live beside the figures (as an extension of
//! [`Texts`]) so that i18n need not know the statistics' types.

use super::{Child, ScopeError, Summary};
use crate::config::Language;
use crate::i18n::Texts;

macro_rules! say {
    ($self:expr, $zh:expr, $en:expr $(,)?) => {
        match $self.lang {
            Language::Zh => $zh,
            Language::En => $en,
        }
    };
}

/// The English plural ending for a count.
fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// How many units the 红榜 and the 黑榜 list out of `scored`: five each at most, and never the
/// same unit on both. With fewer than ten units the better half is the 红榜 and the rest the
/// 黑榜 (the middle one of an odd number goes to the 红榜); a single unit has no 黑榜.
fn ranking_sizes(scored: usize) -> (usize, usize) {
    let best = scored.div_ceil(2).min(5);
    let worst = (scored - best).min(5);
    (best, worst)
}

/// The statistics' sentences, on [`Texts`].
pub trait StatsTexts {
    fn stats_sentence(&self, s: &Summary, scope: &str, period: &str) -> String;
    fn duration_rounded(&self, ms: i64) -> String;
    fn stats_detail(&self, scope: &str, period: &str, children: &[Child]) -> String;
    fn stats_leaders(&self, leaders: &[crate::store::rollups::LeaderFigures]) -> String;
    fn stats_ranking(&self, scope: &str, period: &str, children: &[(Child, Option<f64>)])
    -> String;
    fn scope_problem(&self, asked: &str, problem: &ScopeError) -> String;
    fn bad_period(&self, asked: &str) -> String;
    fn backwards_period(&self, asked: &str) -> String;
}

impl StatsTexts for Texts {
    /// The headline in the seed reports' form, then the deadlines and times. Every figure adds
    /// up: received = waiting + claimed + resolved + closed + dismissed.
    fn stats_sentence(&self, s: &Summary, scope: &str, period: &str) -> String {
        let dur = |ms: Option<i64>| {
            ms.map(|m| self.duration_rounded(m))
                .unwrap_or_else(|| "—".into())
        };
        let cats: Vec<String> = s
            .by_category
            .iter()
            .map(|(c, n)| format!("{} {n}", self.category(*c)))
            .collect();
        match self.lang {
            Language::Zh => {
                let satisfaction = match s.rates.satisfaction {
                    Some(v) => format!("满意度{:.1}%（评价{}人次）", v * 100.0, s.rated),
                    None => "暂无评价".into(),
                };
                format!(
                    "{scope} {period}：收到群众诉求{}件，已回复{}件，{}件正在处理中（待接单{}件、已接单{}件），已办结{}件（已关闭{}件、待评价{}件），不予受理{}件，{satisfaction}。\n\
                     超时签收{}件，超时办结{}件，上报{}件，重办{}件，未评价结案{}件。\n\
                     及时签收率{}，按时办结率{}，重办率{}。\n\
                     首次响应：中位{}／P90 {}；办结用时：中位{}／P90 {}\n\
                     分类：{}",
                    s.received,
                    s.replied,
                    s.in_progress(),
                    s.open,
                    s.claimed,
                    s.finished(),
                    s.closed,
                    s.resolved,
                    s.dismissed,
                    s.claim_overdue,
                    s.resolve_overdue,
                    s.escalated,
                    s.reopened,
                    s.closed_unrated,
                    pct(s.rates.on_time_claim),
                    pct(s.rates.on_time_resolve),
                    pct(s.rates.reopen),
                    dur(s.response_p50_ms),
                    dur(s.response_p90_ms),
                    dur(s.resolution_p50_ms),
                    dur(s.resolution_p90_ms),
                    if cats.is_empty() {
                        "—".into()
                    } else {
                        cats.join("，")
                    }
                )
            }
            Language::En => {
                let satisfaction = match s.rates.satisfaction {
                    Some(v) => format!(
                        "satisfaction {:.1}% ({} rating{})",
                        v * 100.0,
                        s.rated,
                        plural(s.rated)
                    ),
                    None => "nothing rated yet".into(),
                };
                format!(
                    "{scope}, {period}: {} request{} received, {} answered, {} in progress ({} waiting, {} claimed), {} resolved ({} closed, {} awaiting rating), {} dismissed; {satisfaction}.\n\
                     Claimed late {}, resolved late {}, escalated {}, reopened {}, closed without rating {}.\n\
                     On-time claim {}, on-time resolution {}, reopen rate {}.\n\
                     First response: median {} / p90 {}; resolution: median {} / p90 {}\n\
                     By category: {}",
                    s.received,
                    plural(s.received),
                    s.replied,
                    s.in_progress(),
                    s.open,
                    s.claimed,
                    s.finished(),
                    s.closed,
                    s.resolved,
                    s.dismissed,
                    s.claim_overdue,
                    s.resolve_overdue,
                    s.escalated,
                    s.reopened,
                    s.closed_unrated,
                    pct(s.rates.on_time_claim),
                    pct(s.rates.on_time_resolve),
                    pct(s.rates.reopen),
                    dur(s.response_p50_ms),
                    dur(s.response_p90_ms),
                    dur(s.resolution_p50_ms),
                    dur(s.resolution_p90_ms),
                    if cats.is_empty() {
                        "—".into()
                    } else {
                        cats.join(", ")
                    }
                )
            }
        }
    }

    /// A duration from a histogram: "25分钟", "3.5小时", "2.1天".
    fn duration_rounded(&self, ms: i64) -> String {
        let mins = ms as f64 / 60_000.0;
        let (n, zh, en) = if mins < 90.0 {
            (format!("{:.0}", mins.max(1.0)), "分钟", "min")
        } else if mins < 48.0 * 60.0 {
            (format!("{:.1}", mins / 60.0), "小时", "h")
        } else {
            (format!("{:.1}", mins / 1440.0), "天", "days")
        };
        say!(self, format!("{n}{zh}"), format!("{n} {en}"))
    }

    /// `统计明细`: one line per child unit, worst first.
    fn stats_detail(&self, scope: &str, period: &str, children: &[Child]) -> String {
        let mut out = say!(
            self,
            format!("{scope} {period} 明细（按综合得分由低到高）"),
            format!("{scope}, {period}: by unit (lowest score first)")
        );
        if children.is_empty() {
            out.push('\n');
            out.push_str(&self.nothing());
        }
        for ch in children {
            let s = &ch.summary;
            out.push('\n');
            out.push_str(&say!(
                self,
                format!(
                    "{}：收到{}，处理中{}，及时签收率{}，按时办结率{}，满意率{}，重办率{}，延期{}次",
                    ch.name,
                    s.received,
                    s.in_progress(),
                    pct(s.rates.on_time_claim),
                    pct(s.rates.on_time_resolve),
                    pct(s.rates.satisfaction),
                    pct(s.rates.reopen),
                    s.extended
                ),
                format!(
                    "{}: received {}, in progress {}, on-time claim {}, on-time resolution {}, satisfaction {}, reopened {}, extended {}",
                    ch.name,
                    s.received,
                    s.in_progress(),
                    pct(s.rates.on_time_claim),
                    pct(s.rates.on_time_resolve),
                    pct(s.rates.satisfaction),
                    pct(s.rates.reopen),
                    s.extended
                )
            ));
        }
        out
    }

    /// `统计明细`'s per-leader lines: each assignee of the scope's tickets with the tickets
    /// they claimed, their on-time claim rate and their median first response, lowest on-time
    /// rate first. Empty when no ticket has an assignee.
    fn stats_leaders(&self, leaders: &[crate::store::rollups::LeaderFigures]) -> String {
        if leaders.is_empty() {
            return String::new();
        }
        let mut sorted: Vec<_> = leaders.iter().collect();
        sorted.sort_by(|a, b| {
            let rate = |l: &crate::store::rollups::LeaderFigures| {
                l.on_time_claim_rate().unwrap_or(f64::INFINITY)
            };
            rate(a)
                .total_cmp(&rate(b))
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut out = say!(self, "按负责人：".to_string(), "By assignee:".to_string());
        for l in sorted {
            let median = l
                .median_response()
                .map_or_else(|| "—".into(), |ms| self.duration_rounded(ms));
            out.push('\n');
            out.push_str(&say!(
                self,
                format!(
                    "{}：接单{}件，及时签收率{}，首次响应中位{}",
                    l.name,
                    l.claimed,
                    pct(l.on_time_claim_rate()),
                    median
                ),
                format!(
                    "{}: claimed {}, on-time claim {}, median first response {}",
                    l.name,
                    l.claimed,
                    pct(l.on_time_claim_rate()),
                    median
                )
            ));
        }
        out
    }

    /// `统计 排名`: 红榜 (best) and 黑榜 (worst) by weighted score. `children` are worst first.
    fn stats_ranking(
        &self,
        scope: &str,
        period: &str,
        children: &[(Child, Option<f64>)],
    ) -> String {
        let mut out = say!(
            self,
            format!("{scope} {period} 排名（综合得分）"),
            format!("{scope}, {period}: ranking (weighted score)")
        );
        let scored: Vec<&(Child, Option<f64>)> =
            children.iter().filter(|(_, s)| s.is_some()).collect();
        if scored.is_empty() {
            out.push('\n');
            out.push_str(&self.nothing());
            return out;
        }
        let line = |rank: usize, (ch, score): &(Child, Option<f64>)| {
            format!("\n{rank}. {} {:.1}", ch.name, score.unwrap_or_default())
        };
        if let [only] = scored.as_slice() {
            // One unit is no ranking: a 0.0 on a 红榜 of one would praise the worst.
            out.push_str(say!(
                self,
                "\n只有1个单位有得分，暂不排名：",
                "\nOnly one unit has a score; no ranking yet:"
            ));
            out.push_str(&line(1, only));
        } else {
            let (best, worst) = ranking_sizes(scored.len());
            out.push_str(say!(self, "\n🔴 红榜", "\n🔴 Best"));
            for (i, entry) in scored.iter().rev().take(best).enumerate() {
                out.push_str(&line(i + 1, entry));
            }
            if worst > 0 {
                out.push_str(say!(self, "\n⚫ 黑榜", "\n⚫ Worst"));
                for (i, entry) in scored.iter().take(worst).enumerate() {
                    out.push_str(&line(i + 1, entry));
                }
            }
        }
        // Units that received requests but have no rate yet (nothing past a deadline, nothing
        // rated) are named, so that a unit missing from the lists is not taken for none.
        let unscored: Vec<&str> = children
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(ch, _)| ch.name.as_str())
            .collect();
        if !unscored.is_empty() {
            out.push_str(&say!(
                self,
                format!("\n暂无得分（尚无可计算的比率）：{}", unscored.join("、")),
                format!(
                    "\nNo score yet (no rate to measure): {}",
                    unscored.join(", ")
                )
            ));
        }
        out
    }

    /// A scope that is not one grid: the candidates to choose from.
    fn scope_problem(&self, asked: &str, problem: &ScopeError) -> String {
        let (list, ambiguous) = match problem {
            ScopeError::Ambiguous(l) => (l, true),
            ScopeError::Unknown(l) => (l, false),
        };
        let names: Vec<String> = list
            .iter()
            .map(|g| format!("{}（{}）", g.name, g.code))
            .collect();
        match (ambiguous, names.is_empty()) {
            (true, false) => say!(
                self,
                format!("“{asked}”对应多个网格，您是指：{}？", names.join("、")),
                format!(
                    "“{asked}” matches several grids; did you mean {}?",
                    names.join(", ")
                )
            ),
            (_, true) => say!(
                self,
                format!("没有名为或编号为“{asked}”的网格。"),
                format!("There is no grid named or numbered “{asked}”.")
            ),
            (false, false) => say!(
                self,
                format!(
                    "没有名为或编号为“{asked}”的网格。您是指：{}？",
                    names.join("、")
                ),
                format!(
                    "There is no grid named or numbered “{asked}”. Did you mean {}?",
                    names.join(", ")
                )
            ),
        }
    }

    /// The period could not be read.
    fn backwards_period(&self, asked: &str) -> String {
        say!(
            self,
            format!("时间段“{asked}”的结束日期早于开始日期，请把较早的日期写在前面。"),
            format!("The period “{asked}” ends before it starts: put the earlier date first.")
        )
    }

    fn bad_period(&self, asked: &str) -> String {
        say!(
            self,
            format!(
                "看不懂时间段“{asked}”。可用：今天、昨天、本周、上周、本月、上月、本季度、上季度、今年、去年、前天、近7天、近30天、近3个月、全部、11月、2026年11月、11月1日-11月15日、2026-11-01..2026-11-15"
            ),
            format!(
                "Cannot read the period “{asked}”. Use: today, yesterday, this week, last week, this month, last month, this quarter, last quarter, this year, last year, 7d, 30d, last 3 months, all, nov, 2026-11, 2026-11-01..2026-11-15"
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, score: f64) -> (Child, Option<f64>) {
        let child = Child {
            code: name.to_string(),
            name: name.to_string(),
            summary: Summary::default(),
        };
        (child, Some(score))
    }

    /// The names listed under a heading of a ranking, in order.
    fn listed(text: &str, heading: &str) -> Vec<String> {
        text.split_once(heading)
            .map(|(_, rest)| {
                rest.lines()
                    .skip(1)
                    .take_while(|l| !l.starts_with(['🔴', '⚫']))
                    .filter_map(|l| l.split(' ').nth(1).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn english_counts_are_singular_for_one() {
        let texts = Texts::new(Language::En);
        let mut s = Summary {
            received: 1,
            open: 1,
            rated: 1,
            ..Summary::default()
        };
        s.rates.satisfaction = Some(1.0);
        let one = texts.stats_sentence(&s, "Town", "today");
        assert!(one.contains("1 request received"), "{one}");
        assert!(one.contains("(1 rating)"), "{one}");
        s.received = 2;
        s.rated = 3;
        let more = texts.stats_sentence(&s, "Town", "today");
        assert!(more.contains("2 requests received"), "{more}");
        assert!(more.contains("(3 ratings)"), "{more}");
    }

    #[test]
    fn no_unit_is_on_both_lists() {
        let texts = Texts::new(Language::Zh);
        for n in 1usize..=12 {
            // Worst first, as `children` gives them.
            let units: Vec<_> = (0..n).map(|i| unit(&format!("U{i}"), i as f64)).collect();
            let text = texts.stats_ranking("青石镇", "累计", &units);
            let best = listed(&text, "红榜");
            let worst = listed(&text, "黑榜");
            assert!(best.iter().all(|b| !worst.contains(b)), "{n} units: {text}");
            if n == 1 {
                assert!(
                    !text.contains("红榜") && !text.contains("黑榜") && text.contains("暂不排名"),
                    "one unit is no ranking: {text}"
                );
                continue;
            }
            assert_eq!(best.len(), n.div_ceil(2).min(5), "{n} units: {text}");
            assert_eq!(worst.len(), (n - best.len()).min(5), "{n} units: {text}");
            assert_eq!(best[0], format!("U{}", n - 1), "best first: {text}");
            assert_eq!(worst[0], "U0", "worst first: {text}");
        }
    }

    #[test]
    fn units_without_a_score_are_named() {
        let texts = Texts::new(Language::Zh);
        let mut units = vec![unit("一网格", 0.0)];
        let (mut quiet, _) = unit("二网格", 0.0);
        quiet.name = "二网格".into();
        units.push((quiet, None));
        let text = texts.stats_ranking("东风社区", "2026年12月", &units);
        assert!(
            text.contains("只有1个单位有得分，暂不排名：\n1. 一网格 0.0"),
            "{text}"
        );
        assert!(
            text.ends_with("暂无得分（尚无可计算的比率）：二网格"),
            "{text}"
        );
        units.push(unit("三网格", 0.9));
        let text = texts.stats_ranking("东风社区", "2026年12月", &units);
        assert_eq!(listed(&text, "红榜"), ["三网格"], "{text}");
        assert_eq!(listed(&text, "黑榜"), ["一网格"], "{text}");
        assert!(
            text.ends_with("暂无得分（尚无可计算的比率）：二网格"),
            "{text}"
        );
    }
}
