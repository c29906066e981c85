//! The process environment, read here and nowhere else: which variables the agent heeds is
//! then one list (`LANG` for the default language).

/// The locale the agent was started under (`LANG`, e.g. `fr_FR.UTF-8`), if any.
pub fn locale() -> Option<String> {
    std::env::var("LANG").ok().filter(|l| !l.is_empty())
}
