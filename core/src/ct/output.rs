//! A [`CtReport`] for people: the one text line every report shows, and
//! the stable status names. Its JSON is `api::CtSummary`'s, the record every
//! runtime gets.

use super::policy::{CtReport, SctCheck, SctStatus};

impl SctStatus {
    /// The stable name: `valid`, `log-not-trusted`, `unknown-log`,
    /// `invalid` (README, "Certificate transparency").
    pub fn name(&self) -> &'static str {
        match self {
            SctStatus::Valid => "valid",
            SctStatus::LogNotTrusted(_) => "log-not-trusted",
            SctStatus::UnknownLog => "unknown-log",
            SctStatus::Invalid(_) => "invalid",
        }
    }

    /// What the name leaves out: the untrusted log's state, or why the SCT
    /// does not hold.
    pub fn detail(&self) -> Option<String> {
        match self {
            SctStatus::LogNotTrusted(state) => Some(state.name().to_owned()),
            SctStatus::Invalid(why) => Some(why.clone()),
            SctStatus::Valid | SctStatus::UnknownLog => None,
        }
    }
}

impl SctCheck {
    /// The log's id, lowercase hex.
    pub fn log_id_hex(&self) -> String {
        self.log_id.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl CtReport {
    /// One line for people: compliant or not, and each SCT's log.
    pub fn to_text(&self) -> String {
        let logs: Vec<String> = self
            .scts
            .iter()
            .map(|s| {
                let who = s.log.as_ref().map_or("an unknown log", |(d, _)| d.as_str());
                match (&s.status, s.status.detail()) {
                    (SctStatus::Valid, _) => who.to_owned(),
                    (st, Some(d)) => format!("{who} ({}: {d})", st.name()),
                    (st, None) => format!("{who} ({})", st.name()),
                }
            })
            .collect();
        format!(
            "CT              {} ({} SCT{}{}{})\n",
            if self.compliant {
                "compliant"
            } else {
                "not compliant"
            },
            self.scts.len(),
            if self.scts.len() == 1 { "" } else { "s" },
            if logs.is_empty() { "" } else { ": " },
            logs.join(", ")
        )
    }
}
