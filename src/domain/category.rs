//! Request categories and urgency: the stable ids of DESIGN.md with their display labels.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a request is about. The ids are stable: they are stored, exported and used in the corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Lighting,
    Sanitation,
    Water,
    Power,
    Road,
    Greenery,
    Safety,
    Dispute,
    Welfare,
    Health,
    Property,
    Admin,
    Other,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::Lighting,
        Category::Sanitation,
        Category::Water,
        Category::Power,
        Category::Road,
        Category::Greenery,
        Category::Safety,
        Category::Dispute,
        Category::Welfare,
        Category::Health,
        Category::Property,
        Category::Admin,
        Category::Other,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Category::Lighting => "lighting",
            Category::Sanitation => "sanitation",
            Category::Water => "water",
            Category::Power => "power",
            Category::Road => "road",
            Category::Greenery => "greenery",
            Category::Safety => "safety",
            Category::Dispute => "dispute",
            Category::Welfare => "welfare",
            Category::Health => "health",
            Category::Property => "property",
            Category::Admin => "admin",
            Category::Other => "other",
        }
    }

    /// Chinese display label (路灯照明 …).
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Lighting => "路灯照明",
            Category::Sanitation => "环境卫生",
            Category::Water => "供水排水",
            Category::Power => "供电",
            Category::Road => "道路交通",
            Category::Greenery => "园林绿化",
            Category::Safety => "安全隐患",
            Category::Dispute => "矛盾纠纷",
            Category::Welfare => "民生帮扶",
            Category::Health => "医疗卫生",
            Category::Property => "物业设施",
            Category::Admin => "政务咨询",
            Category::Other => "其他",
        }
    }

    /// English display label.
    pub fn label_en(self) -> &'static str {
        match self {
            Category::Lighting => "Lighting",
            Category::Sanitation => "Sanitation",
            Category::Water => "Water & drainage",
            Category::Power => "Power",
            Category::Road => "Roads & traffic",
            Category::Greenery => "Greenery",
            Category::Safety => "Safety hazard",
            Category::Dispute => "Dispute",
            Category::Welfare => "Welfare",
            Category::Health => "Health",
            Category::Property => "Property & facilities",
            Category::Admin => "Public services",
            Category::Other => "Other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Category {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.id() == s)
            .ok_or_else(|| UnknownValue(s.to_string()))
    }
}

/// `urgent` when people or property are in immediate danger; otherwise `normal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Normal,
    Urgent,
}

impl Urgency {
    pub fn id(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
        }
    }
}

impl FromStr for Urgency {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "normal" => Ok(Urgency::Normal),
            "urgent" => Ok(Urgency::Urgent),
            _ => Err(UnknownValue(s.to_string())),
        }
    }
}

/// A stored or typed value that names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.id().parse::<Category>(), Ok(c));
        }
        assert!("lights".parse::<Category>().is_err());
        assert_eq!("urgent".parse::<Urgency>(), Ok(Urgency::Urgent));
    }
}
