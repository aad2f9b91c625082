//! Safety advice on urgent ticket cards (gas: open the windows, no switches, the repair line;
//! fire: 119; someone hurt: 120 …), from a list an office can edit: `config/safety.toml` is
//! built in, and `general.safety_advice` names a copy that replaces it. Pure: the caller reads
//! the file.

use serde::Deserialize;

use super::Category;

/// The built-in list (its copy in the repository documents the format).
pub const BUILT_IN: &str = include_str!("../../config/safety.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    advice: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    words: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    zh: String,
    en: String,
}

/// The advice list, ready to look up.
#[derive(Debug, Clone)]
pub struct SafetyAdvice {
    entries: Vec<Entry>,
}

/// Why an advice file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SafetyError {
    #[error("not a valid safety advice file: {0}")]
    Parse(String),
    #[error("unknown category `{0}` in the safety advice")]
    Category(String),
}

impl SafetyAdvice {
    /// Reads a list in the format of `config/safety.toml`.
    pub fn parse(text: &str) -> Result<SafetyAdvice, SafetyError> {
        let file: File = toml::from_str(text).map_err(|e| SafetyError::Parse(e.to_string()))?;
        for c in file.advice.iter().flat_map(|e| &e.categories) {
            c.parse::<Category>()
                .map_err(|_| SafetyError::Category(c.clone()))?;
        }
        Ok(SafetyAdvice {
            entries: file.advice,
        })
    }

    /// The built-in list.
    pub fn built_in() -> SafetyAdvice {
        // The built-in file is checked by a test; an empty list is the fallback all the same.
        SafetyAdvice::parse(BUILT_IN).unwrap_or(SafetyAdvice {
            entries: Vec::new(),
        })
    }

    /// The advice for a report, `(Chinese, English)`: the first entry with one of its words in
    /// `text`, else the first whose categories include `category`.
    pub fn for_report(&self, text: &str, category: Category) -> Option<(&str, &str)> {
        let lower = text.to_lowercase();
        let entry = self
            .entries
            .iter()
            .find(|e| e.words.iter().any(|w| lower.contains(&w.to_lowercase())))
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|e| e.categories.iter().any(|c| c == category.id()))
            })?;
        Some((entry.zh.as_str(), entry.en.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_list_reads_and_picks_by_words_then_category() {
        let advice = SafetyAdvice::parse(BUILT_IN).expect("built-in list");
        let zh = |text, category| advice.for_report(text, category).map(|(zh, _)| zh);
        let gas = zh("厨房煤气泄漏，味道很大", Category::Safety).expect("gas");
        assert!(
            gas.contains("开窗通风") && gas.contains("不要开关电器") && gas.contains("燃气抢修")
        );
        assert!(
            zh("3楼着火了，冒烟", Category::Safety)
                .expect("fire")
                .contains("119")
        );
        assert!(
            zh("楼下有老人摔倒了叫不醒", Category::Welfare)
                .expect("hurt")
                .contains("120")
        );
        assert!(
            zh("有根电线掉在路上", Category::Power)
                .expect("wire")
                .contains("95598")
        );
        assert!(
            zh("后山有落石", Category::Safety)
                .expect("category")
                .contains("110")
        );
        assert_eq!(zh("楼道灯坏了", Category::Lighting), None);
        let en = advice.for_report("gas smell in the stairwell", Category::Safety);
        assert!(en.is_some_and(|(_, en)| en.contains("gas emergency")));
    }

    #[test]
    fn an_office_list_replaces_the_built_in_one_and_bad_files_are_refused() {
        let office = "[[advice]]\nwords = [\"煤气\"]\nzh = \"请拨打 96777\"\nen = \"Call 96777\"\n";
        let advice = SafetyAdvice::parse(office).expect("office list");
        assert_eq!(
            advice.for_report("煤气味", Category::Safety),
            Some(("请拨打 96777", "Call 96777"))
        );
        assert_eq!(advice.for_report("着火了", Category::Safety), None);
        assert!(SafetyAdvice::parse("[[advice]]\nwords = 3\n").is_err());
        let bad = "[[advice]]\nwords = []\ncategories = [\"aliens\"]\nzh = \"x\"\nen = \"x\"\n";
        assert!(matches!(
            SafetyAdvice::parse(bad),
            Err(SafetyError::Category(c)) if c == "aliens"
        ));
    }
}
