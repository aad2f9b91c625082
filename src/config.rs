//! Configuration: `config/default.toml` (built in) < a local file < `GRIDLINE__…` environment
//! variables. Validated once at start; errors name the key.

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use crate::domain::calendar::Calendar;
use crate::domain::quiet::QuietHours;
use crate::domain::sla::{Deadlines, HumanDuration, Window};

/// The defaults, compiled in so that `gridline run` works from any directory.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub general: General,
    pub database: Database,
    pub http: Http,
    pub intake: IntakeSettings,
    pub outbox: OutboxSettings,
    pub parser: ParserSettings,
    pub sla: Sla,
    pub rating: RatingSettings,
    #[serde(default)]
    pub evidence: EvidenceSettings,
    #[serde(default)]
    pub extension: ExtensionSettings,
    pub digest: DigestSettings,
    #[serde(default)]
    pub stats: StatsSettings,
    pub sandbox: SandboxSettings,
    pub telegram: TelegramSettings,
    pub onebot: OneBotSettings,
    pub wecom: WeComSettings,
    pub console: ConsoleSettings,
    pub shutdown: ShutdownSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownSettings {
    /// How long SIGTERM may take: after it, what is still in flight is abandoned (and stays
    /// queued for the next start).
    pub grace: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct General {
    pub language: Language,
    pub timezone: TimeZone,
    pub lexicon_dir: String,
    /// A safety advice file replacing the built-in one (`config/safety.toml`); "" for none.
    pub safety_advice: String,
}

/// The language the bot writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Language {
    #[serde(rename = "zh")]
    Zh,
    #[serde(rename = "en")]
    En,
}

/// A validated IANA time zone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            serde::de::Error::custom(format!(
                "`{name}` is not a time zone name (e.g. \"Asia/Shanghai\")"
            ))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub url: Secret,
    pub max_connections: u32,
    pub acquire_timeout: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    pub listen: SocketAddr,
    /// The largest request body, and WebSocket message, accepted (bytes).
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeSettings {
    pub batch_max: usize,
    pub max_text_chars: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub max_attempts: u32,
    pub retry_base: HumanDuration,
    pub retry_max: HumanDuration,
    pub poll_interval: HumanDuration,
    pub lease: HumanDuration,
    pub concurrency: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParserSettings {
    pub open_threshold: f32,
    pub confirm_threshold: f32,
    pub confirm_ttl: HumanDuration,
    /// How soon after a ticket a bare "+1" / "我家也是" in its group co-reports it.
    pub me_too_window: HumanDuration,
    /// How far back an open ticket of the same problem and place absorbs a new report.
    pub link_window: HumanDuration,
    /// A resident's photo and text sent this close together (either order) are one report.
    pub photo_window: HumanDuration,
    /// A place named alone ("3栋", "不好意思 是4栋") this close to the sender's report, before
    /// or after it, is the report's place.
    pub place_window: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    pub normal: Window,
    pub urgent: Window,
    pub remind_at: f64,
    pub quiet_hours: String,
    pub calendar: String,
    /// How often due timers (reminders, escalations, rating timeouts, digests) are looked for.
    pub check_interval: HumanDuration,
}

impl Sla {
    /// The deadlines per urgency.
    pub fn deadlines(&self) -> Deadlines {
        Deadlines {
            normal: self.normal,
            urgent: self.urgent,
        }
    }

    /// The quiet hours, or None when `sla.quiet_hours` is "". The value is checked at start
    /// ([`Settings::load`]); one that does not parse counts as none.
    pub fn quiet(&self) -> Option<QuietHours> {
        match self.quiet_hours.trim() {
            "" => None,
            text => text.parse().ok(),
        }
    }

    /// The working-time calendar deadlines count in: calendar time when `sla.calendar` is "",
    /// otherwise the file it names (relative paths from the working directory), whose local
    /// times are in `tz` (`general.timezone`). Reads the file: call once at start.
    pub fn load_calendar(&self, tz: chrono_tz::Tz) -> Result<Calendar, ConfigError> {
        match self.calendar.trim() {
            "" => Ok(Calendar::always()),
            path => Calendar::load(Path::new(path), tz).map_err(|e| ConfigError::Invalid {
                key: "sla.calendar",
                message: e.to_string(),
            }),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingSettings {
    pub timeout: HumanDuration,
}

/// Photos as evidence of the work (办结凭证): staff photos sent with 办结, replying to the
/// ticket's card or notices, or just before or after it (see docs/conversation.md).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvidenceSettings {
    /// Categories whose tickets are not resolved without at least one evidence photo.
    pub photo_required: Vec<crate::domain::Category>,
}

/// More time to resolve a ticket (延期), asked by its handler and approved by a village
/// coordinator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtensionSettings {
    /// Extensions approved per ticket, at most.
    pub max: u32,
    /// Days one extension may ask for, at most.
    pub max_days: u32,
}

impl Default for ExtensionSettings {
    fn default() -> Self {
        ExtensionSettings {
            max: 3,
            max_days: 30,
        }
    }
}

/// How `统计 排名` (`/stats ranking`) scores units: a weighted mean of their rates, each 0–1
/// (the reopen rate counts as 1 − rate). A rate with nothing to measure (no ticket rated, none
/// resolved) is left out and the other weights share its part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsSettings {
    /// 及时签收率: claimed before the claim deadline / received.
    pub weight_on_time_claim: f64,
    /// 按时办结率: resolved before the resolve deadline / resolved.
    pub weight_on_time_resolve: f64,
    /// 满意率: satisfied / rated.
    pub weight_satisfaction: f64,
    /// 重办率: reopened / resolved (lower is better).
    pub weight_reopen: f64,
}

impl Default for StatsSettings {
    fn default() -> Self {
        StatsSettings {
            weight_on_time_claim: 0.3,
            weight_on_time_resolve: 0.3,
            weight_satisfaction: 0.3,
            weight_reopen: 0.1,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// Local time of the daily group summary, "HH:MM"; "" for none.
    pub daily_at: String,
    /// Weekday and local time of the weekly coordinator report, e.g. "mon 09:00"; "" for none.
    pub weekly_at: String,
}

impl DigestSettings {
    /// The daily summary time, if there is one (validated at start).
    pub fn daily(&self) -> Option<chrono::NaiveTime> {
        parse_clock(&self.daily_at)
    }

    /// The weekly report's weekday and time, if there is one (validated at start).
    pub fn weekly(&self) -> Option<(chrono::Weekday, chrono::NaiveTime)> {
        let (day, time) = self.weekly_at.trim().split_once(' ')?;
        Some((day.trim().parse().ok()?, parse_clock(time)?))
    }
}

/// "20:00" → 20:00.
fn parse_clock(text: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// The coordinator console (`/console` on the HTTP listener).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// The address people open the console at, as links in chat should show it (e.g.
    /// "https://grid.example.gov.cn"); "" uses http://<http.listen>. With https the session
    /// cookie is marked Secure.
    pub public_url: String,
    /// How long a login link works (once).
    pub link_ttl: HumanDuration,
    /// A session not used for this long ends.
    pub idle_timeout: HumanDuration,
    /// The office named on printed reports and letters ("" for the tree's top node's name).
    pub office: String,
}

impl ConsoleSettings {
    /// The console's base address, without a trailing slash.
    pub fn base_url(&self, listen: SocketAddr) -> String {
        let url = self.public_url.trim().trim_end_matches('/');
        if url.is_empty() {
            format!("http://{listen}")
        } else {
            url.to_string()
        }
    }

    /// Cookies are Secure when the console is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.trim().starts_with("https://")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    pub enabled: bool,
    pub demo_roster: bool,
    pub token: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    pub enabled: bool,
    pub token: Secret,
    pub api_url: String,
    pub mode: TelegramMode,
    pub webhook_url: String,
    pub webhook_secret: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    Polling,
    Webhook,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneBotSettings {
    pub enabled: bool,
    pub access_token: Secret,
    pub secret: Secret,
    pub api_url: String,
    /// How long to wait for a bridge's answer to an action before retrying.
    pub action_timeout: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeComSettings {
    pub webhooks: BTreeMap<String, Secret>,
}

/// A value that must never be printed: tokens, secrets, database URLs with passwords.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("[redacted]")
        }
    }
}

/// Configuration that cannot be used. The message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(String),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

impl Settings {
    /// Loads the layers. `local` is an optional TOML file; `env` are (name, value) pairs to read
    /// `GRIDLINE__…` overrides from (pass `std::env::vars()` in production, a fixed list in tests).
    pub fn load(
        local: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = local {
            if !path.exists() {
                return Err(ConfigError::Load(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        let env: Vec<(String, String)> = env.into_iter().collect();
        let overrides = env_overrides(env.iter().cloned());
        if !overrides.is_empty() {
            figment = figment.merge(Toml::string(&overrides));
        }
        let mut settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Load(describe_figment_error(e)))?;
        // A platform's token given in the environment is enough to enable it (a deployment
        // sets GRIDLINE__TELEGRAM__TOKEN and nothing else), unless the environment also says
        // whether it is enabled.
        let given = |name: &str| {
            env.iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(name) && !v.trim().is_empty())
        };
        if given("GRIDLINE__TELEGRAM__TOKEN") && !given("GRIDLINE__TELEGRAM__ENABLED") {
            settings.telegram.enabled = true;
        }
        if given("GRIDLINE__ONEBOT__ACCESS_TOKEN") && !given("GRIDLINE__ONEBOT__ENABLED") {
            settings.onebot.enabled = true;
        }
        settings.validate()?;
        Ok(settings)
    }

    /// The defaults alone (what `gridline run` uses with no file and no environment).
    pub fn defaults() -> Result<Settings, ConfigError> {
        Settings::load(None, std::iter::empty())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_string(),
            })
        };
        let url = self.database.url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return invalid(
                "database.url",
                "must start with sqlite:, postgres:// or postgresql://",
            );
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections", "must be at least 1");
        }
        if self.intake.batch_max == 0 {
            return invalid("intake.batch_max", "must be at least 1");
        }
        if self.http.max_body_bytes < 4096 {
            return invalid("http.max_body_bytes", "must be at least 4096");
        }
        if self.intake.max_text_chars < 10 {
            return invalid("intake.max_text_chars", "must be at least 10");
        }
        let public = self.console.public_url.trim();
        if !(public.is_empty() || public.starts_with("http://") || public.starts_with("https://")) {
            return invalid(
                "console.public_url",
                "must be empty or start with http:// or https://",
            );
        }
        if self.console.link_ttl.0.is_zero() {
            return invalid("console.link_ttl", "must be longer than zero");
        }
        if self.console.idle_timeout.0.is_zero() {
            return invalid("console.idle_timeout", "must be longer than zero");
        }
        if self.extension.max_days == 0 {
            return invalid("extension.max_days", "must be at least 1");
        }
        if self.outbox.max_attempts == 0 {
            return invalid("outbox.max_attempts", "must be at least 1");
        }
        if self.outbox.concurrency == 0 {
            return invalid("outbox.concurrency", "must be at least 1");
        }
        if self.outbox.retry_base.0.is_zero() {
            return invalid("outbox.retry_base", "must be longer than 0s");
        }
        if self.outbox.poll_interval.0.is_zero() {
            return invalid("outbox.poll_interval", "must be longer than 0s");
        }
        let p = &self.parser;
        if !(0.0..=1.0).contains(&p.open_threshold) {
            return invalid("parser.open_threshold", "must be between 0 and 1");
        }
        if !(0.0..=1.0).contains(&p.confirm_threshold) || p.confirm_threshold > p.open_threshold {
            return invalid(
                "parser.confirm_threshold",
                "must be between 0 and parser.open_threshold",
            );
        }
        if !self.digest.daily_at.is_empty() && self.digest.daily().is_none() {
            return invalid("digest.daily_at", "must be a local time \"HH:MM\" or \"\"");
        }
        if !self.digest.weekly_at.is_empty() && self.digest.weekly().is_none() {
            return invalid(
                "digest.weekly_at",
                "must be a weekday and local time, e.g. \"mon 09:00\", or \"\"",
            );
        }
        let w = &self.stats;
        for (key, v) in [
            ("stats.weight_on_time_claim", w.weight_on_time_claim),
            ("stats.weight_on_time_resolve", w.weight_on_time_resolve),
            ("stats.weight_satisfaction", w.weight_satisfaction),
            ("stats.weight_reopen", w.weight_reopen),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return invalid(key, "must be a number of 0 or more");
            }
        }
        if self.sla.check_interval.0.is_zero() {
            return invalid("sla.check_interval", "must be longer than 0s");
        }
        if !(self.sla.remind_at > 0.0 && self.sla.remind_at < 1.0) {
            return invalid("sla.remind_at", "must be a fraction between 0 and 1");
        }
        let quiet = self.sla.quiet_hours.trim();
        if !quiet.is_empty()
            && let Err(e) = quiet.parse::<QuietHours>()
        {
            return invalid("sla.quiet_hours", &format!("{e}; or \"\" for none"));
        }
        // Loaded here so that a bad calendar stops the start, with the file's own line.
        self.sla.load_calendar(self.general.timezone.0)?;
        for (key, w) in [
            ("sla.normal", self.sla.normal),
            ("sla.urgent", self.sla.urgent),
        ] {
            if w.claim.0.is_zero() || w.resolve.0.is_zero() {
                return Err(ConfigError::Invalid {
                    key,
                    message: "claim and resolve must be longer than 0s".into(),
                });
            }
        }
        if self.sandbox.enabled
            && !self.http.listen.ip().is_loopback()
            && self.sandbox.token.is_empty()
        {
            return invalid(
                "sandbox.token",
                "must be set when http.listen is not a loopback address",
            );
        }
        if self.telegram.enabled {
            let token = self.telegram.token.expose();
            let well_formed = token.split_once(':').is_some_and(|(id, rest)| {
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && rest.len() >= 10
            });
            if !well_formed {
                return invalid(
                    "telegram.token",
                    "missing or malformed: set GRIDLINE__TELEGRAM__TOKEN to the token from @BotFather (digits:letters)",
                );
            }
            if !(self.telegram.api_url.starts_with("http://")
                || self.telegram.api_url.starts_with("https://"))
            {
                return invalid("telegram.api_url", "must be an http:// or https:// URL");
            }
            if self.telegram.mode == TelegramMode::Webhook {
                if !self.telegram.webhook_url.starts_with("https://") {
                    return invalid(
                        "telegram.webhook_url",
                        "webhook mode needs the public https:// URL Telegram will post to",
                    );
                }
                if self.telegram.webhook_secret.expose().len() < 16 {
                    return invalid(
                        "telegram.webhook_secret",
                        "webhook mode needs a secret of at least 16 characters (GRIDLINE__TELEGRAM__WEBHOOK_SECRET)",
                    );
                }
            }
        }
        if self.onebot.enabled
            && !self.http.listen.ip().is_loopback()
            && self.onebot.access_token.is_empty()
        {
            return invalid(
                "onebot.access_token",
                "must be set when http.listen is not a loopback address (GRIDLINE__ONEBOT__ACCESS_TOKEN)",
            );
        }
        if self.onebot.enabled
            && !self.onebot.api_url.is_empty()
            && !(self.onebot.api_url.starts_with("http://")
                || self.onebot.api_url.starts_with("https://"))
        {
            return invalid("onebot.api_url", "must be empty or an http(s):// URL");
        }
        Ok(())
    }
}

/// Turns `GRIDLINE__A__B=value` into TOML `a.b = value`. Values that parse as TOML (numbers,
/// booleans) keep their type; everything else is a string.
fn env_overrides(env: impl IntoIterator<Item = (String, String)>) -> String {
    let mut out = String::new();
    for (name, value) in env {
        let Some(path) = name.strip_prefix("GRIDLINE__") else {
            continue;
        };
        let key: Vec<String> = path
            .split("__")
            .map(|part| format!("\"{}\"", part.to_lowercase().replace('"', "")))
            .collect();
        let literal = if value.parse::<i64>().is_ok()
            || value.parse::<f64>().is_ok()
            || value == "true"
            || value == "false"
        {
            value
        } else {
            toml::Value::String(value).to_string()
        };
        out.push_str(&format!("{} = {}\n", key.join("."), literal));
    }
    out
}

fn describe_figment_error(e: figment::Error) -> String {
    let mut parts = Vec::new();
    for err in e {
        let key = err.path.join(".");
        if key.is_empty() {
            parts.push(err.kind.to_string());
        } else {
            parts.push(format!("key `{key}`: {}", err.kind));
        }
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_token_in_the_environment_enables_its_platform() {
        let env = |pairs: &[(&str, &str)]| {
            Settings::load(
                None,
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )
            .expect("valid")
        };
        let s = env(&[("GRIDLINE__TELEGRAM__TOKEN", "123456:ABCdefGHIjklMNO")]);
        assert!(s.telegram.enabled);
        assert!(!s.onebot.enabled);
        let s = env(&[
            ("GRIDLINE__TELEGRAM__TOKEN", "123456:ABCdefGHIjklMNO"),
            ("GRIDLINE__TELEGRAM__ENABLED", "false"),
        ]);
        assert!(!s.telegram.enabled, "an explicit switch wins");
        let s = env(&[("GRIDLINE__TELEGRAM__TOKEN", "")]);
        assert!(
            !s.telegram.enabled,
            "an empty token (compose's default) enables nothing"
        );
        let s = env(&[("GRIDLINE__ONEBOT__ACCESS_TOKEN", "t0ken")]);
        assert!(s.onebot.enabled);
        assert_eq!(s.shutdown.grace.0, std::time::Duration::from_secs(5));
    }

    #[test]
    fn defaults_load() {
        let s = Settings::defaults().expect("defaults are valid");
        assert_eq!(s.general.language, Language::Zh);
        assert_eq!(s.http.listen.port(), 8080);
        assert!(s.database.url.expose().starts_with("sqlite:"));
        assert_eq!(s.sla.deadlines(), Deadlines::default());
    }

    #[test]
    fn environment_overrides_keys() {
        let s = Settings::load(
            None,
            env(&[
                ("GRIDLINE__GENERAL__LANGUAGE", "en"),
                ("GRIDLINE__OUTBOX__MAX_ATTEMPTS", "3"),
                ("GRIDLINE__SLA__URGENT__CLAIM", "5m"),
                ("OTHER", "x"),
            ]),
        )
        .expect("valid");
        assert_eq!(s.general.language, Language::En);
        assert_eq!(s.outbox.max_attempts, 3);
        assert_eq!(s.sla.urgent.claim.0.as_secs(), 300);
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("GRIDLINE__SLA__NORMAL__CLAIM", "soon", "sla.normal.claim"),
            ("GRIDLINE__HTTP__LISTEN", "nowhere", "http.listen"),
            (
                "GRIDLINE__GENERAL__TIMEZONE",
                "Mars/Base",
                "general.timezone",
            ),
            ("GRIDLINE__GENERAL__LANGUAGE", "fr", "general.language"),
            ("GRIDLINE__DATABASE__URL", "mysql://x", "database.url"),
            ("GRIDLINE__TELEGRAM__ENABLED", "true", "telegram.token"),
            (
                "GRIDLINE__OUTBOX__MAX_ATTEMPTS",
                "-1",
                "outbox.max_attempts",
            ),
            ("GRIDLINE__NOSUCH__KEY", "1", "nosuch"),
        ];
        for (var, value, key) in cases {
            let err = Settings::load(None, env(&[(var, value)]))
                .expect_err(var)
                .to_string();
            assert!(
                err.contains(key),
                "{var}={value}: `{err}` should name {key}"
            );
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Settings::load(
            None,
            env(&[
                ("GRIDLINE__TELEGRAM__ENABLED", "true"),
                ("GRIDLINE__TELEGRAM__TOKEN", "123456:ABCDEFGHIJKLMNOP"),
            ]),
        )
        .expect("valid");
        let printed = format!("{s:?}");
        assert!(!printed.contains("ABCDEFGHIJKLMNOP"));
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn sandbox_off_loopback_needs_a_token() {
        let err = Settings::load(None, env(&[("GRIDLINE__HTTP__LISTEN", "0.0.0.0:8080")]))
            .expect_err("token required")
            .to_string();
        assert!(err.contains("sandbox.token"), "{err}");
    }

    #[test]
    fn quiet_hours_and_calendar_default_and_parse() {
        let s = Settings::defaults().expect("defaults are valid");
        assert_eq!(s.sla.quiet(), Some("22:00-07:00".parse().expect("valid")));
        let calendar = s
            .sla
            .load_calendar(s.general.timezone.0)
            .expect("calendar time");
        assert!(calendar.is_always());

        let s = Settings::load(
            None,
            env(&[
                ("GRIDLINE__SLA__QUIET_HOURS", ""),
                (
                    "GRIDLINE__SLA__CALENDAR",
                    concat!(env!("CARGO_MANIFEST_DIR"), "/config/calendar-example.toml"),
                ),
            ]),
        )
        .expect("valid");
        assert_eq!(s.sla.quiet(), None);
        let calendar = s
            .sla
            .load_calendar(s.general.timezone.0)
            .expect("example calendar");
        assert!(!calendar.is_always());
    }

    #[test]
    fn bad_quiet_hours_and_calendars_name_their_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("office.toml");
        std::fs::write(
            &bad,
            "[week]\nhours = [\"08:30-12:00\", \"11:00-17:30\"]\ndays = [\"mon\"]\n",
        )
        .expect("write");
        let missing = dir.path().join("missing.toml");
        let cases = [
            (
                "GRIDLINE__SLA__QUIET_HOURS",
                "25:00-07:00".to_string(),
                "sla.quiet_hours",
                vec!["25:00", "not a time"],
            ),
            (
                "GRIDLINE__SLA__QUIET_HOURS",
                "22:00".to_string(),
                "sla.quiet_hours",
                vec!["22:00-07:00", "\"\" for none"],
            ),
            (
                "GRIDLINE__SLA__QUIET_HOURS",
                "07:00-07:00".to_string(),
                "sla.quiet_hours",
                vec!["same time"],
            ),
            (
                "GRIDLINE__SLA__CALENDAR",
                missing.display().to_string(),
                "sla.calendar",
                vec!["missing.toml", "cannot read"],
            ),
            (
                "GRIDLINE__SLA__CALENDAR",
                bad.display().to_string(),
                "sla.calendar",
                vec!["office.toml", "line 2", "week.hours", "overlaps"],
            ),
        ];
        for (var, value, key, says) in cases {
            let err = Settings::load(None, env(&[(var, &value)]))
                .expect_err(var)
                .to_string();
            assert!(
                err.contains(&format!("`{key}`")),
                "{var}={value}: `{err}` should name {key}"
            );
            for part in says {
                assert!(
                    err.contains(part),
                    "{var}={value}: `{err}` should say {part}"
                );
            }
        }
    }
}
