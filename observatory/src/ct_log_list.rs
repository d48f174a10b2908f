//! The CT log list `xmpptls check` uses unless `--ct-log-list` names a
//! newer one: Google's list in the v3 format as of 2020-02-12 (the
//! newest state change it records), as PyPI's `ctutlz` 0.9.8 ships it
//! (`really_all_logs.json`, MIT). This machine reaches no other source; the
//! check says when the list is older than
//! [`MAX_LOG_LIST_AGE_DAYS`](xmpptls::ct::MAX_LOG_LIST_AGE_DAYS), and a
//! current list is fetched from
//! `https://www.gstatic.com/ct/log_list/v3/log_list.json`.

/// The bundled log list (v3 JSON).
pub const BUNDLED_CT_LOG_LIST: &str = include_str!("../data/ct-log-list-2020-02-12.json");

/// Its date.
pub const BUNDLED_CT_LOG_LIST_DATE: &str = "2020-02-12";
